// struct iopt_pages: one user VA range given to IOMMU_IOAS_MAP, shared by every area cut from
// it (IOMMU_IOAS_COPY takes a reference, never a new iopt_pages).
//
// Pages are pinned lazily, per page index: an area that is filled into a domain holds its index
// range (pages->domains_itree); a page is pinned from the process while at least one such area
// holds it, and read from the domain, not pinned again, when another area already holds it
// (pages.c: pfn_reader_fill_span). The charge is the change in the number of pinned pages,
// applied once the whole area is pinned (iopt_area_fill_domain, iopt_area_fill_domains:
// pfn_reader_update_pinned), so a bad page anywhere in the area fails EFAULT before any ENOMEM.
// Unfilling unpins only the pages no other area holds (iopt_area_unfill_domain,
// update_unpinned).
import type { Errno } from '../../../spec/iommufd/ops.ts';
import { frameAt } from '../../type1/sim/address-space.ts';
import { PAGE_SHIFT, PAGE_SIZE } from '../../type1/sim/constants.ts';
import type { Frame, MemObject } from '../../type1/sim/frames.ts';
import type { AccountMode, IommufdHost } from './host.ts';
import { hasBug, type Policy } from './policy.ts';
import { holes, type IovaRange } from './ranges.ts';

/** Page indexes [start, end) of an iopt_pages pinned to consecutive pages of `obj` from `page`. */
export interface PinnedRun {
  readonly start: bigint;
  readonly end: bigint;
  readonly obj: MemObject;
  readonly page: bigint;
}

export const runFrame = (run: PinnedRun, index: bigint): Frame => ({ obj: run.obj, page: run.page + (index - run.start) });

const clipRun = (run: PinnedRun, start: bigint, end: bigint): PinnedRun =>
  ({ start, end, obj: run.obj, page: run.page + (start - run.start) });

/** What an area needs of its pages: its page index range, inclusive (area->pages_node). */
export interface PagesUser {
  readonly startIndex: bigint;
  readonly lastIndex: bigint;
}

export class IoptPages {
  /** kref: the areas and pending copies that refer to these pages. */
  refs = 1;
  /** The page-aligned user VA the pages start at (pages->uptr). */
  readonly uptr: bigint;
  readonly npages: bigint;
  /** Areas filled into a domain: domains_itree. */
  private readonly held: PagesUser[] = [];
  /** Pinned pages, ascending, disjoint. */
  private pinned: PinnedRun[] = [];

  constructor(
    uptr: bigint, length: bigint,
    readonly writable: boolean,
    readonly accountMode: AccountMode,
  ) {
    this.uptr = uptr & -PAGE_SIZE;
    this.npages = (length + (uptr - this.uptr) + PAGE_SIZE - 1n) >> PAGE_SHIFT;
  }

  get npinned(): bigint {
    return this.pinned.reduce((n, r) => n + (r.end - r.start), 0n);
  }

  /** The pinned runs covering indexes [start, last], clipped to them. */
  runs(start: bigint, last: bigint): PinnedRun[] {
    return this.pinned.filter((r) => r.start <= last && start < r.end)
      .map((r) => clipRun(r, r.start > start ? r.start : start, r.end < last + 1n ? r.end : last + 1n));
  }

  private heldRanges(except?: PagesUser): IovaRange[] {
    return this.held.filter((u) => u !== except).map((u) => ({ start: u.startIndex, last: u.lastIndex }));
  }

  /**
   * Hold `user`'s index range: pin what no other area holds, from the process's memory as it is
   * now, then charge it. A page with no VMA, PROT_NONE, VM_PFNMAP (pin_user_pages cannot pin
   * it) or without write permission for writable pages (FOLL_WRITE) fails EFAULT.
   */
  fill(user: PagesUser, host: IommufdHost): Errno | undefined {
    const fresh: PinnedRun[] = [];
    for (const gap of holes(this.heldRanges(), user.startIndex, user.lastIndex)) {
      const start = this.uptr + (gap.start << PAGE_SHIFT);
      const end = this.uptr + ((gap.last + 1n) << PAGE_SHIFT);
      let cursor = start;
      for (const seg of host.process.space.overlapping(start, end)) {
        if (seg.start > cursor) return 'EFAULT';
        if (seg.prot === 'none' || seg.obj.backing === 'mmio' || (this.writable && seg.prot !== 'rw')) return 'EFAULT';
        const first = frameAt(seg, seg.start);
        fresh.push({ start: (seg.start - this.uptr) >> PAGE_SHIFT, end: (seg.end - this.uptr) >> PAGE_SHIFT, obj: first.obj, page: first.page });
        cursor = seg.end;
      }
      if (cursor < end) return 'EFAULT';
    }
    const count = fresh.reduce((n, r) => n + (r.end - r.start), 0n);
    const err = count === 0n ? undefined : host.charge(this.accountMode, count);
    if (err !== undefined) return err;
    this.pinned = [...this.pinned, ...fresh].sort((a, b) => (a.start < b.start ? -1 : 1));
    this.held.push(user);
    return undefined;
  }

  /** Release `user`'s hold: unpin and uncharge the pages no other area holds. */
  unfill(user: PagesUser, host: IommufdHost, policy: Policy): void {
    const i = this.held.indexOf(user);
    if (i < 0) return;
    this.held.splice(i, 1);
    // mutant copy-unmap-unpins: the pages of the whole range are unpinned, held or not.
    const free = hasBug(policy, 'copy-unmap-unpins')
      ? [{ start: user.startIndex, last: user.lastIndex }]
      : holes(this.heldRanges(), user.startIndex, user.lastIndex);
    let count = 0n;
    for (const gap of free) {
      const kept: PinnedRun[] = [];
      for (const r of this.pinned) {
        if (r.end <= gap.start || r.start > gap.last) {
          kept.push(r);
          continue;
        }
        if (r.start < gap.start) kept.push(clipRun(r, r.start, gap.start));
        if (r.end > gap.last + 1n) kept.push(clipRun(r, gap.last + 1n, r.end));
        count += (r.end < gap.last + 1n ? r.end : gap.last + 1n) - (r.start > gap.start ? r.start : gap.start);
      }
      this.pinned = kept.sort((a, b) => (a.start < b.start ? -1 : 1));
    }
    if (count > 0n) host.uncharge(this.accountMode, count);
  }
}
