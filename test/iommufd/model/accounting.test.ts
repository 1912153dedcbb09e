// The model against the accounting rules (spec/iommufd/rules.ts, group ACCT).
import { describe, expect, test } from 'vitest';
import { ok } from '../../../spec/iommufd/ops.ts';
import {
  A, FIXED, IOVA, P, RW, alloc, at, attach, attached, bind, capIpcLock, copy, counts, counters, err, fresh, getMode,
  iovaOk, map, mmap, okv, rlimit, run, setMode, uncapped, unmap, unmapped,
} from './helpers.ts';

describe('pinning and accounting', () => {
  test('IOMMUFD-ACCT-USER: in mode 0 pins charge the user, not VmLck, and are held to RLIMIT_MEMLOCK', () => {
    const m = fresh();
    run(m, [...uncapped, mmap(A, 4n * P), ...attached]);
    expect(at(m, map(IOVA, A, 2n * P)).result).toEqual(iovaOk(IOVA));
    const e = m.apply(counters);
    expect(e.result).toEqual(counts(0n, 2n));
    expect(m.blame(counters, e, counts(2n, 2n))).toBe('IOMMUFD-ACCT-USER');
    run(m, [rlimit(3n * P)]);
    expect(at(m, map(IOVA + 4n * P, A + 2n * P, 2n * P))).toEqual({ result: err('ENOMEM'), rule: 'IOMMUFD-MAP-RLIMIT' });
  });

  test('IOMMUFD-ACCT-MM: pages mapped in mode 1 charge mm->locked_vm, held to RLIMIT_MEMLOCK', () => {
    const m = fresh();
    run(m, [...uncapped, setMode(1n), mmap(A, 4n * P), ...attached]);
    expect(at(m, map(IOVA, A, 2n * P)).result).toEqual(iovaOk(IOVA));
    expect(at(m, counters).result).toEqual(counts(2n, 2n));
    run(m, [rlimit(3n * P)]);
    expect(at(m, map(IOVA + 4n * P, A + 2n * P, 2n * P))).toEqual({ result: err('ENOMEM'), rule: 'IOMMUFD-MAP-RLIMIT' });
    expect(at(m, counters).result).toEqual(counts(2n, 2n));
  });

  test('IOMMUFD-ACCT-CAP: pages mapped with CAP_IPC_LOCK charge no locked_vm and ignore the limit, whenever they are pinned', () => {
    const m = fresh();
    run(m, [setMode(1n), rlimit(0n), mmap(A, 4n * P), alloc(0), map(IOVA, A, 2n * P), capIpcLock(false), bind(0)]);
    expect(at(m, attach(0, 0)).result).toEqual(okv());
    const e = m.apply(counters);
    expect(e.result).toEqual(counts(0n, 2n));
    expect(m.blame(counters, e, counts(2n, 2n))).toBe('IOMMUFD-ACCT-CAP');
    // Mapped without the capability: charged, and over the limit.
    expect(at(m, map(IOVA + 4n * P, A + 2n * P, P))).toEqual({ result: err('ENOMEM'), rule: 'IOMMUFD-MAP-RLIMIT' });
    run(m, [capIpcLock(true)]);
    expect(at(m, map(IOVA + 4n * P, A + 2n * P, 2n * P)).result).toEqual(iovaOk(IOVA + 4n * P));
    expect(at(m, counters).result).toEqual(counts(0n, 4n));
  });

  test('IOMMUFD-ACCT-PINNED: VmPin counts every pinned page in every mode', () => {
    const m = fresh();
    run(m, [mmap(A, 3n * P), ...attached, map(IOVA, A, P), capIpcLock(false), map(IOVA + P, A + P, 2n * P)]);
    const e = m.apply(counters);
    expect(e.result).toEqual(counts(0n, 3n));
    expect(m.blame(counters, e, counts(0n, 2n))).toBe('IOMMUFD-ACCT-PINNED');
  });

  test('IOMMUFD-ACCT-EXACT: two maps of one range charge twice, a copy nothing more, unmaps give back exactly', () => {
    const m = fresh();
    run(m, [...uncapped, setMode(1n), mmap(A, 2n * P), ...attached, map(IOVA, A, 2n * P), map(IOVA + 4n * P, A, 2n * P)]);
    expect(at(m, counters)).toEqual({ result: counts(4n, 4n), rule: 'IOMMUFD-ACCT-EXACT' });
    expect(at(m, copy(IOVA + 8n * P, IOVA + P, P, FIXED | RW, 0, 0)).result).toEqual(iovaOk(IOVA + 8n * P));
    expect(at(m, counters).result).toEqual(counts(4n, 4n));
    expect(at(m, unmap(IOVA, 2n * P)).result).toEqual(unmapped(2n * P));
    // The copy keeps the second page of the first map pinned.
    expect(at(m, counters).result).toEqual(counts(3n, 3n));
    expect(at(m, unmap(IOVA + 8n * P, P)).result).toEqual(unmapped(P));
    expect(at(m, counters).result).toEqual(counts(2n, 2n));
  });

  test('IOMMUFD-OPTION-RLIMIT: GET the mode; SET is EBUSY with any object, before the value check; then > 1 is EINVAL', () => {
    const m = fresh();
    expect(at(m, getMode)).toEqual({ result: ok<'getRlimitMode'>({ value: 0n }), rule: 'IOMMUFD-OPTION-RLIMIT' });
    expect(at(m, setMode(2n))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-OPTION-RLIMIT' });
    expect(at(m, setMode(1n))).toEqual({ result: okv(), rule: 'IOMMUFD-OPTION-RLIMIT' });
    expect(at(m, getMode).result).toEqual(ok<'getRlimitMode'>({ value: 1n }));
    run(m, [bind(1)]);
    expect(at(m, setMode(0n))).toEqual({ result: err('EBUSY'), rule: 'IOMMUFD-OPTION-RLIMIT' });
    expect(at(m, setMode(2n))).toEqual({ result: err('EBUSY'), rule: 'IOMMUFD-OPTION-RLIMIT' });
    const n = fresh();
    run(n, [alloc(0)]);
    expect(at(n, setMode(1n))).toEqual({ result: err('EBUSY'), rule: 'IOMMUFD-OPTION-RLIMIT' });
  });
});
