// The type1 container as iommufd's compat layer serves it (drivers/iommu/iommufd/vfio_compat.c
// over io_pagetable.c and pages.c): the profiles type1v2-compat and type1v1-compat.
//
// The same ioctls and mappings as Type1Container, with the departures the rules state in their
// "Compat:" variants and in the T1-COMPAT-* rules: the IOAS checks in iommufd's order, no
// entry limit, MMIO refused, nothing charged under CAP_IPC_LOCK, unaligned unmaps walked, a v2
// unmap that stops at the first mapping it would cut (keeping what it removed before), a v1
// unmap that cuts its edges first, and no dirty tracking.
import type { Errno } from '../../spec/type1/ops.ts';
import { MAP_FLAG, UNMAP_FLAG } from '../../spec/type1/ops.ts';
import type { RuleId } from '../../spec/type1/rules.ts';
import { PAGE_SIZE, type FrameRun } from '../host.ts';
import { Type1Container, U64_LIMIT, failWith, firstOf, type Check, type Dma, type MigrationCap, type Outcome } from './container.ts';

/** What iommufd_fill_cap_dma_avail reports, whatever is mapped (T1-INFO-DMA-AVAIL). */
export const COMPAT_DMA_AVAIL = 0xffffffffn;

const PIN_ERRNOS: readonly Errno[] = ['EFAULT', 'ENOMEM'];

export class CompatContainer extends Type1Container {
  override get dmaAvail(): bigint {
    return COMPAT_DMA_AVAIL;
  }

  /** iopt->iova_alignment: VFIO_TYPE1_IOMMU disables large pages, which raises it to PAGE_SIZE. */
  private get alignment(): bigint {
    return this.v2 || this.minPageSize > PAGE_SIZE ? this.minPageSize : PAGE_SIZE;
  }

  /** iommufd_vfio_map_dma, then iopt_map_user_pages, in their order (T1-MAP-CHECK-ORDER, Compat). */
  override map(proc: number, flags: number, iova: bigint, vaddr: bigint, size: bigint): Outcome {
    if (flags & ~(MAP_FLAG.READ | MAP_FLAG.WRITE)) return failWith('EINVAL', 'T1-MAP-FLAGS');
    const read = (flags & MAP_FLAG.READ) !== 0;
    const write = (flags & MAP_FLAG.WRITE) !== 0;
    // pages.c: iopt_alloc_pages, iopt_alloc_user_pages.
    if (size === 0n) return failWith('EINVAL', 'T1-MAP-SIZE-ZERO');
    const vaddrWraps = vaddr + size >= U64_LIMIT;
    // iopt_alloc_user_pages (with IOAS_MAP_FILE) checks the vaddr before iopt_alloc_pages the size.
    if (size > U64_LIMIT - 1n - PAGE_SIZE) return failWith('EINVAL', 'T1-MAP-WRAP', vaddrWraps ? { accept: ['EOVERFLOW'] } : {});
    if (vaddrWraps) return failWith('EOVERFLOW', 'T1-MAP-WRAP', { accept: ['EFAULT'] });
    // io_pagetable.c: iopt_alloc_area_pages, iopt_check_iova.
    const align = this.alignment;
    if (size % align !== 0n || iova % align !== 0n) return failWith('EINVAL', 'T1-MAP-ALIGN');
    if (iova + size > U64_LIMIT) return failWith('EOVERFLOW', 'T1-MAP-WRAP');
    const failed: Check[] = [];
    if (!this.iovaValid(iova, iova + size - 1n)) failed.push({ errno: 'EINVAL', rule: 'T1-MAP-IOVA-RANGE' });
    if (this.overlapping(iova, iova + size).length > 0) failed.push({ errno: 'EEXIST', rule: 'T1-MAP-OVERLAP' });
    // iopt_insert_area: the vaddr's offset in its page.
    if (vaddr % align !== 0n) failed.push({ errno: 'EINVAL', rule: 'T1-MAP-ALIGN' });
    const pin = this.pinScan(proc, vaddr, size, write, 'refuse');
    if (failed.length > 0) return firstOf([...failed, ...pin.failed])!;
    // Pinning charges batch by batch, so either pinning errno may come first; and VT-d refuses
    // a domain entry with neither permission only once a batch is pinned (T1-MAP-PERM, Compat).
    const pinErrnos = [...new Set(pin.failed.map((c) => c.errno))];
    if (!read && !write) return failWith('EINVAL', 'T1-MAP-PERM', pinErrnos.length ? { accept: pinErrnos } : {});
    const first = pin.failed[0];
    if (first) {
      const others = PIN_ERRNOS.filter((e) => e !== first.errno && pinErrnos.includes(e));
      return failWith(first.errno, first.rule, others.length ? { accept: others } : {});
    }
    // IOPT_PAGES_ACCOUNT_NONE under CAP_IPC_LOCK: nothing charged (T1-ACCT-CHARGE, Compat).
    const charge = this.procs[proc]!.capIpcLock ? 0n : pin.charge;
    return this.commitMap(proc, iova, vaddr, size, read, write, { runs: pin.runs, charge });
  }

