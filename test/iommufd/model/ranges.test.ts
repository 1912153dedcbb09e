// The model against the IOVA_RANGES and ALLOW_IOVAS rules (spec/iommufd/rules.ts, group RANGES).
import { describe, expect, test } from 'vitest';
import { ok, type IovaRange } from '../../../spec/iommufd/ops.ts';
import { A, IOVA, MSI, P, U64_MAX, alloc, allow, at, attached, err, fresh, iovaOk, map, mapAuto, mmap, okv, ranges, run } from './helpers.ts';

const report = (rs: IovaRange[], alignment: bigint) => ok<'iovaRanges'>({ ranges: rs, alignment });
/** What device 0 leaves usable: its 48-bit aperture less the MSI window. */
const DEV0 = [{ start: 0n, last: MSI.start - 1n }, { start: MSI.last + 1n, last: (1n << 48n) - 1n }];

describe('IOVA_RANGES and ALLOW_IOVAS', () => {
  test('IOMMUFD-RANGES-REPORT: the complement of the reserved ranges and the alignment; the allowed list does not narrow it', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, ranges())).toEqual({ result: report([{ start: 0n, last: U64_MAX }], 1n), rule: 'IOMMUFD-RANGES-REPORT' });
    run(m, [allow([{ start: 0x1000n, last: 0x1fffn }])]);
    expect(at(m, ranges()).result).toEqual(report([{ start: 0n, last: U64_MAX }], 1n));
    const n = fresh();
    run(n, attached);
    expect(at(n, ranges()).result).toEqual(report(DEV0, P));
  });

  test('IOMMUFD-ALLOW-ARGS: start >= last or an overlap with an earlier entry fails with EINVAL, keeping the old list', () => {
    const m = fresh();
    expect(at(m, allow([]))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
    run(m, [alloc(0), allow([{ start: 0x40000000n, last: 0x4fffffffn }])]);
    expect(at(m, allow([{ start: 0x1000n, last: 0x1000n }]))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-ALLOW-ARGS' });
    expect(at(m, allow([{ start: 0x2000n, last: 0x1000n }]))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-ALLOW-ARGS' });
    const overlap = [{ start: 0x1000n, last: 0x2fffn }, { start: 0x2000n, last: 0x3fffn }];
    expect(at(m, allow(overlap))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-ALLOW-ARGS' });
    expect(at(m, mapAuto(A, P)).result).toEqual(iovaOk(0x40000000n));
  });

  test('IOMMUFD-ALLOW-RESERVED: an entry meeting a reserved range fails with EADDRINUSE, keeping the old list', () => {
    const m = fresh();
    run(m, [mmap(A, P), ...attached, allow([{ start: 0x40000000n, last: 0x4fffffffn }])]);
    expect(at(m, allow([{ start: 0x1000n, last: 0x1fffn }, { start: MSI.last, last: MSI.last + P }]))).toEqual({ result: err('EADDRINUSE'), rule: 'IOMMUFD-ALLOW-RESERVED' });
    expect(at(m, mapAuto(A, P)).result).toEqual(iovaOk(0x40000000n));
  });

  test('IOMMUFD-ALLOW-REPLACE: the new list replaces the old, an empty one lifts the restriction, fixed maps ignore it', () => {
    const m = fresh();
    run(m, [alloc(0), allow([{ start: 0x40000000n, last: 0x4fffffffn }])]);
    expect(at(m, allow([{ start: 0x60000000n, last: 0x6fffffffn }]))).toEqual({ result: okv(), rule: 'IOMMUFD-ALLOW-REPLACE' });
    expect(at(m, mapAuto(A, P)).result).toEqual(iovaOk(0x60000000n));
    expect(at(m, map(IOVA, A, P)).result).toEqual(iovaOk(IOVA));
    run(m, [allow([])]);
    expect(at(m, mapAuto(A, P)).result).toEqual(iovaOk(P));
    // Adjacent entries make one span for the allocator.
    run(m, [allow([{ start: 0x70000000n, last: 0x70000fffn }, { start: 0x70001000n, last: 0x70001fffn }])]);
    expect(at(m, mapAuto(A, 2n * P)).result).toEqual(iovaOk(0x70000000n));
  });
});
