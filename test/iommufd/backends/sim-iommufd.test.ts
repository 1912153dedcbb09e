// Hand-checked behaviours of the correct simulators, each expectation read from the Linux v6.12
// source named beside it.
import { describe, expect, it } from 'vitest';
import { findBundled } from '../../../backends/iommufd/index.ts';
import type { Backend } from '../../../spec/iommufd/backend.ts';
import {
  A, FIXED, HUGE, P, RW, U64_MAX, allow, alloc, attach, attached, bind, capIpcLock, closeCtx, copy, counters, cpuWrite,
  destroy, detach, dmaRead, dmaWrite, err, getMode, hwInfo, last, map, mapAuto, mmap, munmap, okv, pins, ranges, rlimit,
  run, setMode, unmap, unmapAll,
} from './ops.ts';

const sim = (options: Record<string, string> = {}): Backend => findBundled('sim-iommufd')!.create(options);
const twoDev = (options: Record<string, string> = {}): Backend => findBundled('sim-iommufd-2dev')!.create(options);
const IOVA = 0x100000n;
const MSI = 0xfee00000n;
const T = 0x1234n;

describe('objects (IOMMUFD-OBJ-*)', () => {
  it('answers ENOENT for a handle never allocated or destroyed (IOMMUFD-OBJ-ID)', () => {
    const r = run(sim(), [mmap(A, P), map(IOVA, A, P), alloc(), destroy(), map(IOVA, A, P), unmap(IOVA, P), ranges(), destroy(), attach()]);
    expect(r.slice(1)).toEqual([err('ENOENT'), okv(), okv(), err('ENOENT'), err('ENOENT'), err('ENOENT'), err('ENOENT'), err('EINVAL')]);
  });

  it('refuses to destroy an IOAS a device is attached to, then destroys it once detached (IOMMUFD-OBJ-DESTROY-BUSY)', () => {
    const r = run(sim(), [mmap(A, P), alloc(), ...attached(), map(IOVA, A, P), destroy(), dmaRead(IOVA), detach(), destroy(), counters]);
    expect(r.slice(5)).toEqual([err('EBUSY'), okv({ token: 0n }), okv(), okv(), pins(0n, 0n)]);
  });

  it('returns every pin on close and unbinds the devices (IOMMUFD-OBJ-CLOSE)', () => {
    const r = run(sim(), [capIpcLock(false), setMode(1n), mmap(A, 4n * P), alloc(), ...attached(), map(IOVA, A, 4n * P), counters, closeCtx, counters, attach(), getMode]);
    expect(r.slice(7)).toEqual([pins(4n, 4n), okv(), pins(0n, 0n), err('EINVAL'), okv({ value: 0n })]);
  });
});

