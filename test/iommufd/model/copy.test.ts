// The model against the IOAS_COPY rules (spec/iommufd/rules.ts, group COPY).
import { describe, expect, test } from 'vitest';
import {
  A, FIXED, IOVA, P, R, RW, U64_MAX, alloc, at, attach, attached, bind, copy, counts, counters, cpuWrite, dmaRead, err,
  fresh, iovaOk, map, mmap, munmap, run, token, uncapped, unmap, unmapped,
} from './helpers.ts';

const D = 0x20000000n;

/** IOAS 0 with two back-to-back areas [IOVA, +P) -> A and [IOVA+P, +2P) -> A+P..., and an IOAS 1. */
const source = [mmap(A, 3n * P), cpuWrite(A, 1n), cpuWrite(A + P, 2n), alloc(0), alloc(1), map(IOVA, A, P), map(IOVA + P, A + P, 2n * P)];

describe('IOMMU_IOAS_COPY', () => {
  test('IOMMUFD-COPY-FLAGS: unknown flags, u64 bounds and missing permission fail before any lookup', () => {
    const m = fresh();
    expect(at(m, copy(D, IOVA, P, FIXED | RW | 8))).toEqual({ result: err('EOPNOTSUPP'), rule: 'IOMMUFD-COPY-FLAGS' });
    expect(at(m, copy(D, U64_MAX, P))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-COPY-FLAGS' });
    expect(at(m, copy(U64_MAX, IOVA, P))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-COPY-FLAGS' });
    expect(at(m, copy(D, IOVA, P, FIXED))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-COPY-FLAGS' });
    expect(at(m, copy(D, IOVA, P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
  });

  test('IOMMUFD-COPY-SRC: back-to-back areas cover the source, possibly from and to the middle of areas; else ENOENT', () => {
    const m = fresh();
    run(m, source);
    expect(at(m, copy(D, IOVA, 0n))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-COPY-SRC' });
    expect(at(m, copy(D, U64_MAX - P, 2n * P))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-COPY-SRC' });
    expect(at(m, copy(D, IOVA - P, 2n * P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-COPY-SRC' });
    expect(at(m, copy(D, IOVA + 2n * P, 2n * P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-COPY-SRC' });
    // The source is looked at before the destination IOAS is looked up.
    expect(at(m, copy(D, IOVA - P, 2n * P, FIXED | RW, 3))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-COPY-SRC' });
    expect(at(m, copy(D, IOVA, P, FIXED | RW, 3))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
    expect(at(m, copy(D, IOVA + 0x800n, 2n * P))).toEqual({ result: iovaOk(D), rule: 'IOMMUFD-COPY-SHARE' });
  });

  test('IOMMUFD-COPY-DST: the destination checks as MAP; one destination area per source area', () => {
    const m = fresh();
    run(m, [...source, map(D, A, P, FIXED | RW, 1)]);
    expect(at(m, copy(D, IOVA, P))).toEqual({ result: err('EEXIST'), rule: 'IOMMUFD-COPY-DST' });
    expect(at(m, copy(D + P, IOVA, 3n * P)).result).toEqual(iovaOk(D + P));
    // The copy is two areas, [D+P, +P) and [D+2P, +2P): unmapping the first alone works.
    expect(at(m, unmap(D + P, P, 1))).toEqual({ result: unmapped(P), rule: 'IOMMUFD-UNMAP-COUNT' });
    expect(at(m, unmap(D + 2n * P, P, 1))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-UNMAP-WHOLE' });
    // The same IOAS may be source and destination.
    expect(at(m, copy(D, IOVA, P, FIXED | RW, 0, 0)).result).toEqual(iovaOk(D));
  });

  test('IOMMUFD-COPY-SHARE: the copy reaches the source\'s frames, pinned and charged once while either area is filled', () => {
    const m = fresh();
    run(m, [...uncapped, ...source, bind(0), attach(0, 0), bind(1), attach(1, 1)]);
    expect(at(m, counters).result).toEqual(counts(0n, 3n));
    expect(at(m, copy(D, IOVA, 2n * P))).toEqual({ result: iovaOk(D), rule: 'IOMMUFD-COPY-SHARE' });
    expect(at(m, counters)).toEqual({ result: counts(0n, 3n), rule: 'IOMMUFD-COPY-SHARE' });
    // New memory at A does not change what either IOAS reaches.
    run(m, [munmap(A, 3n * P), mmap(A, 3n * P), cpuWrite(A + P, 9n)]);
    expect(at(m, dmaRead(D + P, 1)).result).toEqual(token(2n));
    expect(at(m, unmap(0n, U64_MAX, 0)).result).toEqual(unmapped(3n * P));
    expect(at(m, counters).result).toEqual(counts(0n, 2n));
    expect(at(m, dmaRead(D, 1)).result).toEqual(token(1n));
    expect(at(m, unmap(0n, U64_MAX, 1)).result).toEqual(unmapped(2n * P));
    expect(at(m, counters).result).toEqual(counts(0n, 0n));
  });

  test('IOMMUFD-COPY-WRITE: a WRITEABLE copy of pages mapped without WRITEABLE fails with EPERM', () => {
    const m = fresh();
    run(m, [mmap(A, P), alloc(0), alloc(1), map(IOVA, A, P, FIXED | R), ...attached.slice(1)]);
    expect(at(m, copy(D, IOVA, P))).toEqual({ result: err('EPERM'), rule: 'IOMMUFD-COPY-WRITE' });
    expect(at(m, copy(D, IOVA, P, FIXED | R))).toEqual({ result: iovaOk(D), rule: 'IOMMUFD-COPY-SHARE' });
    // A READABLE copy of writable pages may itself be copied WRITEABLE.
    run(m, [map(IOVA + P, A, P, FIXED | RW), copy(D + P, IOVA + P, P, FIXED | R)]);
    expect(at(m, copy(D + 2n * P, D + P, P, FIXED | RW, 0, 1)).result).toEqual(iovaOk(D + 2n * P));
  });
});
