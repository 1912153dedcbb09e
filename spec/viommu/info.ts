// An emulated-IOMMU backend's declaration (BackendInfo) as plain data: the `info` of the
// protocol's hello, and the checks an in-process declaration must pass before the suite
// trusts it. pageSizes are u64 and travel as hex strings; the counts are JSON numbers.
import { decodeU64, hex, isRecord, WireError } from '../u64.ts';
import { CAPABILITIES, checkGeometry, PROFILES, type BackendInfo, type Capability, type Profile, type VfioNotifier } from './backend.ts';
import { PERMS, type Perm } from './ops.ts';

/** The fields of a declaration, in the order they are documented, with their wire types. */
const INFO_FIELDS = {
  name: 'string', description: 'string', family: 'family', profile: 'profile', capabilities: 'capabilities',
  iovaBits: 'count', pageSizes: 'u64s', indexes: 'count', endpoints: 'count', domains: 'count',
  cachingMode: 'bool', mapNotifiers: 'bool', deviceIotlb: 'bool', unattached: 'unattached',
} as const satisfies Record<Exclude<keyof BackendInfo, 'ram' | 'perms' | 'vfio'>, string>;
type InfoField = keyof typeof INFO_FIELDS;

const UNATTACHED = ['fault', 'bypass'] as const;

export function encodeInfo(info: BackendInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(INFO_FIELDS) as InfoField[]) {
    out[name] = name === 'pageSizes' ? info.pageSizes.map(hex) : name === 'family' ? 'viommu' : info[name];
  }
  if (info.ram) out.ram = { start: hex(info.ram.start), size: hex(info.ram.size) };
  if (info.perms) out.perms = [...info.perms];
  if (info.vfio) out.vfio = { endpoint: info.vfio.endpoint, notifiers: info.vfio.notifiers.map((n) => ({ notifier: n.notifier, start: hex(n.start), end: hex(n.end) })) };
  return out;
}

const describe = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v));
const bad = (where: string, expected: string, v: unknown) => new WireError(`${where}: expected ${expected}, got ${describe(v)}`);
const oneOf = (values: readonly unknown[], v: unknown): boolean => values.includes(v);

/** A field's value checked against its wire type; `bigints` for in-process declarations. */
function field(name: InfoField, v: unknown, where: string, bigints: boolean): unknown {
  switch (INFO_FIELDS[name]) {
    case 'string':
      if (typeof v === 'string') return v;
      throw bad(where, 'a string', v);
    case 'family':
      if (v === 'viommu') return v;
      throw bad(where, '"viommu"', v);
    case 'profile':
      if (oneOf(PROFILES, v)) return v as Profile;
      throw bad(where, `one of ${PROFILES.join('|')}`, v);
    case 'capabilities':
      if (!Array.isArray(v)) throw bad(where, 'an array', v);
      return v.map((c, i) => {
        if (!oneOf(CAPABILITIES, c)) throw bad(`${where}[${i}]`, `one of ${CAPABILITIES.join('|')}`, c);
        return c as Capability;
      });
    case 'count':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
      throw bad(where, 'a non-negative integer', v);
    case 'u64s':
      if (!Array.isArray(v)) throw bad(where, 'an array', v);
      return v.map((s, i) => {
        if (!bigints) return decodeU64(s, `${where}[${i}]`);
        if (typeof s === 'bigint') return s;
        throw bad(`${where}[${i}]`, 'a bigint', s);
      });
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw bad(where, 'a boolean', v);
    case 'unattached':
      if (oneOf(UNATTACHED, v)) return v;
      throw bad(where, UNATTACHED.join('|'), v);
  }
}

/** The optional `perms`: permission names. */
function perms(v: unknown, where: string): Perm[] {
  if (!Array.isArray(v)) throw bad(where, 'an array', v);
  return v.map((p, i) => {
    if (!oneOf(PERMS, p)) throw bad(`${where}[${i}]`, `one of ${PERMS.join('|')}`, p);
    return p as Perm;
  });
}