describe('IOAS_MAP (IOMMUFD-MAP-*)', () => {
  it('checks flags, overflow and permission before the IOAS (iommufd_ioas_map)', () => {
    const b = sim();
    expect(last(b, [map(IOVA, A, P, 8 | FIXED, 3)])).toEqual(err('EOPNOTSUPP'));
    expect(last(b, [map(U64_MAX, A, P, FIXED, 3)])).toEqual(err('EOVERFLOW'));
    expect(last(b, [map(IOVA, A, P, 1, 3)])).toEqual(err('EINVAL'));
    expect(last(b, [map(IOVA, A, P, FIXED, 3)])).toEqual(err('ENOENT'));
    expect(last(b, [alloc(), map(IOVA, A, 0n)])).toEqual(err('EINVAL')); // iopt_alloc_pages
    expect(last(b, [alloc(), map(IOVA, U64_MAX - P + 1n, P)])).toEqual(err('EOVERFLOW')); // uptr + length
  });

  it('is byte granular with no domain, page aligned with one (IOMMUFD-MAP-ALIGN)', () => {
    expect(last(sim(), [alloc(), map(IOVA + 1n, A + 1n, 3n)])).toEqual(okv({ iova: IOVA + 1n }));
    const r = run(sim(), [mmap(A, 2n * P), alloc(), ...attached(), map(IOVA + 1n, A, P), map(IOVA, A, P + 1n), map(IOVA, A + 1n, P), map(IOVA, A, P)]);
    expect(r.slice(4)).toEqual([err('EINVAL'), err('EINVAL'), err('EINVAL'), okv({ iova: IOVA })]);
  });

  it('refuses reserved ranges with EINVAL before overlaps with EEXIST (iopt_check_iova)', () => {
    const r = run(sim(), [mmap(A, 2n * P), alloc(), ...attached(), map(MSI - P, A, 2n * P), map(IOVA, A, P), map(IOVA, A, P), map(1n << 48n, A, P)]);
    expect(r.slice(4)).toEqual([err('EINVAL'), okv({ iova: IOVA }), err('EEXIST'), err('EINVAL')]);
  });

  it('pins nothing and reads no memory while no domain is attached (IOMMUFD-MAP-LAZY)', () => {
    const r = run(sim(), [capIpcLock(false), alloc(), map(IOVA, A, 4n * P), counters, mmap(A, 4n * P, 'rw', 'mmio'), map(2n * IOVA, A, P)]);
    expect(r.slice(2)).toEqual([okv({ iova: IOVA }), pins(0n, 0n), okv(), okv({ iova: 2n * IOVA })]);
  });

  it('fails EFAULT on unbacked, PROT_NONE, MMIO or read-only-for-write memory with a domain (IOMMUFD-MAP-UNBACKED)', () => {
    const setup = [mmap(A, P, 'r'), mmap(A + P, P, 'none'), mmap(A + 2n * P, P, 'rw', 'mmio'), alloc(), ...attached()];
    const r = run(sim(), [...setup, map(IOVA, A, P), map(IOVA, A, P, FIXED & ~2), map(IOVA + P, A + P, P, FIXED & ~2), map(IOVA + P, A + 2n * P, P), map(IOVA + P, A + 3n * P, P), counters]);
    expect(r.slice(setup.length)).toEqual([err('EFAULT'), okv({ iova: IOVA }), err('EFAULT'), err('EFAULT'), err('EFAULT'), pins(0n, 1n)]);
  });

  it('fails ENOMEM over RLIMIT_MEMLOCK and leaves nothing behind (IOMMUFD-MAP-RLIMIT, IOMMUFD-MAP-ATOMIC)', () => {
    const setup = [capIpcLock(false), setMode(1n), rlimit(2n * P), mmap(A, 4n * P), alloc(), ...attached()];
    const r = run(sim(), [...setup, map(IOVA, A, 3n * P), counters, map(IOVA, A, 2n * P), counters]);
    expect(r.slice(setup.length)).toEqual([err('ENOMEM'), pins(0n, 0n), okv({ iova: IOVA }), pins(2n, 2n)]);
  });

  it('allocates from PAGE_SIZE up, keeping the VA\'s alignment up to 2 MiB (IOMMUFD-MAP-ALLOC, iopt_alloc_iova)', () => {
    const r = run(sim(), [alloc(), mapAuto(A, P), mapAuto(A, 3n * P), mapAuto(A + 3n, 2n), mapAuto(A + HUGE, 4n * HUGE)]);
    // 4 KiB from 0x1000; 12 KiB aligned to 16 KiB; 2 bytes at VA offset 3 aligned to 1 with the
    // page offset ORed in; 8 MiB aligned to the 2 MiB cap.
    expect(r.slice(1)).toEqual([okv({ iova: P }), okv({ iova: 4n * P }), okv({ iova: 0x2003n }), okv({ iova: HUGE })]);
  });

  it('allocates inside the allowed ranges only, around areas and reserved ranges, ENOSPC when nothing fits', () => {
    const r = run(sim(), [alloc(), allow([{ start: 0x10000n, last: 0x1ffffn }]), mapAuto(A, P), map(0x10000n, A, 0x8000n), mapAuto(A, 0x8000n), mapAuto(A, 0x8000n)]);
    expect(r.slice(2)).toEqual([okv({ iova: 0x10000n }), err('EEXIST'), okv({ iova: 0x18000n }), err('ENOSPC')]);
    // FIXED maps ignore the allowed ranges (IOMMUFD-ALLOW-REPLACE).
    expect(last(sim(), [alloc(), allow([{ start: 0x10000n, last: 0x1ffffn }]), map(IOVA, A, P)])).toEqual(okv({ iova: IOVA }));
  });

  it('refuses an allocation alignment below the IOAS\'s with EINVAL', () => {
    expect(last(sim(), [mmap(A, 2n * P), alloc(), ...attached(), mapAuto(A + 0x800n, P)])).toEqual(err('EINVAL'));
  });
});

