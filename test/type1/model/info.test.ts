// The reference model against the GET_INFO rules (spec/type1/rules.ts, family INFO).
import { describe, expect, test } from 'vitest';
import {
  A, ALL, GAP, INVALIDATE, IOVA, P, RANGE1_END, RANGE2_START, SET_VADDR, U64_MAX,
  dmaAvail, err, fresh, getInfo, map, mmap, okv, setup, unmap, unmapped,
} from './helpers.ts';

const GEOMETRY = {
  pgsizes: 0x40201000n,
  iovaRanges: [{ start: 0n, end: RANGE1_END }, { start: RANGE2_START, end: U64_MAX }],
};

describe('VFIO_IOMMU_GET_INFO', () => {
  test('T1-INFO-GEOMETRY: GET_INFO reports iova_pgsizes, the inclusive IOVA ranges and DMA_AVAIL', () => {
    const m = fresh();
    expect(m.apply(getInfo)).toEqual({
      result: okv({ ...GEOMETRY, dmaAvail: 32n }), rule: 'T1-INFO-GEOMETRY', covers: ['T1-INFO-DMA-AVAIL'],
    });
    const v1 = fresh('type1v1');
    expect(v1.apply(getInfo)).toEqual({
      result: okv({ ...GEOMETRY, dmaAvail: 32n }), rule: 'T1-INFO-GEOMETRY', covers: ['T1-INFO-DMA-AVAIL'],
    });
  });

  test('T1-INFO-GEOMETRY: the container enforces what it reports: 4 KiB granularity and the inclusive range ends', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P)]);
    expect(m.apply(map(IOVA + P, A + P, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(IOVA + 0x800n, A, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-ALIGN' });
    expect(m.apply(map(RANGE1_END + 1n - P, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(GAP, A, P))).toEqual({ result: err('EINVAL'), rule: 'T1-MAP-IOVA-RANGE' });
    expect(m.apply(map(RANGE2_START, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(map(U64_MAX + 1n - P, A, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    // the report does not change with mappings, except DMA_AVAIL
    expect(m.apply(getInfo)).toEqual({
      result: okv({ ...GEOMETRY, dmaAvail: 28n }), rule: 'T1-INFO-GEOMETRY', covers: ['T1-INFO-DMA-AVAIL'],
    });
  });

  test('T1-INFO-DMA-AVAIL: DMA_AVAIL is dma_entry_limit minus the live mappings; failed maps and VADDR calls leave it alone', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P)]);
    expect(dmaAvail(m)).toBe(32n);
    setup(m, [map(IOVA, A, P)]);
    expect(dmaAvail(m)).toBe(31n);
    setup(m, [map(IOVA + P, A, 2n * P)]);
    expect(dmaAvail(m)).toBe(30n);
    expect(m.apply(map(IOVA, A, P))).toEqual({ result: err('EEXIST'), rule: 'T1-MAP-OVERLAP' });
    expect(m.apply(map(IOVA + 16n * P, A, 4n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-UNBACKED' });
    expect(dmaAvail(m)).toBe(30n);
    expect(m.apply(unmap(IOVA, P, INVALIDATE))).toEqual({ result: unmapped(P), rule: 'T1-VADDR-INVALIDATE' });
    expect(dmaAvail(m)).toBe(30n);
    expect(m.apply(map(IOVA, A, P, SET_VADDR))).toEqual({ result: okv(), rule: 'T1-VADDR-UPDATE' });
    expect(dmaAvail(m)).toBe(30n);
    expect(m.apply(unmap(IOVA, P))).toEqual({ result: unmapped(P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(dmaAvail(m)).toBe(31n);
    expect(m.apply(unmap(0n, 0n, ALL))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-ALL' });
    expect(dmaAvail(m)).toBe(32n);
  });

  test('T1-INFO-DMA-AVAIL: v1 gives back one entry per mapping it removes whole', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P), map(IOVA + 4n * P, A, P)]);
    expect(dmaAvail(m)).toBe(30n);
    expect(m.apply(unmap(IOVA + P, P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-V1-START-INSIDE' });
    expect(dmaAvail(m)).toBe(30n);
    expect(m.apply(unmap(IOVA, P))).toEqual({ result: unmapped(4n * P), rule: 'T1-UNMAP-V1-WHOLE' });
    expect(dmaAvail(m)).toBe(31n);
  });
});
