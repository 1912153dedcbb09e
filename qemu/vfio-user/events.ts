// What VFIO was told, as notifier events: each DMA_MAP and DMA_UNMAP the vfio-user server
// received becomes one event of the VFIO notifier whose section holds it, and the mappings VFIO holds are kept here to
// check that a reset left none behind.
import type { VfioNotifier } from '../../spec/viommu/backend.ts';
import type { NotifierEvent } from '../../spec/viommu/ops.ts';
import { DMA_WRITE, type DmaMessage } from './protocol.ts';

/**
 * A DMA_MAP: iova, the guest-physical address of its fd offset (all of guest RAM is one memfd
 * from address 0), size - 1, and what VFIO mapped: READ always, WRITE iff the entry allowed
 * write (hw/vfio/listener.c: vfio_iommu_map_notify). A DMA_UNMAP: the UNMAP entry of the range.
 */
export function toEvent(notifier: number, m: DmaMessage): NotifierEvent {
  const addrMask = m.size - 1n;
  if (m.kind === 'unmap') return { notifier, type: 'unmap', entry: { iova: m.iova, translatedAddr: 0n, addrMask, perm: 'none', target: 'memory' } };
  return { notifier, type: 'map', entry: { iova: m.iova, translatedAddr: m.offset, addrMask, perm: m.flags & DMA_WRITE ? 'rw' : 'r', target: 'memory' } };
}

/**
 * The messages as events of the notifier whose section holds each: VFIO has one notifier per
 * IOMMU section and a message comes from one of them (QEMU crops every event to its notifier,
 * memory_region_notify_iommu_one). The last section really reaches past the declared input
 * space [0, top) (the IOMMU region spans aw-bits, 48): a whole-range UNMAP there
 * (vtd_address_space_unmap) comes in aligned chunks, and what lies past `top` covers nothing a
 * case can map and is left out. A message in no section, or a MAP past `top`, is thrown: VFIO
 * could not have been told it.
 */
export function declaredEvents(messages: readonly DmaMessage[], sections: readonly VfioNotifier[], top: bigint): NotifierEvent[] {
  return messages.flatMap((m) => {
    const last = m.iova + m.size - 1n;
    if (m.iova >= top && m.kind === 'unmap') return [];
    const n = sections.find((s) => s.start <= m.iova && m.iova <= s.end);
    if (!n || (last > n.end && n.end !== top - 1n)) throw new Error(`VFIO was sent a DMA_${m.kind.toUpperCase()} of 0x${m.iova.toString(16)}+0x${m.size.toString(16)}, which no declared notifier section holds`);
    if (last < top) return [toEvent(n.notifier, m)];
    if (m.kind === 'map') throw new Error(`VFIO was sent a DMA_MAP at 0x${m.iova.toString(16)}, beyond the declared 2^${top.toString(2).length - 1}`);
    return [toEvent(n.notifier, { ...m, size: top - m.iova })];
  });
}

/** The mappings VFIO holds, by iova: a DMA_UNMAP removes every mapping that starts inside its range. */
export class VfioMappings {
  private readonly live = new Map<bigint, bigint>();

  apply(messages: readonly DmaMessage[]): void {
    for (const m of messages) {
      if (m.kind === 'map') {
        this.live.set(m.iova, m.size);
        continue;
      }
      for (const iova of [...this.live.keys()]) if (iova >= m.iova && iova - m.iova < m.size) this.live.delete(iova);
    }
  }

  /** The live mappings as `iova+size` text, for a message; empty when none. */
  describe(): string {
    return [...this.live].sort(([a], [b]) => (a < b ? -1 : 1)).map(([i, s]) => `0x${i.toString(16)}+0x${s.toString(16)}`).join(' ');
  }

  get size(): number { return this.live.size; }
}
