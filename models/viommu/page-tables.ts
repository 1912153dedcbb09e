// What a guest programmed in one domain's page tables (VT-d second level, SMMUv3 LPAE), as
// runs of equal-sized leaves rather than entries, so a write costs O(pieces it touches).
//
// Leaves split level by level, keeping their translations (VIOMMU-XLATE-LARGE); directory
// entries carry permissions ANDed into every leaf below them (VIOMMU-XLATE-PERM-AND).
import { TABLE_ENTRIES } from '../../spec/viommu/backend.ts';
import { permAnd, type Perm } from '../../spec/viommu/ops.ts';
import type { Space } from './space.ts';
import type { Xlat } from './xlat.ts';

export class PageTables {
  /** span -> slot start -> the permission of that directory entry (absent: read-write). */
  private readonly dirs = new Map<bigint, Map<bigint, Perm>>();

  constructor(private readonly space: Space, private readonly top: bigint) {}

  private get leaves() {
    return this.space.current;
  }

  map(iova: bigint, size: bigint, page: bigint, pa: bigint, perm: Perm, gen: number): void {
    const end = iova + size;
    this.splitAcross(iova, page, gen);
    this.splitAcross(end, page, gen);
    // A leaf replaces the directories of its size and below that it covers.
    for (const [span, slots] of this.dirs) {
      if (span > page) continue;
      for (const slot of [...slots.keys()]) if (slot >= iova && slot < end) slots.delete(slot);
    }
    this.leaves.set(iova, end, { pa, perm, own: perm, target: 'memory', unit: page, lo: 0n, hi: 0n, gen });
    this.refresh(iova, end, gen);
  }

  unmap(iova: bigint, size: bigint, granule: bigint, gen: number): void {
    this.splitAcross(iova, granule, gen);
    this.splitAcross(iova + size, granule, gen);
    this.leaves.set(iova, iova + size, undefined);
  }

  protect(iova: bigint, span: bigint, perm: Perm, gen: number): void {
    // A directory must exist at the slot: a leaf of the span or more covering it is split.
    for (let leaf = this.leaves.at(iova)?.value; leaf && leaf.unit >= span; leaf = this.leaves.at(iova)?.value) this.splitOnce(iova, gen);
    let slots = this.dirs.get(span);
    if (!slots) this.dirs.set(span, (slots = new Map()));
    if (perm === 'rw') slots.delete(iova);
    else slots.set(iova, perm);
    this.refresh(iova, iova + span, gen);
  }

  /** Splits the leaves containing `a` until `a` is a leaf boundary or leaves are `page` or smaller. */
  private splitAcross(a: bigint, page: bigint, gen: number): void {
    if (a >= this.top) return;
    for (let leaf = this.leaves.at(a)?.value; leaf && leaf.unit > page && a % leaf.unit !== 0n; leaf = this.leaves.at(a)?.value) {
      this.splitOnce(a, gen);
    }
  }

  /** The leaf containing `a` becomes a table of leaves one level down, same translations. */
  private splitOnce(a: bigint, gen: number): void {
    const piece = this.leaves.at(a)!;
    const leaf = piece.value;
    const start = a - (a % leaf.unit);
    // A cache may hold the large leaf until an invalidation covers it (VIOMMU-INVAL-STALE).
    this.space.remember(start, start + leaf.unit);
    const first = this.leaves.at(start)!.value;
    this.leaves.set(start, start + leaf.unit, { ...first, unit: leaf.unit / TABLE_ENTRIES, gen });
  }

  /**
   * Recomputes effective permissions in [start, end), cutting runs at protected slots. A leaf
   * whose permission changes is a changed leaf (a new gen): a consumer that cannot see the
   * difference, as VFIO cannot between w and rw (vfioView), may still take it back and map it again.
   */
  private refresh(start: bigint, end: bigint, gen: number): void {
    const cuts: bigint[] = [];
    for (const [span, slots] of this.dirs) {
      for (const slot of slots.keys()) if (slot < end && slot + span > start) cuts.push(slot, slot + span);
    }
    for (const p of this.leaves.pieces(start, end)) {
      const points = [p.start, ...cuts.filter((c) => c > p.start && c < p.end).sort((x, y) => (x < y ? -1 : 1)), p.end];
      for (let i = 0; i + 1 < points.length; i++) {
        const from = points[i]!;
        if (from === points[i + 1]) continue;
        const v: Xlat = this.leaves.at(from)!.value;
        const perm = this.effective(from, v);
        if (perm !== v.perm || i > 0) this.leaves.set(from, points[i + 1]!, { ...v, perm, gen: perm !== v.perm ? gen : v.gen });
      }
    }
  }

  private effective(a: bigint, leaf: Xlat): Perm {
    let perm = leaf.own;
    for (const [span, slots] of this.dirs) {
      if (span <= leaf.unit) continue;
      const p = slots.get(a - (a % span));
      if (p) perm = permAnd(perm, p);
    }
    return perm;
  }
}
