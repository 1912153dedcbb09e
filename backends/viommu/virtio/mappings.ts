// A domain's mappings, as virtio-iommu keeps them in its interval tree: disjoint [low, high]
// intervals (high inclusive) ordered by address, each translating linearly to `pa` onwards.
import type { Perm } from '../../../spec/viommu/ops.ts';

export interface Mapping {
  low: bigint;
  high: bigint;
  pa: bigint;
  perm: Perm;
}

export class Mappings {
  private readonly list: Mapping[] = [];

  /** The position of the first mapping ending at or after `iova`. */
  private firstEndingFrom(iova: bigint): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.high < iova) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The mappings meeting [low, high], in ascending order. */
  overlapping(low: bigint, high: bigint): Mapping[] {
    const found: Mapping[] = [];
    for (let i = this.firstEndingFrom(low); i < this.list.length && this.list[i]!.low <= high; i++) found.push(this.list[i]!);
    return found;
  }

  containing(iova: bigint): Mapping | undefined {
    const m = this.list[this.firstEndingFrom(iova)];
    return m !== undefined && m.low <= iova ? m : undefined;
  }

  /** Adds a mapping the caller has checked overlaps none. */
  insert(m: Mapping): void {
    this.list.splice(this.firstEndingFrom(m.low), 0, m);
  }

  remove(m: Mapping): void {
    const i = this.firstEndingFrom(m.low);
    if (this.list[i] === m) this.list.splice(i, 1);
  }

  all(): readonly Mapping[] {
    return this.list;
  }
}
