// A `struct vfio_dma`: one mapping of the container, with the frames pinned for it.
import type { Proc } from '../../../spec/type1/ops.ts';
import { PAGE_SHIFT, max, min, pagesIn } from './constants.ts';
import type { Frame } from './frames.ts';
import type { PinnedRun } from './pin.ts';
import { partitionPoint } from '../../sorted.ts';

export interface Dma {
  readonly iova: bigint;
  readonly size: bigint;
  /** iova + size, exclusive; 2^64 for a mapping that ends at the top of the address space. */
  readonly end: bigint;
  readonly read: boolean;
  readonly write: boolean;
  vaddr: bigint;
  /** False between a VADDR invalidate and the matching VADDR update. */
  vaddrValid: boolean;
  /** dma->mm: the process whose locked_vm carries this mapping's charge. */
  owner: Proc;
  /** dma->lock_cap: CAP_IPC_LOCK of the owner when it mapped (or took over) the mapping. */
  lockCap: boolean;
  /** dma->locked_vm: pages charged to the owner for this mapping. */
  lockedVm: bigint;
  /** The frames pinned at map time, ascending by offset (T1-HOST-PIN-PERSISTS). */
  readonly runs: readonly PinnedRun[];
}

/** The frame the mapping reaches at `iova`, which must lie in it. */
export function frameOf(dma: Dma, iova: bigint): Frame {
  const offset = iova - dma.iova;
  const run = dma.runs[partitionPoint(dma.runs, (r) => r.offset + r.length > offset)] as PinnedRun;
  return { obj: run.first.obj, page: run.first.page + ((offset - run.offset) >> PAGE_SHIFT) };
}

/** The runs of [from, to) of the mapping, rebased to offset 0 at `from`. */
export function runsBetween(dma: Dma, from: bigint, to: bigint): PinnedRun[] {
  const out: PinnedRun[] = [];
  for (const run of dma.runs) {
    const lo = run.offset > from ? run.offset : from;
    const hi = run.offset + run.length < to ? run.offset + run.length : to;
    if (lo >= hi) continue;
    const first = { obj: run.first.obj, page: run.first.page + pagesIn(lo - run.offset) };
    out.push({ offset: lo - from, length: hi - lo, first });
  }
  return out;
}

/** mutant v2-bisect-allowed: `dma` cut at `at` into two mappings that share its charge. */
export function splitDma(dma: Dma, at: bigint): [Dma, Dma] {
  const leftRuns = runsBetween(dma, 0n, at - dma.iova);
  const leftPages = leftRuns.reduce((n, r) => n + (r.first.obj.backing === 'mmio' ? 0n : pagesIn(r.length)), 0n);
  const leftCharge = min(dma.lockedVm, leftPages);
  return [
    { ...dma, size: at - dma.iova, end: at, lockedVm: leftCharge, runs: leftRuns },
    {
      ...dma, iova: at, size: dma.end - at, vaddr: dma.vaddr + (at - dma.iova),
      lockedVm: dma.lockedVm - leftCharge, runs: runsBetween(dma, at - dma.iova, dma.size),
    },
  ];
}

/** mutant charge-once: how many of frames [first, first + pages) the mappings have pinned. */
export function pinnedByMappings(dmas: Iterable<Dma>, first: Frame, pages: bigint): bigint {
  const spans: [bigint, bigint][] = [];
  for (const dma of dmas) {
    for (const run of dma.runs) {
      if (run.first.obj !== first.obj) continue;
      const lo = max(run.first.page, first.page);
      const hi = min(run.first.page + pagesIn(run.length), first.page + pages);
      if (lo < hi) spans.push([lo, hi]);
    }
  }
  spans.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let covered = 0n;
  let reach = first.page;
  for (const [lo, hi] of spans) {
    if (hi > reach) covered += hi - max(lo, reach);
    reach = max(reach, hi);
  }
  return covered;
}
