// Plain-data form of operations and results, for CASE.json files and out-of-process backends.
//
// JSON cannot carry a u64 (JSON.parse rounds 2^64-1 to 18446744073709552000), so every u64
// travels as a "0x..." lowercase hex string. Decoding is schema-driven and strict: a field of
// the wrong type, a missing field or an unknown field is an error naming the field, because a
// replay file or a backend reply that is half-understood is worse than one that is rejected.
import { isErrno } from '../errno.ts';
import { decodeU64, hex, isRecord, U64_MAX, WireError } from '../u64.ts';
import type { Op, OpKind, Result } from './ops.ts';

export { hex, toPlain, U64_MAX, WireError } from '../u64.ts';

type FieldType = 'u64' | 'u32' | 'proc' | 'prot' | 'backing' | 'bool';

const PROT = ['none', 'r', 'rw'];
const BACKING = ['anon', 'hugetlb', 'mmio'];

/** The fields of every operation, in the order they are documented. */
export const OP_FIELDS: { readonly [K in OpKind]: Readonly<Record<string, FieldType>> } = {
  mmap: { proc: 'proc', vaddr: 'u64', size: 'u64', prot: 'prot', backing: 'backing' },
  munmap: { proc: 'proc', vaddr: 'u64', size: 'u64' },
  mremap: { proc: 'proc', vaddr: 'u64', size: 'u64', newVaddr: 'u64', newSize: 'u64' },
  mprotect: { proc: 'proc', vaddr: 'u64', size: 'u64', prot: 'prot' },
  cpuWrite: { proc: 'proc', vaddr: 'u64', token: 'u64' },
  cpuRead: { proc: 'proc', vaddr: 'u64' },
  setRlimitMemlock: { proc: 'proc', bytes: 'u64' },
  setCapIpcLock: { proc: 'proc', enabled: 'bool' },
  map: { proc: 'proc', flags: 'u32', iova: 'u64', vaddr: 'u64', size: 'u64' },
  unmap: { proc: 'proc', flags: 'u32', iova: 'u64', size: 'u64' },
  getInfo: {},
  dirtyPages: { flags: 'u32' },
  migrationInfo: {},
  closeContainer: {},
  dmaRead: { iova: 'u64' },
  dmaWrite: { iova: 'u64', token: 'u64' },
  counters: {},
  dumpMappings: {},
};


function decodeField(type: FieldType, v: unknown, where: string): unknown {
  switch (type) {
    case 'u64': return decodeU64(v, where);
    case 'u32':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
      throw new WireError(`${where}: expected a u32 number, got ${JSON.stringify(v)}`);
    case 'proc':
      if (v === 0 || v === 1) return v;
      throw new WireError(`${where}: expected a process index 0 or 1, got ${JSON.stringify(v)}`);
    case 'prot':
      if (typeof v === 'string' && PROT.includes(v)) return v;
      throw new WireError(`${where}: expected one of ${PROT.join('|')}, got ${JSON.stringify(v)}`);
    case 'backing':
      if (typeof v === 'string' && BACKING.includes(v)) return v;
      throw new WireError(`${where}: expected one of ${BACKING.join('|')}, got ${JSON.stringify(v)}`);
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw new WireError(`${where}: expected a boolean, got ${JSON.stringify(v)}`);
  }
}


export function encodeOp(op: Op): Record<string, unknown> {
  const out: Record<string, unknown> = { op: op.op };
  for (const [name, type] of Object.entries(OP_FIELDS[op.op])) {
    const v = (op as unknown as Record<string, unknown>)[name];
    out[name] = type === 'u64' ? hex(v as bigint) : v;
  }
  return out;
}

export function decodeOp(v: unknown, where = 'op'): Op {
  if (!isRecord(v)) throw new WireError(`${where}: expected an object, got ${JSON.stringify(v)}`);
  const kind = v.op;
  if (typeof kind !== 'string' || !Object.hasOwn(OP_FIELDS, kind)) {
    throw new WireError(`${where}: unknown operation ${JSON.stringify(kind)}`);
  }
  const fields = OP_FIELDS[kind as OpKind];
  const out: Record<string, unknown> = { op: kind };
  for (const [name, type] of Object.entries(fields)) {
    if (!(name in v)) throw new WireError(`${where} (${kind}): missing field "${name}"`);
    out[name] = decodeField(type, v[name], `${where}.${name}`);
  }
  for (const name of Object.keys(v)) {
    if (name !== 'op' && !(name in fields)) throw new WireError(`${where} (${kind}): unknown field "${name}"`);
  }
  return out as unknown as Op;
}


