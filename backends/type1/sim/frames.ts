// Physical memory: frames with identity, and the tokens stored in them.
//
// Memory is allocated in objects (one per mmap, one per mremap growth); a frame is one 4 KiB
// page of an object, named by (object, page index). Objects are never recycled, which is how
// the simulator keeps the promise that a pinned frame is never given to new memory
// (T1-HOST-NO-REUSE): nothing ever reaches an object again once every VMA and every mapping
// that referred to it is gone. Tokens are stored only for frames that were written.
import type { Backing } from '../../../spec/type1/ops.ts';

export interface MemObject {
  readonly id: number;
  readonly backing: Backing;
}

/** One 4 KiB frame: page `page` of `obj`. */
export interface Frame {
  readonly obj: MemObject;
  readonly page: bigint;
}

export class Tokens {
  private readonly byObject = new Map<number, Map<bigint, bigint>>();

  /** New memory reads as token 0. */
  read(frame: Frame): bigint {
    return this.byObject.get(frame.obj.id)?.get(frame.page) ?? 0n;
  }

  write(frame: Frame, token: bigint): void {
    let pages = this.byObject.get(frame.obj.id);
    if (pages === undefined) this.byObject.set(frame.obj.id, (pages = new Map()));
    if (token === 0n) pages.delete(frame.page);
    else pages.set(frame.page, token);
  }

  /** Zero `count` frames from `first` on (a frame handed out again is cleared first). */
  zero(first: Frame, count: bigint): void {
    const pages = this.byObject.get(first.obj.id);
    if (pages === undefined) return;
    for (const page of [...pages.keys()]) {
      if (page >= first.page && page < first.page + count) pages.delete(page);
    }
  }
}

/**
 * PFNMAP pages with a page-table entry, per object, as sorted disjoint [first, end) page
 * intervals: vfio-pci inserts one entry per fault (a CPU access, or MAP_DMA faulting the page
 * in), mprotect keeps it and mremap moves it with the frame.
 */
export class PresentPages {
  private readonly byObject = new Map<number, { first: bigint; end: bigint }[]>();

  has(first: Frame, count: bigint): boolean {
    const end = first.page + count;
    return (this.byObject.get(first.obj.id) ?? []).some((r) => r.first <= first.page && end <= r.end);
  }

  add(first: Frame, count: bigint): void {
    let lo = first.page;
    let hi = first.page + count;
    const rest = [];
    for (const r of this.byObject.get(first.obj.id) ?? []) {
      if (r.end < lo || hi < r.first) {
        rest.push(r);
      } else {
        lo = r.first < lo ? r.first : lo;
        hi = r.end > hi ? r.end : hi;
      }
    }
    rest.push({ first: lo, end: hi });
    rest.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    this.byObject.set(first.obj.id, rest);
  }
}
