// Inclusive IOVA ranges ({start, last}, as struct iommu_iova_range and the kernel's interval
// trees) and the span walks io_pagetable.c does over them (lib/interval_tree.c:
// interval_tree_span_iter_*). Every walk costs O(ranges), never O(bytes).
import type { IovaRange } from '../../../spec/iommufd/ops.ts';

export type { IovaRange } from '../../../spec/iommufd/ops.ts';

export const overlaps = (a: IovaRange, start: bigint, last: bigint): boolean => a.start <= last && start <= a.last;

/**
 * The used spans of `ranges` inside [first, last]: overlapping or adjacent ranges merged
 * (interval_tree_span_iter_next_gap joins `last + 1 == start`), clipped to the window.
 */
export function usedSpans(ranges: readonly IovaRange[], first: bigint, last: bigint): IovaRange[] {
  const sorted = ranges.filter((r) => overlaps(r, first, last)).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: IovaRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.start <= prev.last + 1n) {
      if (r.last > prev.last) prev.last = r.last;
    } else {
      out.push({ start: r.start, last: r.last });
    }
  }
  for (const r of out) {
    if (r.start < first) r.start = first;
    if (r.last > last) r.last = last;
  }
  return out;
}

/** The holes of `ranges` inside [first, last], ascending: the complement of their union. */
export function holes(ranges: readonly IovaRange[], first: bigint, last: bigint): IovaRange[] {
  const out: IovaRange[] = [];
  let cursor = first;
  for (const used of usedSpans(ranges, first, last)) {
    if (used.start > cursor) out.push({ start: cursor, last: used.start - 1n });
    if (used.last === last) return out;
    cursor = used.last + 1n;
  }
  out.push({ start: cursor, last });
  return out;
}