  /** iommufd_vfio_ioctl has no VFIO_IOMMU_DIRTY_PAGES: ENOTTY, v1 or v2 (T1-COMPAT-DIRTY-ENOTTY). */
  override dirtyPages(_flags: number): Outcome {
    return failWith('ENOTTY', 'T1-COMPAT-DIRTY-ENOTTY');
  }

  /** iommufd_vfio_iommu_get_info fills DMA_AVAIL and IOVA_RANGE only (T1-INFO-MIGRATION, Compat). */
  override get migration(): MigrationCap {
    return { present: false, pgsizes: 0n, maxDirtyBitmapSize: 0n };
  }

  /** iommufd_vfio_unmap_dma: FLAG_ALL, or the v1 cuts then iopt_unmap_iova. */
  override unmap(flags: number, iova: bigint, size: bigint): Outcome<{ unmapped: bigint }> {
    if (flags & ~UNMAP_FLAG.ALL) return failWith('EINVAL', 'T1-UNMAP-FLAGS');
    if (flags & UNMAP_FLAG.ALL) {
      if (iova !== 0n || size !== 0n) return failWith('EINVAL', 'T1-UNMAP-ALL');
      const all = this.overlapping(0n, U64_LIMIT);
      for (const d of all) this.remove(d);
      return { ok: true, unmapped: all.reduce((sum, d) => sum + d.size, 0n), rule: 'T1-UNMAP-ALL' };
    }
    if (!this.v2) {
      // iopt_cut_iova over {iova + size - 1, iova - 1}, u64 arithmetic, the second only if iova != 0.
      const cuts = [BigInt.asUintN(64, iova + size - 1n), ...(iova !== 0n ? [iova - 1n] : [])];
      for (const at of cuts) if (!this.cutAfter(at)) return failWith('EINVAL', 'T1-COMPAT-UNMAP-V1-CUT');
    }
    if (size === 0n) return failWith('EINVAL', 'T1-UNMAP-ARGS');
    if (iova + size > U64_LIMIT) return failWith('EOVERFLOW', 'T1-UNMAP-ARGS');
    const end = iova + size;
    let unmapped = 0n;
    // iopt_unmap_iova_range: ascending; an area not inside the range stops the walk, what was
    // removed before stays removed.
    for (const d of this.overlapping(iova, end)) {
      if (d.iova < iova || d.iova + d.size > end) return failWith('ENOENT', this.v2 ? 'T1-COMPAT-UNMAP-V2-BISECT' : 'T1-COMPAT-UNMAP-V1-CUT');
      this.remove(d);
      unmapped += d.size;
    }
    if (unmapped === 0n) return { ok: true, unmapped, rule: 'T1-UNMAP-EMPTY', accept: ['ENOENT'] };
    const rule: RuleId = !this.v2 ? 'T1-COMPAT-UNMAP-V1-CUT' : end === U64_LIMIT ? 'T1-UNMAP-TOP' : 'T1-UNMAP-V2-EXACT';
    return { ok: true, unmapped, rule };
  }

  /**
   * iopt_area_split(area, at): the mapping holding byte `at` becomes two, the first ending at
   * `at`; nothing to do at its first or last byte or where nothing is mapped. False when the
   * second piece would start unaligned (EINVAL).
   */
  private cutAfter(at: bigint): boolean {
    const d = this.containing(at);
    if (!d || at === d.iova || at === d.iova + d.size - 1n) return true;
    const start = at + 1n;
    if (start % this.alignment !== 0n) return false;
    // The pieces share the mapping's pages and its charge: nothing is unpinned or uncharged.
    this.remove(d);
    for (const part of [piece(d, d.iova, start), piece(d, start, d.iova + d.size)]) {
      this.procs[part.owner]!.lockedVm += part.lockedVm;
      this.dmas.insert(part.iova, part.iova + part.size, part);
      for (const run of part.frames) this.pins.add(run.object, run.pgoff, run.pages, part);
    }
    return true;
  }

  private remove(d: Dma): void {
    this.release(d);
    this.dmas.remove(d.iova);
  }
}

/**
 * [from, to) of `d` as a mapping of its own: its frames, and the charge of the pages it keeps
 * (a compat mapping is charged for every page or, under CAP_IPC_LOCK, for none).
 */
function piece(d: Dma, from: bigint, to: bigint): Dma {
  const lo = from - d.iova;
  const hi = to - d.iova;
  const frames: FrameRun[] = [];
  for (const f of d.frames) {
    const a = f.offset > lo ? f.offset : lo;
    const fEnd = f.offset + f.pages * PAGE_SIZE;
    const b = fEnd < hi ? fEnd : hi;
    if (a < b) frames.push({ ...f, pgoff: f.pgoff + (a - f.offset) / PAGE_SIZE, pages: (b - a) / PAGE_SIZE, offset: a - lo });
  }
  const size = to - from;
  return { ...d, iova: from, size, vaddr: d.vaddr + lo, frames, lockedVm: d.lockedVm === 0n ? 0n : size / PAGE_SIZE };
}