describe('IOAS_UNMAP (IOMMUFD-UNMAP-*)', () => {
  const three = [alloc(), map(IOVA, A, P), map(IOVA + P, A, 2n * P), map(IOVA + 4n * P, A, P)];

  it('unmaps whole areas and reports their length (IOMMUFD-UNMAP-COUNT)', () => {
    expect(last(sim(), [...three, unmap(IOVA, 8n * P)])).toEqual(okv({ unmapped: 4n * P }));
  });

  it('never splits an area and keeps the areas below the failing one unmapped (IOMMUFD-UNMAP-WHOLE, -PARTIAL)', () => {
    const r = run(sim(), [...three, unmap(IOVA, 2n * P), unmap(IOVA, P), unmap(IOVA + P, 2n * P)]);
    expect(r.slice(three.length)).toEqual([err('ENOENT'), err('ENOENT'), okv({ unmapped: 2n * P })]);
  });

  it('fails ENOENT on an empty range, checks its arguments after the IOAS (IOMMUFD-UNMAP-EMPTY, -ARGS)', () => {
    const r = run(sim(), [unmap(IOVA, 0n), alloc(), unmap(IOVA, P), unmap(IOVA, 0n), unmap(U64_MAX, 1n), unmap(3n, U64_MAX - 1n)]);
    expect(r).toEqual([err('ENOENT'), okv(), err('ENOENT'), err('EINVAL'), err('EOVERFLOW'), err('EOVERFLOW')]);
  });

  it('unmaps everything with iova 0 and length U64_MAX, also when there is nothing (IOMMUFD-UNMAP-ALL)', () => {
    const r = run(sim(), [alloc(), unmapAll(), ...three.slice(1), unmapAll()]);
    expect(r).toEqual([okv(), okv({ unmapped: 0n }), okv({ iova: IOVA }), okv({ iova: IOVA + P }), okv({ iova: IOVA + 4n * P }), okv({ unmapped: 4n * P })]);
  });

  it('leaves nothing reachable and unpins (IOMMUFD-NO-STALE)', () => {
    const r = run(sim(), [mmap(A, 2n * P), cpuWrite(A + P, T), alloc(), ...attached(), map(IOVA, A, 2n * P), dmaRead(IOVA + P), unmap(IOVA, 2n * P), dmaRead(IOVA + P), counters]);
    expect(r.slice(6)).toEqual([okv({ token: T }), okv({ unmapped: 2n * P }), err('EFAULT'), pins(0n, 0n)]);
  });
});

describe('IOAS_COPY (IOMMUFD-COPY-*)', () => {
  const src = [capIpcLock(false), setMode(1n), mmap(A, 4n * P), cpuWrite(A + P, T), alloc(0), alloc(1), ...attached(0, 0)];

  it('shares the source pages: the same frames, pinned and charged once, while either area lives (IOMMUFD-COPY-SHARE)', () => {
    // The copy spans the end of one area and the start of the next. Moving the device to the
    // copy's IOAS leaves the source areas in no domain: only the pages the copy holds stay
    // pinned, and it still reaches the frame although the process unmapped it.
    const r = run(sim(), [...src, map(IOVA, A, 2n * P), map(IOVA + 2n * P, A + 2n * P, 2n * P), copy(1, IOVA, 0, IOVA + P, 2n * P), counters,
      munmap(A, 4n * P), attach(0, 1), dmaRead(IOVA), counters, unmapAll(0), counters, unmapAll(1), counters]);
    expect(r.slice(src.length)).toEqual([
      okv({ iova: IOVA }), okv({ iova: IOVA + 2n * P }), okv({ iova: IOVA }), pins(4n, 4n),
      okv(), okv(), okv({ token: T }), pins(2n, 2n), okv({ unmapped: 4n * P }), pins(2n, 2n), okv({ unmapped: 2n * P }), pins(0n, 0n),
    ]);
  });

  it('needs contiguous source areas and a writable source for WRITEABLE (IOMMUFD-COPY-SRC, -WRITE)', () => {
    const r = run(sim(), [alloc(0), alloc(1), map(IOVA, A, P), map(IOVA + 2n * P, A, P), map(IOVA + 3n * P, A, P, FIXED & ~2),
      copy(1, 0n, 0, IOVA, 3n * P), copy(1, 0n, 0, IOVA + P, P), copy(1, 0n, 0, IOVA + 3n * P, P), copy(1, 0n, 0, IOVA + 3n * P, P, 1 | 4),
      copy(1, 0n, 0, IOVA, P, 1 | 4 | 8), copy(1, 0n, 0, IOVA, P, 1), copy(1, 0n, 3, IOVA, P)]);
    expect(r.slice(5)).toEqual([err('ENOENT'), err('ENOENT'), err('EPERM'), okv({ iova: 0n }), err('EOPNOTSUPP'), err('EINVAL'), err('ENOENT')]);
  });
});

