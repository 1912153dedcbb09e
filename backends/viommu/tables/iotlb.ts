// The IOMMU's caches: the IOTLB of leaf translations per (domain, leaf) and the context cache
// of endpoint -> domain bindings. Page-table and context-entry writes reach DMA and translate
// only through here, so what a device sees may lag until the invalidation that covers it
// (VIOMMU-INVAL-STALE, VIOMMU-INVAL-CONTEXT).
import type { Perm } from '../../../spec/viommu/ops.ts';
import { ChunkedList } from '../../sorted.ts';
import { PAGE } from './ranges.ts';

/** A cached translation; `present: false` is a cached not-present page (caching mode only). */
export type Cached =
  | { present: true; iova: bigint; size: bigint; pa: bigint; perm: Perm }
  | { present: false; iova: bigint; size: bigint };

export class Iotlb {
  /**
   * domain -> leaf size -> the entries of that size, ordered by iova: entries of one size never
   * overlap, so they are ordered by end too, and a lookup or a range invalidation bisects to
   * what it touches instead of scanning the domain.
   */
  private readonly entries = new Map<number, Map<bigint, ChunkedList<Cached>>>();

  constructor(private readonly sizes: readonly bigint[]) {}

  lookup(domain: number, iova: bigint): Cached | undefined {
    const bySize = this.entries.get(domain);
    if (bySize === undefined) return undefined;
    for (const size of this.sizes) {
      const byIova = bySize.get(size);
      const hit = byIova?.at(byIova.partitionPoint((e) => e.iova + e.size > iova));
      if (hit !== undefined && hit.iova <= iova) return hit;
    }
    return undefined;
  }

  fill(domain: number, entry: Cached): void {
    let bySize = this.entries.get(domain);
    if (bySize === undefined) this.entries.set(domain, (bySize = new Map()));
    let byIova = bySize.get(entry.size);
    if (byIova === undefined) bySize.set(entry.size, (byIova = new ChunkedList()));
    const i = byIova.partitionPoint((e) => e.iova >= entry.iova);
    byIova.splice(i, byIova.at(i)?.iova === entry.iova ? 1 : 0, entry);
  }

  /** Drops every entry of `domain` overlapping [lo, hi): a cached large leaf the range cuts goes whole. */
  dropRange(domain: number, lo: bigint, hi: bigint): void {
    if (lo >= hi) return;
    for (const byIova of this.entries.get(domain)?.values() ?? []) {
      const first = byIova.partitionPoint((e) => e.iova + e.size > lo);
      byIova.splice(first, byIova.partitionPoint((e) => e.iova >= hi) - first);
    }
  }

  dropDomain(domain: number): void {
    this.entries.delete(domain);
  }

  dropAll(): void {
    this.entries.clear();
  }
}

/** A not-present page as the IOTLB caches it in caching mode. */
export const notPresent = (iova: bigint): Cached => ({ present: false, iova: iova - (iova % PAGE), size: PAGE });

/** The context cache: the bindings DMA and translate have looked up since their invalidation. */
export class ContextCache {
  private readonly bindings = new Map<number, number>();

  lookup(endpoint: number): number | undefined {
    return this.bindings.get(endpoint);
  }

  fill(endpoint: number, domain: number): void {
    this.bindings.set(endpoint, domain);
  }

  drop(endpoint: number): void {
    this.bindings.delete(endpoint);
  }

  dropAll(): void {
    this.bindings.clear();
  }
}
