// A registered IOMMU notifier and the shadow its events build: for a MAP|UNMAP notifier, what
// a consumer such as VFIO believes the IOMMU translates (semantics.md §e.8).
import { NOTIFIER_MAP, NOTIFIER_UNMAP } from '../../spec/viommu/ops.ts';
import { RangeMap } from './ranges.ts';
import type { Space } from './space.ts';
import { VfioConsumer } from './vfio.ts';
import { shiftXlat, type Xlat } from './xlat.ts';

export class Notifier {
  /** Entries as the events gave them; a piece is one entry (unit 0n) or a run of unit-sized ones. */
  readonly shadow = new RangeMap<Xlat>(shiftXlat);
  /** Completeness binds only once the consumer has asked for the present translations. */
  replayed = false;
  /** VFIO behind the notifier, driving a type1 container; null where VFIO cannot consume (the MPC's sub-page blocks). */
  readonly vfio: VfioConsumer | null;
  /** Bytes of guest RAM the shadow maps: what the container must have pinned. */
  memoryBytes = 0n;

  constructor(
    readonly id: number,
    readonly endpoint: number,
    readonly index: number,
    readonly flags: number,
    readonly start: bigint,
    /** Exclusive. */
    readonly end: bigint,
    withVfio: boolean,
    /** How the consumer sees a translation: the guest's, or VFIO's projection of it (vfioView). */
    readonly view: (x: Xlat) => Xlat = (x) => x,
  ) {
    this.vfio = withVfio && this.shadowing ? new VfioConsumer() : null;
  }

  /** MAP|UNMAP: a consumer keeping an accurate shadow (VFIO). */
  get shadowing(): boolean {
    return (this.flags & (NOTIFIER_MAP | NOTIFIER_UNMAP)) === (NOTIFIER_MAP | NOTIFIER_UNMAP);
  }

  /** UNMAP without MAP: a consumer with a cache it fills itself (vhost's IOTLB). */
  get unmapOnly(): boolean {
    return (this.flags & (NOTIFIER_MAP | NOTIFIER_UNMAP)) === NOTIFIER_UNMAP;
  }

  clip(start: bigint, end: bigint): [bigint, bigint] | null {
    const s = start > this.start ? start : this.start;
    const e = end < this.end ? end : this.end;
    return s < e ? [s, e] : null;
  }
}

/**
 * A translation as the VFIO device's own notifier reports it: VFIO maps with READ always and
 * WRITE iff the entry allows write (hw/vfio/listener.c: vfio_iommu_map_notify, read_only =
 * !(perm & IOMMU_WO)), so a DMA_MAP cannot tell `w` from `rw`.
 */
export const vfioView = (x: Xlat): Xlat => {
  const perm = x.perm === 'w' || x.perm === 'rw' ? 'rw' : x.perm;
  return perm === x.perm ? x : { ...x, perm };
};

/** What the notifier's translations may be, seen from the model's state. */
export interface Sight {
  /** Every space the shadow may follow (the endpoint's domain, and a domain it left but whose binding is still cached). */
  spaces: Space[];
  /** The endpoint may still be (or be seen as) bound to no domain. */
  unbound: boolean;
  /** The space completeness is judged against: null while the binding is unsettled or absent. */
  settled: Space | null;
  /** The space of the endpoint's current binding, for the model's own answer. */
  bound: Space | null;
  /** The MPC's other index, to name a misdelivered event (VIOMMU-EVENT-INDEX). */
  other: Space | null;
}
