// Hand-checked behaviours of the correct simulators.
import { describe, expect, it } from 'vitest';
import { findBundled } from '../../../backends/type1/index.ts';
import type { Backend } from '../../../spec/type1/backend.ts';
import type { Op } from '../../../spec/type1/ops.ts';
import {
  A, HUGE, P, TOP, capIpcLock, close, counters, cpuRead, cpuWrite, dmaRead, dmaWrite, dump, err, getInfo,
  last, map, mmap, mprotect, mremap, munmap, okv, rlimit, run, unmap,
} from './ops.ts';

const v2 = (options: Record<string, string> = {}): Backend => findBundled('sim-type1')!.create(options);
const v1 = (options: Record<string, string> = {}): Backend => findBundled('sim-type1-v1')!.create(options);
const IOVA = 0x100000n;

describe('sim-type1: MAP_DMA', () => {
  it('checks in the kernel order (T1-MAP-CHECK-ORDER)', () => {
    const b = v2({ dmaEntryLimit: '1' });
    expect(last(b, [map(IOVA, A, P, 8 | 3)])).toEqual(err('EINVAL')); // flags
    expect(last(b, [map(IOVA, A, P, 0)])).toEqual(err('EINVAL')); // no permission
    expect(last(b, [map(IOVA, A, P, 4 | 1)])).toEqual(err('EINVAL')); // VADDR with READ
    expect(last(b, [map(TOP - P, A, 2n * P)])).toEqual(err('EINVAL')); // wrap
    // overlap (EEXIST) before the entry limit (ENOSPC) before the iova range (EINVAL)
    const full = [mmap(A, P), map(IOVA, A, P)];
    expect(last(b, [...full, map(IOVA, A, P)])).toEqual(err('EEXIST'));
    expect(last(b, [...full, map(0xfee00000n, A, P)])).toEqual(err('ENOSPC'));
    expect(last(b, [mmap(A, P), map(0xfee00000n, A, P)])).toEqual(err('EINVAL'));
    expect(last(b, [map(0xfee00000n, A, P)])).toEqual(err('EINVAL')); // iova range before pinning
    expect(last(b, [map(IOVA, A, P)])).toEqual(err('EFAULT')); // nothing mapped at vaddr
  });

  it('maps a range ending at 2^64-1 and unmaps it (T1-MAP-WRAP, T1-UNMAP-TOP)', () => {
    const r = run(v2(), [mmap(A, P), map(TOP - P, A, P), unmap(TOP - P, P), dmaRead(TOP - P)]);
    expect(r.slice(1)).toEqual([okv(), okv({ unmapped: P }), err('EFAULT')]);
  });

  it('pins in address order: the first failing page decides EFAULT vs ENOMEM', () => {
    // 2 pages fit the limit; a hole follows at A+3P.
    const setup = [rlimit(2n * P), mmap(A, 3n * P), mmap(A + 4n * P, P)];
    expect(last(v2(), [...setup, map(IOVA, A, 5n * P)])).toEqual(err('ENOMEM'));
    const early = [rlimit(8n * P), mmap(A, P), mmap(A + 2n * P, 8n * P)];
    expect(last(v2(), [...early, map(IOVA, A, 10n * P)])).toEqual(err('EFAULT'));
    // the failed maps left nothing behind (T1-MAP-ATOMIC)
    expect(last(v2(), [...setup, map(IOVA, A, 5n * P), counters])).toEqual(okv({ lockedVm: [0n, 0n] }));
  });

  it('refuses WRITE maps of read-only memory and PROT_NONE memory (T1-MAP-READONLY, T1-MAP-UNBACKED)', () => {
    const r = run(v2(), [mmap(A, P, 'r'), map(IOVA, A, P, 3), map(IOVA, A, P, 1), mmap(A + P, P, 'none'), map(2n * IOVA, A + P, P, 1)]);
    expect(r.slice(1)).toEqual([err('EFAULT'), okv(), okv(), err('EFAULT')]);
  });

  it('maps PROT_NONE mmio READ-only once its page-table entries are present (T1-MAP-UNBACKED)', () => {
    const r = run(v2(), [
      mmap(A, 2n * P, 'rw', 'mmio'), mprotect(A, 2n * P, 'none'), map(IOVA, A, P, 1), // never touched
      mprotect(A, 2n * P, 'rw'), cpuRead(A), mprotect(A, 2n * P, 'none'),
      map(IOVA, A, P, 3), map(IOVA, A, 2n * P, 1), map(IOVA, A, P, 1), // touched: READ only, page 1 not
      mprotect(A + P, P, 'rw'), map(2n * IOVA, A + P, P, 1), unmap(2n * IOVA, P), mprotect(A + P, P, 'none'),
      map(2n * IOVA, A, 2n * P, 1), counters, // the earlier map faulted page 1 in
    ]);
    expect(r.slice(2)).toEqual([
      err('EFAULT'), okv(), okv({ token: 0n }), okv(), err('EFAULT'), err('EFAULT'), okv(),
      okv(), okv(), okv({ unmapped: P }), okv(), okv(), okv({ lockedVm: [0n, 0n] }),
    ]);
  });

  it('enforces RLIMIT_MEMLOCK unless CAP_IPC_LOCK, and charges either way (T1-MAP-RLIMIT)', () => {
    expect(last(v2(), [rlimit(2n * P), mmap(A, 2n * P), map(IOVA, A, 2n * P), counters])).toEqual(okv({ lockedVm: [2n, 0n] }));
    expect(last(v2(), [rlimit(P), mmap(A, 2n * P), map(IOVA, A, 2n * P)])).toEqual(err('ENOMEM'));
    expect(last(v2(), [rlimit(P), capIpcLock(true), mmap(A, 2n * P), map(IOVA, A, 2n * P), counters])).toEqual(okv({ lockedVm: [2n, 0n] }));
  });

  it('charges the same memory twice, hugetlb per 4 KiB page, mmio not at all (T1-ACCT-*)', () => {
    const r = run(v2(), [
      mmap(A, P), map(IOVA, A, P), map(2n * IOVA, A, P),
      mmap(A + HUGE, HUGE, 'rw', 'hugetlb'), map(0x40000000n, A + HUGE + P, 2n * P),
      mmap(A + 4n * HUGE, P, 'rw', 'mmio'), map(0x50000000n, A + 4n * HUGE, P),
      counters,
    ]);
    expect(r.at(-1)).toEqual(okv({ lockedVm: [4n, 0n] }));
  });
});

