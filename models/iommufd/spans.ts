// Sorted, disjoint, half-open ranges [start, end) of bigints, and the few set operations the
// iommufd model needs on them (page indexes of an iopt_pages, reserved and free iovas). Every
// operation costs O(number of ranges), never O(length).

export type Span = readonly [start: bigint, end: bigint];

/** The union of `spans` (any order, may overlap or touch), sorted and merged. */
export function union(spans: readonly Span[]): Span[] {
  const sorted = [...spans].filter(([s, e]) => s < e).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out;
}

/** The parts of [start, end) that no span of `minus` (sorted, disjoint) covers. */
export function holes(start: bigint, end: bigint, minus: readonly Span[]): Span[] {
  const out: Span[] = [];
  let at = start;
  for (const [s, e] of minus) {
    if (e <= at) continue;
    if (s >= end) break;
    if (s > at) out.push([at, s]);
    at = e;
    if (at >= end) return out;
  }
  if (at < end) out.push([at, end]);
  return out;
}

/** The parts of `spans` (sorted, disjoint) inside `keep` (sorted, disjoint). */
export function intersect(spans: readonly Span[], keep: readonly Span[]): Span[] {
  const out: Span[] = [];
  let j = 0;
  for (const [s, e] of spans) {
    while (j < keep.length && keep[j]![1] <= s) j++;
    for (let k = j; k < keep.length && keep[k]![0] < e; k++) {
      const a = s > keep[k]![0] ? s : keep[k]![0];
      const b = e < keep[k]![1] ? e : keep[k]![1];
      if (a < b) out.push([a, b]);
    }
  }
  return out;
}

export const total = (spans: readonly Span[]): bigint => spans.reduce((n, [s, e]) => n + (e - s), 0n);

/** Whether [start, end) meets any span of `spans`. */
export const meets = (spans: readonly Span[], start: bigint, end: bigint): boolean =>
  spans.some(([s, e]) => s < end && start < e);
