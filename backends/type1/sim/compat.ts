// The container as iommufd's compat layer serves it: drivers/iommu/iommufd/vfio_compat.c
// (iommufd_vfio_map_dma, iommufd_vfio_unmap_dma, iommufd_vfio_iommu_get_info) over the IOAS of
// io_pagetable.c and the pinning of pages.c. The dma list, the pins and the device view are the
// type1 simulator's; the ioctls answer as iommufd does.
import type { IovaInterval, Errno, Proc } from '../../../spec/type1/ops.ts';
import { MAP_FLAG, UNMAP_FLAG } from '../../../spec/type1/ops.ts';
import { ADDRESS_SPACE_END, PAGE_SIZE, U64_MAX, isAligned } from './constants.ts';
import { Container, type MigrationInfo } from './container.ts';
import type { Dma } from './dma.ts';
import { pinPages } from './pin.ts';

/** iommufd_fill_cap_dma_avail: U32_MAX, whatever is mapped. */
const DMA_AVAIL = 0xffffffffn;

export class CompatContainer extends Container {
  /** iopt->iova_alignment: VFIO_TYPE1_IOMMU disables large pages, which makes it PAGE_SIZE. */
  private get alignment(): bigint {
    return this.policy.v2 || this.minPageSize > PAGE_SIZE ? this.minPageSize : PAGE_SIZE;
  }

  override map(caller: Proc, flags: number, iova: bigint, vaddr: bigint, size: bigint): Errno | undefined {
    if (flags & ~(MAP_FLAG.READ | MAP_FLAG.WRITE)) return 'EINVAL'; // FLAG_VADDR included
    const read = (flags & MAP_FLAG.READ) !== 0;
    const write = (flags & MAP_FLAG.WRITE) !== 0;
    // iopt_alloc_pages, iopt_alloc_user_pages
    if (size === 0n || size > U64_MAX - PAGE_SIZE) return 'EINVAL';
    if (vaddr + size > U64_MAX) return 'EOVERFLOW';
    // iopt_alloc_area_pages, iopt_check_iova
    if (!isAligned(size | iova, this.alignment)) return 'EINVAL';
    if (iova + size - 1n > U64_MAX) return 'EOVERFLOW';
    const end = iova + size;
    if (!this.geometry.iovaRanges.some((r) => r.start <= iova && end - 1n <= r.end)) return 'EINVAL';
    if (this.findOverlap(iova, end) !== undefined) return 'EEXIST';
    if (!isAligned(vaddr, this.alignment)) return 'EINVAL'; // iopt_insert_area: page_offset
    const process = this.host.procs[caller];
    // mutant compat-mmio-followed: PFNMAP pages are followed as type1 does instead of refused.
    const pin = pinPages({ process, vaddr, size, write, policy: this.policy, refusePfnmap: !this.bug('compat-mmio-followed') });
    if (!pin.ok) return pin.errno;
    // VT-d's __domain_mapping refuses an entry with neither permission; the map is undone.
    if (!read && !write) return 'EINVAL';
    // IOPT_PAGES_ACCOUNT_NONE under CAP_IPC_LOCK, IOPT_PAGES_ACCOUNT_MM otherwise.
    const charge = process.capIpcLock ? 0n : pin.charge;
    process.lockedVm += charge;
    const dma: Dma = {
      iova, size, end, read, write, vaddr, vaddrValid: true,
      owner: caller, lockCap: process.capIpcLock, lockedVm: charge, runs: pin.runs,
    };
    this.dmas.splice(this.dmas.partitionPoint((d) => d.iova >= iova), 0, dma);
    return undefined;
  }

  override unmap(_caller: Proc, flags: number, iova: bigint, size: bigint): Errno | bigint {
    if (flags & ~UNMAP_FLAG.ALL) return 'EINVAL';
    if (flags & UNMAP_FLAG.ALL) {
      if (iova !== 0n || size !== 0n) return 'EINVAL';
      return this.removeFrom(0, ADDRESS_SPACE_END);
    }
    // mutant compat-v1-no-cut: VFIO_TYPE1_IOMMU is not emulated, the edges are never cut.
    if (!this.policy.v2 && !this.bug('compat-v1-no-cut')) {
      const cuts = [(iova + size - 1n) & U64_MAX, ...(iova !== 0n ? [iova - 1n] : [])];
      for (const at of cuts) if (!this.cutAfter(at)) return 'EINVAL';
    }
    if (size === 0n) return 'EINVAL';
    if (iova + size - 1n > U64_MAX) return 'EOVERFLOW';
    const end = iova + size;
    const first = this.firstEndingAfter(iova);
    // mutant compat-bisect-atomic: every mapping is checked before any is removed.
    if (this.bug('compat-bisect-atomic') && this.straddler(first, iova, end) !== undefined) return 'ENOENT';
    const bad = this.straddler(first, iova, end);
    const removed = this.removeFrom(first, bad === undefined ? end : (this.dmas.at(bad) as Dma).iova);
    return bad === undefined ? removed : 'ENOENT';
  }

  /** Index of the first mapping from `first` on that meets [iova, end) without lying inside it. */
  private straddler(first: number, iova: bigint, end: bigint): number | undefined {
    for (let i = first; i < this.dmas.length; i++) {
      const dma = this.dmas.at(i) as Dma;
      if (dma.iova >= end) return undefined;
      if (dma.iova < iova || dma.end > end) return i;
    }
    return undefined;
  }

  /** Removes the mappings from index `first` that start below `end`; their total size. */
  private removeFrom(first: number, end: bigint): bigint {
    let last = first;
    while (last < this.dmas.length && (this.dmas.at(last) as Dma).iova < end) last++;
    let unmapped = 0n;
    for (const dma of this.dmas.splice(first, last - first)) {
      unmapped += dma.size;
      this.host.procs[dma.owner].uncharge(dma.lockedVm);
    }
    return unmapped;
  }

  /** iopt_area_split: cut the mapping holding byte `at` after it; false when the cut is unaligned. */
  private cutAfter(at: bigint): boolean {
    const dma = this.dmaAt(at);
    if (dma === undefined || at === dma.iova || at === dma.end - 1n) return true;
    if (!isAligned(at + 1n, this.alignment)) return false;
    this.splitAt(at + 1n);
    return true;
  }

  /** iommufd_vfio_ioctl: VFIO_IOMMU_DIRTY_PAGES is -ENOIOCTLCMD, which vfs_ioctl turns into ENOTTY. */
  override dirtyPages(flags: number): Errno | undefined {
    // mutant compat-dirty-pages: answered as type1 v2 does.
    return this.bug('compat-dirty-pages') ? super.dirtyPages(flags) : 'ENOTTY';
  }

  /** iommufd_vfio_iommu_get_info: DMA_AVAIL and IOVA_RANGE only. */
  override migration(): MigrationInfo {
    return { present: false, pgsizes: 0n, maxDirtyBitmapSize: 0n };
  }

  override info(): { pgsizes: bigint; iovaRanges: IovaInterval[]; dmaAvail: bigint } {
    const info = super.info();
    // mutant compat-dma-avail-limit: reports type1's dma_entry_limit less the mappings.
    return { ...info, dmaAvail: this.bug('compat-dma-avail-limit') ? info.dmaAvail : DMA_AVAIL };
  }
}