describe('sim-type1: UNMAP_DMA', () => {
  const two = [mmap(A, 4n * P), map(IOVA, A, 2n * P), map(IOVA + 2n * P, A + 2n * P, 2n * P)];

  it('v2: a bisecting unmap fails with EINVAL and unmaps nothing (T1-UNMAP-V2-BISECT)', () => {
    const r = run(v2(), [...two, unmap(IOVA + P, 2n * P), unmap(IOVA, 3n * P), dump]);
    expect(r.slice(3, 5)).toEqual([err('EINVAL'), err('EINVAL')]);
    expect((r[5] as { mappings: unknown[] }).mappings).toHaveLength(2);
  });

  it('v2: removes exactly the mappings inside, empty ranges report 0 (T1-UNMAP-V2-EXACT, T1-UNMAP-EMPTY)', () => {
    const r = run(v2(), [...two, unmap(IOVA, 2n * P), unmap(0x10000000n, P), dmaRead(IOVA), dmaRead(IOVA + 2n * P)]);
    expect(r.slice(3)).toEqual([okv({ unmapped: 2n * P }), okv({ unmapped: 0n }), err('EFAULT'), okv({ token: 0n })]);
  });

  it('v1: start inside succeeds with size 0; otherwise whole mappings go (T1-UNMAP-V1-*)', () => {
    const r = run(v1(), [...two, unmap(IOVA + P, 0x100000n), unmap(IOVA, 3n * P), dump]);
    expect(r.slice(3)).toEqual([okv({ unmapped: 0n }), okv({ unmapped: 4n * P }), okv({ mappings: [] })]);
  });

  it('FLAG_ALL removes everything; with iova or size it is EINVAL (T1-UNMAP-ALL)', () => {
    const r = run(v2(), [...two, unmap(0n, P, 2), unmap(0n, 0n, 2), counters]);
    expect(r.slice(3)).toEqual([err('EINVAL'), okv({ unmapped: 4n * P }), okv({ lockedVm: [0n, 0n] })]);
  });

  it('gives the charge back to the mapping process, whoever unmaps (T1-ACCT-UNCHARGE)', () => {
    const r = run(v2(), [mmap(A, P, 'rw', 'anon', 1), map(IOVA, A, P, 3, 1), counters, unmap(IOVA, P, 0, 0), counters]);
    expect([r[2], r[4]]).toEqual([okv({ lockedVm: [0n, 1n] }), okv({ lockedVm: [0n, 0n] })]);
  });
});

