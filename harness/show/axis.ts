// An address axis for sparse 64-bit spaces: every address anything starts, ends or touches at
// is a breakpoint; the space between two breakpoints that something occupies gets a width
// that grows with the logarithm of its size, an empty stretch a small fixed width. Addresses
// stay bigints: a drawn x comes from a breakpoint's index and from the bit length of a size,
// never from converting an address to a number.
import { hex } from '../../spec/u64.ts';

export interface Range { start: bigint; end: bigint }

export type SegmentKind = 'used' | 'gap' | 'reserved';

export interface Segment { start: bigint; end: bigint; x0: number; x1: number; kind: SegmentKind }

export interface Axis {
  width: number;
  points: readonly bigint[];
  segments: readonly Segment[];
  /** The x of an address; exact at breakpoints, proportional (in bigint arithmetic) between them. */
  x(addr: bigint): number;
}

const SPACE_END = 1n << 64n;
/** The least width of a stretch: room for one rotated label per breakpoint. */
export const MIN_SEGMENT = 16;
const UNIT = 14;

export const compareBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** An address as a label: exact hex; the end of the u64 space, which is no u64, as 2^64. */
export const addressLabel = (a: bigint): string => (a === SPACE_END ? '2^64' : hex(a));

/** Binary logarithm of a size, rounded down, from its bit length. */
export const log2 = (size: bigint): number => (size > 0n ? size.toString(2).length - 1 : 0);

/**
 * `minWidth`: the least width of the whole axis, the extra shared by weight; `maxWidth`: the
 * width above which sizes stop counting, as long as every stretch keeps its least width.
 */
export function buildAxis(points: Iterable<bigint>, used: Iterable<Range>, reserved: Iterable<Range>, minWidth: number, maxWidth = Infinity): Axis {
  const sorted = [...new Set(points)].sort(compareBig);
  const index = new Map(sorted.map((p, i) => [p, i]));
  const count = Math.max(0, sorted.length - 1);
  const mark = (ranges: Iterable<Range>): Int32Array => {
    const d = new Int32Array(count + 1);
    for (const r of ranges) {
      if (r.end <= r.start) continue;
      d[index.get(r.start)!]! += 1;
      d[index.get(r.end)!]! -= 1;
    }
    for (let i = 1; i <= count; i++) d[i]! += d[i - 1]!;
    return d;
  };
  const isUsed = mark(used);
  const isReserved = mark(reserved);
  const kinds: SegmentKind[] = [];
  const weights: number[] = [];
  for (let i = 0; i < count; i++) {
    const kind: SegmentKind = isUsed[i]! > 0 ? 'used' : isReserved[i]! > 0 ? 'reserved' : 'gap';
    kinds.push(kind);
    // 4 KiB weighs 3, every further factor of 8 one more: 2 MiB 6, 1 GiB 9, 2^63 20.
    weights.push(kind === 'used' ? 3 + Math.max(0, log2(sorted[i + 1]! - sorted[i]!) - 12) / 3 : 1);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const natural = count * MIN_SEGMENT + UNIT * total;
  const room = natural < minWidth ? minWidth : natural > maxWidth ? Math.max(maxWidth, count * MIN_SEGMENT) : natural;
  const unit = total > 0 ? (room - count * MIN_SEGMENT) / total : UNIT;
  const segments: Segment[] = [];
  let x = 0;
  for (let i = 0; i < count; i++) {
    const w = MIN_SEGMENT + unit * weights[i]!;
    segments.push({ start: sorted[i]!, end: sorted[i + 1]!, x0: x, x1: x + w, kind: kinds[i]! });
    x += w;
  }
  const at = new Map<bigint, number>();
  sorted.forEach((p, i) => at.set(p, i < count ? segments[i]!.x0 : x));
  return {
    width: Math.max(x, minWidth),
    points: sorted,
    segments,
    x(addr) {
      const known = at.get(addr);
      if (known !== undefined) return known;
      if (count === 0 || addr < sorted[0]!) return 0;
      if (addr > sorted[count]!) return x;
      let lo = 0;
      let hi = count - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (sorted[mid]! <= addr) lo = mid;
        else hi = mid - 1;
      }
      const s = segments[lo]!;
      const fraction = Number(((addr - s.start) * 4096n) / (s.end - s.start)) / 4096;
      return s.x0 + (s.x1 - s.x0) * fraction;
    },
  };
}

/** The union of ranges, sorted and merged. */
export function union(ranges: Iterable<Range>): Range[] {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort((a, b) => compareBig(a.start, b.start));
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  return out;
}

/** What of `a` is not in `b`; both are unions. */
export function subtract(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const r of a) {
    let start = r.start;
    for (const cut of b) {
      if (cut.end <= start || cut.start >= r.end) continue;
      if (cut.start > start) out.push({ start, end: cut.start });
      start = cut.end > start ? cut.end : start;
      if (start >= r.end) break;
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}
