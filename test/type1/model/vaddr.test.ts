// The reference model against the live-update rules (spec/type1/rules.ts, family VADDR):
// UNMAP_DMA with FLAG_VADDR invalidates, MAP_DMA with FLAG_VADDR updates.
import { describe, expect, test } from 'vitest';
import {
  A, ALL, B, INVALIDATE, IOVA, P, R, SET_VADDR,
  capIpcLock, counters, cpuWrite, dmaAvail, dmaRead, dmaWrite, dumpMappings, err, fresh, locked, map, mapping,
  mappings, mmap, munmap, okv, rlimit, setup, token, unmap, unmapped,
} from './helpers.ts';

describe('VADDR invalidate and update', () => {
  test('T1-VADDR-INVALIDATE: invalidating reports the total size; the IOMMU mappings, pins, charges and entries stay', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P), cpuWrite(A, 0x10n), cpuWrite(A + 2n * P, 0x12n), map(IOVA, A, 2n * P), map(IOVA + 2n * P, A + 2n * P, 2n * P)]);
    expect(m.apply(unmap(IOVA, 4n * P, INVALIDATE))).toEqual({ result: unmapped(4n * P), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x10n), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(dmaRead(IOVA + 2n * P))).toEqual({ result: token(0x12n), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(4n, 0n), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(dumpMappings)).toEqual({
      result: mappings(mapping(IOVA, 2n * P), mapping(IOVA + 2n * P, 2n * P)), rule: 'T1-VADDR-INVALIDATE',
    });
    expect(dmaAvail(m)).toBe(30n);
    // the device still writes through an invalidated mapping
    expect(m.apply(dmaWrite(IOVA + P, 0x11n))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    // both are now invalid: each can be updated
    expect(m.apply(map(IOVA, A, 2n * P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(map(IOVA + 2n * P, A + 2n * P, 2n * P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
  });

  test('T1-VADDR-INVALIDATE: ALL|VADDR invalidates every mapping; an empty range reports 0', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(IOVA, A, P), map(IOVA + 8n * P, A, 2n * P)]);
    expect(m.apply(unmap(IOVA + 2n * P, P, INVALIDATE))).toEqual({ result: unmapped(0n), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(unmap(0n, 0n, ALL | INVALIDATE))).toEqual({ result: unmapped(3n * P), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(dumpMappings)).toEqual({
      result: mappings(mapping(IOVA, P), mapping(IOVA + 8n * P, 2n * P)), rule: 'T1-VADDR-INVALIDATE',
    });
    expect(m.apply(map(IOVA + 8n * P, A, 2n * P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
  });

  test('T1-VADDR-INVALIDATE: v2 refuses to invalidate part of a mapping (T1-UNMAP-V2-BISECT); v1 starting inside reports 0', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(IOVA, A, 2n * P)]);
    expect(m.apply(unmap(IOVA, P, INVALIDATE))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.apply(map(IOVA, A, 2n * P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    const v1 = fresh('type1v1');
    setup(v1, [mmap(A, 2n * P), map(IOVA, A, 2n * P)]);
    expect(v1.apply(unmap(IOVA + P, P, INVALIDATE))).toEqual({ result: unmapped(0n), rule: 'T1-VADDR-INVALIDATE' });
    expect(v1.apply(map(IOVA, A, 2n * P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(v1.apply(unmap(IOVA, P, INVALIDATE))).toEqual({ result: unmapped(2n * P), rule: 'T1-VADDR-INVALIDATE' });
  });

  test('T1-VADDR-INVALIDATE-ATOMIC: a second invalidate reaching an already-invalid mapping fails with EINVAL and revalidates what it had invalidated', () => {
    const m = fresh();
    setup(m, [mmap(A, 3n * P), cpuWrite(A, 0x30n), map(IOVA, A, P), map(IOVA + P, A + P, P), map(IOVA + 2n * P, A + 2n * P, P)]);
    expect(m.apply(unmap(IOVA + P, P, INVALIDATE))).toEqual({ result: unmapped(P), rule: 'T1-VADDR-INVALIDATE' });
    // walks IOVA (invalidates it), then meets IOVA + P (already invalid): EINVAL, IOVA is valid again
    expect(m.apply(unmap(IOVA, 3n * P, INVALIDATE))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-INVALIDATE-ATOMIC' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x30n), rule: 'T1-VADDR-INVALIDATE-ATOMIC' });
    // an update is how a backend shows it: EINVAL because they are valid, judged by this rule
    expect(m.apply(map(IOVA, A, P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-INVALIDATE-ATOMIC' });
    expect(m.apply(map(IOVA + 2n * P, A + 2n * P, P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-INVALIDATE-ATOMIC' });
    // the one that was invalid before the call still is
    expect(m.apply(map(IOVA + P, A + P, P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-VADDR-UPDATE' });
    expect(dmaAvail(m)).toBe(29n);
    // ALL|VADDR is all-or-nothing too
    expect(m.apply(unmap(IOVA + 2n * P, P, INVALIDATE))).toEqual({ result: unmapped(P), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(unmap(0n, 0n, ALL | INVALIDATE))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-INVALIDATE-ATOMIC' });
    expect(m.apply(unmap(IOVA, 2n * P, INVALIDATE))).toEqual({ result: unmapped(2n * P), rule: 'T1-VADDR-INVALIDATE' });
  });

  test('T1-VADDR-UPDATE: the same process gives an invalid mapping a new vaddr; the IOMMU keeps the frames pinned at map time', () => {
    const m = fresh();
    setup(m, [
      mmap(A, 2n * P), cpuWrite(A, 0x1an), map(IOVA, A, 2n * P), unmap(IOVA, 2n * P, INVALIDATE),
      munmap(A, 2n * P), mmap(B, 2n * P), cpuWrite(B, 0x1bn),
    ]);
    expect(m.apply(map(IOVA, B, 2n * P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x1an), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, 2n * P)), rule: 'T1-VADDR-UPDATE' });
    expect(dmaAvail(m)).toBe(31n);
    // valid again: it can be invalidated again
    expect(m.apply(unmap(IOVA, 2n * P, INVALIDATE))).toEqual({ result: unmapped(2n * P), rule: 'T1-VADDR-INVALIDATE' });
  });

  test('T1-VADDR-UPDATE: an update from proc 1 moves the charge from proc 0 to proc 1, who is then uncharged on removal', () => {
    const m = fresh();
    setup(m, [mmap(A, 3n * P), mmap(A, 3n * P, 'rw', 'anon', 1), map(IOVA, A, 3n * P), unmap(IOVA, 3n * P, INVALIDATE)]);
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(map(IOVA, A, 3n * P, SET_VADDR, 1))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 3n), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(unmap(IOVA, 3n * P, 0, 0))).toEqual({ result: unmapped(3n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
  });

  test('T1-VADDR-UPDATE: from proc 1 with too small an RLIMIT_MEMLOCK, ENOMEM; the mapping stays invalid and charged to proc 0', () => {
    const m = fresh();
    setup(m, [
      mmap(A, 3n * P), cpuWrite(A, 0x3an), map(IOVA, A, 3n * P), unmap(IOVA, 3n * P, INVALIDATE),
      mmap(A, 3n * P, 'rw', 'anon', 1), rlimit(2n * P, 1),
    ]);
    expect(m.apply(map(IOVA, A, 3n * P, SET_VADDR, 1))).toEqual({ result: err('ENOMEM'), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x3an), rule: 'T1-VADDR-UPDATE' });
    // still invalid: invalidating it again is refused
    expect(m.apply(unmap(IOVA, 3n * P, INVALIDATE))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-INVALIDATE-ATOMIC' });
    // exactly at the limit it moves
    setup(m, [rlimit(3n * P, 1)]);
    expect(m.apply(map(IOVA, A, 3n * P, SET_VADDR, 1))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 3n), rule: 'T1-VADDR-UPDATE' });
  });

  test('T1-VADDR-UPDATE: the new process\'s own charges count against its limit, and its CAP_IPC_LOCK bypasses it', () => {
    const m = fresh();
    setup(m, [
      mmap(A, 2n * P), map(IOVA, A, 2n * P), unmap(IOVA, 2n * P, INVALIDATE),
      mmap(B, P, 'rw', 'anon', 1), map(IOVA + 16n * P, B, P, R, 1), rlimit(2n * P, 1),
    ]);
    expect(m.apply(map(IOVA, B, 2n * P, SET_VADDR, 1))).toEqual({ result: err('ENOMEM'), rule: 'T1-VADDR-UPDATE' });
    setup(m, [capIpcLock(true, 1)]);
    expect(m.apply(map(IOVA, B, 2n * P, SET_VADDR, 1))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 3n), rule: 'T1-VADDR-UPDATE' });
  });

  test('T1-VADDR-UPDATE: moving an uncharged (MMIO) mapping to proc 1 succeeds even when proc 1 is already over its limit', () => {
    // vfio_change_dma_owner -> mm_lock_acct(task, mm, lock_cap, npage = dma->locked_vm = 0)
    // -> __account_locked_vm(mm, 0, inc = (0 > 0) = false, ...): the decrement branch, no RLIMIT check.
    const m = fresh();
    setup(m, [
      mmap(B, P, 'rw', 'mmio'), cpuWrite(B, 0xb0n), map(IOVA, B, P), unmap(IOVA, P, INVALIDATE),
      mmap(A, P, 'rw', 'anon', 1), map(IOVA + 16n * P, A, P, R, 1), rlimit(0n, 1),
    ]);
    expect(m.apply(counters)).toEqual({ result: locked(0n, 1n), rule: 'T1-ACCT-CHARGE' });
    expect(m.apply(map(IOVA, B, P, SET_VADDR, 1))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 1n), rule: 'T1-VADDR-UPDATE' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0xb0n), rule: 'T1-VADDR-UPDATE' });
  });

  test('T1-VADDR-UPDATE-ERRNO: ENOENT when nothing overlaps; EINVAL when the mapping is valid or not exactly [iova, iova+size)', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 2n * P)]);
    expect(m.apply(map(IOVA + 8n * P, A, P, SET_VADDR))).toEqual({ result: err('ENOENT'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(m.apply(map(IOVA, A, 2n * P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(m.apply(unmap(IOVA, 2n * P, INVALIDATE))).toEqual({ result: unmapped(2n * P), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(map(IOVA, A, P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(m.apply(map(IOVA + P, A, P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(m.apply(map(IOVA - P, A, 4n * P, SET_VADDR))).toEqual({ result: err('EINVAL'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(m.apply(map(IOVA + 2n * P, A, P, SET_VADDR))).toEqual({ result: err('ENOENT'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(m.apply(map(IOVA - P, A, P, SET_VADDR))).toEqual({ result: err('ENOENT'), rule: 'T1-VADDR-UPDATE-ERRNO' });
    expect(dmaAvail(m)).toBe(31n);
    expect(m.apply(map(IOVA, A, 2n * P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
  });
});
