// Human-readable sPAPR TCE operations and results for the terminal, one line each.
//
// MAP's flags read as READ|WRITE (the TCE's direction); the other ioctls' flags words have no
// defined bit, so they show as a number. getInfo's ddw shows as a record, counters' lockedVm as
// one figure per process.
import { flagNames, formatResult as formatValues } from '../type1/format.ts';
import { MAP_FLAG, type Op, type Result } from './ops.ts';
import { hex, OP_FIELDS } from './wire.ts';

const MAP_FLAG_NAMES: [number, string][] = [[MAP_FLAG.READ, 'READ'], [MAP_FLAG.WRITE, 'WRITE']];

export function formatOp(op: Op): string {
  const parts = Object.entries(OP_FIELDS[op.op]).map(([name, type]) => {
    const v = (op as unknown as Record<string, unknown>)[name];
    if (name === 'flags') return `flags=${flagNames(v as number, op.op === 'map' ? MAP_FLAG_NAMES : [])}`;
    return `${name}=${type === 'u64' ? hex(v as bigint) : String(v)}`;
  });
  return [op.op, ...parts].join(' ');
}

export const formatResult = (r: Result): string => formatValues(r);
