// The model against the object rules (spec/iommufd/rules.ts, group OBJ).
import { describe, expect, test } from 'vitest';
import {
  A, IOVA, P, R, U64_MAX, alloc, allow, at, attach, attached, bind, closeCtx, copy, counts, counters, cpuWrite,
  destroy, detach, dmaRead, err, fresh, getMode, iovaOk, map, mmap, okv, ranges, run, setMode, token, uncapped, unmap,
  unmapped,
} from './helpers.ts';
import { ok } from '../../../spec/iommufd/ops.ts';

describe('objects', () => {
  test('IOMMUFD-OBJ-ID: every IOAS operation on a handle never allocated or destroyed fails with ENOENT', () => {
    const m = fresh();
    for (const op of [map(IOVA, A, P), unmap(IOVA, P), ranges(), allow([]), destroy(), copy(IOVA, IOVA, P, undefined, 1, 0)]) {
      expect(at(m, op)).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
    }
    run(m, [alloc(0), destroy(0)]);
    expect(at(m, map(IOVA, A, P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
    expect(at(m, bind(0))).toEqual({ result: okv(), rule: 'IOMMUFD-BIND' });
    expect(at(m, attach(0, 0))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
  });

  test('IOMMUFD-OBJ-ID: the argument checks come before the lookup', () => {
    const m = fresh();
    expect(at(m, map(IOVA, A, P, 8 | R)).result).toEqual(err('EOPNOTSUPP'));
    expect(at(m, map(U64_MAX, A, P)).result).toEqual(err('EOVERFLOW'));
    expect(at(m, map(IOVA, A, P, 1)).result).toEqual(err('EINVAL'));
    expect(at(m, map(IOVA, A, 0n)).result).toEqual(err('ENOENT'));
  });

  test('IOMMUFD-OBJ-ALLOC: a new IOAS is empty, unrestricted and byte aligned; reusing a handle leaves the old IOAS alive', () => {
    const m = fresh();
    expect(at(m, alloc(0))).toEqual({ result: okv(), rule: 'IOMMUFD-OBJ-ALLOC' });
    expect(at(m, ranges(0)).result).toEqual(ok<'iovaRanges'>({ ranges: [{ start: 0n, last: U64_MAX }], alignment: 1n }));
    expect(at(m, map(IOVA, A, P)).result).toEqual(iovaOk(IOVA));
    expect(at(m, alloc(0))).toEqual({ result: okv(), rule: 'IOMMUFD-OBJ-ALLOC' });
    // The handle names the new, empty IOAS...
    expect(at(m, unmap(IOVA, P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-UNMAP-EMPTY' });
    // ...and the old one is still an object of the context, even once the handle is destroyed.
    expect(at(m, destroy(0)).result).toEqual(okv());
    expect(at(m, setMode(1n))).toEqual({ result: err('EBUSY'), rule: 'IOMMUFD-OPTION-RLIMIT' });
    run(m, [closeCtx]);
    expect(at(m, setMode(1n)).result).toEqual(okv());
  });

  test('IOMMUFD-OBJ-DESTROY-BUSY: an IOAS a device is attached to cannot be destroyed, and keeps working', () => {
    const m = fresh();
    run(m, [mmap(A, P), cpuWrite(A, 0x5n), ...attached, map(IOVA, A, P)]);
    expect(at(m, destroy(0))).toEqual({ result: err('EBUSY'), rule: 'IOMMUFD-OBJ-DESTROY-BUSY' });
    expect(at(m, dmaRead(IOVA)).result).toEqual(token(0x5n));
    run(m, [detach(0)]);
    expect(at(m, destroy(0))).toEqual({ result: okv(), rule: 'IOMMUFD-OBJ-DESTROY' });
  });

  test('IOMMUFD-OBJ-DESTROY: the handle is dead; pages a copy shares with a filled IOAS stay pinned', () => {
    const m = fresh();
    run(m, [...uncapped, mmap(A, 2n * P), cpuWrite(A, 0x7n), ...attached, map(IOVA, A, 2n * P), alloc(1), copy(IOVA, IOVA, 2n * P)]);
    expect(at(m, counters).result).toEqual(counts(0n, 2n));
    expect(at(m, destroy(1))).toEqual({ result: okv(), rule: 'IOMMUFD-OBJ-DESTROY' });
    expect(at(m, ranges(1))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
    expect(at(m, counters).result).toEqual(counts(0n, 2n));
    expect(at(m, dmaRead(IOVA)).result).toEqual(token(0x7n));
  });

  test('IOMMUFD-OBJ-CLOSE: closing returns every pin and charge, unbinds the devices and resets RLIMIT_MODE', () => {
    const m = fresh();
    run(m, [...uncapped, setMode(1n), mmap(A, 2n * P), ...attached, map(IOVA, A, 2n * P)]);
    expect(at(m, counters).result).toEqual(counts(2n, 2n));
    expect(at(m, closeCtx)).toEqual({ result: okv(), rule: 'IOMMUFD-OBJ-CLOSE' });
    expect(at(m, counters)).toEqual({ result: counts(0n, 0n), rule: 'IOMMUFD-OBJ-CLOSE' });
    expect(at(m, dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-OBJ-CLOSE' });
    expect(at(m, getMode).result).toEqual(ok<'getRlimitMode'>({ value: 0n }));
    expect(at(m, attach(0, 0))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-BIND' });
    expect(at(m, ranges(0)).result).toEqual(err('ENOENT'));
    // The process's memory survives the context.
    expect(at(m, { op: 'cpuRead', vaddr: A }).result).toEqual(token(0n));
    expect(at(m, alloc(0)).result).toEqual(okv());
    expect(at(m, unmap(0n, U64_MAX)).result).toEqual(unmapped(0n));
  });
});
