// An iopt_pages: the user memory one IOAS_MAP names, shared by the areas IOAS_COPY makes of it
// (IOMMUFD-COPY-SHARE). It pins lazily: a page is pinned while an area of an IOAS with a domain
// covers it (IOMMUFD-MAP-LAZY, IOMMUFD-DETACH), and the frame it reaches is the one behind the
// user address when it was pinned (IOMMUFD-HOST-PIN). Page indexes count from `uptr`, the user
// address rounded down to a page (L drivers/iommu/iommufd/pages.c: iopt_alloc_pages).
import type { Errno } from '../../spec/iommufd/ops.ts';
import { PAGE_SIZE, type Process } from '../host.ts';
import type { Area } from './ioas.ts';
import { holes, type Span } from './spans.ts';

/** IOPT_PAGES_ACCOUNT_NONE / _USER / _MM, fixed when the pages are created (IOMMUFD-ACCT-*). */
export type AccountMode = 'none' | 'user' | 'mm';

/** Pinned pages [first, end) of the iopt_pages, reaching pages [pgoff, ...) of a memory object. */
export interface PinnedRun { first: bigint; end: bigint; object: number; pgoff: bigint }

export class IoptPages {
  /** Sorted by `first`, disjoint. */
  private runs: PinnedRun[] = [];
  /** The areas that reference these pages, in any IOAS. */
  readonly areas = new Set<Area>();

  constructor(
    /** The user address of page 0, page aligned. */
    readonly uptr: bigint,
    readonly writable: boolean,
    readonly mode: AccountMode,
  ) {}

  get npinned(): bigint {
    return this.runs.reduce((n, r) => n + (r.end - r.first), 0n);
  }

  /** The frame pinned at page `index`, if that page is pinned. */
  frameAt(index: bigint): { object: number; page: bigint } | undefined {
    const r = this.runs.find((x) => x.first <= index && index < x.end);
    return r && { object: r.object, page: r.pgoff + (index - r.first) };
  }

  /**
   * Pins the pages of `spans` not pinned yet, all or none: EFAULT when one has no VMA, is
   * PROT_NONE or PFNMAP, or is read-only while the pages are writable (FOLL_WRITE). Returns the
   * number of pages newly pinned. (pages.c: pfn_reader_user_pin; mm/gup.c: check_vma_flags)
   */
  pin(proc: Process, spans: readonly Span[]): bigint | Errno {
    const pinned: Span[] = this.runs.map((r) => [r.first, r.end]);
    const added: PinnedRun[] = [];
    for (const [start, end] of spans) {
      for (const [f, e] of holes(start, end, pinned)) {
        const { runs, hole } = proc.lookup(this.uptr + f * PAGE_SIZE, (e - f) * PAGE_SIZE);
        if (hole !== null) return 'EFAULT';
        for (const run of runs) {
          if (run.backing === 'mmio' || run.prot === 'none' || (this.writable && run.prot !== 'rw')) return 'EFAULT';
          const first = f + run.offset / PAGE_SIZE;
          added.push({ first, end: first + run.pages, object: run.object, pgoff: run.pgoff });
        }
      }
    }
    this.runs = [...this.runs, ...added].sort((a, b) => (a.first < b.first ? -1 : 1));
    return added.reduce((n, r) => n + (r.end - r.first), 0n);
  }

  /** Unpins every page outside `keep` (sorted, disjoint). */
  keepOnly(keep: readonly Span[]): void {
    const out: PinnedRun[] = [];
    for (const r of this.runs) {
      for (const [s, e] of keep) {
        const a = s > r.first ? s : r.first;
        const b = e < r.end ? e : r.end;
        if (a < b) out.push({ first: a, end: b, object: r.object, pgoff: r.pgoff + (a - r.first) });
      }
    }
    this.runs = out;
  }

  snapshot(): PinnedRun[] {
    return this.runs;
  }

  restore(runs: PinnedRun[]): void {
    this.runs = runs;
  }
}
