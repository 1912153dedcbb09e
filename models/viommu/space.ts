// One index of one domain: its current translations, and what its pages translated to since
// the invalidation that last covered them (VIOMMU-INVAL-STALE). An IOMMU with caches may
// still use any of those until the next covering invalidation; a notifier's shadow may still
// hold them. Without caches (virtio-iommu, the MPC) every change is synchronised at once.
import { RangeMap, type Piece } from './ranges.ts';
import { sameXlat, shiftXlat, type Xlat } from './xlat.ts';

/** A past value of a page: a translation, or none. */
export type Old = Xlat | null;
const shiftOlds = (olds: Old[], d: bigint): Old[] => (d === 0n ? olds : olds.map((o) => o && shiftXlat(o, d)));

const sameOld = (a: Old, b: Old): boolean =>
  a === b || (a !== null && b !== null && a.pa === b.pa && a.perm === b.perm && a.target === b.target && a.unit === b.unit && a.gen === b.gen);


export class Space {
  readonly current = new RangeMap<Xlat>(shiftXlat);
  /** Values seen since the last covering invalidation, the synchronised one first. */
  readonly history = new RangeMap<Old[]>(shiftOlds);
  /** Values an invalidation ended: no longer allowed, kept to name the rule a stale answer breaks. */
  readonly retired = new RangeMap<Old[]>(shiftOlds);

  /** Records the present values of [start, end) before a write changes them. */
  remember(start: bigint, end: bigint): void {
    for (const seg of this.grid(start, end)) {
      const olds = this.history.at(seg.start)?.value ?? [];
      const now = this.current.at(seg.start)?.value ?? null;
      const merged = olds.some((o) => sameOld(o, now)) ? olds : [...olds, now];
      if (merged !== olds || olds.length === 0) this.history.set(seg.start, seg.end, merged);
    }
  }

  /**
   * Ends the stale values of [start, end): from now on only `current` holds there. Returns the
   * ranges where a translation that was present differs from the current one: what an
   * UNMAP-only notifier must be told (VIOMMU-SHADOW-UNMAP-COVER).
   */
  sync(start: bigint, end: bigint): [bigint, bigint][] {
    const changed: [bigint, bigint][] = [];
    for (const h of this.history.pieces(start, end)) {
      for (const seg of this.current.cover(h.start, h.end)) {
        const olds = shiftOlds(h.value, seg.start - h.start);
        const now = seg.value ?? null;
        // Same translation, whatever the leaf: a split or an identical rewrite is no change.
        if (olds.some((o) => o !== null && o.perm !== 'none' && !(now !== null && sameXlat(o, now)))) changed.push([seg.start, seg.end]);
      }
      this.retired.set(h.start, h.end, h.value);
    }
    this.history.set(start, end, undefined);
    return changed;
  }

  /** Everything this space may still translate `a` to: the current value first. */
  candidates(a: bigint): Old[] {
    return [this.current.at(a)?.value ?? null, ...(this.history.at(a)?.value ?? [])];
  }

  /** Whether [start, end) has no pending change: the tables and the caches agree. */
  settled(start: bigint, end: bigint): boolean {
    return this.history.pieces(start, end).length === 0;
  }

  /** [start, end) cut wherever the current value or the history changes. */
  grid(start: bigint, end: bigint): Piece<undefined>[] {
    return cutAt(start, end, [this.current.pieces(start, end), this.history.pieces(start, end)]);
  }
}

/** [start, end) cut at every edge of the given pieces. */
export function cutAt(start: bigint, end: bigint, lists: readonly (readonly { start: bigint; end: bigint }[])[]): Piece<undefined>[] {
  const points = new Set<bigint>([start, end]);
  for (const list of lists) for (const p of list) {
    if (p.start > start && p.start < end) points.add(p.start);
    if (p.end > start && p.end < end) points.add(p.end);
  }
  const sorted = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Piece<undefined>[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) out.push({ start: sorted[i]!, end: sorted[i + 1]!, value: undefined });
  return out;
}
