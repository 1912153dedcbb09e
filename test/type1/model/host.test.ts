// The reference model against the host-memory rules (spec/type1/rules.ts, family HOST).
import { describe, expect, test } from 'vitest';
import {
  A, B, HUGE, IOVA, P, R, U64_MAX,
  capIpcLock, counters, cpuRead, cpuWrite, dmaRead, dmaWrite, err, fresh, locked, map, mmap, mprotect, mremap,
  munmap, okv, rlimit, setup, token,
} from './helpers.ts';
import { SystemModel } from '../../../models/type1/system.ts';
import { testInfo } from '../support/info.ts';

describe('Host memory interplay', () => {
  test('T1-HOST-PIN-PERSISTS: after munmap of mapped memory the device still reads the stamped token, and stays charged', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x51n), map(IOVA, A, P)]);
    expect(m.apply(munmap(A, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x51n), rule: 'T1-HOST-PIN-PERSISTS' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 0n), rule: 'T1-HOST-PIN-PERSISTS' });
    expect(m.apply(cpuRead(A))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaWrite(IOVA, 0x52n))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x52n), rule: 'T1-MAP-EXACT' });
  });

  test('T1-HOST-PIN-PERSISTS: mprotect does not change what the device reaches nor the mapping\'s permission', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 0x53n), map(IOVA, A, 2n * P)]);
    expect(m.apply(mprotect(A, 2n * P, 'none'))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x53n), rule: 'T1-HOST-PIN-PERSISTS' });
    expect(m.apply(dmaWrite(IOVA + P, 0x54n))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(mprotect(A, 2n * P, 'r'))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A + P))).toEqual({ result: token(0x54n), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: token(0x54n), rule: 'T1-HOST-PIN-PERSISTS' });
  });

  test('T1-HOST-PIN-PERSISTS: mremap moves the frames: cpuRead at the new vaddr returns the token the device reads', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A + P, 0x61n), map(IOVA, A, 2n * P)]);
    expect(m.apply(mremap(A, 2n * P, B, 2n * P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: token(0x61n), rule: 'T1-HOST-PIN-PERSISTS' });
    expect(m.apply(cpuRead(B + P))).toEqual({ result: token(0x61n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A + P))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    // device writes land in the moved frames
    expect(m.apply(dmaWrite(IOVA, 0x60n))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(cpuRead(B))).toEqual({ result: token(0x60n), rule: 'T1-HOST-ENV' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-HOST-PIN-PERSISTS' });
  });

  test('T1-HOST-NO-REUSE: after munmap + mmap at the same vaddr + a new token, the device still reads the OLD token', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x71n), map(IOVA, A, P)]);
    expect(m.apply(munmap(A, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(A, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuWrite(A, 0x72n))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x71n), rule: 'T1-HOST-NO-REUSE' });
    expect(m.apply(cpuRead(A))).toEqual({ result: token(0x72n), rule: 'T1-HOST-ENV' });
    // the new memory, mapped at another iova, is a different frame
    expect(m.apply(map(IOVA + 16n * P, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA + 16n * P))).toEqual({ result: token(0x72n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x71n), rule: 'T1-MAP-EXACT' });
  });

  test('T1-HOST-NO-REUSE: an mmap(MAP_FIXED) straight over mapped memory gets new frames too', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 0x81n), map(IOVA, A, 2n * P)]);
    expect(m.apply(mmap(A, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x81n), rule: 'T1-HOST-NO-REUSE' });
    expect(m.apply(cpuWrite(A, 0x82n))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x81n), rule: 'T1-HOST-NO-REUSE' });
  });

  test('T1-HOST-ENV: new anonymous and MMIO memory reads 0; CPU stores and loads round-trip; faults give EFAULT', () => {
    const m = fresh();
    expect(m.apply(mmap(A, 2n * P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A + P))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuWrite(A, 0x5n))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A))).toEqual({ result: token(0x5n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuWrite(B, 0x1n))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(B, P, 'r'))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuWrite(B, 0x1n))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(B + P, P, 'none'))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B + P))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(B + 2n * P, P, 'rw', 'mmio'))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B + 2n * P))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(A + HUGE, HUGE, 'rw', 'hugetlb'))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A + HUGE + 5n * P))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
  });

  test('T1-HOST-ENV: the two processes have separate address spaces, limits and capabilities', () => {
    const m = fresh();
    setup(m, [mmap(A, P, 'rw', 'anon', 0), cpuWrite(A, 0x1n, 0)]);
    expect(m.apply(cpuRead(A, 1))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(A, P, 'rw', 'anon', 1))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A, 1))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
    expect(m.apply(rlimit(0n, 1))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(capIpcLock(true, 1))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(rlimit(U64_MAX, 1))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(map(IOVA, A, P, R, 0))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(IOVA + P, A, P, R, 1))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x1n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: token(0n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 1n), rule: 'T1-ACCT-CHARGE' });
  });

  test('T1-HOST-ENV: mremap moves frames; growth gets zero frames; the old range is gone', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 0x9n), cpuWrite(A + P, 0xan)]);
    expect(m.apply(mremap(A + P, P, B, 3n * P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B))).toEqual({ result: token(0xan), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B + P))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B + 2n * P))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A + P))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A))).toEqual({ result: token(0x9n), rule: 'T1-HOST-ENV' });
  });

  test('T1-HOST-ENV: two adjacent anonymous mmaps of one protection are one VMA to mremap; a protection change splits it', () => {
    const m = fresh();
    setup(m, [mmap(A, P), mmap(A + P, P), cpuWrite(A, 0x1n), cpuWrite(A + P, 0x2n), mmap(A + 2n * P, P, 'r')]);
    expect(m.apply(mremap(A, 2n * P, B, 2n * P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B))).toEqual({ result: token(0x1n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B + P))).toEqual({ result: token(0x2n), rule: 'T1-HOST-ENV' });
    expect(m.apply(mremap(B + P, 2n * P, A, 2n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mremap(A + 2n * P, P, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
  });

  test('T1-HOST-ENV: hugetlb VMAs split only on huge page boundaries; mremap moves whole huge pages', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * HUGE, 'rw', 'hugetlb'), cpuWrite(A + 3n * P, 0x3n)]);
    expect(m.apply(munmap(A + P, P))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(munmap(A + HUGE, HUGE))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(mremap(A, HUGE, B, HUGE))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(B + 3n * P))).toEqual({ result: token(0x3n), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(A))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mremap(B, HUGE, A, 2n * HUGE))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
  });

  test('T1-HOST-ENV: nothing maps above TASK_SIZE: mmap fails with ENOMEM, mremap onto it and munmap past it with EINVAL', () => {
    const task = 1n << 39n;
    const m = new SystemModel(testInfo('type1v2', { host: { ...testInfo().host, arena: { start: task - 64n * HUGE, size: 64n * HUGE }, taskSize: task } }));
    expect(m.apply(mmap(task - P, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(task - P, 2n * P))).toEqual({ result: err('ENOMEM'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(task, HUGE, 'rw', 'hugetlb'))).toEqual({ result: err('ENOMEM'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(U64_MAX - P + 1n, P))).toEqual({ result: err('ENOMEM'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mremap(task - P, P, task, P))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(munmap(task - P, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(cpuRead(task - P))).toEqual({ result: token(0n), rule: 'T1-HOST-ENV' }); // the failures changed nothing
    expect(m.apply(mprotect(task - P, 2n * P, 'r'))).toEqual({ result: err('ENOMEM'), rule: 'T1-HOST-ENV' });
  });

  test('T1-HOST-ENV: an undeclared TASK_SIZE is 2^47 - 4096 (x86-64, 4-level paging), or the end of the arena if higher', () => {
    const top = 1n << 47n;
    const below = new SystemModel(testInfo('type1v2', { host: { ...testInfo().host, arena: { start: 1n << 45n, size: 1n << 40n } } }));
    expect(below.apply(mmap(top - 2n * P, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(below.apply(mmap(top - P, P))).toEqual({ result: err('ENOMEM'), rule: 'T1-HOST-ENV' });
    const upTo = fresh(); // its arena ends at 2^47
    expect(upTo.apply(mmap(top - P, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
    expect(upTo.apply(mmap(top, P))).toEqual({ result: err('ENOMEM'), rule: 'T1-HOST-ENV' });
  });

  test('T1-HOST-ENV: argument errors: unaligned or empty mmap, unaligned hugetlb, overlapping or unmapped mremap, mprotect of a hole', () => {
    const m = fresh();
    expect(m.apply(mmap(A + 0x800n, P))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(A, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mmap(A + P, HUGE, 'rw', 'hugetlb'))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(munmap(A, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(munmap(A, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' }); // unmapping nothing is fine
    expect(m.apply(mremap(A, P, B, P))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    setup(m, [mmap(A, 2n * P)]);
    expect(m.apply(mremap(A, 2n * P, A + P, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mremap(A, 4n * P, B, 4n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mprotect(A, 4n * P, 'r'))).toEqual({ result: err('ENOMEM'), rule: 'T1-HOST-ENV' });
    setup(m, [mmap(B, P, 'rw', 'mmio')]);
    expect(m.apply(mremap(B, P, B + 16n * P, 2n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-HOST-ENV' });
    expect(m.apply(mremap(B, P, B + 16n * P, P))).toEqual({ result: okv(), rule: 'T1-HOST-ENV' });
  });
});
