// The u64 wire codec shared by every family.
//
// JSON cannot carry a u64 (JSON.parse rounds 2^64-1 to 18446744073709552000), so every u64
// travels as a "0x..." hex string. Decoding is strict: a value of the wrong shape is an error
// naming where it was found.
import { isErrno, type Errno } from './errno.ts';

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

/** A value as an error message shows it: bigints with their `n`, the rest as JSON. */
export function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  return JSON.stringify(v) ?? String(v);
}

/** The error for a value of the wrong shape at `where`. */
export const expectedError = (where: string, expected: string, v: unknown): WireError =>
  new WireError(`${where}: expected ${expected}, got ${describeValue(v)}`);

/** A u64 from the wire (a hex string) or, with `bigints`, from an in-process backend (a bigint). */
export function decodeU64Or(v: unknown, where: string, bigints: boolean): bigint {
  if (bigints && typeof v === 'bigint') {
    if (v >= 0n && v <= U64_MAX) return v;
    throw expectedError(where, 'a u64', v);
  }
  return decodeU64(v, where);
}

/** Every name of `names` present in `v`, and nothing else but `allowed`. */
export function expectKeys(v: Record<string, unknown>, names: readonly string[], where: string, allowed: readonly string[] = []): void {
  for (const k of names) if (!(k in v)) throw new WireError(`${where}.${k}: missing field`);
  for (const k of Object.keys(v)) {
    if (!names.includes(k) && !allowed.includes(k)) throw new WireError(`${where}.${k}: unknown field`);
  }
}

/**
 * A result's envelope, whatever the family: the failure it is (`{ok: false, errno}` and
 * nothing else), or the record of a success (`ok: true`) whose values the family decodes.
 */
export function decodeOutcome(v: unknown, where: string): { ok: false; errno: Errno } | (Record<string, unknown> & { ok: true }) {
  if (!isRecord(v)) throw expectedError(where, 'an object', v);
  if (v.ok === false) {
    expectKeys(v, ['errno'], where, ['ok']);
    if (!isErrno(v.errno)) throw new WireError(`${where}.errno: unknown errno ${describeValue(v.errno)}`);
    return { ok: false, errno: v.errno };
  }
  if (v.ok !== true) throw expectedError(`${where}.ok`, 'true or false', v.ok);
  return v as Record<string, unknown> & { ok: true };
}
