// VFIO_IOMMU_SPAPR_REGISTER_MEMORY and UNREGISTER_MEMORY (drivers/vfio/vfio_iommu_spapr_tce.c:
// tce_iommu_register_pages, tce_iommu_unregister_pages, tce_iommu_prereg_free;
// arch/powerpc/mm/book3s64/iommu_api.c: mm_iommu_get, mm_iommu_new, mm_iommu_do_alloc,
// mm_iommu_put).
import { U64_MAX } from '../../spec/u64.ts';
import type { OpOf } from '../../spec/spapr/ops.ts';
import type { RuleId } from '../../spec/spapr/rules.ts';
import type { Container, Refusal } from './container.ts';
import type { Mm } from './mm.ts';
import { pinFault, regionPageShift, type Region } from './regions.ts';

type Done = { rule: RuleId };

/** Flags, alignment to PAGE_SIZE, no wrap (SPAPR-REG-CHECKS, SPAPR-UNREG-CHECKS). */
function rangeRefusal(mm: Mm, flags: number, vaddr: bigint, size: bigint, rule: RuleId, checkWrap: boolean): Refusal | null {
  if (flags !== 0) return { errno: 'EINVAL', rule };
  if (vaddr % mm.pageSize !== 0n || size % mm.pageSize !== 0n) return { errno: 'EINVAL', rule };
  if (checkWrap && vaddr + size > U64_MAX) return { errno: 'EINVAL', rule };
  return null;
}

export function registerPages(ct: Container, mm: Mm, op: OpOf<'register'>, kps: number, hs: number): Refusal | Done {
  const bad = rangeRefusal(mm, op.flags, op.vaddr, op.size, 'SPAPR-REG-CHECKS', true);
  if (bad) return bad;
  // An empty region is never registered (6.12 answers ENOMEM from vzalloc(0): a variant).
  if (op.size === 0n) return { errno: 'EINVAL', rule: 'SPAPR-REG-CHECKS', accept: ['ENOMEM'] };
  const existing = mm.registry.exact(op.vaddr, op.size);
  if (existing) {
    if (ct.regions.has(existing)) return { errno: 'EBUSY', rule: 'SPAPR-REG-BUSY' };
    existing.users.add(ct);
    ct.regions.add(existing);
    ct.enabled = true;
    return { rule: 'SPAPR-REG-SHARED' };
  }
  // mm_iommu_do_alloc: charge, pin, then the overlap check; each failure unwinds the others.
  const entries = op.size / mm.pageSize;
  if (!mm.charge(entries)) return { errno: 'ENOMEM', rule: 'SPAPR-REG-CHARGE' };
  if (pinFault(mm.proc, op.vaddr, op.size)) {
    mm.uncharge(entries);
    return { errno: 'EFAULT', rule: 'SPAPR-REG-FAULT', charged: 'SPAPR-REG-CHARGE' };
  }
  if (mm.registry.overlaps(op.vaddr, op.size)) {
    mm.uncharge(entries);
    return { errno: 'EINVAL', rule: 'SPAPR-REG-OVERLAP', charged: 'SPAPR-REG-CHARGE' };
  }
  const frames = mm.proc.lookup(op.vaddr, op.size).runs;
  const region: Region = {
    ua: op.vaddr, size: op.size, frames, users: new Set([ct]), tces: 0n, charge: entries, orphan: false,
    pageShift: regionPageShift(op.vaddr, op.size, frames, kps, hs),
  };
  mm.registry.add(region);
  ct.regions.add(region);
  ct.enabled = true;
  return { rule: 'SPAPR-REG-CHARGE' };
}

/** mm_iommu_release: the pins go and the region's pages are uncharged. */
export function releaseRegion(mm: Mm, r: Region): void {
  mm.registry.remove(r);
  mm.uncharge(r.charge);
}

/**
 * The last user's put of a region TCEs still point into is refused with EBUSY and changes
 * nothing (SPAPR-UNREG-MAPPED; 6.12 answers 0 instead, a kernel bug since v5.0).
 */
export function unregisterPages(ct: Container, mm: Mm, op: OpOf<'unregister'>): Refusal | Done {
  const bad = rangeRefusal(mm, op.flags, op.vaddr, op.size, 'SPAPR-UNREG-CHECKS', false);
  if (bad) return bad;
  const region = mm.registry.exact(op.vaddr, op.size);
  if (!region || !ct.regions.has(region)) return { errno: 'ENOENT', rule: 'SPAPR-UNREG-ENOENT' };
  const last = region.users.size === 1 && !region.orphan;
  if (last && region.tces > 0n) return { errno: 'EBUSY', rule: 'SPAPR-UNREG-MAPPED' };
  region.users.delete(ct);
  ct.regions.delete(region);
  if (last) releaseRegion(mm, region);
  return { rule: last ? 'SPAPR-UNREG-RELEASE' : 'SPAPR-REG-SHARED' };
}