describe('IOVA_RANGES and ALLOW_IOVAS (IOMMUFD-RANGES-REPORT, IOMMUFD-ALLOW-*)', () => {
  it('reports the holes of the reserved ranges and the alignment, with and without a domain', () => {
    const r = run(sim(), [alloc(), ranges(), ...attached(), ranges(), detach(), ranges()]);
    const whole = okv({ ranges: [{ start: 0n, last: U64_MAX }], alignment: 1n });
    expect(r[1]).toEqual(whole);
    expect(r[4]).toEqual(okv({ ranges: [{ start: 0n, last: MSI - 1n }, { start: 0xfef00000n, last: (1n << 48n) - 1n }], alignment: P }));
    expect(r[6]).toEqual(whole);
  });

  it('reports the reserved holes only: the allowed list does not narrow them (iommufd_ioas_iova_ranges)', () => {
    expect(last(sim(), [alloc(), allow([{ start: 0x10000n, last: 0x1ffffn }]), ranges()])).toEqual(okv({ ranges: [{ start: 0n, last: U64_MAX }], alignment: 1n }));
  });

  it('refuses empty or overlapping ranges with EINVAL and reserved ones with EADDRINUSE, keeping the old list', () => {
    const first = allow([{ start: 0x10000n, last: 0x1ffffn }]);
    const r = run(sim(), [mmap(A, P), alloc(), first, ...attached(), allow([{ start: P, last: P }]), allow([{ start: P, last: 3n * P }, { start: 3n * P, last: 4n * P }]),
      allow([{ start: MSI - P, last: MSI }]), mapAuto(A, P), allow([]), mapAuto(A, P)]);
    expect(r.slice(5)).toEqual([err('EINVAL'), err('EINVAL'), err('EADDRINUSE'), okv({ iova: 0x10000n }), okv(), okv({ iova: P })]);
  });
});

