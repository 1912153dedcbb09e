// What one MAP notifier has been told: the entries it was sent a MAP of and no UNMAP since
// (intel-iommu's per address space iova_tree). Entries never overlap. An invalidation of a
// range touches only the entries in it, so the tree is ordered and a range query or an update
// costs O(log n) per entry it returns or changes, never O(n) (QEMU's iova_tree is a GTree too).
import type { Perm } from '../../../spec/viommu/ops.ts';
import { IntervalMap } from '../../../models/interval-map.ts';

export interface Notified { iova: bigint; size: bigint; pa: bigint; perm: Perm }

export class IovaTree {
  private readonly entries = new IntervalMap<Notified>();

  /** The entries overlapping [lo, hi), ascending. */
  overlapping(lo: bigint, hi: bigint): Notified[] {
    return this.entries.overlapping(lo, hi);
  }

  all(): Notified[] {
    return [...this.entries];
  }

  /** Drops `removed` (entries of this tree) and adds `added` (overlapping nothing left). */
  update(removed: readonly Notified[], added: readonly Notified[]): void {
    for (const e of removed) this.entries.remove(e.iova);
    for (const e of added) this.entries.insert(e.iova, e.iova + e.size, e);
  }
}
