// The u64 wire codec shared by every family.
//
// JSON cannot carry a u64 (JSON.parse rounds 2^64-1 to 18446744073709552000), so every u64
// travels as a "0x..." hex string. Decoding is strict: a value of the wrong shape is an error
// naming where it was found.
export const U64_MAX = (1n << 64n) - 1n;

export const hex = (v: bigint): string => '0x' + v.toString(16);

/** Data that does not match its schema (a case file, a backend reply). */
export class WireError extends Error {}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function decodeU64(v: unknown, where: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(v)) {
    throw new WireError(`${where}: expected a u64 as a "0x..." hex string, got ${JSON.stringify(v)}`);
  }
  return BigInt(v);
}

/** Encode any value holding bigints (results, reports) with u64 as hex strings. */
export function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return hex(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}
