// The preregistered regions of one mm (arch/powerpc/mm/book3s64/iommu_api.c: the mm's
// iommu_group_mem_list): each pins its pages once, at REGISTER, and keeps the frames it pinned
// as its translations (SPAPR-REG-SNAPSHOT), whatever the process maps there later.
import { IntervalMap } from '../interval-map.ts';
import { PAGE_SIZE, type FrameRun, type Process } from '../host.ts';

export interface Region {
  ua: bigint;
  size: bigint;
  /** mem->pageshift: the largest IOMMU page a TCE into it may use (SPAPR-REG-PAGESHIFT). */
  pageShift: number;
  /** The frames pinned at REGISTER, `offset` from `ua`. */
  frames: FrameRun[];
  /** The containers whose prereg_list holds it (mem->used). */
  users: Set<object>;
  /** Valid TCEs pointing into it, in IOMMU pages (mem->mapped less its initial 1). */
  tces: bigint;
  /** Pages charged to the mm's locked_vm. */
  charge: bigint;
}

const lowestSetBit = (v: bigint): number => {
  let n = 0;
  while ((v & 1n) === 0n) {
    v >>= 1n;
    n++;
  }
  return n;
};

/**
 * mm_iommu_do_alloc: the natural alignment of ua and size, cut to PAGE_SHIFT unless the pages are
 * hugetlb. The running shift it compares with starts at PAGE_SHIFT and only ever becomes a huge
 * page's, so a region whose first page is small is small throughout, and one that starts on a
 * huge page keeps the huge shift over small pages after it (which MAP then refuses page by page,
 * SPAPR-MAP-PAGE-SIZE).
 */
export function regionPageShift(ua: bigint, size: bigint, frames: readonly FrameRun[], kernelPageShift: number, hugeShift: number): number {
  let shift = lowestSetBit(ua | size);
  let running = kernelPageShift;
  for (const run of frames) {
    if (shift > kernelPageShift && run.backing === 'hugetlb') running = hugeShift;
    shift = Math.min(shift, running);
  }
  return shift;
}

/** Whether pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) of the range fails (SPAPR-REG-FAULT). */
export function pinFault(proc: Process, ua: bigint, size: bigint): boolean {
  const { runs, hole } = proc.lookup(ua, size);
  return hole !== null || runs.some((r) => r.prot !== 'rw' || r.backing === 'mmio');
}

export class Registry {
  readonly regions = new IntervalMap<Region>();

  /** mm_iommu_get / mm_iommu_find: the region of exactly (ua, size). */
  exact(ua: bigint, size: bigint): Region | undefined {
    const r = this.regions.containing(ua);
    return r && r.ua === ua && r.size === size ? r : undefined;
  }

  /** mm_iommu_lookup: the region holding all of [ua, ua + size). */
  holding(ua: bigint, size: bigint): Region | undefined {
    const r = this.regions.containing(ua);
    return r && ua + size <= r.ua + r.size ? r : undefined;
  }

  overlaps(ua: bigint, size: bigint): boolean {
    return this.regions.overlapping(ua, ua + size).length > 0;
  }

  add(r: Region): void {
    this.regions.insert(r.ua, r.ua + r.size, r);
  }

  remove(r: Region): void {
    this.regions.remove(r.ua);
  }
}

/** The frame a registered user address translates to (mm_iommu_ua_to_hpa). */
export function regionFrame(r: Region, ua: bigint): { object: number; page: bigint; backing: FrameRun['backing'] } {
  const off = ua - r.ua;
  const run = r.frames.find((f) => f.offset <= off && off < f.offset + f.pages * PAGE_SIZE)!;
  return { object: run.object, page: run.pgoff + (off - run.offset) / PAGE_SIZE, backing: run.backing };
}
