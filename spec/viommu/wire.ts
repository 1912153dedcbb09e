// Plain-data form of the emulated-IOMMU operations and results, for CASE.json files and
// out-of-process backends.
//
// Every u64 travels as a "0x..." hex string (JSON.parse rounds 2^64-1). Decoding is driven by
// the field tables below and is strict: a missing, unknown or wrongly typed field is an error
// naming its path, because a replay file or a reply that is half-understood is worse than one
// that is rejected.
import { decodeOutcome, decodeU64Or, describeValue as describe, expectedError as bad, expectKeys, hex, isRecord, WireError } from '../u64.ts';
import type { FaultRecord, InvalidateScope, NotifierEvent, Op, OpKind, Perm, Result, TlbEntry } from './ops.ts';
import { PERMS, SHAPE } from './ops.ts';

export { hex, U64_MAX, WireError } from '../u64.ts';

/**
 * `id`: an endpoint, domain, index or notifier, a non-negative integer below 2^31 (any of
 * them out of the declared geometry still travels: the backend must answer EINVAL).
 * `flags`: IOMMUNotifierFlag bits as a u32, unknown bits included (VIOMMU-REG-ARGS).
 */
export type FieldType = 'u64' | 'id' | 'flags' | 'perm' | 'access' | 'scope' | 'bool';
export type Fields = Readonly<Record<string, FieldType>>;

export const ACCESSES = ['read', 'write'] as const;
export type Scope = InvalidateScope['scope'];
export const SCOPES: readonly Scope[] = ['range', 'domain', 'context', 'global'];
export const EVENT_TYPES: readonly NotifierEvent['type'][] = ['map', 'unmap', 'deviotlb'];
export const TARGETS: readonly TlbEntry['target'][] = ['memory', 'blocked'];
export const OUTCOMES = ['memory', 'blocked', 'fault'] as const;

/**
 * The fields of every operation, in the order they are documented. `invalidate` has only its
 * `scope` here: the rest depend on it (SCOPE_FIELDS).
 */
export const OP_FIELDS: { readonly [K in OpKind]: Fields } = {
  attach: { endpoint: 'id', domain: 'id' },
  detach: { endpoint: 'id' },
  map: { domain: 'id', iova: 'u64', size: 'u64', pa: 'u64', perm: 'perm', page: 'u64' },
  unmap: { domain: 'id', iova: 'u64', size: 'u64' },
  protect: { domain: 'id', iova: 'u64', span: 'u64', perm: 'perm' },
  invalidate: { scope: 'scope' },
  gate: { iova: 'u64', size: 'u64', ns: 'bool' },
  reset: {},
  dma: { endpoint: 'id', iova: 'u64', access: 'access', secure: 'bool' },
  translate: { endpoint: 'id', index: 'id', iova: 'u64', flag: 'perm' },
  register: { notifier: 'id', endpoint: 'id', flags: 'flags', start: 'u64', end: 'u64', index: 'id' },
  unregister: { notifier: 'id' },
  replay: { notifier: 'id' },
  faults: {},
};

/** The fields `invalidate` carries after its scope, per scope. */
export const SCOPE_FIELDS: { readonly [S in Scope]: Fields } = {
  range: { domain: 'id', iova: 'u64', size: 'u64' },
  domain: { domain: 'id' },
  context: { endpoint: 'id' },
  global: {},
};

/** Every field of one operation, `scope` and its own fields included for `invalidate`. */
export function fieldsOf(op: Op): Fields {
  return op.op === 'invalidate' ? { ...OP_FIELDS.invalidate, ...SCOPE_FIELDS[op.scope] } : OP_FIELDS[op.op];
}

const ID_LIMIT = 2 ** 31;
const enumOf = (values: readonly string[]) => (v: unknown): boolean => typeof v === 'string' && values.includes(v);
const isPerm = enumOf(PERMS);

/** In-process backends answer bigints, the wire hex strings. */
const u64 = decodeU64Or;

function decodeField(type: FieldType, v: unknown, where: string, bigints = false): unknown {
  switch (type) {
    case 'u64': return u64(v, where, bigints);
    case 'id':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < ID_LIMIT) return v;
      throw bad(where, 'an integer in 0..2^31-1', v);
    case 'flags':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
      throw bad(where, 'notifier flags as a u32 integer', v);
    case 'perm':
      if (isPerm(v)) return v;
      throw bad(where, `one of ${PERMS.join('|')}`, v);
    case 'access':
      if (enumOf(ACCESSES)(v)) return v;
      throw bad(where, `one of ${ACCESSES.join('|')}`, v);
    case 'scope':
      if (enumOf(SCOPES)(v)) return v;
      throw bad(where, `one of ${SCOPES.join('|')}`, v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw bad(where, 'a boolean', v);
  }
}

export function encodeOp(op: Op): Record<string, unknown> {
  const out: Record<string, unknown> = { op: op.op };
  for (const [name, type] of Object.entries(fieldsOf(op))) {
    const v = (op as unknown as Record<string, unknown>)[name];
    out[name] = type === 'u64' ? hex(v as bigint) : v;
  }
  return out;
}

