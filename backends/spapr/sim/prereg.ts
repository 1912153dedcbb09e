// Preregistered memory: one mm's list of regions (mm->context.iommu_group_mem_list) and what
// each holds (arch/powerpc/mm/book3s64/iommu_api.c: struct mm_iommu_table_group_mem_t).
//
// A region is keyed by its exact (ua, entries). Its translations are the pages pinned when it
// was created (hpas[]), never the process's page tables again (SPAPR-REG-SNAPSHOT): they are
// kept as runs of frames, one a segment of the address space as it was then.
import type { Errno } from '../../../spec/spapr/ops.ts';
import type { AddressSpace, Segment } from '../../type1/sim/address-space.ts';
import { frameAt } from '../../type1/sim/address-space.ts';
import { PAGE_SHIFT } from '../../type1/sim/constants.ts';
import type { Frame } from '../../type1/sim/frames.ts';

const ctz = (v: bigint): number => {
  let n = 0;
  while ((v & 1n) === 0n) { v >>= 1n; n++; }
  return n;
};

export class Region {
  /** Containers that reference it (mem->used). */
  used = 1;
  /** 1 + the TCEs that point into it (mem->mapped); 0 once released. */
  mapped = 1n;

  constructor(
    readonly ua: bigint,
    readonly entries: bigint,
    readonly pageShift: number,
    private readonly pinned: readonly Segment[],
  ) {}

  get end(): bigint {
    return this.ua + (this.entries << PAGE_SHIFT);
  }

  /** The frame pinned for user address `ua` (mm_iommu_ua_to_hpa). */
  frameAt(ua: bigint): Frame {
    const seg = this.pinned.find((s) => s.start <= ua && ua < s.end) as Segment;
    return frameAt(seg, ua);
  }

  /** The pinned segments overlapping [start, end). */
  segments(start: bigint, end: bigint): Segment[] {
    return this.pinned.filter((s) => s.start < end && start < s.end);
  }
}

/** What pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) gets from [ua, end): the segments, or EFAULT. */
export function pinForWrite(space: AddressSpace, ua: bigint, end: bigint): Segment[] | Errno {
  const segs = space.overlapping(ua, end);
  let cursor = ua;
  for (const seg of segs) {
    // A hole, memory not writable, or a VM_PFNMAP mapping cannot be pinned for write.
    if (seg.start > cursor || seg.prot !== 'rw' || seg.obj.backing === 'mmio') return 'EFAULT';
    cursor = seg.end;
  }
  return cursor < end ? 'EFAULT' : segs;
}

/**
 * mm_iommu_do_alloc's page shift (SPAPR-REG-PAGESHIFT): PAGE_SHIFT unless the first page is a
 * hugetlb page; then the natural alignment of ua and size, lowered by each hugetlb page's shift.
 * The kernel's loop only ever sets its running shift to a huge page's, so a page that is not
 * huge after a huge one does not lower it (MAP then refuses it by SPAPR-MAP-PAGE-SIZE).
 */
export function regionPageShift(ua: bigint, size: bigint, segs: readonly Segment[], hugeShift: number): number {
  if (segs[0]?.obj.backing !== 'hugetlb') return Number(PAGE_SHIFT);
  return Math.min(ctz(ua | size), 63, hugeShift);
}

/** One mm's registered regions. */
export class MmRegions {
  readonly list: Region[] = [];

  /** mm_iommu_get's lookup (without the reference): the region of exactly (ua, entries). */
  exact(ua: bigint, entries: bigint): Region | undefined {
    return this.list.find((r) => r.ua === ua && r.entries === entries);
  }

  /** mm_iommu_lookup: the region holding all of [ua, ua + size). */
  containing(ua: bigint, size: bigint): Region | undefined {
    return this.list.find((r) => r.ua <= ua && ua + size <= r.end);
  }

  overlaps(ua: bigint, end: bigint): boolean {
    return this.list.some((r) => r.ua < end && ua < r.end);
  }

  remove(region: Region): void {
    this.list.splice(this.list.indexOf(region), 1);
    region.mapped = 0n;
  }
}
