// What VFIO was told, as notifier events: each DMA_MAP and DMA_UNMAP the vfio-user server
// received becomes one event of VFIO's notifier, and the mappings VFIO holds are kept here to
// check that a reset left none behind.
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
 * The events inside the declared input space [0, top). QEMU's IOMMU region spans aw-bits (48)
 * while the tables the cases write cover 39 bits, so VFIO's UNMAPs of a whole notifier range
 * (vtd_address_space_unmap) reach past `top`: the part beyond covers nothing a case can map and
 * is left out (an aligned chunk meets [0, top) whole, not at all, or as all of it). A MAP past
 * `top` would be a mapping no case made: thrown.
 */
export function declaredPart(events: NotifierEvent[], top: bigint): NotifierEvent[] {
  return events.flatMap((ev) => {
    const { iova, addrMask } = ev.entry;
    if (iova + addrMask < top) return [ev];
    if (ev.type === 'map') throw new Error(`VFIO was sent a DMA_MAP at 0x${iova.toString(16)}, beyond the declared 2^${top.toString(2).length - 1}`);
    return iova >= top ? [] : [{ ...ev, entry: { ...ev.entry, iova: 0n, addrMask: top - 1n } }];
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
