// A `struct vfio_dma`: one mapping of the container, with the frames pinned for it.
import type { Proc } from '../../spec/ops.ts';
import { PAGE_SHIFT, pagesIn } from './constants.ts';
import type { Frame } from './frames.ts';
import type { PinnedRun } from './pin.ts';
import { partitionPoint } from './sorted.ts';

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
