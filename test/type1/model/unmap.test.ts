// The reference model against the UNMAP_DMA rules (spec/type1/rules.ts, family UNMAP).
import { describe, expect, test } from 'vitest';
import {
  A, ALL, B, DIRTY, INVALIDATE, IOVA, P, RANGE2_START, TOP,
  counters, cpuWrite, dmaAvail, dmaRead, dmaWrite, dumpMappings, err, fresh, locked, map, mapping, mappings,
  mmap, okv, setup, token, unmap, unmapped,
} from './helpers.ts';

describe('VFIO_IOMMU_UNMAP_DMA', () => {
  test('T1-UNMAP-FLAGS: an unknown flag, or GET_DIRTY_BITMAP with ALL or VADDR, fails with EINVAL and unmaps nothing', () => {
    const m = fresh();
    setup(m, [mmap(A, P), cpuWrite(A, 0x1n), map(IOVA, A, P)]);
    expect(m.apply(unmap(IOVA, P, 8))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(unmap(0n, 0n, DIRTY | ALL))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(unmap(IOVA, P, DIRTY | INVALIDATE))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x1n), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P)), rule: 'T1-UNMAP-FLAGS' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 0n), rule: 'T1-UNMAP-FLAGS' });
  });

  test('T1-UNMAP-ARGS: misaligned iova or size, or size 0, fails with EINVAL and unmaps nothing', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P)]);
    expect(m.apply(unmap(IOVA + 0x800n, P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(unmap(IOVA, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(unmap(IOVA, 4n * P + 0x800n))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, 4n * P)), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(counters)).toEqual({ result: locked(4n, 0n), rule: 'T1-UNMAP-ARGS' });
  });

  test('T1-UNMAP-ARGS: a wrapping range fails with EINVAL, EOVERFLOW accepted; a misaligned size is checked first (no EOVERFLOW)', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(TOP - P, A, P)]);
    expect(m.apply(unmap(TOP - P, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS', accept: [err('EOVERFLOW')] });
    expect(m.apply(unmap(TOP - P, 2n * P + 0x800n))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(TOP - P, P)), rule: 'T1-UNMAP-ARGS' });
  });

  test('T1-UNMAP-ARGS: v1 checks the arguments the same way', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    expect(m.apply(unmap(IOVA + 0x800n, P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(unmap(IOVA, 0n))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ARGS' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P)), rule: 'T1-UNMAP-ARGS' });
  });

  test('T1-UNMAP-V2-BISECT: an unmap ending inside a mapping fails with EINVAL and unmaps nothing', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P), cpuWrite(A + 3n * P, 0xb3n), map(IOVA, A, 4n * P)]);
    expect(m.apply(unmap(IOVA, 2n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.apply(dmaRead(IOVA + 3n * P))).toEqual({ result: token(0xb3n), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.apply(counters)).toEqual({ result: locked(4n, 0n), rule: 'T1-UNMAP-V2-BISECT' });
    expect(dmaAvail(m)).toBe(31n);
  });

  test('T1-UNMAP-V2-BISECT: an unmap starting inside a mapping fails with EINVAL, even when it covers the rest and more', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P)]);
    expect(m.apply(unmap(IOVA + P, 3n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.apply(unmap(IOVA + P, 64n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, 4n * P)), rule: 'T1-UNMAP-V2-BISECT' });
  });

  test('T1-UNMAP-V2-BISECT: a range covering one mapping whole and cutting into the next removes neither', () => {
    const m = fresh();
    setup(m, [mmap(A, 4n * P), map(IOVA, A, P), map(IOVA + 2n * P, A, 2n * P)]);
    expect(m.apply(unmap(IOVA - P, 4n * P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.apply(dumpMappings)).toEqual({
      result: mappings(mapping(IOVA, P), mapping(IOVA + 2n * P, 2n * P)), rule: 'T1-UNMAP-V2-BISECT',
    });
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-UNMAP-V2-BISECT' });
  });

  test('T1-UNMAP-V2-EXACT: a v2 unmap removes exactly the mappings inside the range and reports their total size', () => {
    const m = fresh();
    setup(m, [
      mmap(A, 2n * P), cpuWrite(A, 0xe0n),
      map(IOVA, A, 2n * P), map(IOVA + 4n * P, A, P), map(IOVA + 8n * P, A, 2n * P),
    ]);
    expect(m.apply(unmap(IOVA - 4n * P, 10n * P))).toEqual({ result: unmapped(3n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA + 8n * P, 2n * P)), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.apply(dmaRead(IOVA + 4n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.apply(dmaRead(IOVA + 8n * P))).toEqual({ result: token(0xe0n), rule: 'T1-UNMAP-V2-EXACT' });
    expect(dmaAvail(m)).toBe(31n);
  });

  test('T1-UNMAP-EMPTY: v2: a valid range with no mapping in it succeeds with size 0, also right next to mappings', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    expect(m.apply(unmap(IOVA + P, 4n * P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY' });
    expect(m.apply(unmap(0n, IOVA))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY' });
    expect(m.apply(unmap(TOP - P, P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P)), rule: 'T1-UNMAP-EMPTY' });
  });

  test('T1-UNMAP-EMPTY: v1: a valid range with no mapping in it succeeds with size 0', () => {
    const m = fresh('type1v1');
    expect(m.apply(unmap(IOVA, P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY' });
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    expect(m.apply(unmap(IOVA + P, P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-EMPTY' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P)), rule: 'T1-UNMAP-EMPTY' });
  });

  test('T1-UNMAP-V1-START-INSIDE: v1: an unmap starting inside the first mapping succeeds with 0 and removes nothing, even a later mapping in range', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 4n * P), cpuWrite(A + 2n * P, 0xc2n), map(IOVA, A, 2n * P), map(IOVA + 4n * P, A + 2n * P, P)]);
    expect(m.apply(unmap(IOVA + P, 8n * P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-V1-START-INSIDE' });
    expect(m.apply(dumpMappings)).toEqual({
      result: mappings(mapping(IOVA, 2n * P), mapping(IOVA + 4n * P, P)), rule: 'T1-UNMAP-V1-START-INSIDE',
    });
    expect(m.apply(dmaRead(IOVA + 4n * P))).toEqual({ result: token(0xc2n), rule: 'T1-UNMAP-V1-START-INSIDE' });
    expect(m.apply(counters)).toEqual({ result: locked(3n, 0n), rule: 'T1-UNMAP-V1-START-INSIDE' });
    expect(dmaAvail(m)).toBe(30n);
  });

  test('T1-UNMAP-V1-WHOLE: v1: an unmap covering the start of a mapping removes it whole and reports its full size', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P)]);
    expect(m.apply(unmap(IOVA - P, 2n * P))).toEqual({ result: unmapped(4n * P), rule: 'T1-UNMAP-V1-WHOLE' });
    expect(m.apply(dmaRead(IOVA + 3n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-UNMAP-V1-WHOLE' });
    expect(dmaAvail(m)).toBe(32n);
  });

  test('T1-UNMAP-V1-WHOLE: v1: every mapping starting in the range goes whole; the report may exceed the request', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 4n * P), map(IOVA, A, 4n * P), map(IOVA + 4n * P, A, 2n * P), map(IOVA + 8n * P, A, P)]);
    expect(m.apply(unmap(IOVA, 5n * P))).toEqual({ result: unmapped(6n * P), rule: 'T1-UNMAP-V1-WHOLE' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA + 8n * P, P)), rule: 'T1-UNMAP-V1-WHOLE' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    // the range's first page only
    expect(m.apply(unmap(IOVA + 8n * P, P))).toEqual({ result: unmapped(P), rule: 'T1-UNMAP-V1-WHOLE' });
  });

  test('T1-UNMAP-ALL: FLAG_ALL with iova = size = 0 removes every mapping and reports their total size', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(IOVA, A, P), map(RANGE2_START, A, 2n * P), map(TOP - P, A + P, P)]);
    expect(m.apply(unmap(0n, 0n, ALL))).toEqual({ result: unmapped(4n * P), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.apply(dmaRead(TOP - P))).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(dmaAvail(m)).toBe(32n);
    expect(m.apply(unmap(0n, 0n, ALL))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-ALL' });
  });

  test('T1-UNMAP-ALL: FLAG_ALL with a non-zero size or iova fails with EINVAL and unmaps nothing', () => {
    const m = fresh();
    setup(m, [mmap(A, P), map(IOVA, A, P)]);
    expect(m.apply(unmap(0n, P, ALL))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(unmap(IOVA, 0n, ALL))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(unmap(0x800n, 0n, ALL))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(mapping(IOVA, P)), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(counters)).toEqual({ result: locked(1n, 0n), rule: 'T1-UNMAP-ALL' });
  });

  test('T1-UNMAP-ALL: v1 removes everything too, including a mapping at iova 0', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 2n * P), map(0n, A, 2n * P), map(IOVA, A, P)]);
    expect(m.apply(unmap(0n, 0n, ALL))).toEqual({ result: unmapped(3n * P), rule: 'T1-UNMAP-ALL' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-UNMAP-ALL' });
  });

  test('T1-UNMAP-TOP: a map ending exactly at 2^64-1 succeeds, and an unmap of it removes it and uncharges it', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A + P, 0xf1n)]);
    expect(m.apply(map(TOP - 2n * P, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(TOP - P))).toEqual({ result: token(0xf1n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-ACCT-CHARGE' });
    expect(m.apply(unmap(TOP - 2n * P, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-TOP' });
    expect(m.apply(dmaRead(TOP - P))).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-UNMAP-TOP' });
    expect(dmaAvail(m)).toBe(32n);
  });

  test('T1-UNMAP-TOP: a wider range ending at 2^64-1 removes every mapping in it; the v2 bisect check still applies there', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), map(TOP - 2n * P, A, 2n * P), map(TOP - 8n * P, A, P)]);
    expect(m.apply(unmap(TOP - P, P))).toEqual({ result: err('EINVAL'), rule: 'T1-UNMAP-V2-BISECT' });
    expect(m.apply(unmap(TOP - 16n * P, 16n * P))).toEqual({ result: unmapped(3n * P), rule: 'T1-UNMAP-TOP' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-UNMAP-TOP' });
  });

  test('T1-UNMAP-TOP: v1 unmaps a mapping ending at 2^64-1 too, and starting inside it still reports 0', () => {
    const m = fresh('type1v1');
    setup(m, [mmap(A, 2n * P), map(TOP - 2n * P, A, 2n * P)]);
    expect(m.apply(unmap(TOP - P, P))).toEqual({ result: unmapped(0n), rule: 'T1-UNMAP-V1-START-INSIDE' });
    expect(m.apply(unmap(TOP - 2n * P, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-TOP' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-ACCT-UNCHARGE' });
  });

  test('T1-NO-STALE: once reported unmapped, no iova of the mapping reaches a frame, for reads or writes', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 0x99n), map(IOVA, A, 2n * P)]);
    expect(m.apply(unmap(IOVA, 2n * P))).toEqual({ result: unmapped(2n * P), rule: 'T1-UNMAP-V2-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.apply(dmaWrite(IOVA, 0x5n))).toEqual({ result: err('EFAULT'), rule: 'T1-NO-STALE' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-UNMAP-V2-EXACT' });
  });

  test('T1-NO-STALE: a new mapping at the same iova reaches only its own frames', () => {
    const m = fresh();
    setup(m, [mmap(A, 2n * P), cpuWrite(A, 0x99n), map(IOVA, A, 2n * P), unmap(IOVA, 2n * P), mmap(B, P), cpuWrite(B, 0x77n)]);
    expect(m.apply(map(IOVA, B, P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x77n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA + P))).toEqual({ result: err('EFAULT'), rule: 'T1-MAP-EXACT' });
  });
});
