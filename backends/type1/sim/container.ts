// The type1 container: the dma list and the MAP_DMA / UNMAP_DMA / GET_INFO / DIRTY_PAGES ioctls
// (drivers/vfio/vfio_iommu_type1.c: vfio_dma_do_map, vfio_dma_do_unmap,
// vfio_iommu_type1_dirty_pages).
//
// The dma list is kept sorted by iova, entries disjoint, and searched by bisection, so a lookup
// costs O(log n) whatever the sizes. Every check runs before any state changes, in the
// kernel's order, so a failure leaves the container and locked_vm as they were (T1-MAP-ATOMIC).
import type { Geometry } from '../../../spec/type1/backend.ts';
import { DIRTY_FLAG, MAP_FLAG, UNMAP_FLAG, type Errno, type IovaInterval, type MappingDump, type Proc } from '../../../spec/type1/ops.ts';
import { ADDRESS_SPACE_END, PAGE_SIZE, U64_MAX, isAligned } from './constants.ts';
import { frameOf, pinnedByMappings, splitDma, type Dma } from './dma.ts';
import type { Frame } from './frames.ts';
import type { Host } from './host.ts';
import { pinPages } from './pin.ts';
import { hasBug, type MutantId, type Policy } from './policy.ts';
import { ChunkedList } from '../../sorted.ts';

const MAP_FLAGS = MAP_FLAG.READ | MAP_FLAG.WRITE | MAP_FLAG.VADDR;
const UNMAP_FLAGS = UNMAP_FLAG.GET_DIRTY_BITMAP | UNMAP_FLAG.ALL | UNMAP_FLAG.VADDR;

/** GET_INFO's VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION; `present` false when the chain lacks it. */
export interface MigrationInfo { present: boolean; pgsizes: bigint; maxDirtyBitmapSize: bigint }

/** DIRTY_BITMAP_BYTES(DIRTY_BITMAP_PAGES_MAX): INT_MAX bits, aligned to 64, in bytes. */
const DIRTY_BITMAP_SIZE_MAX = 1n << 28n;

/** mutant unmap-stale-tail: an IOTLB entry that outlived its mapping. */
export interface StaleEntry { frame: Frame; read: boolean; write: boolean }

export class Container {
  protected readonly dmas = new ChunkedList<Dma>();
  /** mutant unmap-stale-tail: iova page -> stale translation; always empty otherwise. */
  readonly staleTail = new Map<bigint, StaleEntry>();
  /** The smallest IOMMU page: every iova, vaddr and size must be a multiple of it. */
  readonly minPageSize: bigint;

  constructor(protected readonly geometry: Geometry, protected readonly policy: Policy, protected readonly host: Host) {
    this.minPageSize = geometry.pgsizes & -geometry.pgsizes;
  }

  protected bug(id: MutantId): boolean {
    return hasBug(this.policy, id);
  }

  /** Index of the first mapping that ends after `iova`. */
  protected firstEndingAfter(iova: bigint): number {
    return this.dmas.partitionPoint((d) => d.end > iova);
  }

  dmaAt(iova: bigint): Dma | undefined {
    const dma = this.dmas.at(this.firstEndingAfter(iova));
    return dma !== undefined && dma.iova <= iova ? dma : undefined;
  }

  /** vfio_find_dma: a mapping overlapping [iova, end). */
  protected findOverlap(iova: bigint, end: bigint): Dma | undefined {
    const dma = this.dmas.at(this.firstEndingAfter(iova));
    if (dma === undefined) return undefined;
    const lastPage = end - this.minPageSize;
    // mutant overlap-off-by-one: `<` misses a request whose last page is the mapping's first.
    const overlaps = this.bug('overlap-off-by-one') ? dma.iova < lastPage : dma.iova <= lastPage;
    return overlaps ? dma : undefined;
  }

  map(caller: Proc, flags: number, iova: bigint, vaddr: bigint, size: bigint): Errno | undefined {
    if (flags & ~MAP_FLAGS) return 'EINVAL'; // T1-MAP-FLAGS
    const read = (flags & MAP_FLAG.READ) !== 0;
    const write = (flags & MAP_FLAG.WRITE) !== 0;
    const setVaddr = (flags & MAP_FLAG.VADDR) !== 0;
    if ((read || write) === setVaddr) return 'EINVAL'; // T1-MAP-PERM
    if (size === 0n || !isAligned(size | iova | vaddr, this.minPageSize)) return 'EINVAL';
    if (iova + size - 1n > U64_MAX || vaddr + size - 1n > U64_MAX) return 'EINVAL'; // T1-MAP-WRAP
    const end = iova + size;
    const overlap = this.findOverlap(iova, end);
    if (setVaddr) return this.updateVaddr(caller, overlap, iova, size, vaddr);
    if (overlap !== undefined) return 'EEXIST';
    if (this.isFull()) return 'ENOSPC';
    if (!this.geometry.iovaRanges.some((r) => r.start <= iova && end - 1n <= r.end)) return 'EINVAL';

    const process = this.host.procs[caller];
    const pin = pinPages({
      process, vaddr, size, write, policy: this.policy,
      ...(this.bug('charge-once') ? { pinnedElsewhere: (f: Frame, n: bigint) => pinnedByMappings(this.dmas, f, n) } : {}),
    });
    if (!pin.ok) {
      // mutant failed-map-keeps-charge: the error path forgets to give back what it charged.
      if (this.bug('failed-map-keeps-charge')) process.lockedVm += pin.chargedBeforeFailure;
      return pin.errno;
    }
    process.lockedVm += pin.charge; // T1-ACCT-CHARGE, with or without CAP_IPC_LOCK
    const dma: Dma = {
      iova, size, end, read, write, vaddr, vaddrValid: true,
      owner: caller, lockCap: process.capIpcLock, lockedVm: pin.charge, runs: pin.runs,
    };
    this.dmas.splice(this.dmas.partitionPoint((d) => d.iova >= iova), 0, dma);
    for (const page of this.staleTail.keys()) if (page >= iova && page < end) this.staleTail.delete(page);
    return undefined;
  }