describe('sim-type1: VADDR', () => {
  const setup = [mmap(A, 2n * P), map(IOVA, A, P), map(IOVA + P, A + P, P)];

  it('invalidate is atomic (T1-VADDR-INVALIDATE-ATOMIC)', () => {
    const r = run(v2(), [...setup, unmap(IOVA + P, P, 4), unmap(IOVA, 2n * P, 4), map(IOVA, A, P, 4)]);
    expect(r.slice(3)).toEqual([okv({ unmapped: P }), err('EINVAL'), err('EINVAL')]);
  });

  it('update errnos (T1-VADDR-UPDATE-ERRNO)', () => {
    const r = run(v2(), [...setup, map(0x10000000n, A, P, 4), map(IOVA, A, P, 4), unmap(IOVA, P, 4), map(IOVA, A, 2n * P, 4), map(IOVA, A, P, 4)]);
    expect(r.slice(3)).toEqual([err('ENOENT'), err('EINVAL'), okv({ unmapped: P }), err('EINVAL'), okv()]);
  });

  it('update from the other process moves the charge, within its RLIMIT_MEMLOCK', () => {
    const base = [...setup, unmap(IOVA, P, 4), mmap(A, P, 'rw', 'anon', 1)];
    const moved = run(v2(), [...base, map(IOVA, A, P, 4, 1), counters]);
    expect(moved.slice(-2)).toEqual([okv(), okv({ lockedVm: [1n, 1n] })]);
    const refused = run(v2(), [...base, rlimit(0n, 1), map(IOVA, A, P, 4, 1), counters]);
    expect(refused.slice(-2)).toEqual([err('ENOMEM'), okv({ lockedVm: [2n, 0n] })]);
  });
});

describe('sim-type1: host memory and the device view', () => {
  it('munmap and mprotect do not change what the device reaches (T1-HOST-PIN-PERSISTS)', () => {
    const r = run(v2(), [mmap(A, P), cpuWrite(A, 7n), map(IOVA, A, P), munmap(A, P), dmaRead(IOVA), mmap(A, P), cpuWrite(A, 9n), dmaRead(IOVA), cpuRead(A)]);
    expect(r.slice(4)).toEqual([okv({ token: 7n }), okv(), okv(), okv({ token: 7n }), okv({ token: 9n })]);
    const p = run(v2(), [mmap(A, P), map(IOVA, A, P), mprotect(A, P, 'none'), dmaWrite(IOVA, 3n), dmaRead(IOVA), cpuRead(A)]);
    expect(p.slice(3)).toEqual([okv(), okv({ token: 3n }), err('EFAULT')]);
  });

  it('mremap moves the frames: CPU and device share them at the new address', () => {
    const r = run(v2(), [mmap(A, 2n * P), map(IOVA, A, 2n * P), mremap(A, 2n * P, A + 0x100000n, 3n * P), dmaWrite(IOVA + P, 5n), cpuRead(A + 0x100000n + P), cpuRead(A + 0x100000n + 2n * P), cpuRead(A)]);
    expect(r.slice(2)).toEqual([okv(), okv(), okv({ token: 5n }), okv({ token: 0n }), err('EFAULT')]);
  });

  it('device permissions follow the mapping (T1-MAP-EXACT)', () => {
    const r = run(v2(), [mmap(A, 2n * P), map(IOVA, A, P, 1), map(IOVA + P, A + P, P, 2), dmaWrite(IOVA, 1n), dmaRead(IOVA + P), dmaWrite(IOVA + P, 2n), cpuRead(A + P)]);
    expect(r.slice(3)).toEqual([err('EFAULT'), err('EFAULT'), okv(), okv({ token: 2n })]);
  });

  it('mremap errors', () => {
    const b = v2();
    expect(last(b, [mmap(A, P), mmap(A + 2n * P, P), mremap(A, 3n * P, A + 0x100000n, 3n * P)])).toEqual(err('EFAULT'));
    expect(last(b, [mmap(A, 2n * P), mremap(A, 2n * P, A + P, 2n * P)])).toEqual(err('EINVAL'));
    expect(last(b, [mmap(A, P, 'rw', 'mmio'), mremap(A, P, A + 0x100000n, 2n * P)])).toEqual(err('EFAULT'));
    expect(last(b, [mmap(A, HUGE, 'rw', 'hugetlb'), mremap(A, HUGE, A + 0x10000000n, 2n * HUGE)])).toEqual(err('EINVAL'));
    expect(last(b, [mmap(A, HUGE, 'rw', 'hugetlb'), munmap(A, P)])).toEqual(err('EINVAL'));
  });
});