/** The optional `ram`: {start, size}, u64 each. */
function ram(v: unknown, where: string, bigints: boolean): { start: bigint; size: bigint } {
  if (!isRecord(v)) throw bad(where, 'an object {start, size}', v);
  const u64 = (x: unknown, w: string): bigint => {
    if (!bigints) return decodeU64(x, w);
    if (typeof x === 'bigint') return x;
    throw bad(w, 'a bigint', x);
  };
  for (const k of Object.keys(v)) if (k !== 'start' && k !== 'size') throw new WireError(`${where}.${k}: unknown field`);
  return { start: u64(v.start, `${where}.start`), size: u64(v.size, `${where}.size`) };
}

/** The optional `vfio`: {endpoint, notifiers: [{notifier, start, end}]}, ids and u64s. */
function vfio(v: unknown, where: string, bigints: boolean): { endpoint: number; notifiers: VfioNotifier[] } {
  if (!isRecord(v)) throw bad(where, 'an object {endpoint, notifiers}', v);
  for (const k of Object.keys(v)) if (k !== 'endpoint' && k !== 'notifiers') throw new WireError(`${where}.${k}: unknown field`);
  const id = (x: unknown, w: string): number => {
    if (typeof x === 'number' && Number.isInteger(x) && x >= 0) return x;
    throw bad(w, 'a non-negative integer', x);
  };
  const u64 = (x: unknown, w: string): bigint => {
    if (!bigints) return decodeU64(x, w);
    if (typeof x === 'bigint') return x;
    throw bad(w, 'a bigint', x);
  };
  if (!Array.isArray(v.notifiers)) throw bad(`${where}.notifiers`, 'an array', v.notifiers);
  const notifiers = v.notifiers.map((n: unknown, i: number) => {
    const w = `${where}.notifiers[${i}]`;
    if (!isRecord(n)) throw bad(w, 'an object {notifier, start, end}', n);
    for (const k of Object.keys(n)) if (k !== 'notifier' && k !== 'start' && k !== 'end') throw new WireError(`${w}.${k}: unknown field`);
    return { notifier: id(n.notifier, `${w}.notifier`), start: u64(n.start, `${w}.start`), end: u64(n.end, `${w}.end`) };
  });
  return { endpoint: id(v.endpoint, `${where}.endpoint`), notifiers };
}

function decodeFields(v: unknown, where: string, bigints: boolean): BackendInfo {
  if (!isRecord(v)) throw bad(where, 'an object', v);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(INFO_FIELDS) as InfoField[]) {
    if (!(name in v)) throw new WireError(`${where}.${name}: missing field`);
    out[name] = field(name, v[name], `${where}.${name}`, bigints);
  }
  if (v.ram !== undefined) out.ram = ram(v.ram, `${where}.ram`, bigints);
  if (v.perms !== undefined) out.perms = perms(v.perms, `${where}.perms`);
  if (v.vfio !== undefined) out.vfio = vfio(v.vfio, `${where}.vfio`, bigints);
  // In-process declarations may carry more (methods' helpers, notes); the wire may not.
  if (!bigints) {
    for (const k of Object.keys(v)) if (!(k in INFO_FIELDS) && k !== 'ram' && k !== 'perms' && k !== 'vfio') throw new WireError(`${where}.${k}: unknown field`);
  }
  return out as unknown as BackendInfo;
}

/** The hello's `info` (or a case file's), types only: checkInfo judges the geometry. */
export function decodeInfo(v: unknown, where = 'info'): BackendInfo {
  return decodeFields(v, where, false);
}

/** What is wrong with an in-process backend's declaration (bigints, not wire strings), or null. */
export function checkInfo(info: unknown): string | null {
  if (!isRecord(info)) return 'has no "info"';
  try {
    return checkGeometry(decodeFields(info, 'info', true));
  } catch (err) {
    if (err instanceof WireError) return err.message;
    throw err;
  }
}
