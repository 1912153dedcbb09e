// Pinning at MAP_DMA time: vfio_pin_pages_remote over [vaddr, vaddr + size) of the mapping
// process, in address order, one VMA segment at a time (never one page at a time).
//
// A page with no VMA or a PROT_NONE VMA fails with EFAULT (T1-MAP-UNBACKED); a WRITE mapping
// pins with FOLL_WRITE, so a VMA without write permission fails with EFAULT (T1-MAP-READONLY).
// PFNMAP (mmio) pages go through follow_fault_pfn instead: a page-table entry already present
// is used even under PROT_NONE by a READ-only mapping; a missing one is faulted in, which
// PROT_NONE forbids. The walk leaves the entries it faulted in, also when it fails later.
// Every 4 KiB page of anonymous or hugetlb memory is charged, PFNMAP (mmio) pages are not
// (T1-ACCT-MMIO). Without CAP_IPC_LOCK the charge may not take locked_vm above
// RLIMIT_MEMLOCK >> PAGE_SHIFT (T1-MAP-RLIMIT). The first failing page in address order decides
// between EFAULT and ENOMEM (T1-MAP-CHECK-ORDER).
import { frameAt } from './address-space.ts';
import { max, min, pagesIn } from './constants.ts';
import type { Frame } from './frames.ts';
import type { Process } from './host.ts';
import { hasBug, type Policy } from './policy.ts';

/** Frames `first`, `first + 1`, ... back [iova + offset, iova + offset + length). */
export interface PinnedRun {
  readonly offset: bigint;
  readonly length: bigint;
  readonly first: Frame;
}

export type PinResult =
  | { ok: true; runs: PinnedRun[]; charge: bigint }
  | { ok: false; errno: 'EFAULT' | 'ENOMEM'; chargedBeforeFailure: bigint };

export interface PinRequest {
  process: Process;
  vaddr: bigint;
  size: bigint;
  write: boolean;
  policy: Policy;
  /** iommufd's pin_user_pages: a PFNMAP VMA is refused with EFAULT (T1-COMPAT-MAP-PFNMAP). */
  refusePfnmap?: boolean;
  /** mutant charge-once: how many of these frames another mapping already pinned. */
  pinnedElsewhere?: (first: Frame, pages: bigint) => bigint;
}

export function pinPages({ process, vaddr, size, write, policy, refusePfnmap, pinnedElsewhere }: PinRequest): PinResult {
  const end = vaddr + size;
  const limit = process.capIpcLock ? undefined : process.memlockLimitPages;
  const runs: PinnedRun[] = [];
  let charge = 0n;
  let cursor = vaddr;
  for (const seg of process.space.overlapping(vaddr, end)) {
    if (seg.start > cursor) break; // a hole: EFAULT below
    const pages = pagesIn(seg.end - seg.start);
    const first = frameAt(seg, seg.start);
    const pfnmap = seg.obj.backing === 'mmio';
    if (pfnmap && refusePfnmap) return { ok: false, errno: 'EFAULT', chargedBeforeFailure: charge };
    const readable = seg.prot !== 'none' || (pfnmap && !write && process.ptes.has(first, pages));
    // mutant readonly-write-allowed: the pin does not ask for FOLL_WRITE.
    const writable = seg.prot === 'rw' || hasBug(policy, 'readonly-write-allowed');
    if (!readable || (write && !writable)) return { ok: false, errno: 'EFAULT', chargedBeforeFailure: charge };
    if (pfnmap) process.ptes.add(first, pages);
    // mutant mmio-charged: reserved pfns are counted like any other page.
    let runCharge = seg.obj.backing === 'mmio' && !hasBug(policy, 'mmio-charged') ? 0n : pages;
    if (pinnedElsewhere !== undefined) runCharge -= min(runCharge, pinnedElsewhere(first, pages));
    if (limit !== undefined && runCharge > 0n) {
      const after = process.lockedVm + charge + runCharge;
      // mutant rlimit-ge: reaching the limit exactly counts as exceeding it.
      const exceeded = hasBug(policy, 'rlimit-ge') ? after >= limit : after > limit;
      if (exceeded) {
        const fitting = min(runCharge, max(0n, limit - process.lockedVm - charge));
        return { ok: false, errno: 'ENOMEM', chargedBeforeFailure: charge + fitting };
      }
    }
    charge += runCharge;
    runs.push({ offset: seg.start - vaddr, length: seg.end - seg.start, first });
    cursor = seg.end;
  }
  if (cursor < end) return { ok: false, errno: 'EFAULT', chargedBeforeFailure: charge };
  return { ok: true, runs, charge };
}