describe('sim-type1: container', () => {
  it('GET_INFO and close (T1-INFO-*, T1-CLOSE-RELEASE)', () => {
    const r = run(v2(), [mmap(A, P), map(IOVA, A, P), getInfo, close, counters, getInfo, dmaRead(IOVA)]);
    const info = r[2] as { dmaAvail: bigint; pgsizes: bigint; iovaRanges: { end: bigint }[] };
    expect(info.dmaAvail).toBe(31n);
    expect(info.pgsizes).toBe(0x40201000n);
    expect(info.iovaRanges.at(-1)!.end).toBe(TOP - 1n);
    expect(r[4]).toEqual(okv({ lockedVm: [0n, 0n] }));
    expect((r[5] as { dmaAvail: bigint }).dmaAvail).toBe(32n);
    expect(r[6]).toEqual(err('EFAULT'));
  });

  it('options: topOfSpace, pgsizes, unknown option', () => {
    expect(v2({ topOfSpace: '0' }).info.geometry.iovaRanges.at(-1)!.end).toBe((1n << 48n) - 1n);
    expect(last(v2({ pgsizes: '0x200000' }), [mmap(A, HUGE), map(IOVA, A, HUGE)])).toEqual(err('EINVAL'));
    expect(() => v2({ bogus: '1' })).toThrow(/^sim-type1: unknown option "bogus"/);
    expect(() => v2({ dmaEntryLimit: 'x' })).toThrow(/dmaEntryLimit/);
  });

  it('options: iovaRanges, pgsizes with a large smallest page, dmaEntryLimit 1', () => {
    const b = v2({ iovaRanges: '0x4000000000-0x7fffffffff+0x8000000000-0xffffffffff', pgsizes: '0x10000', dmaEntryLimit: '1' });
    expect(b.info.geometry).toEqual({
      pgsizes: 0x10000n, dmaEntryLimit: 1n,
      iovaRanges: [{ start: 0x4000000000n, end: 0x7fffffffffn }, { start: 0x8000000000n, end: 0xffffffffffn }],
    });
    const ok = [mmap(A, 0x20000n), map(0x8000000000n, A, 0x10000n)];
    expect(run(b, ok).at(-1)).toEqual(okv());
    expect(last(b, [mmap(A, 0x20000n), map(IOVA, A, 0x10000n)])).toEqual(err('EINVAL')); // outside every range
    expect(last(b, [mmap(A, 0x20000n), map(0x8000000000n, A, P)])).toEqual(err('EINVAL')); // below the 64 KiB page
    expect(last(b, [...ok, map(0x8000010000n, A + 0x10000n, 0x10000n)])).toEqual(err('ENOSPC'));
    expect(last(b, [getInfo])).toEqual(okv({
      pgsizes: 0x10000n, dmaAvail: 1n,
      iovaRanges: [{ start: 0x4000000000n, end: 0x7fffffffffn }, { start: 0x8000000000n, end: 0xffffffffffn }],
    }));
    expect(() => v2({ iovaRanges: '0x1000-0x0' })).toThrow(/iovaRanges/);
    expect(() => v2({ iovaRanges: '0x0-0x1fff+0x1000-0x2fff' })).toThrow(/ascending and disjoint/);
    expect(() => v2({ iovaRanges: '0x0-0xfff', topOfSpace: '0' })).toThrow(/not both/);
  });

  it('options: hugePageSize, arena and taskSize are declared and enforced', () => {
    const gib = 1n << 30n;
    const arena = { start: (1n << 39n) - 64n * HUGE, size: 64n * HUGE };
    const b = v2({ hugePageSize: '0x40000000', arenaStart: `0x${arena.start.toString(16)}`, arenaSize: '0x8000000', taskSize: '0x8000000000' });
    expect(b.info.host).toEqual({ pageSize: P, hugePageSize: gib, arena, taskSize: 1n << 39n });
    expect(last(b, [mmap(arena.start, HUGE, 'rw', 'hugetlb')])).toEqual(err('EINVAL')); // not a 1 GiB multiple
    expect(last(b, [mmap(1n << 39n, P)])).toEqual(err('ENOMEM')); // at TASK_SIZE
    expect(last(b, [mmap(arena.start, arena.size + P)])).toEqual(err('ENOMEM')); // past it
    expect(last(b, [mmap(arena.start, arena.size), mremap(arena.start, P, (1n << 39n) - P, 2n * P)])).toEqual(err('EINVAL'));
    expect(last(b, [mmap(gib, gib, 'rw', 'hugetlb'), munmap(gib, HUGE)])).toEqual(err('EINVAL')); // splits a 1 GiB page
    expect(last(b, [mmap(gib, gib, 'rw', 'hugetlb'), cpuWrite(gib + HUGE, 3n), map(IOVA, gib + HUGE, P), dmaRead(IOVA)])).toEqual(okv({ token: 3n }));
    expect(() => v2({ hugePageSize: '0x3000' })).toThrow(/hugePageSize/);
    expect(() => v2({ arenaStart: '0x1000' })).toThrow(/arenaStart/);
    expect(() => v2({ arenaSize: '0x0' })).toThrow(/arenaSize/);
    expect(() => v2({ taskSize: '0x7f0000000000' })).toThrow(/end at or below taskSize/);
  });

  it('returns errnos, never throws, for out-of-range fields', () => {
    expect(last(v2(), [map(-1n, A, P)])).toEqual(err('EINVAL'));
  });
});

