// Plain-data form of the iommufd operations and results, for CASE.json files and out-of-process
// backends.
//
// Every u64 travels as a "0x..." lowercase hex string (JSON.parse rounds 2^64-1); flags, IOAS
// handles and device indexes are JSON numbers. Decoding is driven by the field tables below and
// is strict: a missing, unknown or wrongly typed field is an error naming its path, because a
// replay file or a reply that is half-understood is worse than one that is rejected.
import { decodeOutcome, decodeU64Or as u64, describeValue as describe, expectedError as bad, expectKeys, hex, isRecord, WireError } from '../u64.ts';
import { MAX_IOAS, type IovaRange, type Op, type OpKind, type Result } from './ops.ts';

export { hex, U64_MAX, WireError } from '../u64.ts';

/**
 * `ioas`: a handle 0 .. MAX_IOAS-1 (live or not: a dead one must reach the kernel as an id that
 * names nothing). `dev`: a device index, a non-negative integer below 2^31 (one outside the
 * declaration still travels). `u32`: a uAPI flags word or enum, unknown bits included.
 * `ranges`: an array of {start, last}, u64 each.
 */
export type FieldType = 'u64' | 'u32' | 'ioas' | 'dev' | 'prot' | 'backing' | 'bool' | 'ranges';
export type Fields = Readonly<Record<string, FieldType>>;

export const PROTS = ['none', 'r', 'rw'] as const;
export const BACKINGS = ['anon', 'hugetlb', 'mmio'] as const;
const DEV_LIMIT = 2 ** 31;

/** The fields of every operation, in the order they are documented (spec/iommufd/operations.md). */
export const OP_FIELDS: { readonly [K in OpKind]: Fields } = {
  mmap: { vaddr: 'u64', size: 'u64', prot: 'prot', backing: 'backing' },
  munmap: { vaddr: 'u64', size: 'u64' },
  cpuWrite: { vaddr: 'u64', token: 'u64' },
  cpuRead: { vaddr: 'u64' },
  setRlimitMemlock: { bytes: 'u64' },
  setCapIpcLock: { enabled: 'bool' },
  ioasAlloc: { ioas: 'ioas' },
  destroy: { ioas: 'ioas' },
  map: { ioas: 'ioas', flags: 'u32', iova: 'u64', vaddr: 'u64', length: 'u64' },
  unmap: { ioas: 'ioas', iova: 'u64', length: 'u64' },
  copy: { dstIoas: 'ioas', srcIoas: 'ioas', flags: 'u32', dstIova: 'u64', srcIova: 'u64', length: 'u64' },
  iovaRanges: { ioas: 'ioas' },
  allowIovas: { ioas: 'ioas', ranges: 'ranges' },
  setRlimitMode: { value: 'u64' },
  getRlimitMode: {},
  bind: { dev: 'dev' },
  attach: { dev: 'dev', ioas: 'ioas' },
  detach: { dev: 'dev' },
  hwInfo: { dev: 'dev' },
  closeCtx: {},
  dmaRead: { dev: 'dev', iova: 'u64' },
  dmaWrite: { dev: 'dev', iova: 'u64', token: 'u64' },
  counters: {},
};

/** The values of every successful result, in the order they are documented. */
export const RESULT_FIELDS: { readonly [K in OpKind]: Fields } = {
  mmap: {}, munmap: {}, cpuWrite: {}, cpuRead: { token: 'u64' },
  setRlimitMemlock: {}, setCapIpcLock: {},
  ioasAlloc: {}, destroy: {},
  map: { iova: 'u64' },
  unmap: { unmapped: 'u64' },
  copy: { iova: 'u64' },
  iovaRanges: { ranges: 'ranges', alignment: 'u64' },
  allowIovas: {},
  setRlimitMode: {}, getRlimitMode: { value: 'u64' },
  bind: {}, attach: {}, detach: {},
  hwInfo: { dataType: 'u32', capabilities: 'u64' },
  closeCtx: {},
  dmaRead: { token: 'u64' },
  dmaWrite: {},
  counters: { lockedVm: 'u64', pinnedVm: 'u64' },
};

