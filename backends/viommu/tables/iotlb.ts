// The IOMMU's caches: the IOTLB of leaf translations per (domain, leaf) and the context cache
// of endpoint -> domain bindings. Page-table and context-entry writes reach DMA and translate
// only through here, so what a device sees may lag until the invalidation that covers it
// (VIOMMU-INVAL-STALE, VIOMMU-INVAL-CONTEXT).
import type { Perm } from '../../../spec/viommu/ops.ts';
import { IntervalMap } from '../../../models/interval-map.ts';
import { PAGE } from './ranges.ts';

/** A cached translation; `present: false` is a cached not-present page (caching mode only). */
export type Cached =
  | { present: true; iova: bigint; size: bigint; pa: bigint; perm: Perm }
  | { present: false; iova: bigint; size: bigint };

export class Iotlb {
  /**
   * domain -> leaf size -> the entries of that size, ordered by iova: entries of one size never
   * overlap, and a range invalidation drops only what it covers in O(log n) each.
   */
  private readonly entries = new Map<number, Map<bigint, IntervalMap<Cached>>>();

  constructor(private readonly sizes: readonly bigint[]) {}

  lookup(domain: number, iova: bigint): Cached | undefined {
    const bySize = this.entries.get(domain);
    if (bySize === undefined) return undefined;
    for (const size of this.sizes) {
      const hit = bySize.get(size)?.containing(iova);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  fill(domain: number, entry: Cached): void {
    let bySize = this.entries.get(domain);
    if (bySize === undefined) this.entries.set(domain, (bySize = new Map()));
    let byIova = bySize.get(entry.size);
    if (byIova === undefined) bySize.set(entry.size, (byIova = new IntervalMap()));
    byIova.remove(entry.iova);
    byIova.insert(entry.iova, entry.iova + entry.size, entry);
  }

  /** Drops every entry of `domain` overlapping [lo, hi): a cached large leaf the range cuts goes whole. */
  dropRange(domain: number, lo: bigint, hi: bigint): void {
    for (const byIova of this.entries.get(domain)?.values() ?? []) {
      for (const entry of byIova.overlapping(lo, hi)) byIova.remove(entry.iova);
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