describe('sim-type1: cost does not grow with bytes', () => {
  it('maps 2^46 bytes as fast as a page', () => {
    const big = 1n << 46n;
    const t0 = performance.now();
    const r = run(v2(), [mmap(big, big), map(1n << 50n, big, big), dmaWrite((1n << 50n) + big - P, 4n), cpuRead(2n * big - P), counters, unmap(1n << 50n, big)]);
    expect(r.slice(1)).toEqual([okv(), okv(), okv({ token: 4n }), okv({ lockedVm: [big / P, 0n] }), okv({ unmapped: big })]);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('holds 100,000 mappings', () => {
    const n = 100_000;
    const b = v2({ dmaEntryLimit: String(n) });
    const ops = [mmap(A, P), cpuWrite(A, 1n)];
    for (let i = 0; i < n; i++) ops.push(map(BigInt(i) * 2n * P, A, P));
    ops.push(dmaRead(BigInt(n - 1) * 2n * P), dmaRead(P), getInfo, counters, unmap(0n, 0n, 2));
    const t0 = performance.now();
    const r = run(b, ops);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.slice(-5)).toEqual([
      okv({ token: 1n }), err('EFAULT'), expect.objectContaining({ dmaAvail: 0n }), okv({ lockedVm: [BigInt(n), 0n] }),
      okv({ unmapped: BigInt(n) * P }),
    ]);
  });
});

describe('sim-type1: DIRTY_PAGES and the MIGRATION capability', () => {
  const dirty = (flags: number): Op => ({ op: 'dirtyPages', flags });
  const migration: Op = { op: 'migrationInfo' };
  const FLAGS = [1, 2, 4, 0, 3, 8];
  const sim = (name: string, options: Record<string, string> = {}): Backend => findBundled(name)!.create(options);

  it('type1 v2 starts and stops, refuses GET_BITMAP without a range and bad flags (T1-DIRTY-*)', () => {
    expect(run(v2(), FLAGS.map(dirty))).toEqual([okv(), okv(), err('EINVAL'), err('EINVAL'), err('EINVAL'), err('EINVAL')]);
  });

  it('type1 v1 answers EACCES, the compat layer ENOTTY (T1-DIRTY-V1, T1-COMPAT-DIRTY-ENOTTY)', () => {
    expect(run(v1(), FLAGS.map(dirty))).toEqual(FLAGS.map(() => err('EACCES')));
    for (const name of ['sim-type1-compat', 'sim-type1-compat-v1']) expect(run(sim(name), FLAGS.map(dirty))).toEqual(FLAGS.map(() => err('ENOTTY')));
  });

  it('type1 reports the MIGRATION capability with the smallest page, the compat layer none (T1-INFO-MIGRATION)', () => {
    const reported = (pgsizes: bigint) => okv({ present: true, pgsizes, maxDirtyBitmapSize: 1n << 28n });
    expect(last(v2(), [migration])).toEqual(reported(P));
    expect(last(v1(), [migration])).toEqual(reported(P));
    expect(last(v2({ pgsizes: '0x210000' }), [migration])).toEqual(reported(0x10000n));
    for (const name of ['sim-type1-compat', 'sim-type1-compat-v1']) {
      expect(last(sim(name), [migration])).toEqual(okv({ present: false, pgsizes: 0n, maxDirtyBitmapSize: 0n }));
    }
  });
});
