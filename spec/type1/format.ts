// Human-readable operations and results for the terminal.
import type { Op, Result } from './ops.ts';
import { hex, OP_FIELDS } from './wire.ts';

const MAP_FLAG_NAMES: [number, string][] = [[1, 'READ'], [2, 'WRITE'], [4, 'VADDR']];
const UNMAP_FLAG_NAMES: [number, string][] = [[1, 'GET_DIRTY_BITMAP'], [2, 'ALL'], [4, 'VADDR']];
const DIRTY_FLAG_NAMES: [number, string][] = [[1, 'START'], [2, 'STOP'], [4, 'GET_BITMAP']];
const FLAG_NAMES: Partial<Record<Op['op'], [number, string][]>> = { map: MAP_FLAG_NAMES, unmap: UNMAP_FLAG_NAMES, dirtyPages: DIRTY_FLAG_NAMES };

export function flagNames(flags: number, names: [number, string][]): string {
  const known = names.filter(([bit]) => flags & bit).map(([, n]) => n);
  const unknown = flags & ~names.reduce((m, [bit]) => m | bit, 0);
  if (unknown) known.push(`0x${(unknown >>> 0).toString(16)}`);
  return known.length ? known.join('|') : '0';
}

export function formatOp(op: Op): string {
  const parts = Object.entries(OP_FIELDS[op.op]).map(([name, type]) => {
    const v = (op as unknown as Record<string, unknown>)[name];
    if (name === 'flags') return `flags=${flagNames(v as number, FLAG_NAMES[op.op] ?? [])}`;
    return `${name}=${type === 'u64' ? hex(v as bigint) : String(v)}`;
  });
  return [op.op, ...parts].join(' ');
}

/** Any family's result whose values are u64s, arrays and records of them: `ok k=v ...` or the errno. */
export function formatResult(r: Result | { ok: true } | { ok: false; errno: string }): string {
  if (!r.ok) return r.errno;
  const values = Object.entries(r).filter(([k]) => k !== 'ok');
  if (values.length === 0) return 'ok';
  return 'ok ' + values.map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
}

export function formatValue(v: unknown): string {
  if (typeof v === 'bigint') return hex(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v).map(([k, x]) => `${k}:${formatValue(x)}`).join(' ')}}`;
  }
  return String(v);
}