function expectKeys(v: Record<string, unknown>, keys: string[], where: string): void {
  for (const k of keys) if (!(k in v)) throw new WireError(`${where}: missing field "${k}"`);
  for (const k of Object.keys(v)) {
    if (k !== 'ok' && !keys.includes(k)) throw new WireError(`${where}: unknown field "${k}"`);
  }
}

function decodeU64Array(v: unknown, where: string): bigint[] {
  if (!Array.isArray(v)) throw new WireError(`${where}: expected an array, got ${JSON.stringify(v)}`);
  return v.map((x, i) => decodeU64(x, `${where}[${i}]`));
}

/**
 * Decode the result of `kind`. `u64` fields may arrive as bigint (in-process backends) or as
 * hex strings (the wire); anything else is rejected with the path of the offending field.
 * `processes`, when given, is how many processes `counters` must report.
 */
export function decodeResult(kind: OpKind, v: unknown, where = 'result', processes?: number): Result {
  if (!isRecord(v)) throw new WireError(`${where}: expected an object, got ${describe(v)}`);
  const u64 = (x: unknown, w: string): bigint => (typeof x === 'bigint' && x >= 0n && x <= U64_MAX ? x : decodeU64(x, w));
  if (v.ok === false) {
    expectKeys(v, ['errno'], where);
    if (!isErrno(v.errno)) throw new WireError(`${where}.errno: unknown errno ${JSON.stringify(v.errno)}`);
    return { ok: false, errno: v.errno };
  }
  if (v.ok !== true) throw new WireError(`${where}.ok: expected true or false, got ${describe(v.ok)}`);
  switch (kind) {
    case 'cpuRead':
    case 'dmaRead':
      expectKeys(v, ['token'], where);
      return { ok: true, token: u64(v.token, `${where}.token`) };
    case 'unmap':
      expectKeys(v, ['unmapped'], where);
      return { ok: true, unmapped: u64(v.unmapped, `${where}.unmapped`) };
    case 'getInfo': {
      expectKeys(v, ['pgsizes', 'iovaRanges', 'dmaAvail'], where);
      if (!Array.isArray(v.iovaRanges)) throw new WireError(`${where}.iovaRanges: expected an array`);
      const iovaRanges = v.iovaRanges.map((r, i) => {
        const w = `${where}.iovaRanges[${i}]`;
        if (!isRecord(r)) throw new WireError(`${w}: expected an object`);
        expectKeys(r, ['start', 'end'], w);
        return { start: u64(r.start, `${w}.start`), end: u64(r.end, `${w}.end`) };
      });
      return { ok: true, pgsizes: u64(v.pgsizes, `${where}.pgsizes`), iovaRanges, dmaAvail: u64(v.dmaAvail, `${where}.dmaAvail`) };
    }
    case 'migrationInfo':
      expectKeys(v, ['present', 'pgsizes', 'maxDirtyBitmapSize'], where);
      if (typeof v.present !== 'boolean') throw new WireError(`${where}.present: expected a boolean, got ${describe(v.present)}`);
      return {
        ok: true, present: v.present,
        pgsizes: u64(v.pgsizes, `${where}.pgsizes`), maxDirtyBitmapSize: u64(v.maxDirtyBitmapSize, `${where}.maxDirtyBitmapSize`),
      };
    case 'counters': {
      expectKeys(v, ['lockedVm'], where);
      const lockedVm = Array.isArray(v.lockedVm) && v.lockedVm.every((x) => typeof x === 'bigint')
        ? (v.lockedVm as bigint[]) : decodeU64Array(v.lockedVm, `${where}.lockedVm`);
      if (processes !== undefined && lockedVm.length !== processes) {
        throw new WireError(`${where}.lockedVm: expected ${processes} processes, got ${lockedVm.length}`);
      }
      return { ok: true, lockedVm };
    }
    case 'dumpMappings': {
      expectKeys(v, ['mappings'], where);
      if (!Array.isArray(v.mappings)) throw new WireError(`${where}.mappings: expected an array`);
      const mappings = v.mappings.map((m, i) => {
        const w = `${where}.mappings[${i}]`;
        if (!isRecord(m)) throw new WireError(`${w}: expected an object`);
        expectKeys(m, ['iova', 'size', 'read', 'write'], w);
        if (typeof m.read !== 'boolean' || typeof m.write !== 'boolean') throw new WireError(`${w}: read/write must be booleans`);
        return { iova: u64(m.iova, `${w}.iova`), size: u64(m.size, `${w}.size`), read: m.read, write: m.write };
      });
      return { ok: true, mappings };
    }
    default:
      expectKeys(v, [], where);
      return { ok: true } as Result;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  return JSON.stringify(v) ?? String(v);
}
