// One process's address space: a sorted list of disjoint segments.
//
// A segment is a run of pages with one protection that maps consecutive frames of one memory
// object. A VMA, as Linux sees it, is a maximal chain of adjacent segments that Linux would
// have merged (see `sameVma`); VMA boundaries matter only to mremap (the old range must lie in
// one VMA) and to hugetlb splits. Every operation costs O(log n + segments touched), never
// O(pages).
import type { Prot } from '../../../spec/type1/ops.ts';
import { PAGE_SHIFT, isAligned, max, min } from './constants.ts';
import type { Frame, MemObject } from './frames.ts';
import { ChunkedList } from '../../sorted.ts';

export interface Segment {
  readonly start: bigint;
  /** Exclusive. */
  readonly end: bigint;
  readonly prot: Prot;
  readonly obj: MemObject;
  /** The object page mapped at `start`. */
  readonly page: bigint;
}

export const frameAt = (seg: Segment, vaddr: bigint): Frame =>
  ({ obj: seg.obj, page: seg.page + ((vaddr - seg.start) >> PAGE_SHIFT) });

/** `seg` restricted to [start, end), which must lie inside it. */
export const clip = (seg: Segment, start: bigint, end: bigint): Segment =>
  ({ ...seg, start, end, page: seg.page + ((start - seg.start) >> PAGE_SHIFT) });

/** `seg` moved to begin at `start`, with the same frames. */
export const moveTo = (seg: Segment, start: bigint): Segment =>
  ({ ...seg, start, end: start + (seg.end - seg.start) });

/**
 * Whether Linux would hold adjacent `a` and `b` in one VMA: private anonymous memory of equal
 * protection merges (vma_merge); hugetlbfs and PFNMAP VMAs merge only with the rest of the
 * same file at the next offset, i.e. when a split (mprotect) is undone.
 */
export function sameVma(a: Segment, b: Segment): boolean {
  if (a.end !== b.start || a.prot !== b.prot || a.obj.backing !== b.obj.backing) return false;
  return a.obj.backing === 'anon' || (a.obj === b.obj && a.page + ((a.end - a.start) >> PAGE_SHIFT) === b.page);
}

export class AddressSpace {
  private readonly segs = new ChunkedList<Segment>();

  /** `hugePageSize`: the page size of every hugetlb VMA. */
  constructor(private readonly hugePageSize: bigint) {}

  private firstEndingAfter(vaddr: bigint): number {
    return this.segs.partitionPoint((s) => s.end > vaddr);
  }

  find(vaddr: bigint): Segment | undefined {
    const seg = this.segs.at(this.firstEndingAfter(vaddr));
    return seg !== undefined && seg.start <= vaddr ? seg : undefined;
  }

  /** Segments overlapping [start, end), in address order, clipped to it. */
  overlapping(start: bigint, end: bigint): Segment[] {
    const out: Segment[] = [];
    for (let i = this.firstEndingAfter(start); i < this.segs.length; i++) {
      const seg = this.segs.at(i) as Segment;
      if (seg.start >= end) break;
      out.push(clip(seg, max(seg.start, start), min(seg.end, end)));
    }
    return out;
  }

  /** Cutting a hugetlb VMA off a huge page boundary fails (hugetlb_vm_op_split: EINVAL). */
  isBadHugeSplit(at: bigint): boolean {
    const seg = this.find(at);
    return seg !== undefined && seg.obj.backing === 'hugetlb' && seg.start < at && !isAligned(at, this.hugePageSize);
  }

  /** Whether [start, end) is mapped and lies inside a single VMA. */
  withinOneVma(start: bigint, end: bigint): boolean {
    let i = this.firstEndingAfter(start);
    let seg = this.segs.at(i);
    if (seg === undefined || seg.start > start) return false;
    while (seg.end < end) {
      const next = this.segs.at(++i);
      if (next === undefined || !sameVma(seg, next)) return false;
      seg = next;
    }
    return true;
  }

  /** The start of the VMA that contains `vaddr` (mapped). */
  vmaStart(vaddr: bigint): bigint {
    let i = this.firstEndingAfter(vaddr);
    while (i > 0 && sameVma(this.segs.at(i - 1) as Segment, this.segs.at(i) as Segment)) i--;
    return (this.segs.at(i) as Segment).start;
  }

  /** Unmap [start, end) and return what was there, clipped, in address order. */
  take(start: bigint, end: bigint): Segment[] {
    const first = this.firstEndingAfter(start);
    const hit: Segment[] = [];
    for (let seg = this.segs.at(first); seg !== undefined && seg.start < end; seg = this.segs.at(first + hit.length)) hit.push(seg);
    if (hit.length === 0) return [];
    const kept: Segment[] = [];
    const head = hit[0] as Segment;
    const tail = hit[hit.length - 1] as Segment;
    if (head.start < start) kept.push(clip(head, head.start, start));
    if (tail.end > end) kept.push(clip(tail, end, tail.end));
    this.segs.splice(first, hit.length, ...kept);
    return hit.map((s) => clip(s, max(s.start, start), min(s.end, end)));
  }

  /** Map segments into free space. */
  put(segs: readonly Segment[]): void {
    for (const seg of segs) {
      this.segs.splice(this.segs.partitionPoint((s) => s.start >= seg.end), 0, seg);
    }
  }
}