export function decodeOp(v: unknown, where = 'op'): Op {
  if (!isRecord(v)) throw bad(where, 'an object', v);
  const kind = v.op;
  if (typeof kind !== 'string' || !Object.hasOwn(OP_FIELDS, kind)) {
    throw new WireError(`${where}.op: unknown operation ${describe(kind)}`);
  }
  const out: Record<string, unknown> = { op: kind };
  let fields: Fields = OP_FIELDS[kind as OpKind];
  if (kind === 'invalidate') {
    if (!('scope' in v)) throw new WireError(`${where}.scope: missing field`);
    const scope = decodeField('scope', v.scope, `${where}.scope`) as Scope;
    fields = { scope: 'scope', ...SCOPE_FIELDS[scope] };
  }
  expectKeys(v, Object.keys(fields), where, ['op']);
  for (const [name, type] of Object.entries(fields)) out[name] = decodeField(type, v[name], `${where}.${name}`);
  return out as unknown as Op;
}

function decodeEntry(v: unknown, where: string): TlbEntry {
  if (!isRecord(v)) throw bad(where, 'an object', v);
  expectKeys(v, ['iova', 'translatedAddr', 'addrMask', 'perm', 'target'], where);
  const perm = decodeField('perm', v.perm, `${where}.perm`) as Perm;
  if (!enumOf(TARGETS)(v.target)) throw bad(`${where}.target`, `one of ${TARGETS.join('|')}`, v.target);
  return {
    iova: u64(v.iova, `${where}.iova`, true),
    translatedAddr: u64(v.translatedAddr, `${where}.translatedAddr`, true),
    addrMask: u64(v.addrMask, `${where}.addrMask`, true),
    perm,
    target: v.target as TlbEntry['target'],
  };
}

function decodeEvent(v: unknown, where: string): NotifierEvent {
  if (!isRecord(v)) throw bad(where, 'an object', v);
  expectKeys(v, ['notifier', 'type', 'entry'], where);
  const notifier = decodeField('id', v.notifier, `${where}.notifier`) as number;
  if (!enumOf(EVENT_TYPES)(v.type)) throw bad(`${where}.type`, `one of ${EVENT_TYPES.join('|')}`, v.type);
  return { notifier, type: v.type as NotifierEvent['type'], entry: decodeEntry(v.entry, `${where}.entry`) };
}

function decodeFault(v: unknown, where: string): FaultRecord {
  if (!isRecord(v)) throw bad(where, 'an object', v);
  expectKeys(v, ['endpoint', 'iova', 'access'], where);
  if (!enumOf(ACCESSES)(v.access)) throw bad(`${where}.access`, `one of ${ACCESSES.join('|')}`, v.access);
  return { endpoint: decodeField('id', v.endpoint, `${where}.endpoint`) as number, iova: u64(v.iova, `${where}.iova`, true), access: v.access as FaultRecord['access'] };
}

/**
 * Decode the answer to `op`, of the shape SHAPE gives it. u64 fields may arrive as bigints
 * (in-process backends) or hex strings (the wire).
 */
export function decodeResult(op: Pick<Op, 'op'>, raw: unknown, where = 'result'): Result {
  const v = decodeOutcome(raw, where);
  if (!v.ok) return v;
  switch (SHAPE[op.op]) {
    case 'events': {
      expectKeys(v, ['events'], where, ['ok']);
      if (!Array.isArray(v.events)) throw bad(`${where}.events`, 'an array', v.events);
      return { ok: true, events: v.events.map((e, i) => decodeEvent(e, `${where}.events[${i}]`)) };
    }
    case 'entry':
      expectKeys(v, ['entry'], where, ['ok']);
      return { ok: true, entry: decodeEntry(v.entry, `${where}.entry`) };
    case 'faults': {
      expectKeys(v, ['faults'], where, ['ok']);
      if (!Array.isArray(v.faults)) throw bad(`${where}.faults`, 'an array', v.faults);
      return { ok: true, faults: v.faults.map((f, i) => decodeFault(f, `${where}.faults[${i}]`)) };
    }
    case 'dma': {
      if (!('outcome' in v)) throw new WireError(`${where}.outcome: missing field`);
      if (!enumOf(OUTCOMES)(v.outcome)) throw bad(`${where}.outcome`, `one of ${OUTCOMES.join('|')}`, v.outcome);
      if (v.outcome === 'memory') {
        expectKeys(v, ['outcome', 'addr'], where, ['ok']);
        return { ok: true, outcome: 'memory', addr: u64(v.addr, `${where}.addr`, true) };
      }
      expectKeys(v, ['outcome'], where, ['ok']);
      return { ok: true, outcome: v.outcome as 'blocked' | 'fault' };
    }
  }
}

const encodeEntry = (e: TlbEntry) =>
  ({ iova: hex(e.iova), translatedAddr: hex(e.translatedAddr), addrMask: hex(e.addrMask), perm: e.perm, target: e.target });

/** A result as a server sends it: u64 as hex strings, fields in documented order. */
export function encodeResult(r: Result): Record<string, unknown> {
  if (!r.ok) return { ok: false, errno: r.errno };
  if ('events' in r) return { ok: true, events: r.events.map((e) => ({ notifier: e.notifier, type: e.type, entry: encodeEntry(e.entry) })) };
  if ('entry' in r) return { ok: true, entry: encodeEntry(r.entry) };
  if ('faults' in r) return { ok: true, faults: r.faults.map((f) => ({ endpoint: f.endpoint, iova: hex(f.iova), access: f.access })) };
  return r.outcome === 'memory' ? { ok: true, outcome: 'memory', addr: hex(r.addr) } : { ok: true, outcome: r.outcome };
}
