// VIOMMU-XLATE-PERM-AND's variant on an SMMUv3: the IOTLB entry a walk caches carries the
// leaf's own permission, not what the tables above it allow (QEMU 7.2 hw/arm/smmu-common.c:
// smmu_ptw_64_s1 checks APTable during the walk but fills the entry's perm from the leaf's AP
// alone; hw/arm/smmuv3.c: smmuv3_translate judges a hit by that perm). So once a read has
// cached a leaf under a write-protected table, a write through the entry succeeds until an
// invalidation of the domain covers it. The Arm architecture caches the combined permission.
import { RangeMap } from './ranges.ts';
import { leafOf, shiftXlat, type Xlat } from './xlat.ts';

const shiftAll = (vs: Xlat[], d: bigint): Xlat[] => (d === 0n ? vs : vs.map((v) => shiftXlat(v, d)));

export class LeafCache {
  private readonly domains = new Map<number, RangeMap<Xlat[]>>();

  private of(domain: number): RangeMap<Xlat[]> {
    let m = this.domains.get(domain);
    if (!m) this.domains.set(domain, (m = new RangeMap(shiftAll)));
    return m;
  }

  /** A read through `domain` reached memory with `v`, the value at `a`: its whole leaf is cached. */
  cache(domain: number, a: bigint, v: Xlat): void {
    const [start, end] = leafOf(v, a);
    this.of(domain).set(start, end, [shiftXlat(v, start - a)]);
  }

  /** An invalidation of [start, end) in `domain` drops what it covers. */
  invalidate(domain: number, start: bigint, end: bigint): void { this.of(domain).set(start, end, undefined); }

  /** What a hit at `a` may give: each cached value with the leaf's own permission. */
  at(domain: number, a: bigint): Xlat[] {
    return (this.domains.get(domain)?.at(a)?.value ?? []).map((v) => ({ ...v, perm: v.own }));
  }
}