describe('devices (IOMMUFD-BIND, IOMMUFD-ATTACH-*, IOMMUFD-DETACH)', () => {
  it('binds once; attach and detach need a bound device (vfio_device_fops_unl_ioctl)', () => {
    const r = run(sim(), [alloc(), attach(), detach(), bind(), bind(), detach(), attach(), attach(0, 2)]);
    expect(r.slice(1)).toEqual([err('EINVAL'), err('EINVAL'), okv(), err('EINVAL'), okv(), okv(), err('ENOENT')]);
  });

  it('replays existing areas into a new domain, pinning then (IOMMUFD-ATTACH-FILL)', () => {
    const r = run(sim(), [mmap(A, P), cpuWrite(A, T), alloc(), map(IOVA, A, P), counters, ...attached(), counters, dmaRead(IOVA), dmaWrite(IOVA, 7n), dmaRead(IOVA)]);
    expect(r.slice(4)).toEqual([pins(0n, 0n), okv(), okv(), pins(0n, 1n), okv({ token: T }), okv(), okv({ token: 7n })]);
  });

  it('fails an attach whose fill faults, leaving the IOAS as it was (IOMMUFD-ATTACH-FILL)', () => {
    const r = run(sim(), [mmap(A, P), alloc(), map(IOVA, A, P), map(2n * IOVA, A + P, P), ...attached(), ranges(), counters, unmap(2n * IOVA, P), attach()]);
    expect(r.slice(4)).toEqual([okv(), err('EFAULT'), okv({ ranges: [{ start: 0n, last: U64_MAX }], alignment: 1n }), pins(0n, 0n), okv({ unmapped: P }), okv()]);
  });

  it('refuses reservations over areas or allowed ranges and unaligned areas with EADDRINUSE (IOMMUFD-ATTACH-CONFLICT, -ALIGN)', () => {
    expect(last(sim(), [alloc(), map(MSI, A, P), ...attached()])).toEqual(err('EADDRINUSE'));
    expect(last(sim(), [alloc(), map(1n << 48n, A, P), ...attached()])).toEqual(err('EADDRINUSE'));
    expect(last(sim(), [alloc(), allow([{ start: MSI, last: MSI + P }]), ...attached()])).toEqual(err('EADDRINUSE'));
    expect(last(sim(), [alloc(), map(IOVA + 8n, A, P), ...attached()])).toEqual(err('EADDRINUSE'));
    // the failed attach left no reservation behind
    expect(last(sim(), [alloc(), map(1n << 48n, A, P), ...attached(), map(MSI, A, P)])).toEqual(okv({ iova: MSI }));
  });

  it('refuses a domain whose smallest page exceeds PAGE_SIZE with EINVAL (iopt_table_add_domain)', () => {
    expect(last(sim({ geometry: 'huge-only' }), [alloc(), ...attached()])).toEqual(err('EINVAL'));
  });

  it('moves an attached device to another IOAS, which alone it then reaches (IOMMUFD-ATTACH-REPLACE)', () => {
    const r = run(sim(), [mmap(A, 2n * P), cpuWrite(A, 1n), cpuWrite(A + P, 2n), alloc(0), alloc(1), map(IOVA, A, P, FIXED, 0), map(IOVA + P, A + P, P, FIXED, 1),
      ...attached(0, 0), attach(0, 1), dmaRead(IOVA), dmaRead(IOVA + P), counters, destroy(0), destroy(1)]);
    expect(r.slice(9)).toEqual([okv(), err('EFAULT'), okv({ token: 2n }), pins(0n, 1n), okv(), err('EBUSY')]);
  });

  it('detaches: the device reaches nothing, the areas stay, their pins go (IOMMUFD-DETACH)', () => {
    const r = run(sim(), [mmap(A, P), alloc(), ...attached(), map(IOVA, A, P), detach(), dmaRead(IOVA), counters, unmap(IOVA, P)]);
    expect(r.slice(5)).toEqual([okv(), err('EFAULT'), pins(0n, 0n), okv({ unmapped: P })]);
  });

  it('gives each device its own reservations and keeps pins while any domain holds them (sim-iommufd-2dev)', () => {
    const r = run(twoDev(), [mmap(A, P), alloc(), ...attached(0), ...attached(1), ranges(), map(IOVA, A, P), map(P, A, P), detach(1), ranges(), counters, dmaRead(IOVA, 1), dmaRead(IOVA, 0)]);
    expect(r[6]).toEqual(okv({ ranges: [{ start: 0x100000n, last: 0x7ffffffn }, { start: 0x8100000n, last: MSI - 1n }, { start: 0xfef00000n, last: (1n << 40n) - 1n }], alignment: P }));
    expect(r.slice(7, 9)).toEqual([okv({ iova: IOVA }), err('EINVAL')]);
    expect(r[10]).toEqual(okv({ ranges: [{ start: 0n, last: MSI - 1n }, { start: 0xfef00000n, last: (1n << 48n) - 1n }], alignment: P }));
    expect(r.slice(11)).toEqual([pins(0n, 1n), err('EFAULT'), okv({ token: 0n })]);
  });
});

