// A DMA window and its TCE table. Valid TCEs are kept as runs of consecutive entries mapped by
// one MAP from consecutive user addresses, so a MAP, an UNMAP or a REMOVE costs O(runs), never
// O(entries) (a window may hold 2^40 of them).
import { IntervalMap } from '../interval-map.ts';
import { PAGE_SIZE, type FrameRun } from '../host.ts';
import { regionFrame, type Region } from './regions.ts';
import type { Shape } from './platform.ts';

/** Where a run's pages come from: a v2 registration, or the pages v1 pinned at MAP. */
export type TceSource = { region: Region } | { pinned: FrameRun[]; base: bigint };

export interface TceRun {
  start: bigint;
  end: bigint;
  /** The user address the entry at `start` was mapped from (it_userspace). */
  ua: bigint;
  /** MAP_FLAG bits: READ lets the device read the page, WRITE lets it write. */
  dir: number;
  source: TceSource;
}

export class Window {
  readonly tces = new IntervalMap<TceRun>();
  readonly pageSize: bigint;

  constructor(
    readonly slot: number,
    readonly start: bigint,
    readonly shape: Shape,
    /** Pages of locked_vm its table was charged (it_allocated_size >> PAGE_SHIFT). */
    readonly charge: bigint,
    /** A dynamic DMA window rather than the 32-bit default one (SPAPR-CREATE-PSERIES). */
    readonly dynamic: boolean,
  ) {
    this.pageSize = 1n << BigInt(shape.pageShift);
  }

  get end(): bigint {
    return this.start + this.shape.windowSize;
  }

  contains(iova: bigint): boolean {
    return this.start <= iova && iova < this.end;
  }

  /**
   * tce_iommu_clear over [from, to): every valid entry released (v2: the region's mapped count),
   * empty entries skipped without error (SPAPR-UNMAP-CLEAR).
   */
  clear(from: bigint, to: bigint): void {
    for (const run of this.tces.overlapping(from, to)) {
      this.tces.remove(run.start);
      if (run.start < from) this.tces.insert(run.start, from, { ...run, end: from });
      if (run.end > to) this.tces.insert(to, run.end, { ...run, start: to, ua: run.ua + (to - run.start) });
      const lo = run.start > from ? run.start : from;
      const hi = run.end < to ? run.end : to;
      if ('region' in run.source) run.source.region.tces -= (hi - lo) / this.pageSize;
    }
  }

  /** Sets [start, start + pages) as one run; the range must be clear. */
  set(run: TceRun): void {
    this.tces.insert(run.start, run.end, run);
    if ('region' in run.source) run.source.region.tces += (run.end - run.start) / this.pageSize;
  }

  clearAll(): void {
    this.clear(this.start, this.end);
  }

  /** The frame the device reaches at `iova` and the entry's direction, if the entry is valid. */
  translate(iova: bigint): { object: number; page: bigint; dir: number } | null {
    const run = this.tces.containing(iova);
    if (!run) return null;
    const ua = run.ua + (iova - run.start);
    if ('region' in run.source) return { ...regionFrame(run.source.region, ua), dir: run.dir };
    const off = ua - run.source.base;
    const f = run.source.pinned.find((p) => p.offset <= off && off < p.offset + p.pages * PAGE_SIZE);
    return f ? { object: f.object, page: f.pgoff + (off - f.offset) / PAGE_SIZE, dir: run.dir } : null;
  }
}
