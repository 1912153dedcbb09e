// VFIO's consumer of a MAP|UNMAP notifier, driving the type1 model as hw/vfio drives a
// container (hw/vfio/listener.c: vfio_iommu_map_notify): a MAP of guest RAM becomes
// VFIO_IOMMU_MAP_DMA of the RAM's host address, an UNMAP becomes VFIO_IOMMU_UNMAP_DMA, and a
// failure is only logged. So a vIOMMU's duplicate MAP (EEXIST) or bisecting UNMAP (EINVAL on
// type1v2) leaves the host IOMMU holding a stale mapping (VIOMMU-VFIO-HOST).
import type { Errno } from '../../spec/errno.ts';
import { hex } from '../../spec/u64.ts';
import type { BackendInfo as Type1Info } from '../../spec/type1/backend.ts';
import { MAP_FLAG } from '../../spec/type1/ops.ts';
import type { NotifierEvent } from '../../spec/viommu/ops.ts';
import { SystemModel } from '../type1/system.ts';
import { RangeMap } from './ranges.ts';

/** Guest RAM is host memory at host address = guest address, mapped a GiB-aligned hole at a time. */
const RAM_CHUNK = 1n << 30n;
const HOST_TOP = (1n << 64n) - RAM_CHUNK;

const CONTAINER: Type1Info = {
  name: 'vfio-consumer', description: 'the type1 container behind a VFIO-assigned device', profile: 'type1v2', capabilities: [],
  geometry: { pgsizes: 0x40201000n, iovaRanges: [{ start: 0n, end: (1n << 64n) - 1n }], dmaEntryLimit: 1n << 32n },
  host: { pageSize: 0x1000n, hugePageSize: 0x200000n, arena: { start: 0n, size: HOST_TOP }, taskSize: HOST_TOP },
};

/** Whether VFIO can map [pa, pa + size) of guest RAM: the top GiB stands for what is not RAM. */
export const hostable = (pa: bigint, size: bigint): boolean => pa + size <= HOST_TOP;

export class VfioConsumer {
  private readonly host = new SystemModel(CONTAINER);
  /** The guest RAM already given a host mapping. */
  private readonly backed = new RangeMap<true>((v) => v);

  /** What the container answers to the call VFIO makes for `ev`; null when VFIO makes none. */
  feed(ev: NotifierEvent): { call: string; errno: Errno | null } | null {
    const { iova, addrMask, translatedAddr: pa, perm, target } = ev.entry;
    const size = addrMask + 1n;
    if (ev.type === 'map') {
      // "Wrong target AS" / "iommu map to non memory area": logged, nothing mapped.
      if (target !== 'memory' || !hostable(pa, size)) return null;
      this.back(pa, size);
      const flags = MAP_FLAG.READ | (perm === 'w' || perm === 'rw' ? MAP_FLAG.WRITE : 0);
      const r = this.host.apply({ op: 'map', proc: 0, flags, iova, vaddr: pa, size }).result;
      return { call: `MAP_DMA ${hex(iova)}+${hex(size)}`, errno: r.ok ? null : r.errno };
    }
    if (ev.type !== 'unmap') return null;
    const r = this.host.apply({ op: 'unmap', proc: 0, flags: 0, iova, size }).result;
    return { call: `UNMAP_DMA ${hex(iova)}+${hex(size)}`, errno: r.ok ? null : r.errno };
  }

  /** The host IOMMU's mappings meeting [start, end), ascending. */
  mappings(start: bigint, end: bigint): { iova: bigint; size: bigint }[] {
    return this.host.container.overlapping(start, end).map(({ iova, size }) => ({ iova, size }));
  }

  lockedVm(): bigint {
    return this.host.procs[0]!.lockedVm;
  }

  /** One host mmap per hole, GiB-aligned: the cost is per mapping, not per byte. */
  private back(pa: bigint, size: bigint): void {
    const start = pa - (pa % RAM_CHUNK);
    const end = pa + size + ((RAM_CHUNK - ((pa + size) % RAM_CHUNK)) % RAM_CHUNK);
    for (const hole of this.backed.cover(start, end)) {
      if (hole.value) continue;
      this.host.apply({ op: 'mmap', proc: 0, vaddr: hole.start, size: hole.end - hole.start, prot: 'rw', backing: 'anon' });
      this.backed.set(hole.start, hole.end, true);
    }
  }
}
