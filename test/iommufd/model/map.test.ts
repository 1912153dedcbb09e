// The model against the IOAS_MAP rules (spec/iommufd/rules.ts, group MAP).
import { describe, expect, test } from 'vitest';
import {
  A, B, FIXED, HUGE, IOVA, MSI, P, R, RW, U64_MAX, W, alloc, allow, at, attach, attached, bind, counts, counters,
  cpuWrite, dmaRead, err, fresh, iovaOk, map, mapAuto, mmap, rlimit, run, token, uncapped,
} from './helpers.ts';

describe('IOMMU_IOAS_MAP', () => {
  test('IOMMUFD-MAP-FLAGS: an unknown flag bit fails with EOPNOTSUPP before any other check', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, map(IOVA, A, P, FIXED | RW | 8))).toEqual({ result: err('EOPNOTSUPP'), rule: 'IOMMUFD-MAP-FLAGS' });
    expect(at(m, map(U64_MAX, A, 0n, 0x100, 3))).toEqual({ result: err('EOPNOTSUPP'), rule: 'IOMMUFD-MAP-FLAGS' });
  });

  test('IOMMUFD-MAP-PERM: neither READABLE nor WRITEABLE fails with EINVAL, after the u64 bounds', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, map(IOVA, A, P, FIXED))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-PERM' });
    expect(at(m, map(U64_MAX, A, P, FIXED))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-MAP-OVERFLOW' });
    expect(at(m, map(IOVA, A, P, FIXED | W)).result).toEqual(iovaOk(IOVA));
  });

  test('IOMMUFD-MAP-LENGTH-ZERO: length 0 fails with EINVAL, after the IOAS lookup', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, map(IOVA, A, 0n))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-LENGTH-ZERO' });
    expect(at(m, map(IOVA, A, 0n, FIXED | RW, 2))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
    expect(at(m, map(0n, 0n, U64_MAX - 1n))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-LENGTH-ZERO' });
    // Too long and past the top of the user range: v6.12 says EINVAL, later kernels EOVERFLOW.
    const e = m.apply(map(0n, A, U64_MAX - 1n));
    expect(e.result).toEqual(err('EINVAL'));
    expect(e.accept).toEqual([err('EOVERFLOW')]);
    expect(m.apply(map(0n, 0n, U64_MAX - 1n)).accept).toBeUndefined();
  });

  test('IOMMUFD-MAP-OVERFLOW: u64 bounds, a user range past 2^64 - 1, a fixed range past it, a huge automatic length', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, map(IOVA, A, U64_MAX))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-MAP-OVERFLOW' });
    // user_va + length must fit in 64 bits: a user range ending on the last byte does not.
    expect(at(m, map(IOVA, U64_MAX + 1n - 2n * P, 2n * P))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-MAP-OVERFLOW' });
    expect(at(m, map(U64_MAX - P, A, 2n * P))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-MAP-OVERFLOW' });
    // An iova range ending on the last byte is fine (no domain: nothing reserved).
    expect(at(m, map(U64_MAX + 1n - 2n * P, A, 2n * P)).result).toEqual(iovaOk(U64_MAX + 1n - 2n * P));
    expect(at(m, mapAuto(0x1000n, 1n << 63n))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-MAP-OVERFLOW' });
  });

  test('IOMMUFD-MAP-ALIGN: byte granular without a domain; with one, length, iova and the page offset of user_va must be page multiples', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, map(0x1234n, A + 0x56n, 0x10n)).result).toEqual(iovaOk(0x1234n));
    run(m, [alloc(1), bind(0), attach(0, 1), mmap(A, 4n * P)]);
    expect(at(m, map(IOVA, A, 0x800n, FIXED | RW, 1))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-ALIGN' });
    expect(at(m, map(IOVA + 0x800n, A, P, FIXED | RW, 1))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-ALIGN' });
    expect(at(m, map(IOVA, A + 0x800n, P, FIXED | RW, 1))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-ALIGN' });
    // The allocator would align to 0x800, the lowest bit of user_va, below the IOAS's 4 KiB.
    expect(at(m, mapAuto(A + 0x800n, P, RW, 1))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-ALIGN' });
    expect(at(m, map(IOVA, A, P, FIXED | RW, 1)).result).toEqual(iovaOk(IOVA));
  });

  test('IOMMUFD-MAP-RESERVED: a fixed range meeting a reserved range fails with EINVAL, also before EEXIST', () => {
    const m = fresh();
    run(m, [...attached, mmap(A, 2n * P)]);
    expect(at(m, map(MSI.start, A, P))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-RESERVED' });
    expect(at(m, map(MSI.start - P, A, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-RESERVED' });
    expect(at(m, map(MSI.last + 1n, A, P)).result).toEqual(iovaOk(MSI.last + 1n));
    // Beyond device 0's 48-bit aperture.
    expect(at(m, map(1n << 48n, A, P))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-RESERVED' });
    // Device 1's aperture starts at 0x100000: below it is reserved once device 1 is attached.
    run(m, [alloc(1), bind(1), attach(1, 1)]);
    expect(at(m, map(0x1000n, A, P, FIXED | RW, 1))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-MAP-RESERVED' });
  });

  test('IOMMUFD-MAP-OVERLAP: a fixed range overlapping an area fails with EEXIST; an adjacent one maps', () => {
    const m = fresh();
    run(m, [alloc(0), map(IOVA, A, 2n * P)]);
    expect(at(m, map(IOVA + P, B, 2n * P))).toEqual({ result: err('EEXIST'), rule: 'IOMMUFD-MAP-OVERLAP' });
    expect(at(m, map(IOVA - P, B, 2n * P))).toEqual({ result: err('EEXIST'), rule: 'IOMMUFD-MAP-OVERLAP' });
    expect(at(m, map(IOVA + 2n * P, B, P)).result).toEqual(iovaOk(IOVA + 2n * P));
    expect(at(m, map(IOVA - P, B, P)).result).toEqual(iovaOk(IOVA - P));
  });

  test('IOMMUFD-MAP-ALLOC: Linux takes the lowest free, aligned iova above 0; any free aligned allowed iova conforms', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    const e = m.apply(mapAuto(A, P));
    expect(e.result).toEqual(iovaOk(P));
    expect(e.rule).toBe('IOMMUFD-MAP-LAZY');
    expect(e.judge?.(iovaOk(0x5000n))).toBeNull();
    expect(e.judge?.(iovaOk(0n))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    expect(e.judge?.(iovaOk(U64_MAX + 1n - P))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    expect(e.judge?.(err('ENOSPC'))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    m.observe(mapAuto(A, P), iovaOk(0x5000n));
    // The model follows the backend's choice.
    expect(at(m, map(0x5000n, B, P))).toEqual({ result: err('EEXIST'), rule: 'IOMMUFD-MAP-OVERLAP' });
    expect(at(m, map(P, B, P)).result).toEqual(iovaOk(P));
    const second = m.apply(mapAuto(A, P));
    expect(second.judge?.(iovaOk(0x5000n))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    expect(second.judge?.(iovaOk(0x2000n))).toBeNull();
    // With a device attached: its reserved ranges are avoided, the rest is free.
    const n = fresh();
    run(n, [mmap(A, P), ...attached]);
    const third = n.apply(mapAuto(A, P));
    expect(third.result).toEqual(iovaOk(P));
    expect(third.judge?.(iovaOk(P))).toBeNull();
    expect(third.judge?.(iovaOk(MSI.start))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    expect(third.judge?.(iovaOk(1n << 48n))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    expect(third.judge?.(iovaOk(P + 0x800n))?.rule).toBe('IOMMUFD-MAP-ALLOC');
  });

  test('IOMMUFD-MAP-ALLOC: the allowed list bounds allocation; ENOSPC when no hole fits at the alignment Linux wants', () => {
    const m = fresh();
    run(m, [alloc(0), allow([{ start: 0x40000000n, last: 0x4fffffffn }])]);
    const e = m.apply(mapAuto(A, 2n * P));
    expect(e.result).toEqual(iovaOk(0x40000000n));
    expect(e.judge?.(iovaOk(0x3fffe000n))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    run(m, [allow([{ start: 0x40000000n, last: 0x40000fffn }])]);
    expect(at(m, mapAuto(B, 2n * P))).toEqual({ result: err('ENOSPC'), rule: 'IOMMUFD-MAP-ALLOC' });
    // 3 pages want a 4-page alignment: [0x50001000, 0x50004fff] holds 4 pages but no aligned 3.
    run(m, [allow([{ start: 0x50001000n, last: 0x50004fffn }])]);
    expect(at(m, mapAuto(B, 3n * P))).toEqual({ result: err('ENOSPC'), rule: 'IOMMUFD-MAP-ALLOC' });
    expect(at(m, mapAuto(B + P, 3n * P)).result).toEqual(iovaOk(0x50001000n));
  });

  test('IOMMUFD-MAP-ALLOC: ENOSPC where only a kernel capping the alignment at the huge page size finds room: both conform', () => {
    const m = fresh();
    // 4 MiB from a 2 MiB boundary that is not a 4 MiB one: v6.12 wants 4 MiB alignment.
    run(m, [alloc(0), allow([{ start: 0x50200000n, last: 0x505fffffn }])]);
    const e = m.apply(mapAuto(A, 2n * HUGE));
    expect(e.result).toEqual(err('ENOSPC'));
    expect(e.judge?.(err('ENOSPC'))).toBeNull();
    expect(e.judge?.(iovaOk(0x50200000n))).toBeNull();
    expect(e.judge?.(iovaOk(0x50300000n))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    expect(e.judge?.(err('EINVAL'))?.rule).toBe('IOMMUFD-MAP-ALLOC');
    // Told the backend placed it, the model follows; not told, it keeps v6.12's answer.
    m.observe(mapAuto(A, 2n * HUGE), iovaOk(0x50200000n));
    expect(at(m, map(0x50200000n, B, P))).toEqual({ result: err('EEXIST'), rule: 'IOMMUFD-MAP-OVERLAP' });
    const n = fresh();
    run(n, [alloc(0), allow([{ start: 0x50200000n, last: 0x505fffffn }]), mapAuto(A, 2n * HUGE)]);
    expect(at(n, map(0x50200000n, B, P)).result).toEqual(iovaOk(0x50200000n));
  });

  test('IOMMUFD-MAP-ALLOC: a kernel without transparent huge pages caps the alignment at PAGE_SIZE: its lower choice conforms too', () => {
    const m = fresh();
    // 3 pages want a 4-page alignment; [0x2000, 0x5fff] holds 3 pages only from 0x2000.
    run(m, [alloc(0), allow([{ start: 0x2000n, last: 0x5fffn }])]);
    const e = m.apply(mapAuto(A, 3n * P));
    expect(e.result).toEqual(err('ENOSPC'));
    expect(e.judge?.(iovaOk(0x2000n))).toBeNull();
    expect(e.judge?.(iovaOk(0x4000n))?.rule).toBe('IOMMUFD-MAP-ALLOC');
  });

  test('IOMMUFD-MAP-LAZY: with no domain a map of unmapped, PROT_NONE or MMIO memory succeeds and pins nothing', () => {
    const m = fresh();
    run(m, [...uncapped, alloc(0), mmap(B, P, 'none'), mmap(B + P, P, 'rw', 'mmio')]);
    expect(at(m, map(IOVA, A, 2n * P))).toEqual({ result: iovaOk(IOVA), rule: 'IOMMUFD-MAP-LAZY' });
    expect(at(m, map(IOVA + 2n * P, B, 2n * P))).toEqual({ result: iovaOk(IOVA + 2n * P), rule: 'IOMMUFD-MAP-LAZY' });
    expect(at(m, counters)).toEqual({ result: counts(0n, 0n), rule: 'IOMMUFD-MAP-LAZY' });
    run(m, [bind(0)]);
    expect(at(m, attach(0, 0))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-ATTACH-FILL' });
  });

  test('IOMMUFD-MAP-UNBACKED: with a domain, unmapped, PROT_NONE, MMIO or (for WRITEABLE) read-only memory fails with EFAULT', () => {
    const m = fresh();
    run(m, [...attached, mmap(B, P, 'none'), mmap(B + P, P, 'rw', 'mmio'), mmap(B + 2n * P, P, 'r'), mmap(A, P)]);
    expect(at(m, map(IOVA, A, 2n * P))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-MAP-UNBACKED' });
    expect(at(m, map(IOVA, B, P))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-MAP-UNBACKED' });
    expect(at(m, map(IOVA, B + P, P))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-MAP-UNBACKED' });
    expect(at(m, map(IOVA, B + 2n * P, P))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-MAP-UNBACKED' });
    expect(at(m, map(IOVA, B + 2n * P, P, FIXED | R)).result).toEqual(iovaOk(IOVA));
  });

  test('IOMMUFD-MAP-RLIMIT: a pin over RLIMIT_MEMLOCK fails with ENOMEM; EFAULT on the same area comes first', () => {
    const m = fresh();
    run(m, [...uncapped, rlimit(2n * P), mmap(A, 4n * P), ...attached]);
    expect(at(m, map(IOVA, A, 3n * P))).toEqual({ result: err('ENOMEM'), rule: 'IOMMUFD-MAP-RLIMIT' });
    expect(at(m, map(IOVA, A, 2n * P)).result).toEqual(iovaOk(IOVA));
    expect(at(m, map(IOVA + 4n * P, A + 2n * P, P))).toEqual({ result: err('ENOMEM'), rule: 'IOMMUFD-MAP-RLIMIT' });
    expect(at(m, map(IOVA + 4n * P, A + 3n * P, 2n * P))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-MAP-UNBACKED' });
  });

  test('IOMMUFD-MAP-ATOMIC: a failed map leaves no area, pin or charge', () => {
    const m = fresh();
    run(m, [...uncapped, rlimit(3n * P), mmap(A, 4n * P), ...attached, map(IOVA, A, 2n * P)]);
    expect(at(m, map(IOVA + 2n * P, A, 2n * P)).result).toEqual(err('ENOMEM'));
    expect(at(m, counters)).toEqual({ result: counts(0n, 2n), rule: 'IOMMUFD-MAP-ATOMIC' });
    expect(at(m, dmaRead(IOVA + 2n * P))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-MAP-ATOMIC' });
    expect(at(m, map(IOVA + 2n * P, A + 2n * P, P)).result).toEqual(iovaOk(IOVA + 2n * P));
  });

  test('IOMMUFD-MAP-EXACT: exactly the range reaches the user pages, for devices attached now and later', () => {
    const m = fresh();
    run(m, [mmap(A, 2n * P), cpuWrite(A, 0x11n), cpuWrite(A + P, 0x22n), ...attached]);
    expect(at(m, map(IOVA, A, 2n * P))).toEqual({ result: iovaOk(IOVA), rule: 'IOMMUFD-MAP-EXACT' });
    expect(at(m, dmaRead(IOVA))).toEqual({ result: token(0x11n), rule: 'IOMMUFD-MAP-EXACT' });
    expect(at(m, dmaRead(IOVA + P + 0x10n)).result).toEqual(token(0x22n));
    expect(at(m, dmaRead(IOVA + 2n * P)).result).toEqual(err('EFAULT'));
    expect(at(m, dmaRead(IOVA - 1n)).result).toEqual(err('EFAULT'));
    run(m, [bind(1), attach(1, 0)]);
    expect(at(m, dmaRead(IOVA + P, 1)).result).toEqual(token(0x22n));
  });

  test('IOMMUFD-MAP-ORDER: the first failing check decides; a later check\'s errno breaks the order', () => {
    const m = fresh();
    run(m, [...attached, mmap(A, P), map(IOVA, A, P)]);
    // Misaligned length, and overlapping: EINVAL decides, EEXIST would be checked later.
    const e = m.apply(map(IOVA, A, 0x800n));
    expect(e.result).toEqual(err('EINVAL'));
    expect(m.blame(map(IOVA, A, 0x800n), e, err('EEXIST'))).toBe('IOMMUFD-MAP-ORDER');
    expect(m.blame(map(IOVA, A, 0x800n), e, err('ENOSPC'))).toBe('IOMMUFD-MAP-ALIGN');
    // A hugetlb-backed 2 MiB map is one area like any other.
    const huge = 0x7f0000200000n;
    run(m, [mmap(huge, HUGE, 'rw', 'hugetlb')]);
    expect(at(m, map(0x40000000n, huge, HUGE)).result).toEqual(iovaOk(0x40000000n));
  });
});
