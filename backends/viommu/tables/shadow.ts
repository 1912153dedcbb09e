// Bringing a notifier up to date with a domain's page table over a range: intel-iommu's page
// walk in caching mode for MAP notifiers (vtd_sync_shadow_page_table_range,
// vtd_page_walk_one), plain UNMAPs of the invalidated range for UNMAP-only ones
// (vtd_iotlb_page_invalidate_notify, smmuv3_inv_notifiers_iova).
import type { NotifierEvent } from '../../../spec/viommu/ops.ts';
import type { Bugs } from './bugs.ts';
import type { Notified } from './iova-tree.ts';
import { wantsMap, wantsUnmap, type Notifier } from './notifiers.ts';
import type { PageTable, WalkedLeaf } from './page-table.ts';
import { alignedChunks, firstEndingAfter, max, min, overlaps } from './ranges.ts';
import type { Span } from './invalidation.ts';

const mapEvent = (n: Notifier, e: Notified): NotifierEvent => ({
  notifier: n.id, type: 'map', entry: { iova: e.iova, translatedAddr: e.pa, addrMask: e.size - 1n, perm: e.perm, target: 'memory' },
});

const unmapEvent = (n: Notifier, iova: bigint, size: bigint): NotifierEvent => ({
  notifier: n.id, type: 'unmap', entry: { iova, translatedAddr: 0n, addrMask: size - 1n, perm: 'none', target: 'memory' },
});

/** Only the event types the notifier registered for reach it (VIOMMU-EVENT-FLAGS). */
function deliver(n: Notifier, event: NotifierEvent, out: NotifierEvent[]): void {
  if (event.type === 'map' ? wantsMap(n) : wantsUnmap(n)) out.push(event);
}

const rangeEnd = (n: Notifier): bigint => n.end + 1n;

/** The part of a leaf a notifier may hear of (VIOMMU-EVENT-RANGE); no-range-crop keeps it whole. */
function visiblePart(n: Notifier, leaf: WalkedLeaf, bugs: Bugs): Span {
  if (bugs.has('no-range-crop')) return { lo: leaf.iova, hi: leaf.iova + leaf.size };
  return { lo: max(leaf.iova, n.start), hi: min(leaf.iova + leaf.size, rangeEnd(n)) };
}

/**
 * Whether every page of a notified entry still translates as it says: the present leaves
 * (ascending) tile it with its translation and permission. Such an entry is valid and
 * unchanged and must stay, whatever the leaves' sizes now (VIOMMU-SHADOW-NO-LOSS).
 */
function stillValid(e: Notified, leaves: readonly WalkedLeaf[]): boolean {
  let cursor = e.iova;
  const end = e.iova + e.size;
  for (let i = firstEndingAfter(leaves, cursor); i < leaves.length; i++) {
    const leaf = leaves[i]!;
    const leafEnd = leaf.iova + leaf.size;
    if (leaf.iova > cursor || leaf.perm !== e.perm || leaf.pa - leaf.iova !== e.pa - e.iova) return false;
    cursor = leafEnd;
    if (cursor >= end) return true;
  }
  return false;
}

/** The present leaves over [lo, hi) grown until no leaf or notified entry crosses its ends. */
function closure(n: Notifier, table: PageTable | null, lo: bigint, hi: bigint, bugs: Bugs): { leaves: WalkedLeaf[]; old: Notified[] } {
  for (;;) {
    const leaves = table === null ? [] : table.leaves(max(lo, n.start), min(hi, rangeEnd(n))).filter((l) => l.perm !== 'none');
    const old = n.tree.overlapping(lo, hi);
    let lo2 = lo;
    let hi2 = hi;
    for (const span of [...leaves.map((l) => visiblePart(n, l, bugs)), ...old.map((e) => ({ lo: e.iova, hi: e.iova + e.size }))]) {
      lo2 = min(lo2, span.lo);
      hi2 = max(hi2, span.hi);
    }
    if (lo2 === lo && hi2 === hi) return { leaves, old };
    lo = lo2;
    hi = hi2;
  }
}

