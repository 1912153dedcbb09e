// Human-readable iommufd operations and results for the terminal, one line each.
//
// A range is written `start..last` (inclusive, as struct iommu_iova_range). A MAP or COPY
// without IOMMU_IOAS_MAP_FIXED_IOVA shows its iova as `auto`: the kernel ignores the field and
// picks one (ioas.c: iommufd_ioas_map), which the result then shows.
import { MAP_FLAG, type IovaRange, type Op, type Result } from './ops.ts';
import { hex, OP_FIELDS } from './wire.ts';

const FLAG_NAMES: [number, string][] = [[MAP_FLAG.FIXED_IOVA, 'FIXED'], [MAP_FLAG.READABLE, 'READ'], [MAP_FLAG.WRITEABLE, 'WRITE']];

/** `FIXED|READ|WRITE`; unknown bits in hex, so a malformed request reads as what it is. */
export function formatFlags(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  const unknown = flags & ~FLAG_NAMES.reduce((m, [bit]) => m | bit, 0);
  if (unknown) names.push(`0x${(unknown >>> 0).toString(16)}`);
  return names.length ? names.join('|') : '0';
}

export const formatRanges = (ranges: readonly IovaRange[]): string =>
  `[${ranges.map((r) => `${hex(r.start)}..${hex(r.last)}`).join(', ')}]`;

export function formatOp(op: Op): string {
  const fixed = (op.op === 'map' || op.op === 'copy') && (op.flags & MAP_FLAG.FIXED_IOVA) !== 0;
  const parts = Object.entries(OP_FIELDS[op.op]).map(([name, type]) => {
    const v = (op as unknown as Record<string, unknown>)[name];
    if (name === 'flags') return `flags=${formatFlags(v as number)}`;
    if ((op.op === 'map' && name === 'iova') || (op.op === 'copy' && name === 'dstIova')) return `${name}=${fixed ? hex(v as bigint) : 'auto'}`;
    if (type === 'ranges') return `${name}=${formatRanges(v as IovaRange[])}`;
    return `${name}=${type === 'u64' ? hex(v as bigint) : String(v)}`;
  });
  return [op.op, ...parts].join(' ');
}

export function formatResult(r: Result): string {
  if (!r.ok) return r.errno;
  const values = Object.entries(r).filter(([k]) => k !== 'ok');
  if (values.length === 0) return 'ok';
  return 'ok ' + values.map(([k, v]) => `${k}=${Array.isArray(v) ? formatRanges(v as IovaRange[]) : typeof v === 'bigint' ? hex(v) : String(v)}`).join(' ');
}
