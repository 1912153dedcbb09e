// The reference model against the locked_vm accounting rules (spec/type1/rules.ts, family ACCT).
import { describe, expect, test } from 'vitest';
import {
  A, ALL, B, HUGE, IOVA, P, R, RW,
  capIpcLock, counters, cpuWrite, dmaRead, err, fresh, locked, map, mmap, munmap, okv, rlimit, setup, token,
  unmap, unmapped,
} from './helpers.ts';

describe('locked_vm accounting', () => {
  test('T1-ACCT-CHARGE: a map charges the mapping process one page per 4 KiB pinned, READ-only maps included', () => {
    const m = fresh();
    setup(m, [mmap(A, 3n * P), mmap(B, 2n * P, 'rw', 'anon', 1)]);
    expect(m.apply(map(IOVA, A, 3n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-ACCT-CHARGE' });
    expect(m.apply(map(IOVA + 16n * P, B, 2n * P, R, 1))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(3n, 2n), rule: 'T1-ACCT-CHARGE' });
  });

  test('T1-ACCT-CHARGE: a 2 MiB huge page is charged as 512 pages', () => {
    const m = fresh();
    setup(m, [mmap(A, HUGE, 'rw', 'hugetlb')]);
    expect(m.apply(map(0x40000000n, A, HUGE))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(512n, 0n), rule: 'T1-ACCT-CHARGE' });
  });

  test('T1-ACCT-CHARGE: a process with CAP_IPC_LOCK is charged all the same', () => {
    const m = fresh();
    setup(m, [capIpcLock(true), rlimit(0n), mmap(A, 2n * P)]);
    expect(m.apply(map(IOVA, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-ACCT-CHARGE' });
  });

  test('T1-ACCT-PER-MAPPING: the same memory mapped at two iovas is charged twice', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 0x2an), map(IOVA, A, 2n * P)]);
    expect(m.apply(map(IOVA + 16n * P, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(4n, 0n), rule: 'T1-ACCT-PER-MAPPING' });
    expect(m.apply(map(IOVA + 32n * P, A + P, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(5n, 0n), rule: 'T1-ACCT-PER-MAPPING' });
    expect(m.apply(dmaRead(IOVA + 16n * P))).toEqual({ result: token(0x2an), rule: 'T1-MAP-EXACT' });
    expect(m.apply(unmap(IOVA, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-ACCT-UNCHARGE' });
  });

  test('T1-ACCT-PER-MAPPING: with room for one copy, the second map of the same memory fails with ENOMEM', () => {
    const m = fresh();
    setup(m, [rlimit(2n * P), mmap(A, 2n * P), map(IOVA, A, 2n * P)]);
    expect(m.apply(map(IOVA + 16n * P, A, 2n * P))).toEqual({ result: err('ENOMEM'), rule: 'T1-MAP-RLIMIT' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-MAP-ATOMIC' });
  });

  test('T1-ACCT-MMIO: MMIO (PFNMAP) memory maps without a charge, even with RLIMIT_MEMLOCK 0', () => {
    const m = fresh();
    setup(m, [rlimit(0n), mmap(B, 2n * P, 'rw', 'mmio'), cpuWrite(B, 0xeen)]);
    expect(m.apply(map(IOVA, B, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-MMIO' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0xeen), rule: 'T1-MAP-EXACT' });
    expect(m.apply(unmap(IOVA, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
  });

  test('T1-ACCT-MMIO: a map spanning anonymous and MMIO memory charges only the anonymous pages', () => {
    const m = fresh();
    setup(m, [rlimit(2n * P), mmap(A, 2n * P), mmap(A + 2n * P, 2n * P, 'rw', 'mmio')]);
    expect(m.apply(map(IOVA, A, 4n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-ACCT-MMIO' });
  });

  test('T1-ACCT-UNCHARGE: an unmap by proc 1 of a mapping made by proc 0 uncharges proc 0', () => {
    const m = fresh();
    setup(m, [mmap(A, 3n * P), mmap(B, 2n * P, 'rw', 'anon', 1), map(IOVA, A, 3n * P, RW, 0), map(IOVA + 16n * P, B, 2n * P, RW, 1)]);
    expect(m.apply(counters)).toEqual({ result: locked(3n, 2n), rule: 'T1-ACCT-CHARGE' });
    expect(m.apply(unmap(IOVA, 3n * P, 0, 1))).toEqual({ result: unmapped(3n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 2n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.apply(unmap(IOVA + 16n * P, 2n * P, 0, 0))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
  });

  test('T1-ACCT-UNCHARGE: removal gives back exactly the charge, after munmap, with CAP_IPC_LOCK, and never below 0', () => {
    const m = fresh();
    setup(m, [capIpcLock(true), mmap(A, 2n * P), map(IOVA, A, 2n * P), capIpcLock(false), map(IOVA + 16n * P, A, P), munmap(A, 2n * P)]);
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-HOST-PIN-PERSISTS' });
    expect(m.apply(unmap(IOVA, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.apply(unmap(0n, 0n, ALL, 1))).toEqual({ result: unmapped(P), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.apply(unmap(IOVA, 2n * P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-UNMAP-EMPTY' });
  });
});
