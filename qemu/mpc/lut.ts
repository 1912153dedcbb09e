// What a `gate` writes: the LUT words its blocks fall in, each read from the MPC and written
// back with the range's bits set to ns (1) or secure (0), as a driver would. The words around
// the range keep what the MPC holds, not what the adapter believes it holds.
import type { MpcRegisters } from './registers.ts';

export interface Blocks { first: bigint; count: bigint }

/** LUT words [firstWord, firstWord + words.length) with `blocks` set to `ns`. */
export function gated(firstWord: number, words: Uint32Array, { first, count }: Blocks, ns: boolean): Uint32Array {
  const out = Uint32Array.from(words);
  for (let i = 0; i < out.length; i++) {
    const word = BigInt(firstWord + i);
    // Bits of this word inside [first, first + count), as a mask.
    const lo = first > word * 32n ? first - word * 32n : 0n;
    const hiEnd = first + count - word * 32n;
    const hi = hiEnd < 32n ? hiEnd : 32n;
    if (hi <= lo) continue;
    const mask = Number((((1n << (hi - lo)) - 1n) << lo) & 0xffffffffn) >>> 0;
    out[i] = (ns ? out[i]! | mask : out[i]! & ~mask) >>> 0;
  }
  return out;
}

/** Reads the words of `blocks`, sets their bits, writes them back (posted). */
export async function gate(mpc: MpcRegisters, blocks: Blocks, ns: boolean): Promise<void> {
  const firstWord = Number(blocks.first / 32n);
  const lastWord = Number((blocks.first + blocks.count - 1n) / 32n);
  const words = await mpc.readLut(firstWord, lastWord - firstWord + 1);
  mpc.writeLut(firstWord, gated(firstWord, words, blocks, ns));
}
