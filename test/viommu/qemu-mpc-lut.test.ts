// The LUT words a `gate` of the real MPC writes (qemu/mpc/lut.ts), without QEMU: against one
// bit set at a time, for runs that start, end and cross 32-block word edges (VIOMMU-MPC-LUT).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gated } from '../../qemu/mpc/lut.ts';

const WORDS = 8;

function bitByBit(firstWord: number, words: Uint32Array, first: bigint, count: bigint, ns: boolean): Uint32Array {
  const out = Uint32Array.from(words);
  for (let b = first; b < first + count; b++) {
    const w = Number(b / 32n) - firstWord;
    if (w < 0 || w >= out.length) continue;
    const bit = 1 << Number(b % 32n);
    out[w] = (ns ? out[w]! | bit : out[w]! & ~bit) >>> 0;
  }
  return out;
}

describe('qemu/mpc gate: LUT words', () => {
  test('only the blocks of the range change, in every word they touch', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: WORDS, maxLength: WORDS }),
      fc.integer({ min: 0, max: WORDS * 32 - 1 }), fc.integer({ min: 1, max: 80 }), fc.boolean(),
      (values, first, length, ns) => {
        const count = Math.min(length, WORDS * 32 - first);
        const words = Uint32Array.from(values);
        expect([...gated(0, words, { first: BigInt(first), count: BigInt(count) }, ns)])
          .toEqual([...bitByBit(0, words, BigInt(first), BigInt(count), ns)]);
      },
    ), { seed: 1, numRuns: 500 });
  });

  test('a whole word and a word read from the middle of the LUT', () => {
    expect([...gated(0, new Uint32Array([0]), { first: 0n, count: 32n }, true)]).toEqual([0xffffffff]);
    expect([...gated(63, new Uint32Array([0xffffffff, 0]), { first: 63n * 32n + 31n, count: 2n }, false)]).toEqual([0x7fffffff, 0]);
    expect([...gated(63, new Uint32Array([0, 0]), { first: 63n * 32n + 31n, count: 2n }, true)]).toEqual([0x80000000, 1]);
  });
});
