// The model against the IOAS_UNMAP rules (spec/iommufd/rules.ts, group UNMAP).
import { describe, expect, test } from 'vitest';
import {
  A, IOVA, P, U64_MAX, alloc, at, attached, counts, counters, cpuWrite, dmaRead, err, fresh, map, mmap, run, token,
  uncapped, unmap, unmapped,
} from './helpers.ts';

/** Device 0 attached to IOAS 0 with two adjacent areas: [IOVA, +P) and [IOVA+P, +3P), tokens 1 and 2. */
const twoAreas = [
  ...uncapped, mmap(A, 3n * P), cpuWrite(A, 1n), cpuWrite(A + P, 2n), ...attached, map(IOVA, A, P), map(IOVA + P, A + P, 2n * P),
];

describe('IOMMU_IOAS_UNMAP', () => {
  test('IOMMUFD-UNMAP-ALL: iova 0 and length 2^64 - 1 removes everything, and succeeds on an empty IOAS', () => {
    const m = fresh();
    run(m, [alloc(0)]);
    expect(at(m, unmap(0n, U64_MAX))).toEqual({ result: unmapped(0n), rule: 'IOMMUFD-UNMAP-ALL' });
    run(m, [map(IOVA, A, P), map(1n << 40n, A, 3n * P)]);
    expect(at(m, unmap(0n, U64_MAX))).toEqual({ result: unmapped(4n * P), rule: 'IOMMUFD-UNMAP-ALL' });
    expect(at(m, unmap(0n, U64_MAX)).result).toEqual(unmapped(0n));
  });

  test('IOMMUFD-UNMAP-ARGS: the lookup first, then u64 bounds, length 0 and the overflowing end', () => {
    const m = fresh();
    expect(at(m, unmap(IOVA, 0n))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-OBJ-ID' });
    run(m, [alloc(0)]);
    expect(at(m, unmap(U64_MAX, P))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-UNMAP-ARGS' });
    expect(at(m, unmap(P, U64_MAX))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-UNMAP-ARGS' });
    expect(at(m, unmap(IOVA, 0n))).toEqual({ result: err('EINVAL'), rule: 'IOMMUFD-UNMAP-ARGS' });
    expect(at(m, unmap(U64_MAX - P, 2n * P))).toEqual({ result: err('EOVERFLOW'), rule: 'IOMMUFD-UNMAP-ARGS' });
  });

  test('IOMMUFD-UNMAP-EMPTY: a range meeting no area fails with ENOENT', () => {
    const m = fresh();
    run(m, [alloc(0), map(IOVA, A, P)]);
    expect(at(m, unmap(IOVA + P, P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-UNMAP-EMPTY' });
    expect(at(m, unmap(0n, IOVA))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-UNMAP-EMPTY' });
  });

  test('IOMMUFD-UNMAP-WHOLE: an area is never split; one range may remove several whole areas across holes', () => {
    const m = fresh();
    run(m, twoAreas);
    expect(at(m, unmap(IOVA + P, P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-UNMAP-WHOLE' });
    expect(at(m, dmaRead(IOVA + P)).result).toEqual(token(2n));
    run(m, [map(IOVA + 8n * P, A, P)]);
    expect(at(m, unmap(IOVA + P, 16n * P))).toEqual({ result: unmapped(3n * P), rule: 'IOMMUFD-UNMAP-COUNT' });
  });

  test('IOMMUFD-UNMAP-PARTIAL: the areas below the failing one are already gone; it and those above stay', () => {
    const m = fresh();
    run(m, [...twoAreas, map(IOVA + 4n * P, A, P)]);
    expect(at(m, unmap(IOVA, 2n * P))).toEqual({ result: err('ENOENT'), rule: 'IOMMUFD-UNMAP-PARTIAL' });
    expect(at(m, dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-UNMAP-PARTIAL' });
    expect(at(m, dmaRead(IOVA + P)).result).toEqual(token(2n));
    expect(at(m, dmaRead(IOVA + 4n * P)).result).toEqual(token(1n));
    // Page A is still pinned by the area at IOVA+4P: 3 pages of two iopt_pages stay pinned.
    expect(at(m, counters)).toEqual({ result: counts(0n, 3n), rule: 'IOMMUFD-UNMAP-PARTIAL' });
  });

  test('IOMMUFD-UNMAP-COUNT: success writes back the total length of the areas removed', () => {
    const m = fresh();
    run(m, twoAreas);
    expect(at(m, unmap(IOVA - 4n * P, 16n * P))).toEqual({ result: unmapped(3n * P), rule: 'IOMMUFD-UNMAP-COUNT' });
    expect(at(m, counters).result).toEqual(counts(0n, 0n));
  });

  test('IOMMUFD-NO-STALE: once removed, no iova of an area reaches a frame', () => {
    const m = fresh();
    run(m, twoAreas);
    expect(at(m, unmap(IOVA, P)).result).toEqual(unmapped(P));
    const e = m.apply(dmaRead(IOVA));
    expect(e).toEqual({ result: err('EFAULT'), rule: 'IOMMUFD-NO-STALE' });
    expect(m.blame(dmaRead(IOVA), e, token(1n))).toBe('IOMMUFD-NO-STALE');
  });
});
