// The reference model against the MAP_DMA rules (spec/type1/rules.ts, family MAP).
import { describe, expect, test } from 'vitest';
import {
  A, B, GAP, HUGE, IOVA, P, R, RANGE1_END, RANGE2_START, RW, SET_VADDR, TOP, W, INVALIDATE,
  capIpcLock, counters, cpuRead, cpuWrite, dmaAvail, dmaRead, dmaWrite, dumpMappings, err, fresh, locked,
  map, mapping, mappings, mmap, mprotect, mremap, munmap, okv, rlimit, setup, token, unmap, unmapped,
} from './helpers.ts';

describe('VFIO_IOMMU_MAP_DMA', () => {
  // --- argument checks -------------------------------------------------------------------------
  test('T1-MAP-FLAGS: a flag bit other than READ, WRITE or VADDR fails with EINVAL and maps nothing', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0xa1n)]);
    expect(m.apply(map(IOVA, A, P, 8 | RW))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-FLAGS' });
    expect(m.apply(map(IOVA, A, P, 0x80000000 | R))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-FLAGS' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-ATOMIC' });
    expect(dmaAvail(m)).toBe(32n);
  });

  test('T1-MAP-FLAGS: the flag check is the ioctl\'s own and comes first in every version: no EOVERFLOW accepted on a wrap', () => {
    const m = fresh();
    expect(m.apply(map(TOP - P, A, 2n * P, 8 | RW))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-FLAGS' });
    expect(m.apply(map(IOVA, A, 0n, 0x10 | W))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-FLAGS' });
  });

  test('T1-MAP-PERM: a plain MAP_DMA without READ or WRITE fails with EINVAL', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]);
    expect(m.apply(map(IOVA, A, P, 0))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-MAP-ATOMIC' });
  });

  test('T1-MAP-PERM: with no permission and a wrapping range, EINVAL is due and EOVERFLOW (v6.18+) accepted', () => {
    const m = fresh();
    expect(m.apply(map(TOP - P, A, 2n * P, 0))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM', accept: [err('EOVERFLOW')] });
  });

  test('T1-MAP-PERM: VADDR combined with READ or WRITE fails with EINVAL, even on an invalidated mapping of that exact range', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P), unmap(IOVA, P, INVALIDATE)]);
    expect(m.apply(map(IOVA, A, P, SET_VADDR | R))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM' });
    expect(m.apply(map(IOVA, A, P, SET_VADDR | W))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM' });
    expect(m.apply(map(IOVA, A, P, SET_VADDR | RW))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM' });
    // ... and on an empty container: EINVAL, not the ENOENT of a lookup.
    expect(m.apply(map(IOVA + 16n * P, A, P, SET_VADDR | R))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM' });
    // The mapping is still invalid: a proper update succeeds.
    expect(m.apply(map(IOVA, A, P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
  });

  test('T1-MAP-SIZE-ZERO: size 0 fails with EINVAL, whatever the alignment, and takes no entry', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]);
    expect(m.apply(map(IOVA, A, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-SIZE-ZERO' });
    expect(m.apply(map(IOVA + 0x800n, A, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-SIZE-ZERO' });
    expect(m.apply(map(IOVA, A, 0n, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-SIZE-ZERO' });
    expect(dmaAvail(m)).toBe(32n);
  });

  test('T1-MAP-ALIGN: iova, vaddr or size off the smallest IOMMU page (4 KiB) fails with EINVAL; 4 KiB alignment suffices', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P)]);
    expect(m.apply(map(IOVA + 0x800n, A, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-ALIGN' });
    expect(m.apply(map(IOVA, A + 0x800n, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-ALIGN' });
    expect(m.apply(map(IOVA, A, P + 0x800n))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-ALIGN' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-MAP-ATOMIC' });
    // 4 KiB aligned but not 2 MiB aligned: the smallest page size (lowest bit of pgsizes) decides.
    expect(m.apply(map(IOVA + P, A + P, 3n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-WRAP: an iova or vaddr range wrapping past 2^64-1 fails with EINVAL, EOVERFLOW accepted', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P)]);
    expect(m.apply(map(TOP - P, A, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-WRAP', accept: [err('EOVERFLOW')] });
    expect(m.apply(map(IOVA, TOP - P, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-WRAP', accept: [err('EOVERFLOW')] });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-MAP-ATOMIC' });
  });

  test('T1-MAP-WRAP: a range ending exactly at 2^64-1 does not wrap and maps', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A + P, 0xf1n)]);
    expect(m.apply(map(TOP - 2n * P, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(TOP - P))).toEqual({ result: token(0xf1n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(TOP - 2n * P, 2n * P)), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-WRAP: a misaligned and wrapping map fails with EINVAL for alignment, EOVERFLOW accepted', () => {
    const m = fresh();
    expect(m.apply(map(TOP - P, A, 2n * P + 0x800n))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-ALIGN', accept: [err('EOVERFLOW')] });
    expect(m.apply(map(TOP - 0x800n, A, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-ALIGN', accept: [err('EOVERFLOW')] });
  });

  // --- state checks ----------------------------------------------------------------------------
  test('T1-MAP-OVERLAP: a map overlapping any byte of a mapping fails with EEXIST; adjacent maps succeed and are never merged', () => {
    const m = fresh();
    setup(m, [mmap(A, 8n * P), map(IOVA, A, 2n * P)]);
    expect(m.apply(map(IOVA + P, A, 2n * P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.apply(map(IOVA - P, A, 2n * P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.apply(map(IOVA - 4n * P, A, 8n * P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.apply(map(IOVA, A, 2n * P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.apply(map(IOVA - P, A + 2n * P, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(IOVA + 2n * P, A + 3n * P, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dumpMappings)).toEqual({
      result: mappings(mapping(IOVA - P, P), mapping(IOVA, 2n * P), mapping(IOVA + 2n * P, P)),
      rule: 'T1-MAP-EXACT',
    });
    expect(dmaAvail(m)).toBe(29n);
  });

  test('T1-MAP-OVERLAP: a mapping ending at 2^64-1 is found by the overlap check', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(TOP - 2n * P, A, 2n * P)]);
    expect(m.apply(map(TOP - P, A, P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    // A + 2P is a hole: pinning would fail too, after the overlap check
    expect(m.apply(map(TOP - 4n * P, A, 4n * P)))
      .toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EFAULT'] });
  });

  test('T1-MAP-ENTRY-LIMIT: with dma_entry_limit (32) mappings live, MAP_DMA fails with ENOSPC until one is removed', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]);
    for (let i = 0n; i < 32n; i++) setup(m, [map(IOVA + i * P, A, P)]);
    expect(dmaAvail(m)).toBe(0n);
    expect(m.apply(map(IOVA + 32n * P, A, P))).toEqual({ result: err('ENOSPC'), rule: 'T1-MAP-ENTRY-LIMIT' });
    expect(m.apply(counters)).toEqual({ result: locked(32n, 0n), rule: 'T1-MAP-ATOMIC' });
    expect(m.apply(unmap(IOVA, P))).toEqual({ result: unmapped(P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(map(IOVA + 32n * P, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(dmaAvail(m)).toBe(0n);
  });

  test('T1-MAP-IOVA-RANGE: a range not wholly inside one valid IOVA range fails with EINVAL; the range edges are inclusive', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P)]);
    expect(m.apply(map(GAP, A, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE' });
    expect(m.apply(map(RANGE1_END + 1n - P, A, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE' });
    expect(m.apply(map(RANGE2_START - P, A, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE' });
    // spanning both ranges across the gap
    expect(m.apply(map(RANGE1_END + 1n - P, A, RANGE2_START - RANGE1_END - 1n + 2n * P)))
      .toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EFAULT'] });
    expect(dmaAvail(m)).toBe(32n);
    expect(m.apply(map(RANGE1_END + 1n - P, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(RANGE2_START, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(0n, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
  });

  // --- check order -----------------------------------------------------------------------------
  test('T1-MAP-CHECK-ORDER: overlap (EEXIST) beats the entry limit (ENOSPC), which beats the IOVA range (EINVAL)', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]);
    for (let i = 0n; i < 31n; i++) setup(m, [map(IOVA + i * P, A, P)]);
    setup(m, [map(RANGE1_END + 1n - P, A, P)]); // the 32nd, ending at the end of the first range
    // overlapping, container full, running into the gap, and A + P unbacked: EEXIST
    expect(m.apply(map(RANGE1_END + 1n - P, A, 2n * P))).toEqual({
      result: err('EEXIST'), rule: 'T1-MAP-OVERLAP', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['ENOSPC', 'EINVAL', 'EFAULT'],
    });
    // container full and in the gap: ENOSPC
    expect(m.apply(map(GAP, A, P)))
      .toEqual({ result: err('ENOSPC'), rule: 'T1-MAP-ENTRY-LIMIT', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EINVAL'] });
    expect(m.apply(unmap(IOVA, P))).toEqual({ result: unmapped(P), rule: 'T1-UNMAP-V2-EXACT' });
    // only the gap left: EINVAL, a single check
    expect(m.apply(map(GAP, A, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE' });
    // overlapping, in the gap and unbacked: EEXIST
    expect(m.apply(map(RANGE1_END + 1n - P, A, 2n * P)))
      .toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EINVAL', 'EFAULT'] });
    // only overlapping: a single check
    expect(m.apply(map(IOVA + P, A, P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
  });

  test('T1-MAP-CHECK-ORDER: flags, permission, size 0, alignment and wrap all come before the overlap check', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P), map(TOP - P, A, P)]);
    expect(m.apply(map(IOVA, A, P, 8 | RW))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-FLAGS' });
    expect(m.apply(map(IOVA, A, P, 0))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-PERM' });
    expect(m.apply(map(IOVA, A, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-SIZE-ZERO' });
    expect(m.apply(map(IOVA + 0x800n, A, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-ALIGN' });
    expect(m.apply(map(TOP - P, A, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-WRAP', accept: [err('EOVERFLOW')] });
  });

  test('T1-MAP-CHECK-ORDER: pinning comes last: unbacked memory loses to the overlap and IOVA range checks', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    expect(m.apply(map(IOVA, B, P)))
      .toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EFAULT'] });
    expect(m.apply(map(GAP, B, P)))
      .toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EFAULT'] });
    expect(m.apply(map(IOVA + P, B, P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
  });

  test('T1-MAP-CHECK-ORDER: pinning fails in address order: ENOMEM when a charged page goes over before the hole, else EFAULT', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]); // A + P is a hole
    setup(m, [rlimit(0n)]);
    expect(m.apply(map(IOVA, A, 2n * P)))
      .toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['EFAULT'] });
    setup(m, [rlimit(P)]);
    expect(m.apply(map(IOVA, A, 2n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    // PROT_NONE first, charged memory after it: EFAULT even with no room at all.
    setup(m, [mmap(B, P, 'none'), mmap(B + P, P), rlimit(0n)]);
    expect(m.apply(map(IOVA, B, 2n * P)))
      .toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED', alsoBroken: ['T1-MAP-CHECK-ORDER'], laterErrnos: ['ENOMEM'] });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-MAP-ATOMIC' });
  });

  // --- pinning ---------------------------------------------------------------------------------
  test('T1-MAP-UNBACKED: a vaddr range with a page no VMA backs, or a PROT_NONE page, fails with EFAULT', () => {
    const m = fresh();
    expect(m.apply(map(IOVA, A, P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    setup(m, [mmap(A, P, 'none')]);
    expect(m.apply(map(IOVA, A, P, R))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    setup(m, [mmap(B, 3n * P), munmap(B + P, P)]);
    expect(m.apply(map(IOVA, B, 3n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    setup(m, [mprotect(B + 2n * P, P, 'none')]);
    expect(m.apply(map(IOVA, B + 2n * P, P, R))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    expect(m.apply(map(IOVA, B, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-UNBACKED: a READ-only map of PROT_NONE PFNMAP pages succeeds, uncharged, once their page-table entries are present', () => {
    // Measured on Linux 6.12 (kernel/divergences/pfnmap-prot-none.c): follow_fault_pfn uses a
    // present entry as it is; only a missing one needs a fault, which PROT_NONE refuses.
    const m = fresh();
    setup(m, [mmap(A, 2n * P, 'rw', 'mmio'), mprotect(A, 2n * P, 'none')]);
    expect(m.apply(map(IOVA, A, P, R))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' }); // never touched
    setup(m, [mprotect(A, 2n * P, 'rw'), cpuRead(A), mprotect(A, 2n * P, 'none')]);
    expect(m.apply(map(IOVA, A, P, RW))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    expect(m.apply(map(IOVA, A, P, W))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    expect(m.apply(map(IOVA, A, 2n * P, R))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' }); // page 1 untouched
    expect(m.apply(map(IOVA, A, P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-MMIO' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P, true, false)), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-UNBACKED: a MAP_DMA faults in the PFNMAP entries it walks, and they move with mremap; a new mmap has none', () => {
    const m = fresh();
    // a READ map of the rw pages faults their entries in, and they stay after the unmap
    setup(m, [mmap(A, 2n * P, 'rw', 'mmio'), map(IOVA, A, 2n * P, R), unmap(IOVA, 2n * P), mprotect(A, 2n * P, 'none')]);
    expect(m.apply(map(IOVA, A, 2n * P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    // mremap moves the entries with the pages
    setup(m, [unmap(IOVA, 2n * P), mremap(A, 2n * P, B, 2n * P)]);
    expect(m.apply(map(IOVA, B, 2n * P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    // a map that fails further on keeps the entries it faulted in before the failure
    setup(m, [mmap(A, P, 'rw', 'mmio'), mmap(A + P, P, 'none')]);
    expect(m.apply(map(IOVA + 16n * P, A, 2n * P, R))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    setup(m, [mprotect(A, P, 'none')]);
    expect(m.apply(map(IOVA + 16n * P, A, P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    // a new mmap over touched pages starts without entries; a read-only VMA is faulted in by a READ map
    setup(m, [mmap(A + 32n * P, P, 'rw', 'mmio'), cpuWrite(A + 32n * P, 0x5n), mmap(A + 32n * P, P, 'r', 'mmio'), mprotect(A + 32n * P, P, 'none')]);
    expect(m.apply(map(IOVA + 32n * P, A + 32n * P, P, R))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    setup(m, [mprotect(A + 32n * P, P, 'r'), map(IOVA + 32n * P, A + 32n * P, P, R), unmap(IOVA + 32n * P, P), mprotect(A + 32n * P, P, 'none')]);
    expect(m.apply(map(IOVA + 32n * P, A + 32n * P, P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-READONLY: a WRITE map of read-only memory fails with EFAULT; a READ-only map of it succeeds', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x70n), mprotect(A, P, 'r')]);
    expect(m.apply(map(IOVA, A, P, RW))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-READONLY' });
    expect(m.apply(map(IOVA, A, P, W))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-READONLY' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-MAP-ATOMIC' });
    expect(m.apply(map(IOVA, A, P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x70n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 0n), rule: 'T1-ACCT-CHARGE' });
  });

  test('T1-MAP-READONLY: a read-only MMIO BAR cannot be mapped for WRITE either', () => {
    const m = fresh();
    setup(m, [mmap(B, P, 'r', 'mmio')]);
    expect(m.apply(map(IOVA, B, P, RW))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-READONLY' });
    expect(m.apply(map(IOVA, B, P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-RLIMIT: reaching RLIMIT_MEMLOCK exactly succeeds; one page over fails with ENOMEM', () => {
    const m = fresh();
    setup(m, [rlimit(4n * P), mmap(A, 8n * P)]);
    expect(m.apply(map(IOVA, A, 3n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(IOVA + 16n * P, A + 3n * P, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(4n, 0n), rule: 'T1-ACCT-CHARGE' });
    expect(m.apply(map(IOVA + 32n * P, A + 4n * P, P))).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
    expect(m.apply(counters)).toEqual({ result: locked(4n, 0n), rule: 'T1-MAP-ATOMIC' });
    expect(dmaAvail(m)).toBe(30n);
  });

  test('T1-MAP-RLIMIT: the limit is RLIMIT_MEMLOCK in whole pages, rounded down', () => {
    const m = fresh();
    setup(m, [rlimit(2n * P + 0x800n), mmap(A, 3n * P)]);
    expect(m.apply(map(IOVA, A, 3n * P))).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
    expect(m.apply(map(IOVA, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-RLIMIT: CAP_IPC_LOCK at map time bypasses the limit, and the map is still charged', () => {
    const m = fresh();
    setup(m, [rlimit(P), capIpcLock(true), mmap(A, 4n * P)]);
    expect(m.apply(map(IOVA, A, 4n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(4n, 0n), rule: 'T1-ACCT-CHARGE' });
    setup(m, [capIpcLock(false)]);
    expect(m.apply(map(IOVA + 16n * P, A, P))).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
  });

  test('T1-MAP-RLIMIT: the limit and the capability are those of the process that maps', () => {
    const m = fresh();
    setup(m, [rlimit(0n, 0), mmap(B, 2n * P, 'rw', 'anon', 1)]);
    expect(m.apply(map(IOVA, B, P, RW, 1))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 1n), rule: 'T1-ACCT-CHARGE' });
    setup(m, [rlimit(0n, 1), capIpcLock(true, 0)]);
    expect(m.apply(map(IOVA + 16n * P, B + P, P, RW, 1))).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
  });

  // --- atomicity and exactness -----------------------------------------------------------------
  test('T1-MAP-ATOMIC: a map failing on a hole after a charged part leaves locked_vm, dma_avail and the IOMMU unchanged', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 0x11n)]); // A + 2P is a hole
    expect(m.apply(map(IOVA, A, 4n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-MAP-ATOMIC' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-ATOMIC' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-MAP-ATOMIC' });
    expect(dmaAvail(m)).toBe(32n);
    // nothing of it is left to overlap
    expect(m.apply(map(IOVA, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x11n), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-ATOMIC: a map failing on RLIMIT part-way leaves nothing charged', () => {
    const m = fresh();
    setup(m, [rlimit(2n * P), mmap(A, 3n * P)]);
    expect(m.apply(map(IOVA, A, 3n * P))).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-MAP-ATOMIC' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-ATOMIC' });
  });

  test('T1-MAP-ATOMIC: a failed map leaves the existing mappings as they were', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x22n), map(IOVA, A, P)]);
    expect(m.apply(map(IOVA, A, P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x22n), rule: 'T1-MAP-ATOMIC' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 0n), rule: 'T1-MAP-ATOMIC' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P)), rule: 'T1-MAP-ATOMIC' });
  });

  test('T1-MAP-EXACT: exactly [iova, iova+size) reaches the frames behind [vaddr, vaddr+size), page for page', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P), cpuWrite(A, 0xa0n), cpuWrite(A + P, 0xa1n), cpuWrite(A + 2n * P, 0xa2n), cpuWrite(A + 3n * P, 0xa3n)]);
    expect(m.apply(map(IOVA, A + P, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0xa1n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: token(0xa2n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA - P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA + 2n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, 2n * P)), rule: 'T1-MAP-EXACT' });
    // the device and the CPU share the frame
    expect(m.apply(dmaWrite(IOVA + P, 0xd2n))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(cpuRead(A + 2n * P))).toEqual({ result: token(0xd2n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A + 3n * P))).toEqual({ result: token(0xa3n), rule: 'T1-HOST-ENV' });
  });

  test('T1-MAP-EXACT: a READ-only mapping blocks device writes (dmaWrite fails with EFAULT and changes nothing)', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x5n)]);
    expect(m.apply(map(IOVA, A, P, R))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaWrite(IOVA, 0x6n))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x5n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(cpuRead(A))).toEqual({ result: token(0x5n), rule: 'T1-HOST-ENV' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P, true, false)), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-EXACT: a WRITE-only mapping blocks device reads (the frame\'s token accepted where the IOMMU cannot express it)', () => {
    const m = fresh();
    setup(m, [mmap(A, P)]);
    expect(m.apply(map(IOVA, A, P, W))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaWrite(IOVA, 0x7n))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: err('EFAULT'), accept: [token(0x7n)], rule: 'T1-MAP-EXACT' });
    expect(m.apply(cpuRead(A))).toEqual({ result: token(0x7n), rule: 'T1-HOST-ENV' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P, false, true)), rule: 'T1-MAP-EXACT' });
  });

  test('T1-MAP-EXACT: a map of a window inside a huge page reaches its 4 KiB frames', () => {
    const m = fresh();
    setup(m, [mmap(A, HUGE, 'rw', 'hugetlb'), cpuWrite(A + 3n * P, 0x33n)]);
    expect(m.apply(map(IOVA, A + 2n * P, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: token(0x33n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-ACCT-CHARGE' });
  });

  test('T1-MAP-EXACT: v1 maps the same way', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 2n * P), cpuWrite(A + P, 0x1e1n)]);
    expect(m.apply(map(IOVA, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: token(0x1e1n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(IOVA + P, A, P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
  });
});
