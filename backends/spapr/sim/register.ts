// VFIO_IOMMU_SPAPR_REGISTER_MEMORY and UNREGISTER_MEMORY after their flags check
// (vfio_iommu_spapr_tce.c: tce_iommu_register_pages, tce_iommu_unregister_pages;
// iommu_api.c: mm_iommu_get, mm_iommu_new, mm_iommu_put).
import type { Errno } from '../../../spec/spapr/ops.ts';
import { PAGE_SHIFT, PAGE_SIZE, U64_MAX, isAligned } from '../../type1/sim/constants.ts';
import { Container, charge, putRegion, uncharge, type World } from './container.ts';
import { hasBug } from './policy.ts';
import { Region, pinForWrite, regionPageShift } from './prereg.ts';

/** SPAPR-REG-*: join the mm's identical region, or charge, pin and add a new one. */
export function register(world: World, ct: Container, vaddr: bigint, size: bigint): Errno | undefined {
  if (!isAligned(vaddr, PAGE_SIZE) || !isAligned(size, PAGE_SIZE) || size === 0n || size > U64_MAX - vaddr) return 'EINVAL';
  const mm = ct.mm!;
  const entries = size >> PAGE_SHIFT;
  const mine = world.mms[mm];
  const found = mine.exact(vaddr, entries);
  if (found !== undefined) {
    if (ct.prereg.includes(found)) return 'EBUSY';
    // mutant register-charges-per-container: joining another container's region charges again.
    if (hasBug(world.policy, 'register-charges-per-container')) {
      const err = charge(world, mm, entries);
      if (err !== undefined) return err;
    }
    found.used++;
  } else {
    // mm_iommu_do_alloc: charge, pin every page for write, then refuse an overlap; any failure
    // unwinds both.
    const err = charge(world, mm, entries);
    if (err !== undefined) return err;
    const segs = pinForWrite(world.host.procs[mm].space, vaddr, vaddr + size);
    // mutant register-overlap-allowed: an overlapping, different region is accepted.
    const overlap = !hasBug(world.policy, 'register-overlap-allowed') && mine.overlaps(vaddr, vaddr + size);
    if (typeof segs === 'string' || overlap) {
      uncharge(world, mm, entries);
      return typeof segs === 'string' ? segs : 'EINVAL';
    }
    mine.list.unshift(new Region(vaddr, entries, regionPageShift(vaddr, size, segs, world.hugeShift), segs));
    ct.prereg.push(mine.list[0]!);
    ct.enabled = true;
    return undefined;
  }
  ct.prereg.push(found);
  ct.enabled = true;
  return undefined;
}

/** SPAPR-UNREG-*: this container's reference to the exact region goes, the region with the last one. */
export function unregister(world: World, ct: Container, vaddr: bigint, size: bigint): Errno | undefined {
  if (!isAligned(vaddr, PAGE_SIZE) || !isAligned(size, PAGE_SIZE)) return 'EINVAL';
  const mm = ct.mm!;
  const region = world.mms[mm].exact(vaddr, size >> PAGE_SHIFT);
  if (region === undefined || !ct.prereg.includes(region)) return 'ENOENT';
  const err = putRegion(world, mm, region);
  if (err !== undefined) return err;
  ct.prereg.splice(ct.prereg.indexOf(region), 1);
  return undefined;
}