  /** T1-MAP-ENTRY-LIMIT: with dma_entry_limit mappings (`dma_avail == 0`) no new one fits. */
  private isFull(): boolean {
    const count = BigInt(this.dmas.length);
    // mutant entry-limit-off-by-one: `>` lets one mapping past the limit.
    return this.bug('entry-limit-off-by-one') ? count > this.geometry.dmaEntryLimit : count >= this.geometry.dmaEntryLimit;
  }

  /** MAP_DMA with FLAG_VADDR (T1-VADDR-UPDATE, T1-VADDR-UPDATE-ERRNO). */
  private updateVaddr(caller: Proc, dma: Dma | undefined, iova: bigint, size: bigint, vaddr: bigint): Errno | undefined {
    if (dma === undefined) return 'ENOENT';
    if (dma.vaddrValid || dma.iova !== iova || dma.size !== size) return 'EINVAL';
    if (dma.owner !== caller) {
      // vfio_change_dma_owner: the charge moves to the updating process's mm, which must have
      // room for it unless that process has CAP_IPC_LOCK now.
      const next = this.host.procs[caller];
      if (dma.lockedVm > 0n && !next.capIpcLock && next.lockedVm + dma.lockedVm > next.memlockLimitPages) return 'ENOMEM';
      next.lockedVm += dma.lockedVm;
      this.host.procs[dma.owner].uncharge(dma.lockedVm);
      dma.owner = caller;
      dma.lockCap = next.capIpcLock;
    }
    dma.vaddr = vaddr;
    dma.vaddrValid = true;
    return undefined;
  }

  /** UNMAP_DMA: the bytes unmapped (or invalidated), or an errno with nothing changed. */
  unmap(caller: Proc, flags: number, iova: bigint, size: bigint): Errno | bigint {
    if (flags & ~UNMAP_FLAGS) return 'EINVAL'; // T1-UNMAP-FLAGS
    // GET_DIRTY_BITMAP with ALL or VADDR is refused outright; alone it needs dirty tracking,
    // which is never started here (VFIO_IOMMU_DIRTY_PAGES is not modelled), so it fails too.
    if (flags & UNMAP_FLAG.GET_DIRTY_BITMAP) return 'EINVAL';
    const all = (flags & UNMAP_FLAG.ALL) !== 0;
    const invalidate = (flags & UNMAP_FLAG.VADDR) !== 0;
    if (!isAligned(iova, this.minPageSize)) return 'EINVAL';
    let end: bigint;
    if (all) {
      if (iova !== 0n || size !== 0n) return 'EINVAL'; // T1-UNMAP-ALL
      end = ADDRESS_SPACE_END;
    } else {
      if (size === 0n || !isAligned(size, this.minPageSize) || iova + size - 1n > U64_MAX) return 'EINVAL'; // T1-UNMAP-ARGS
      end = iova + size;
      if (this.policy.v2 && this.bisects(iova, end)) {
        if (!this.bug('v2-bisect-allowed')) return 'EINVAL'; // T1-UNMAP-V2-BISECT
        this.splitAt(iova); // mutant v2-bisect-allowed: cut the mappings instead
        this.splitAt(end);
      }
      // mutant top-of-space-unmap: iova + size computed in u64 is 0 for a range ending at 2^64 - 1.
      if (this.bug('top-of-space-unmap')) end = BigInt.asUintN(64, end);
    }

    let first = this.firstEndingAfter(iova);
    const straddling = this.dmas.at(first);
    if (!this.policy.v2 && straddling !== undefined && straddling.iova < iova) {
      if (!this.bug('v1-unmap-inside')) return 0n; // T1-UNMAP-V1-START-INSIDE
      first++; // mutant v1-unmap-inside: skip the straddling mapping, unmap the rest
    }
    let last = first;
    while (last < this.dmas.length && (this.dmas.at(last) as Dma).iova < end) last++;
    // mutant empty-unmap-enoent: iommufd's answer to an empty range.
    if (first === last && !all && !invalidate && this.bug('empty-unmap-enoent')) return 'ENOENT';
    if (invalidate) return this.invalidateVaddr(first, last);

    let unmapped = 0n;
    for (const dma of this.dmas.splice(first, last - first)) {
      unmapped += dma.size;
      // T1-ACCT-UNCHARGE: the charge goes back to dma->mm. mutant uncharge-caller: to the caller.
      this.host.procs[this.bug('uncharge-caller') ? caller : dma.owner].uncharge(dma.lockedVm);
      if (this.bug('unmap-stale-tail')) {
        // mutant unmap-stale-tail: the IOTLB flush misses the mapping's last page (T1-NO-STALE).
        const tail = dma.end - PAGE_SIZE;
        this.staleTail.set(tail, { frame: frameOf(dma, tail), read: dma.read, write: dma.write });
      }
    }
    return unmapped;
  }

