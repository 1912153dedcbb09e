// What one MAP notifier has been told: the entries it was sent a MAP of and no UNMAP since
// (intel-iommu's per address space iova_tree). Entries never overlap; kept sorted by iova.
import type { Perm } from '../../../spec/viommu/ops.ts';
import { firstEndingAfter } from './ranges.ts';

export interface Notified { iova: bigint; size: bigint; pa: bigint; perm: Perm }

export class IovaTree {
  private entries: Notified[] = [];

  /** The entries overlapping [lo, hi), ascending. */
  overlapping(lo: bigint, hi: bigint): Notified[] {
    const found: Notified[] = [];
    for (let i = firstEndingAfter(this.entries, lo); i < this.entries.length && this.entries[i]!.iova < hi; i++) found.push(this.entries[i]!);
    return found;
  }

  all(): Notified[] {
    return [...this.entries];
  }

  /** Drops `removed` (entries of this tree) and adds `added` (ascending, overlapping nothing left). */
  update(removed: readonly Notified[], added: readonly Notified[]): void {
    const gone = new Set(removed);
    const left = gone.size === 0 ? this.entries : this.entries.filter((e) => !gone.has(e));
    const merged: Notified[] = [];
    let i = 0;
    for (const e of added) {
      while (i < left.length && left[i]!.iova < e.iova) merged.push(left[i++]!);
      merged.push(e);
    }
    while (i < left.length) merged.push(left[i++]!);
    this.entries = merged;
  }
}
