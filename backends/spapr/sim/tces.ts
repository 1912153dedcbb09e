// One window's TCE table: entries it_offset .. it_offset + it_size - 1, held as runs of valid
// entries that point at consecutive IOMMU pages, so that a window or a map of any size costs
// the runs it touches, never its pages.
//
// A v2 run records the user address each entry was mapped from (it_userspace) and its region;
// a v1 run records the frames it pinned.
import type { Frame, MemObject } from '../../type1/sim/frames.ts';
import type { Region } from './prereg.ts';

/** The TCE permission bits: 'read' is DMA_TO_DEVICE (the device reads), 'write' DMA_FROM_DEVICE. */
export type Direction = 'read' | 'write' | 'both';

export interface TceRun {
  /** First entry and one past the last. */
  readonly first: bigint;
  readonly end: bigint;
  readonly dir: Direction;
  /** v2: the user address of `first` and the region it lies in. */
  readonly ua?: bigint;
  readonly region?: Region;
  /** v1: the frame pinned for `first`. */
  readonly obj?: MemObject;
  readonly page?: bigint;
}

export class TceTable {
  private runs: TceRun[] = [];

  /** `shift`: it_page_shift. */
  constructor(readonly shift: number) {}

  /** `run` restricted to entries [first, end). */
  private clip(run: TceRun, first: bigint, end: bigint): TceRun {
    const delta = first - run.first;
    return {
      ...run, first, end,
      ...(run.ua !== undefined ? { ua: run.ua + (delta << BigInt(this.shift)) } : {}),
      ...(run.page !== undefined ? { page: run.page + (delta << BigInt(this.shift - 12)) } : {}),
    };
  }

  /** Clears entries [first, end) and returns the valid ones it cleared, as runs. */
  clear(first: bigint, end: bigint): TceRun[] {
    const kept: TceRun[] = [];
    const cleared: TceRun[] = [];
    for (const r of this.runs) {
      if (r.end <= first || r.first >= end) {
        kept.push(r);
        continue;
      }
      if (r.first < first) kept.push(this.clip(r, r.first, first));
      if (r.end > end) kept.push(this.clip(r, end, r.end));
      cleared.push(this.clip(r, r.first > first ? r.first : first, r.end < end ? r.end : end));
    }
    this.runs = kept.sort((a, b) => (a.first < b.first ? -1 : 1));
    return cleared;
  }

  /** Sets entries that were cleared. */
  set(run: TceRun): void {
    this.runs.push(run);
    this.runs.sort((a, b) => (a.first < b.first ? -1 : 1));
  }

  /** Every valid entry, as runs (release). */
  all(): readonly TceRun[] {
    return this.runs;
  }

  /** The valid TCE at `entry` and the byte offset into its page, or undefined. */
  lookup(entry: bigint): TceRun | undefined {
    const r = this.runs.find((x) => x.first <= entry && entry < x.end);
    return r === undefined ? undefined : this.clip(r, entry, entry + 1n);
  }
}

/** The frame a one-entry run reaches at byte `offset` into its IOMMU page. */
export function frameOf(run: TceRun, offset: bigint): Frame {
  if (run.region !== undefined) return run.region.frameAt(run.ua! + offset);
  return { obj: run.obj!, page: run.page! + (offset >> 12n) };
}
