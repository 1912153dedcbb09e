// Plain-data form of the sPAPR TCE operations and results, for CASE.json files and
// out-of-process backends.
//
// Every u64 travels as a "0x..." lowercase hex string (JSON.parse rounds 2^64-1); flags, page
// shifts, levels, process and container indexes are JSON numbers. Decoding is driven by the
// field tables below (spec/wire-table.ts) and is strict: a missing, unknown or wrongly typed
// field is an error naming its path.
import { decodeU64Or as u64, expectedError as bad, expectKeys, hex, isRecord } from '../u64.ts';
import { decodeBasicField } from '../iommufd/wire.ts';
import { tableWire, type Fields } from '../wire-table.ts';
import type { DdwInfo, Op, OpKind, Result } from './ops.ts';

export { hex, U64_MAX, WireError } from '../u64.ts';
export { BACKINGS, PROTS } from '../iommufd/wire.ts';

/**
 * `proc`: 0 or 1. `ct`: a container index, a non-negative integer below 2^31 (one outside the
 * declaration still travels). `u32`: a uAPI flags word, page shift or level count, unknown bits
 * included. `u64s`: an array of u64. `ddw`: struct vfio_iommu_spapr_tce_ddw_info, optional.
 */
export type FieldType = 'u64' | 'u32' | 'proc' | 'ct' | 'prot' | 'backing' | 'bool' | 'u64s' | 'ddw';

export const CT_LIMIT = 2 ** 31;

/** The fields of every operation, in the order they are documented (spec/spapr/operations.md). */
export const OP_FIELDS: { readonly [K in OpKind]: Fields<FieldType> } = {
  mmap: { proc: 'proc', vaddr: 'u64', size: 'u64', prot: 'prot', backing: 'backing' },
  munmap: { proc: 'proc', vaddr: 'u64', size: 'u64' },
  mremap: { proc: 'proc', vaddr: 'u64', size: 'u64', newVaddr: 'u64', newSize: 'u64' },
  cpuWrite: { proc: 'proc', vaddr: 'u64', token: 'u64' },
  cpuRead: { proc: 'proc', vaddr: 'u64' },
  setRlimitMemlock: { proc: 'proc', bytes: 'u64' },
  setCapIpcLock: { proc: 'proc', enabled: 'bool' },
  enable: { proc: 'proc', ct: 'ct' },
  disable: { proc: 'proc', ct: 'ct' },
  register: { proc: 'proc', ct: 'ct', flags: 'u32', vaddr: 'u64', size: 'u64' },
  unregister: { proc: 'proc', ct: 'ct', flags: 'u32', vaddr: 'u64', size: 'u64' },
  getInfo: { proc: 'proc', ct: 'ct' },
  create: { proc: 'proc', ct: 'ct', flags: 'u32', pageShift: 'u32', windowSize: 'u64', levels: 'u32' },
  remove: { proc: 'proc', ct: 'ct', flags: 'u32', startAddr: 'u64' },
  map: { proc: 'proc', ct: 'ct', flags: 'u32', iova: 'u64', vaddr: 'u64', size: 'u64' },
  unmap: { proc: 'proc', ct: 'ct', flags: 'u32', iova: 'u64', size: 'u64' },
  closeContainer: { ct: 'ct' },
  dmaRead: { ct: 'ct', iova: 'u64' },
  dmaWrite: { ct: 'ct', iova: 'u64', token: 'u64' },
  counters: {},
};

/** The values of every successful result, in the order they are documented. */
export const RESULT_FIELDS: { readonly [K in OpKind]: Fields<FieldType> } = {
  mmap: {}, munmap: {}, mremap: {}, cpuWrite: {}, cpuRead: { token: 'u64' },
  setRlimitMemlock: {}, setCapIpcLock: {},
  enable: {}, disable: {},
  register: {}, unregister: {},
  getInfo: { dma32WindowStart: 'u64', dma32WindowSize: 'u64', ddw: 'ddw' },
  create: { startAddr: 'u64' },
  remove: {}, map: {}, unmap: {}, closeContainer: {},
  dmaRead: { token: 'u64' },
  dmaWrite: {},
  counters: { lockedVm: 'u64s' },
};

/** Fields that may be absent: getInfo's `ddw` exactly when flags lacks VFIO_IOMMU_SPAPR_INFO_DDW. */
export const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['ddw']);

const u32 = (v: unknown, where: string) => decodeBasicField('u32', v, where, false) as number;

function decodeDdw(v: unknown, where: string, bigints: boolean): DdwInfo {
  if (!isRecord(v)) throw bad(where, 'an object {pgsizes, maxDynamicWindows, levels}', v);
  expectKeys(v, ['pgsizes', 'maxDynamicWindows', 'levels'], where);
  return {
    pgsizes: u64(v.pgsizes, `${where}.pgsizes`, bigints),
    maxDynamicWindows: u32(v.maxDynamicWindows, `${where}.maxDynamicWindows`),
    levels: u32(v.levels, `${where}.levels`),
  };
}

export function decodeField(type: FieldType, v: unknown, where: string, bigints = false): unknown {
  switch (type) {
    case 'proc':
      if (v === 0 || v === 1) return v;
      throw bad(where, 'a process index 0 or 1', v);
    case 'ct':
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < CT_LIMIT) return v;
      throw bad(where, 'a container index in 0..2^31-1', v);
    case 'u64s':
      if (!Array.isArray(v)) throw bad(where, 'an array of u64', v);
      return v.map((x, i) => u64(x, `${where}[${i}]`, bigints));
    case 'ddw': return decodeDdw(v, where, bigints);
    default: return decodeBasicField(type, v, where, bigints);
  }
}

function encodeField(type: FieldType, v: unknown): unknown {
  if (type === 'u64') return hex(v as bigint);
  if (type === 'u64s') return (v as bigint[]).map(hex);
  if (type === 'ddw') {
    const d = v as DdwInfo;
    return { pgsizes: hex(d.pgsizes), maxDynamicWindows: d.maxDynamicWindows, levels: d.levels };
  }
  return v;
}

const wire = tableWire<Op, Result, FieldType>(OP_FIELDS, RESULT_FIELDS, { decode: decodeField, encode: encodeField, optional: OPTIONAL_FIELDS });

export const { encodeOp, decodeOp, decodeResult, encodeResult } = wire;
