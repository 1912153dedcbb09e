// VFIO_IOMMU_MAP_DMA and UNMAP_DMA on a window after the container checks, and what the device
// reaches (vfio_iommu_spapr_tce.c: tce_iommu_build, tce_iommu_build_v2, tce_iommu_clear;
// arch/powerpc/kernel/iommu.c: iommu_tce_put_param_check, iommu_tce_clear_param_check).
//
// MAP walks the range an IOMMU page at a time in the kernel; here a run of pages at a time:
// v2 by region, v1 by VMA segment. At the first page that fails, the entries already set are
// cleared (their old pages released when they were overwritten), the rest keep what they held
// (SPAPR-MAP-ATOMIC).
import type { Errno, Proc } from '../../../spec/spapr/ops.ts';
import { frameAt } from '../../type1/sim/address-space.ts';
import { PAGE_SHIFT } from '../../type1/sim/constants.ts';
import type { Frame } from '../../type1/sim/frames.ts';
import { Container, Window, releaseTces, type World } from './container.ts';
import { hasBug } from './policy.ts';
import { frameOf, type Direction, type TceRun } from './tces.ts';

interface Planned {
  /** The runs the range maps, up to the first bad page. */
  runs: TceRun[];
  /** Why the page after them fails, or undefined when the whole range is good. */
  err?: Errno;
}

const backingShift = (world: World, backing: string): number => (backing === 'hugetlb' ? world.hugeShift : Number(PAGE_SHIFT));

/** v2: each IOMMU page inside one registered region whose page shift allows it (SPAPR-MAP-PREREG). */
function planV2(world: World, mm: Proc, win: Window, entry: bigint, vaddr: bigint, pages: bigint, dir: Direction): Planned {
  const step = 1n << BigInt(win.shift);
  const end = vaddr + pages * step;
  const runs: TceRun[] = [];
  let cur = vaddr;
  while (cur < end) {
    const first = entry + (cur - vaddr) / step;
    const region = world.mms[mm].containing(cur, step);
    if (region === undefined || win.shift > region.pageShift) return { runs, err: 'EINVAL' };
    const last = cur + (region.end - cur) / step * step;
    const stop = last < end ? last : end;
    // tce_page_is_contained: the pinned page must be at least the IOMMU page (SPAPR-MAP-PAGE-SIZE).
    const small = region.segments(cur, stop).find((s) => backingShift(world, s.obj.backing) < win.shift);
    const goodEnd = small === undefined ? stop : (small.start > cur ? small.start : cur) / step * step;
    if (goodEnd > cur) runs.push({ first, end: entry + (goodEnd - vaddr) / step, dir, ua: cur, region });
    if (small !== undefined) return { runs, err: 'EPERM' };
    cur = stop;
  }
  return { runs };
}

/** v1: pin the first CPU page of each IOMMU page, for write unless the device only reads (SPAPR-MAP-V1-PIN). */
function planV1(world: World, mm: Proc, win: Window, entry: bigint, vaddr: bigint, pages: bigint, dir: Direction): Planned {
  const step = 1n << BigInt(win.shift);
  const end = vaddr + pages * step;
  const runs: TceRun[] = [];
  let cur = vaddr;
  for (const seg of world.host.procs[mm].space.overlapping(vaddr, end)) {
    if (seg.start > cur) break;
    if (seg.prot === 'none' || seg.obj.backing === 'mmio' || (dir !== 'read' && seg.prot !== 'rw')) break;
    const next = cur + (seg.end - cur + step - 1n) / step * step;
    const stop = next < end ? next : end;
    if (backingShift(world, seg.obj.backing) < win.shift) return { runs, err: 'EPERM' };
    const f = frameAt(seg, cur);
    runs.push({ first: entry + (cur - vaddr) / step, end: entry + (stop - vaddr) / step, dir, obj: f.obj, page: f.page });
    cur = stop;
  }
  return cur < end ? { runs, err: 'EFAULT' } : { runs };
}

/** MAP on window `win` once iova, vaddr and size are checked. */
export function build(world: World, ct: Container, win: Window, iova: bigint, vaddr: bigint, size: bigint, dir: Direction): Errno | undefined {
  const entry = iova >> BigInt(win.shift);
  const pages = size >> BigInt(win.shift);
  const plan = (ct.v2 ? planV2 : planV1)(world, ct.mm!, win, entry, vaddr, pages, dir);
  const done = plan.runs.length === 0 ? entry : plan.runs[plan.runs.length - 1]!.end;
  // mutant map-eexist: a valid TCE in the range is refused, as type1 refuses an overlap.
  if (hasBug(world.policy, 'map-eexist') && plan.err === undefined) {
    const busy = win.tces.clear(entry, entry + pages);
    busy.forEach((r) => win.tces.set(r));
    if (busy.length > 0) return 'EEXIST';
  }
  // Overwritten entries release their old page (SPAPR-MAP-OVERWRITE).
  releaseTces(win.tces.clear(entry, done));
  // mutant partial-map-success: the entries set before the bad page stay and MAP succeeds.
  if (plan.err !== undefined && !hasBug(world.policy, 'partial-map-success')) return plan.err;
  for (const run of plan.runs) {
    win.tces.set(run);
    if (run.region !== undefined) run.region.mapped += run.end - run.first;
  }
  return undefined;
}

/** UNMAP once iova and size are checked: every entry cleared, valid or not (SPAPR-UNMAP-CLEAR). */
export function clear(world: World, win: Window, iova: bigint, size: bigint): Errno | undefined {
  const entry = iova >> BigInt(win.shift);
  const cleared = win.tces.clear(entry, entry + (size >> BigInt(win.shift)));
  // mutant unmap-empty-fails: a range with no valid TCE is refused, as type1 v1 would.
  if (hasBug(world.policy, 'unmap-empty-fails') && cleared.length === 0) return 'ENOENT';
  releaseTces(cleared);
  return undefined;
}

/** What a DMA to bus address `iova` reaches, or EFAULT (SPAPR-DMA-REACH). */
export function translate(world: World, ct: Container, iova: bigint, access: 'read' | 'write'): Frame | 'EFAULT' {
  const win = ct.findTable(iova);
  if (win === undefined) return 'EFAULT';
  const run = win.tces.lookup(iova >> BigInt(win.shift));
  if (run === undefined || (run.dir !== 'both' && run.dir !== access)) return 'EFAULT';
  const offset = iova & ((1n << BigInt(win.shift)) - 1n);
  // mutant snapshot-follows-mremap: the device reaches what the process maps at the address now.
  if (run.region !== undefined && hasBug(world.policy, 'snapshot-follows-mremap')) {
    const seg = world.host.procs[ct.mm!].space.find(run.ua! + offset);
    if (seg !== undefined) return frameAt(seg, run.ua! + offset);
  }
  return frameOf(run, offset);
}
