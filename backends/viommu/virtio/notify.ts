// The events one notifier gets about one mapping: its range cropped to the notifier's
// [start, end] (VIOMMU-EVENT-RANGE), cut into aligned power-of-two chunks the same way for MAP
// and UNMAP (VIOMMU-EVENT-FORM, VIOMMU-SHADOW-NO-CUT), only of a type the notifier asked for
// (VIOMMU-EVENT-FLAGS).
import { NOTIFIER_MAP, NOTIFIER_UNMAP, type NotifierEvent } from '../../../spec/viommu/ops.ts';
import type { VirtioBugs } from './bugs.ts';
import { alignedChunks, topDownChunks, type Chunk } from './chunks.ts';
import type { Mapping } from './mappings.ts';
import { wants, type Notifier } from './notifiers.ts';

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

function chunksFor(type: 'map' | 'unmap', m: Mapping, n: Notifier, granule: bigint, bugs: VirtioBugs): Chunk[] {
  if (bugs.has('virtio-no-crop')) {
    // mutant virtio-no-crop: the whole mapping's chunks; the core skips those outside the
    // notifier, but one straddling its edge is delivered whole.
    return alignedChunks(m.low, m.high - m.low + 1n, m.pa).filter((c) => c.iova <= n.end && c.iova + c.size - 1n >= n.start);
  }
  const low = max(m.low, n.start);
  const size = min(m.high, n.end) - low + 1n;
  const pa = m.pa + (low - m.low);
  if (bugs.has('virtio-no-pow2-split')) return [{ iova: low, pa, size }]; // mutant virtio-no-pow2-split
  if (type === 'unmap' && bugs.has('virtio-unmap-other-split')) return topDownChunks(low, size, pa, granule); // mutant virtio-unmap-other-split
  return alignedChunks(low, size, pa);
}

/** What `n` receives when `m` is mapped or unmapped; nothing when it lies outside n's range. */
export function mappingEvents(type: 'map' | 'unmap', m: Mapping, n: Notifier, granule: bigint, bugs: VirtioBugs): NotifierEvent[] {
  if (!wants(n, type === 'map' ? NOTIFIER_MAP : NOTIFIER_UNMAP) || m.high < n.start || m.low > n.end) return [];
  return chunksFor(type, m, n, granule, bugs).map((c) => ({
    notifier: n.id,
    type,
    entry: {
      iova: c.iova,
      // An UNMAP's translated address means nothing to a consumer; the MAP's keeps it aligned.
      translatedAddr: c.pa,
      addrMask: c.size - 1n,
      perm: type === 'map' ? m.perm : 'none',
      target: 'memory',
    },
  }));
}