  /** v2: a mapping that contains iova but starts before it, or contains end - 1 but ends after. */
  private bisects(iova: bigint, end: bigint): boolean {
    const head = this.dmaAt(iova);
    const tail = this.dmaAt(end - 1n);
    return (head !== undefined && head.iova !== iova) || (tail !== undefined && tail.end !== end);
  }

  /** UNMAP_DMA with FLAG_VADDR over dmas[first, last) (T1-VADDR-INVALIDATE, -ATOMIC). */
  private invalidateVaddr(first: number, last: number): Errno | bigint {
    let invalidated = 0n;
    for (let i = first; i < last; i++) {
      const dma = this.dmas.at(i) as Dma;
      if (!dma.vaddrValid) {
        // Undo this call's invalidations. mutant vaddr-no-revert: keep them.
        if (!this.bug('vaddr-no-revert')) for (let j = first; j < i; j++) (this.dmas.at(j) as Dma).vaddrValid = true;
        return 'EINVAL';
      }
      dma.vaddrValid = false;
      invalidated += dma.size;
    }
    return invalidated;
  }

  /** vfio_iommu_unmap_unpin_all at release: every charge goes back to its owner. */
  release(): void {
    for (const dma of this.dmas.splice(0, this.dmas.length)) {
      // mutant close-keeps-charge
      if (!this.bug('close-keeps-charge')) this.host.procs[dma.owner].uncharge(dma.lockedVm);
    }
    this.staleTail.clear();
  }

  info(): { pgsizes: bigint; iovaRanges: IovaInterval[]; dmaAvail: bigint } {
    // dma_avail is an unsigned int; the entry-limit mutant can drive it below zero.
    const avail = BigInt.asUintN(32, this.geometry.dmaEntryLimit - BigInt(this.dmas.length));
    return {
      pgsizes: this.geometry.pgsizes,
      iovaRanges: this.geometry.iovaRanges.map((r) => ({ ...r })),
      // mutant dma-avail-stale: reports the limit as if nothing were mapped.
      dmaAvail: this.bug('dma-avail-stale') ? this.geometry.dmaEntryLimit : avail,
    };
  }

  /**
   * vfio_iommu_type1_dirty_pages with argsz = the header: no range follows the flags. START and
   * STOP succeed whatever iommu->dirty_page_tracking holds, and nothing the suite sends reads it.
   */
  dirtyPages(flags: number): Errno | undefined {
    if (!this.policy.v2) return 'EACCES';
    if (flags & ~(DIRTY_FLAG.START | DIRTY_FLAG.STOP | DIRTY_FLAG.GET_BITMAP)) return 'EINVAL';
    const lowest = flags & -flags;
    if (lowest !== flags) return 'EINVAL'; // more than one flag
    switch (flags) {
      case DIRTY_FLAG.START: case DIRTY_FLAG.STOP: return undefined;
      case DIRTY_FLAG.GET_BITMAP: return 'EINVAL'; // data_size 0: no vfio_iommu_type1_dirty_bitmap_get
      default: return 'EINVAL'; // no flag at all
    }
  }

  /** vfio_iommu_migration_build_caps: always in the chain, v1 included. */
  migration(): MigrationInfo {
    // mutant migration-cap-missing: GET_INFO leaves the capability out of the chain.
    if (this.bug('migration-cap-missing')) return { present: false, pgsizes: 0n, maxDirtyBitmapSize: 0n };
    return { present: true, pgsizes: this.geometry.pgsizes & -this.geometry.pgsizes, maxDirtyBitmapSize: DIRTY_BITMAP_SIZE_MAX };
  }

  dump(): MappingDump[] {
    return [...this.dmas].map((d) => ({ iova: d.iova, size: d.size, read: d.read, write: d.write }));
  }

  /** Cut the mapping containing `at` in two (the compat layer's v1 cuts; mutant v2-bisect-allowed). */
  protected splitAt(at: bigint): void {
    const i = this.firstEndingAfter(at);
    const dma = this.dmas.at(i);
    if (dma !== undefined && dma.iova < at) this.dmas.splice(i, 1, ...splitDma(dma, at));
  }
}
