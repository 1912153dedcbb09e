// The reference model against the container release rule (spec/type1/rules.ts, family CLOSE).
import { describe, expect, test } from 'vitest';
import {
  A, B, INVALIDATE, IOVA, P, RANGE1_END, RANGE2_START, RW, TOP, U64_MAX,
  closeContainer, counters, cpuRead, cpuWrite, dmaAvail, dmaRead, dumpMappings, err, fresh, getInfo, locked, map,
  mappings, mmap, okv, setup, token, unmap,
} from './helpers.ts';

describe('Container release', () => {
  test('T1-CLOSE-RELEASE: closing removes every mapping and returns every charge; the new container has dma_avail 32 again', () => {
    const m = fresh();
    setup(m, [
      mmap(A, 4n * P), cpuWrite(A, 0x81n), mmap(B, 2n * P, 'rw', 'anon', 1),
      map(IOVA, A, 2n * P), map(TOP - 2n * P, A + 2n * P, 2n * P), map(IOVA + 16n * P, B, 2n * P, RW, 1),
      unmap(IOVA + 16n * P, 2n * P, INVALIDATE),
    ]);
    expect(dmaAvail(m)).toBe(29n);
    expect(m.apply(counters)).toEqual({ result: locked(4n, 2n), rule: 'T1-VADDR-INVALIDATE' });
    expect(m.apply(closeContainer)).toEqual({ result: okv(), rule: 'T1-CLOSE-RELEASE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-CLOSE-RELEASE' });
    expect(m.apply(getInfo)).toEqual({
      result: okv({
        pgsizes: 0x40201000n, iovaRanges: [{ start: 0n, end: RANGE1_END }, { start: RANGE2_START, end: U64_MAX }], dmaAvail: 32n,
      }),
      rule: 'T1-INFO-GEOMETRY', covers: ['T1-INFO-DMA-AVAIL'],
    });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: err('EFAULT'), rule: 'T1-CLOSE-RELEASE' });
    expect(m.apply(dmaRead(TOP - P))).toEqual({ result: err('EFAULT'), rule: 'T1-CLOSE-RELEASE' });
    expect(m.apply(dmaRead(IOVA + 16n * P))).toEqual({ result: err('EFAULT'), rule: 'T1-CLOSE-RELEASE' });
    expect(m.apply(dumpMappings)).toEqual({ result: mappings(), rule: 'T1-CLOSE-RELEASE' });
    // the processes keep their memory; the new container maps it afresh
    expect(m.apply(cpuRead(A))).toEqual({ result: token(0x81n), rule: 'T1-HOST-ENV' });
    expect(m.apply(map(IOVA, A, 2n * P))).toEqual({ result: okv(), rule: 'T1-MAP-EXACT' });
    expect(m.apply(dmaRead(IOVA))).toEqual({ result: token(0x81n), rule: 'T1-MAP-EXACT' });
    expect(m.apply(counters)).toEqual({ result: locked(2n, 0n), rule: 'T1-ACCT-CHARGE' });
  });

  test('T1-CLOSE-RELEASE: v1 releases the same way; closing an empty container is fine', () => {
    const m = fresh('type1v1');
    expect(m.apply(closeContainer)).toEqual({ result: okv(), rule: 'T1-CLOSE-RELEASE' });
    setup(m, [mmap(A, P), map(IOVA, A, P), map(IOVA + P, A, P)]);
    expect(m.apply(closeContainer)).toEqual({ result: okv(), rule: 'T1-CLOSE-RELEASE' });
    expect(m.apply(counters)).toEqual({ result: locked(0n, 0n), rule: 'T1-CLOSE-RELEASE' });
    expect(dmaAvail(m)).toBe(32n);
  });
});