/** The entries to MAP for a leaf: its visible part minus what the notifier keeps, in aligned chunks. */
function freshChunks(n: Notifier, leaf: WalkedLeaf, kept: readonly Notified[], bugs: Bugs): Notified[] {
  const part = visiblePart(n, leaf, bugs);
  const fresh: Notified[] = [];
  let cursor = part.lo;
  const gap = (hi: bigint): void => {
    for (const c of alignedChunks(cursor, hi)) fresh.push({ iova: c.iova, size: c.size, pa: leaf.pa + (c.iova - leaf.iova), perm: leaf.perm });
  };
  for (let i = firstEndingAfter(kept, part.lo); i < kept.length && kept[i]!.iova < part.hi; i++) {
    const e = kept[i]!;
    gap(max(cursor, min(e.iova, part.hi)));
    cursor = max(cursor, e.iova + e.size);
  }
  gap(part.hi);
  return fresh;
}

/**
 * Brings a MAP notifier's shadow up to date over [lo, hi): UNMAPs of every notified entry no
 * longer valid, whole (VIOMMU-SHADOW-NO-CUT), then MAPs of what it lacks
 * (VIOMMU-SHADOW-NO-DUP). An entry UNMAPped whole may reach outside [lo, hi): the range grows
 * so that its still-mapped pages are MAPped again (VIOMMU-SHADOW-COMPLETE). `resend` also
 * re-sends the kept entries, as replay does (VIOMMU-REPLAY-ALL).
 */
function syncShadow(n: Notifier, table: PageTable | null, asked: Span, bugs: Bugs, out: NotifierEvent[], resend = false): void {
  const lo = max(asked.lo, n.start);
  const hi = min(asked.hi, rangeEnd(n));
  if (lo >= hi) return;
  const { leaves, old } = closure(n, table, lo, hi, bugs);
  const kept = old.filter((e) => stillValid(e, leaves));
  const keep = new Set(kept);
  const stale = old.filter((e) => !keep.has(e));
  const fresh = leaves.flatMap((leaf) => freshChunks(n, leaf, kept, bugs));
  n.tree.update(stale, fresh);
  for (const e of stale) {
    const end = e.iova + e.size;
    if (bugs.has('change-map-only') && fresh.some((f) => overlaps(f.iova, f.iova + f.size, e.iova, end))) continue;
    const cut = bugs.has('split-unmap-cut') && (e.iova < lo || end > hi) && overlaps(e.iova, end, lo, hi);
    const pieces = cut ? alignedChunks(max(e.iova, lo), min(end, hi)) : [e];
    for (const p of pieces) deliver(n, unmapEvent(n, p.iova, p.size), out);
  }
  const maps = resend ? [...kept, ...fresh].sort((a, b) => (a.iova < b.iova ? -1 : 1)) : fresh;
  for (const f of maps) deliver(n, mapEvent(n, f), out);
}

/** UNMAPs covering the spans inside the notifier's range, in aligned chunks (VIOMMU-SHADOW-UNMAP-COVER). */
function unmapCover(n: Notifier, spans: readonly Span[], out: NotifierEvent[]): void {
  for (const span of spans) {
    for (const c of alignedChunks(max(span.lo, n.start), min(span.hi, rangeEnd(n)))) deliver(n, unmapEvent(n, c.iova, c.size), out);
  }
}

/**
 * A notifier of an endpoint whose domain (or none) is `table`, told of an invalidation of
 * `spans` ('whole': its whole range). DEVIOTLB notifiers hear nothing: there is no device IOTLB.
 */
export function bringUpToDate(n: Notifier, table: PageTable | null, spans: readonly Span[] | 'whole', bugs: Bugs, out: NotifierEvent[]): void {
  const cover = spans === 'whole' ? [{ lo: n.start, hi: rangeEnd(n) }] : spans;
  if (wantsMap(n)) for (const span of cover) syncShadow(n, table, span, bugs, out);
  else if (wantsUnmap(n)) unmapCover(n, cover, out);
}

/**
 * replay: MAPs every present translation in the notifier's range, never UNMAPping a valid one
 * (VIOMMU-REPLAY-NO-UNMAP); replay-unmap-first UNMAPs all it was told first, as intel-iommu did
 * before 2023. A notifier without MAP hears nothing.
 */
export function replay(n: Notifier, table: PageTable | null, bugs: Bugs, out: NotifierEvent[]): void {
  if (!wantsMap(n)) return;
  if (bugs.has('replay-unmap-first')) {
    const all = n.tree.all();
    for (const e of all) deliver(n, unmapEvent(n, e.iova, e.size), out);
    n.tree.update(all, []);
  }
  syncShadow(n, table, { lo: n.start, hi: rangeEnd(n) }, bugs, out, true);
}
