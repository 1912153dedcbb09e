// Building TCEs for a MAP whose arguments passed (drivers/vfio/vfio_iommu_spapr_tce.c:
// tce_iommu_build, tce_iommu_build_v2): entry by entry, the first entry that fails stops the
// build and the entries before it are cleared (SPAPR-MAP-ATOMIC), those it overwrote included.
// The first failing entry is found over regions and VMAs, never entry by entry.
import { MAP_FLAG } from '../../spec/spapr/ops.ts';
import { PAGE_SIZE, type FrameRun, type Process } from '../host.ts';
import type { RuleId } from '../../spec/spapr/rules.ts';
import type { Refusal } from './container.ts';
import type { Registry, Region } from './regions.ts';
import type { TceRun, Window } from './window.ts';

export interface MapArgs { iova: bigint; vaddr: bigint; size: bigint; flags: number }

/**
 * The entries a MAP sets and the rule its success rests on when that is not SPAPR-MAP-OVERWRITE,
 * or the first one that fails and why.
 */
type Built = { runs: TceRun[]; rule?: RuleId } | { failAt: bigint; refusal: Refusal };

/** The first IOMMU page start at or above `at`, counting from `from` in steps of `pg`. */
const firstPageFrom = (from: bigint, at: bigint, pg: bigint): bigint => (at <= from ? from : from + ((at - from + pg - 1n) / pg) * pg);

/** page_shift(compound_head(page)) of a frame: the huge page's or PAGE_SHIFT. */
const hostShift = (run: FrameRun, kernelPageShift: number, hugeShift: number): number =>
  run.backing === 'hugetlb' ? hugeShift : kernelPageShift;

/** tce_page_is_contained over the pages of [from, to) that start in `frames`: the first too small. */
function firstUncontained(frames: readonly FrameRun[], base: bigint, from: bigint, to: bigint, pg: bigint, pageShift: number, kps: number, hs: number): bigint | null {
  for (const f of frames) {
    if (hostShift(f, kps, hs) >= pageShift) continue;
    const q = firstPageFrom(from, base + f.offset, pg);
    if (q < to && q < base + f.offset + f.pages * PAGE_SIZE) return q;
  }
  return null;
}

/** v2: each IOMMU page inside one registered region of the mm, at most its page shift, contained. */
export function buildV2(registry: Registry, w: Window, a: MapArgs, kps: number, hs: number): Built {
  const pg = w.pageSize;
  const end = a.vaddr + a.size;
  const runs: TceRun[] = [];
  for (let pos = a.vaddr; pos < end;) {
    const region: Region | undefined = registry.holding(pos, pg);
    if (!region) return { failAt: pos, refusal: { errno: 'EINVAL', rule: 'SPAPR-MAP-PREREG' } };
    if (w.shape.pageShift > region.pageShift) return { failAt: pos, refusal: { errno: 'EINVAL', rule: 'SPAPR-REG-PAGESHIFT' } };
    const regionEnd = region.ua + region.size;
    const fit = pos + ((regionEnd - pos) / pg) * pg;
    const limit = fit < end ? fit : end;
    const bad = firstUncontained(region.frames, region.ua, pos, limit, pg, w.shape.pageShift, kps, hs);
    if (bad !== null) return { failAt: bad, refusal: { errno: 'EPERM', rule: 'SPAPR-MAP-PAGE-SIZE' } };
    runs.push({ start: a.iova + (pos - a.vaddr), end: a.iova + (limit - a.vaddr), ua: pos, dir: a.flags & 3, source: { region } });
    pos = limit;
  }
  return { runs };
}

/**
 * v1: each IOMMU page's first page pinned now (pin_user_pages_fast, for write only when the
 * device may write: SPAPR-MAP-V1-PIN) and contained.
 */
export function buildV1(proc: Process, w: Window, a: MapArgs, kps: number, hs: number): Built {
  const pg = w.pageSize;
  const end = a.vaddr + a.size;
  const { runs: frames, hole } = proc.lookup(a.vaddr, a.size);
  const needWrite = (a.flags & MAP_FLAG.WRITE) !== 0;
  let failAt: bigint | null = hole === null ? null : firstPageFrom(a.vaddr, a.vaddr + hole, pg);
  let refusal: Refusal = { errno: 'EFAULT', rule: 'SPAPR-MAP-V1-PIN' };
  let readOnlyPin = false;
  for (const f of frames) {
    const q = firstPageFrom(a.vaddr, a.vaddr + f.offset, pg);
    if (q >= end || q >= a.vaddr + f.offset + f.pages * PAGE_SIZE || (failAt !== null && q >= failAt)) continue;
    const unpinnable = f.backing === 'mmio' || f.prot === 'none' || (needWrite && f.prot !== 'rw');
    if (unpinnable) [failAt, refusal] = [q, { errno: 'EFAULT', rule: 'SPAPR-MAP-V1-PIN' }];
    else if (hostShift(f, kps, hs) < w.shape.pageShift) [failAt, refusal] = [q, { errno: 'EPERM', rule: 'SPAPR-MAP-PAGE-SIZE' }];
    else if (f.prot !== 'rw') readOnlyPin = true;
  }
  if (failAt !== null && failAt < end) return { failAt, refusal };
  const runs = [{ start: a.iova, end: a.iova + a.size, ua: a.vaddr, dir: a.flags & 3, source: { pinned: frames, base: a.vaddr } }];
  // A READ map of read-only memory succeeds only because the pin asks for write access when the
  // device may write: the answer rests on SPAPR-MAP-V1-PIN (6.12 pins for write and faults).
  return readOnlyPin ? { runs, rule: 'SPAPR-MAP-V1-PIN' } : { runs };
}

/** Applies a build to the window: entries before a failure cleared, or the new runs set over the old. */
export function applyBuild(w: Window, a: MapArgs, built: Built): Refusal | null {
  if ('failAt' in built) {
    w.clear(a.iova, a.iova + (built.failAt - a.vaddr));
    return built.refusal;
  }
  w.clear(a.iova, a.iova + a.size);
  for (const run of built.runs) if (run.start < run.end) w.set(run);
  return null;
}
