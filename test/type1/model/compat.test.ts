// The reference model against the container iommufd's compat layer serves (profiles
// type1v2-compat and type1v1-compat): the rules' "Compat:" variants and the T1-COMPAT-* rules.
// Expectations are read off drivers/iommu/iommufd/vfio_compat.c, io_pagetable.c and pages.c.
import { describe, expect, test } from 'vitest';
import { SystemModel } from '../../../models/type1/system.ts';
import { testInfo } from '../support/info.ts';
import {
  A, B, DIRTY, INVALIDATE, IOVA, P, RANGE1_END, SET_VADDR, TOP, W,
  capIpcLock, counters, cpuWrite, dmaAvail, dmaRead, dumpMappings, err, fresh, getInfo, locked, map, mapping, mappings,
  mmap, mprotect, rlimit, setup, token, unmap, unmapped,
} from './helpers.ts';

const V2 = 'type1v2-compat';
const V1 = 'type1v1-compat';
const U32_MAX = 0xffffffffn;

describe('VFIO_IOMMU_MAP_DMA on the compat container', () => {
  test('T1-MAP-FLAGS: compat: FLAG_VADDR is an unknown flag, alone or with READ|WRITE (EINVAL)', () => {
    const m = fresh(V2);
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    expect(m.apply(map(IOVA, A, P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-FLAGS' });
    expect(m.apply(map(IOVA + P, A, P, 3 | SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-FLAGS' });
  });

  test('T1-MAP-PERM: compat: neither READ nor WRITE passes the IOAS checks and fails with VT-d\'s EINVAL, nothing mapped or charged', () => {
    const m = fresh(V2);
    setup(m, [mmap(A, 2n * P), map(IOVA + P, A + P, P)]);
    expect(m.apply(map(IOVA, A, P, 0))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM' });
    expect(m.apply(counters).result).toEqual(locked(1n, 0n));
    expect(m.apply(dumpMappings).result).toEqual(mappings(mapping(IOVA + P, P)));
    // The overlap is an IOAS check and comes first; pinning runs before the domain refuses.
    expect(m.apply(map(IOVA, A, 2n * P, 0))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.apply(map(IOVA + 0x10000n, B, P, 0))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM', accept: [err('EFAULT')] });
  });

  test('T1-MAP-WRAP: compat: an iova wrap or a vaddr range reaching 2^64 fails with EOVERFLOW, a size too large for a page count with EINVAL', () => {
    const m = fresh(V2);
    expect(m.apply(map(TOP - P, A, 2n * P))).toEqual({ result: err('EOVERFLOW'), rule: 'T1-MAP-WRAP' });
    expect(m.apply(map(IOVA, TOP - P, 2n * P))).toEqual({ result: err('EOVERFLOW'), rule: 'T1-MAP-WRAP', accept: [err('EFAULT')] });
    // iopt_alloc_user_pages: uptr + length overflows also for a range ending exactly at 2^64 - 1.
    expect(m.apply(map(IOVA, TOP - P, P))).toEqual({ result: err('EOVERFLOW'), rule: 'T1-MAP-WRAP', accept: [err('EFAULT')] });
    expect(fresh('type1v2').apply(map(IOVA, TOP - P, P)).result).toEqual(err('EFAULT'));
    // A size above 2^64 - 1 - PAGE_SIZE: EINVAL, or EOVERFLOW where the vaddr is checked first.
    expect(m.apply(map(0n, A, TOP - P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-WRAP', accept: [err('EOVERFLOW')] });
  });

  test('T1-MAP-CHECK-ORDER: compat: a reserved range is checked before an overlap, the vaddr\'s alignment after both', () => {
    const m = fresh(V2);
    const last = RANGE1_END + 1n - P;
    setup(m, [mmap(A, 4n * P), map(last, A, P)]);
    expect(m.apply(map(last, A + P, 2n * P))).toEqual({
      result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EEXIST'],
    });
    expect(fresh('type1v2').apply(map(last, A + P, 2n * P)).result).toEqual(err('EINVAL'));
    expect(m.apply(map(last, A + 0x800n, P))).toEqual({
      result: err('EEXIST'), rule: 'T1-MAP-OVERLAP', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EINVAL'],
    });
  });

  test('T1-MAP-ENTRY-LIMIT: binds type1 only: the compat container maps past any declared limit', () => {
    const info = testInfo(V2);
    const m = new SystemModel({ ...info, geometry: { ...info.geometry, dmaEntryLimit: 1n } });
    setup(m, [mmap(A, 2n * P), map(IOVA, A, P)]);
    expect(m.apply(map(IOVA + P, A + P, P)).result).toEqual({ ok: true });
  });

  test('T1-COMPAT-MAP-PFNMAP: MMIO fails with EFAULT, alone or after ordinary memory, leaving nothing mapped or charged', () => {
    const m = fresh(V2);
    setup(m, [mmap(A, P, 'rw', 'mmio'), mmap(B, P), mmap(B + P, P, 'rw', 'mmio')]);
    expect(m.apply(map(IOVA, A, P))).toEqual({ result: err('EFAULT'), rule: 'T1-COMPAT-MAP-PFNMAP' });
    expect(m.apply(map(IOVA, B, 2n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-COMPAT-MAP-PFNMAP' });
    expect(m.apply(dumpMappings).result).toEqual(mappings());
    expect(m.apply(counters).result).toEqual(locked(0n, 0n));
  });

  test('T1-COMPAT-MAP-PFNMAP: no PROT_NONE exception: a READ map of touched PROT_NONE MMIO fails too', () => {
    const ops = [mmap(A, P, 'rw', 'mmio'), cpuWrite(A, 3n), mprotect(A, P, 'none')];
    const type1 = fresh('type1v2');
    setup(type1, ops);
    expect(type1.apply(map(IOVA, A, P, 1)).result).toEqual({ ok: true });
    const m = fresh(V2);
    setup(m, ops);
    expect(m.apply(map(IOVA, A, P, 1))).toEqual({ result: err('EFAULT'), rule: 'T1-COMPAT-MAP-PFNMAP' });
  });

  test('T1-MAP-RLIMIT: compat: CAP_IPC_LOCK at map time lifts the limit and the charge', () => {
    const m = fresh(V2);
    setup(m, [rlimit(P), capIpcLock(true), mmap(A, 2n * P), map(IOVA, A, 2n * P)]);
    expect(m.apply(counters).result).toEqual(locked(0n, 0n));
    setup(m, [capIpcLock(false), mmap(B, 2n * P)]);
    expect(m.apply(map(IOVA + 2n * P, B, 2n * P))).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
  });
});

describe('locked_vm accounting on the compat container', () => {
  test('T1-ACCT-CHARGE: compat: nothing is charged under CAP_IPC_LOCK and nothing given back for it; without it, one page per page', () => {
    const m = fresh(V2);
    setup(m, [capIpcLock(true), mmap(A, 3n * P), map(IOVA, A, P), capIpcLock(false), map(IOVA + P, A + P, 2n * P)]);
    expect(m.apply(counters).result).toEqual(locked(2n, 0n));
    setup(m, [unmap(IOVA, P)]);
    expect(m.apply(counters).result).toEqual(locked(2n, 0n));
    setup(m, [unmap(IOVA + P, 2n * P)]);
    expect(m.apply(counters).result).toEqual(locked(0n, 0n));
  });
});

describe('VFIO_IOMMU_UNMAP_DMA on the compat container', () => {
  test('T1-UNMAP-FLAGS: compat: VADDR and GET_DIRTY_BITMAP alone fail with EINVAL', () => {
    const m = fresh(V2);
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    expect(m.apply(unmap(IOVA, P, INVALIDATE))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(unmap(IOVA, P, DIRTY))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(dumpMappings).result).toEqual(mappings(mapping(IOVA, P)));
  });

  test('T1-UNMAP-ARGS: compat: no alignment check; size 0 fails with EINVAL, a wrapping range with EOVERFLOW', () => {
    const m = fresh(V2);
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P)]);
    expect(m.apply(unmap(IOVA, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(unmap(TOP - P, 2n * P))).toEqual({ result: err('EOVERFLOW'), rule: 'T1-UNMAP-ARGS' });
    // An unaligned range inside the mapping cuts it; one around it removes it.
    expect(m.apply(unmap(IOVA + 0x800n, P))).toEqual({ result: err('ENOENT'), rule: 'T1-COMPAT-UNMAP-V2-BISECT' });
    expect(m.apply(unmap(IOVA - 0x800n, 4n * P + 0x1000n))).toEqual({ result: unmapped(4n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(unmap(0x1000800n, P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY', accept: [err('ENOENT')] });
  });

  test('T1-COMPAT-UNMAP-V2-BISECT: the walk stops with ENOENT at the mapping it would cut; those before it stay removed', () => {
    const m = fresh(V2);
    setup(m, [mmap(A, 4n * P), cpuWrite(A, 5n), map(IOVA, A, P), map(IOVA + P, A + P, P), map(IOVA + 2n * P, A + 2n * P, 2n * P)]);
    expect(m.apply(unmap(IOVA, 3n * P))).toEqual({ result: err('ENOENT'), rule: 'T1-COMPAT-UNMAP-V2-BISECT' });
    expect(m.apply(dumpMappings).result).toEqual(mappings(mapping(IOVA + 2n * P, 2n * P)));
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'T1-COMPAT-UNMAP-V2-BISECT' });
    expect(m.apply(counters).result).toEqual(locked(2n, 0n));
  });

  test('T1-COMPAT-UNMAP-V2-BISECT: a range whose first mapping starts before it removes nothing', () => {
    const m = fresh(V2);
    setup(m, [mmap(A, 3n * P), map(IOVA, A, 2n * P), map(IOVA + 2n * P, A + 2n * P, P)]);
    expect(m.apply(unmap(IOVA + P, 2n * P))).toEqual({ result: err('ENOENT'), rule: 'T1-COMPAT-UNMAP-V2-BISECT' });
    expect(m.apply(dumpMappings).result).toEqual(mappings(mapping(IOVA, 2n * P), mapping(IOVA + 2n * P, P)));
    expect(m.apply(counters).result).toEqual(locked(3n, 0n));
  });

  test('T1-UNMAP-EMPTY: compat: an empty range succeeds with size 0 (since afb47765f923); ENOENT (before it) is accepted', () => {
    for (const profile of [V2, V1] as const) {
      expect(fresh(profile).apply(unmap(IOVA, P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY', accept: [err('ENOENT')] });
    }
  });

  test('T1-COMPAT-UNMAP-V1-CUT: v1 unmaps exactly the range; the pieces left stay mapped, reachable and charged', () => {
    const m = fresh(V1);
    setup(m, [mmap(A, 4n * P), cpuWrite(A + 3n * P, 9n), map(IOVA, A, 4n * P)]);
    expect(m.apply(unmap(IOVA + P, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-COMPAT-UNMAP-V1-CUT' });
    expect(m.apply(dumpMappings).result).toEqual(mappings(mapping(IOVA, P), mapping(IOVA + 3n * P, P)));
    expect(m.apply(counters).result).toEqual(locked(2n, 0n));
    expect(m.apply(dmaRead(IOVA + P)).result).toEqual(err('EFAULT'));
    expect(m.apply(dmaRead(IOVA + 3n * P)).result).toEqual(token(9n));
    // The legacy type1 v1 container would have removed the whole mapping, reporting 4 pages.
    const type1 = fresh('type1v1');
    setup(type1, [mmap(A, 4n * P), map(IOVA, A, 4n * P)]);
    expect(type1.apply(unmap(IOVA, P)).result).toEqual(unmapped(4n * P));
  });

  test('T1-COMPAT-UNMAP-V1-CUT: an unaligned cut inside a mapping fails with EINVAL; the end cut made before it stays', () => {
    const m = fresh(V1);
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P)]);
    // Cuts after IOVA + 3P - 1 (aligned: done), then after IOVA + P + 0x7ff (unaligned: EINVAL).
    expect(m.apply(unmap(IOVA + P + 0x800n, 2n * P - 0x800n))).toEqual({ result: err('EINVAL'), rule: 'T1-COMPAT-UNMAP-V1-CUT' });
    expect(m.apply(dumpMappings).result).toEqual(mappings(mapping(IOVA, 3n * P), mapping(IOVA + 3n * P, P)));
    expect(m.apply(counters).result).toEqual(locked(4n, 0n));
  });

  test('T1-COMPAT-UNMAP-V1-CUT: an unaligned edge just after a mapping\'s first byte is not cut: ENOENT, the mappings before it removed', () => {
    const m = fresh(V1);
    setup(m, [mmap(A, 3n * P), map(IOVA - P, A, P), map(IOVA, A + P, 2n * P)]);
    // The end cut at IOVA is the second mapping's first byte: no cut, and the walk meets it.
    expect(m.apply(unmap(IOVA - P, P + 1n))).toEqual({ result: err('ENOENT'), rule: 'T1-COMPAT-UNMAP-V1-CUT' });
    expect(m.apply(dumpMappings).result).toEqual(mappings(mapping(IOVA, 2n * P)));
  });
});

describe('VFIO_IOMMU_GET_INFO on the compat container', () => {
  test('T1-INFO-DMA-AVAIL: compat: U32_MAX whatever is mapped', () => {
    const m = fresh(V2);
    expect(dmaAvail(m)).toBe(U32_MAX);
    setup(m, [mmap(A, P), map(IOVA, A, P, W)]);
    expect(dmaAvail(m)).toBe(U32_MAX);
  });

  test('T1-INFO-GEOMETRY: compat: v1 reports the page sizes of its domains although it maps small pages only', () => {
    const e = fresh(V1).apply(getInfo);
    expect(e.result).toEqual({ ok: true, pgsizes: 0x40201000n, iovaRanges: testInfo(V1).geometry.iovaRanges, dmaAvail: U32_MAX });
  });
});