describe('accounting (IOMMUFD-ACCT-*, IOMMUFD-OPTION-RLIMIT)', () => {
  const mapped = (pre: ReturnType<typeof rlimit>[]) => [...pre, mmap(A, 2n * P), alloc(), ...attached(), map(IOVA, A, 2n * P), map(IOVA + 2n * P, A, 2n * P), counters];

  it('charges per iopt_pages: the user in mode 0, the mm in mode 1, nobody with CAP_IPC_LOCK; pinned_vm always', () => {
    expect(last(sim(), mapped([capIpcLock(false)]))).toEqual(pins(0n, 4n));
    expect(last(sim(), mapped([capIpcLock(false), setMode(1n)]))).toEqual(pins(4n, 4n));
    expect(last(sim(), mapped([setMode(1n)]))).toEqual(pins(0n, 4n));
  });

  it('checks the per-user charge against RLIMIT_MEMLOCK in mode 0 (incr_user_locked_vm)', () => {
    const r = run(sim(), [capIpcLock(false), rlimit(3n * P), mmap(A, 2n * P), alloc(), ...attached(), map(IOVA, A, 2n * P), map(IOVA + 2n * P, A, 2n * P), counters]);
    expect(r.slice(6)).toEqual([okv({ iova: IOVA }), err('ENOMEM'), pins(0n, 2n)]);
  });

  it('fixes the account mode at MAP: dropping CAP_IPC_LOCK later charges nothing', () => {
    const r = run(sim(), [setMode(1n), mmap(A, 2n * P), alloc(), map(IOVA, A, 2n * P), capIpcLock(false), rlimit(0n), ...attached(), counters]);
    expect(r.slice(6)).toEqual([okv(), okv(), pins(0n, 2n)]);
  });

  it('sets RLIMIT_MODE only with no object (EBUSY before EINVAL) and reads it back', () => {
    const r = run(sim(), [getMode, setMode(2n), setMode(1n), getMode, bind(), setMode(0n), setMode(5n), closeCtx, alloc(), setMode(0n), destroy(), setMode(0n), getMode]);
    expect(r).toEqual([okv({ value: 0n }), err('EINVAL'), okv(), okv({ value: 1n }), okv(), err('EBUSY'), err('EBUSY'), okv(), okv(), err('EBUSY'), okv(), okv(), okv({ value: 0n })]);
  });
});

describe('DMA and hw_info (IOMMUFD-DMA-REACH, IOMMUFD-HWINFO)', () => {
  it('honours the area\'s permission and reaches the frame pinned at fill time', () => {
    const r = run(sim(), [mmap(A, P), cpuWrite(A, T), alloc(), ...attached(), map(IOVA, A, P, 1 | 4), dmaWrite(IOVA, 9n), munmap(A, P), mmap(A, P), dmaRead(IOVA), dmaRead(IOVA + P)]);
    expect(r.slice(6)).toEqual([err('EFAULT'), okv(), okv(), okv({ token: T }), err('EFAULT')]);
  });

  it('answers the IOMMU\'s data type for a bound device, ENOENT for an unbound one', () => {
    expect(run(twoDev(), [hwInfo(0), bind(0), bind(1), hwInfo(0), hwInfo(1)])).toEqual([
      err('ENOENT'), okv(), okv(), okv({ dataType: 1, capabilities: 0n }), okv({ dataType: 0, capabilities: 0n }),
    ]);
  });
});

describe('options', () => {
  it('declares the geometry it is given', () => {
    const b = sim({ geometry: '2dev', devices: '3', aperture: '0x0-0xffffffffff/0x100000-0xffffffffff/0x0-0xffffffff', reserved: 'none' });
    expect(b.info.devices.map((d) => [d.aperture.last, d.reserved.length, d.group])).toEqual([[0xffffffffffn, 0, 0], [0xffffffffffn, 0, 1], [0xffffffffn, 0, 2]]);
  });

  it('refuses unknown options and malformed values in one line', () => {
    expect(() => sim({ nope: '1' })).toThrow(/unknown option "nope"/);
    expect(() => sim({ pgsizes: '0x800' })).toThrow(/pgsizes/);
    expect(() => sim({ aperture: '0x10-0x5' })).toThrow(/aperture/);
    expect(() => sim({ geometry: '2dev', group: '1/2/3' })).toThrow(/one per device/);
  });
});
