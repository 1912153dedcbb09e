// What one MAP notifier has been told: the entries it was sent a MAP of and no UNMAP since
// (intel-iommu's per address space iova_tree). Entries never overlap, so ordered by iova they
// are ordered by end too, and an invalidation of a range finds what it touches by bisection:
// a range query costs O(log n + k), an update O(log n) and a chunk edit per run of entries it
// changes, never O(n) (QEMU's iova_tree is a GTree too).
import type { Perm } from '../../../spec/viommu/ops.ts';
import { ChunkedList } from '../../sorted.ts';

export interface Notified { iova: bigint; size: bigint; pa: bigint; perm: Perm }

const byIova = (a: Notified, b: Notified): number => (a.iova < b.iova ? -1 : a.iova > b.iova ? 1 : 0);

export class IovaTree {
  private readonly entries = new ChunkedList<Notified>();

  /** The entries overlapping [lo, hi), ascending. */
  overlapping(lo: bigint, hi: bigint): Notified[] {
    if (lo >= hi) return [];
    const first = this.entries.partitionPoint((e) => e.iova + e.size > lo);
    const end = this.entries.partitionPoint((e) => e.iova >= hi);
    return this.entries.slice(first, end);
  }

  all(): Notified[] {
    return [...this.entries];
  }

  /**
   * Drops `removed` (entries of this tree) and adds `added` (overlapping nothing left). Both are
   * edited a run of neighbours at a time, the last run first so that earlier indices hold: what
   * an invalidation changes mostly comes in runs, and replay after an UNMAP of everything is a
   * single bulk insert.
   */
  update(removed: readonly Notified[], added: readonly Notified[]): void {
    const found = removed.map((r) => this.entries.partitionPoint((e) => e.iova >= r.iova));
    const gone = [...new Set(found.filter((i, k) => this.entries.at(i)?.iova === removed[k]!.iova))].sort((a, b) => a - b);
    for (let j = gone.length; j > 0;) {
      let i = j - 1;
      while (i > 0 && gone[i - 1]! === gone[i]! - 1) i--;
      this.entries.replace(gone[i]!, j - i, []);
      j = i;
    }
    const fresh = [...added].sort(byIova);
    const at = fresh.map((a) => this.entries.partitionPoint((e) => e.iova > a.iova));
    for (let j = fresh.length; j > 0;) {
      let i = j - 1;
      while (i > 0 && at[i - 1]! === at[i]!) i--;
      this.entries.replace(at[i]!, 0, fresh.slice(i, j));
      j = i;
    }
  }
}