function decodeRanges(v: unknown, where: string, bigints: boolean): IovaRange[] {
  if (!Array.isArray(v)) throw bad(where, 'an array', v);
  return v.map((r, i) => {
    const w = `${where}[${i}]`;
    if (!isRecord(r)) throw bad(w, 'an object {start, last}', r);
    expectKeys(r, ['start', 'last'], w);
    return { start: u64(r.start, `${w}.start`, bigints), last: u64(r.last, `${w}.last`, bigints) };
  });
}

export function decodeField(type: FieldType, v: unknown, where: string, bigints = false): unknown {
  switch (type) {
    case 'ioas':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < MAX_IOAS) return v;
      throw bad(where, `an IOAS handle 0..${MAX_IOAS - 1}`, v);
    case 'dev':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < DEV_LIMIT) return v;
      throw bad(where, 'a device index in 0..2^31-1', v);
    case 'ranges': return decodeRanges(v, where, bigints);
    default: return decodeBasicField(type, v, where, bigints);
  }
}

/** The field types every family with host memory shares: u64, u32, prot, backing, bool. */
export type BasicFieldType = 'u64' | 'u32' | 'prot' | 'backing' | 'bool';

export function decodeBasicField(type: BasicFieldType, v: unknown, where: string, bigints: boolean): unknown {
  switch (type) {
    case 'u64': return u64(v, where, bigints);
    case 'u32':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
      throw bad(where, 'a u32 number', v);
    case 'prot':
      if (typeof v === 'string' && (PROTS as readonly string[]).includes(v)) return v;
      throw bad(where, `one of ${PROTS.join('|')}`, v);
    case 'backing':
      if (typeof v === 'string' && (BACKINGS as readonly string[]).includes(v)) return v;
      throw bad(where, `one of ${BACKINGS.join('|')}`, v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw bad(where, 'a boolean', v);
  }
}

function encodeField(type: FieldType, v: unknown): unknown {
  if (type === 'u64') return hex(v as bigint);
  if (type === 'ranges') return (v as IovaRange[]).map((r) => ({ start: hex(r.start), last: hex(r.last) }));
  return v;
}

function encodeFields(fields: Fields, v: Record<string, unknown>, out: Record<string, unknown>): Record<string, unknown> {
  for (const [name, type] of Object.entries(fields)) out[name] = encodeField(type, v[name]);
  return out;
}

export function encodeOp(op: Op): Record<string, unknown> {
  return encodeFields(OP_FIELDS[op.op], op as unknown as Record<string, unknown>, { op: op.op });
}

export function decodeOp(v: unknown, where = 'op'): Op {
  if (!isRecord(v)) throw bad(where, 'an object', v);
  const kind = v.op;
  if (typeof kind !== 'string' || !Object.hasOwn(OP_FIELDS, kind)) {
    throw new WireError(`${where}.op: unknown operation ${describe(kind)}`);
  }
  const fields = OP_FIELDS[kind as OpKind];
  expectKeys(v, Object.keys(fields), where, ['op']);
  const out: Record<string, unknown> = { op: kind };
  for (const [name, type] of Object.entries(fields)) out[name] = decodeField(type, v[name], `${where}.${name}`);
  return out as unknown as Op;
}

/**
 * Decode the answer to `op`: `{ok: false, errno}` or `{ok: true}` with the values
 * RESULT_FIELDS gives its kind. u64 fields may arrive as bigints (in-process backends) or hex
 * strings (the wire).
 */
export function decodeResult(op: Pick<Op, 'op'>, raw: unknown, where = 'result'): Result {
  const v = decodeOutcome(raw, where);
  if (!v.ok) return v;
  const fields = RESULT_FIELDS[op.op];
  expectKeys(v, Object.keys(fields), where, ['ok']);
  const out: Record<string, unknown> = { ok: true };
  for (const [name, type] of Object.entries(fields)) out[name] = decodeField(type, v[name], `${where}.${name}`, true);
  return out as unknown as Result;
}

/** A result as a server sends it: u64 as hex strings, fields in documented order. */
export function encodeResult(op: Pick<Op, 'op'>, r: Result): Record<string, unknown> {
  if (!r.ok) return { ok: false, errno: r.errno };
  return encodeFields(RESULT_FIELDS[op.op], r as unknown as Record<string, unknown>, { ok: true });
}
