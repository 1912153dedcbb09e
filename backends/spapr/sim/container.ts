// A VFIO sPAPR TCE container (drivers/vfio/vfio_iommu_spapr_tce.c: struct tce_container) with
// its one group, the windows (iommu_table) in its two slots, and the machine it lives on.
import type { ContainerGeometry } from '../../../spec/spapr/backend.ts';
import type { Errno, Proc } from '../../../spec/spapr/ops.ts';
import type { Host } from '../../type1/sim/host.ts';
import { hasBug, type Policy } from './policy.ts';
import type { MmRegions, Region } from './prereg.ts';
import { TceTable, type TceRun } from './tces.ts';

/** The host, the two mms' region lists, and the policy: what every ioctl may touch. */
export interface World {
  readonly host: Host;
  readonly mms: readonly [MmRegions, MmRegions];
  readonly policy: Policy;
  /** log2 of the hugetlb page size. */
  readonly hugeShift: number;
}

/** A window: struct iommu_table as VFIO uses it. */
export class Window {
  readonly tces: TceTable;

  constructor(
    /** Bus address of entry it_offset (it_offset << it_page_shift). */
    readonly start: bigint,
    /** it_size: entries. */
    readonly size: bigint,
    readonly shift: number,
    /** it_allocated_size >> PAGE_SHIFT: what freeing the table uncharges. */
    readonly allocatedPages: bigint,
    /** A dynamic DMA window rather than the 32-bit one (pseries tells them apart). */
    readonly dynamic: boolean,
  ) {
    this.tces = new TceTable(shift);
  }

  get firstEntry(): bigint {
    return this.start >> BigInt(this.shift);
  }

  /** tce_iommu_find_table's test: whether bus address `ioba` falls in this window. */
  holds(ioba: bigint): boolean {
    const entry = ioba >> BigInt(this.shift);
    return this.firstEntry <= entry && entry < this.firstEntry + this.size;
  }
}

export class Container {
  enabled = false;
  /** v2: the default window is created by the first MAP / UNMAP / TCE_CREATE. */
  defWindowPending: boolean;
  /** v1: what ENABLE charged. */
  lockedPages = 0n;
  /** The mm bound by the first REGISTER / ENABLE / TCE_CREATE / TCE_REMOVE (SPAPR-MM-BIND). */
  mm: Proc | undefined;
  readonly tables: (Window | undefined)[] = [undefined, undefined];
  /** The regions this container references (prereg_list). */
  readonly prereg: Region[] = [];

  constructor(readonly geo: ContainerGeometry, readonly v2: boolean) {
    // tce_iommu_attach_group: the group's own windows are taken away from it and the default
    // window is pending, for v1 as for v2 (SPAPR-DEFAULT-WINDOW).
    this.defWindowPending = true;
  }

  /** tce_iommu_find_table. */
  findTable(ioba: bigint): Window | undefined {
    return this.tables.find((t) => t !== undefined && t.holds(ioba));
  }
}

/** account_locked_vm(mm, pages, true) called by `proc`: its RLIMIT_MEMLOCK and CAP_IPC_LOCK. */
export function charge(world: World, proc: Proc, pages: bigint): Errno | undefined {
  const p = world.host.procs[proc];
  if (pages === 0n) return undefined;
  if (!p.capIpcLock && p.lockedVm + pages > p.memlockLimitPages) return 'ENOMEM';
  p.lockedVm += pages;
  return undefined;
}

export function uncharge(world: World, proc: Proc, pages: bigint): void {
  world.host.procs[proc].uncharge(pages);
}

/**
 * Releases the old page of cleared TCEs: v2 drops the region's mapped count
 * (tce_iommu_unuse_page_v2: mm_iommu_mapped_dec, never below 1), v1 unpins the page, which
 * charges nothing.
 */
export function releaseTces(runs: readonly TceRun[]): void {
  for (const r of runs) {
    if (r.region === undefined) continue;
    const left = r.region.mapped - (r.end - r.first);
    r.region.mapped = left < 1n ? 1n : left;
  }
}

/** tce_iommu_free_table: drops the table and uncharges its it_allocated_size. */
export function freeTable(world: World, ct: Container, win: Window): void {
  releaseTces(win.tces.clear(win.firstEntry, win.firstEntry + win.size));
  // mutant table-free-keeps-charge: the table goes, its charge stays.
  if (hasBug(world.policy, 'table-free-keeps-charge')) return;
  // mutant remove-uncharges-half: it_allocated_size counts only the hardware table, not its
  // it_userspace copy (the 2019 bug of "powerpc/powernv/ioda: Fix locked_vm counting").
  const pages = hasBug(world.policy, 'remove-uncharges-half') ? win.allocatedPages / 2n : win.allocatedPages;
  uncharge(world, ct.mm!, pages);
}

/**
 * mm_iommu_put by one container: the last user of a region no TCE points into unpins it and
 * uncharges its pages; the last user of a mapped one gets EBUSY and keeps it (SPAPR-UNREG-MAPPED).
 */
export function putRegion(world: World, mm: Proc, region: Region): Errno | undefined {
  if (region.used > 1) {
    region.used--;
    return undefined;
  }
  // mutant unregister-unpins-mapped: the mapped count is not looked at.
  if (region.mapped !== 1n && !hasBug(world.policy, 'unregister-unpins-mapped')) return 'EBUSY';
  region.used = 0;
  world.mms[mm].remove(region);
  uncharge(world, mm, region.entries);
  return undefined;
}

/**
 * tce_iommu_release: clear every TCE and free every table, put the container's regions, undo
 * v1's ENABLE charge (SPAPR-CLOSE-RELEASE).
 */
export function release(world: World, ct: Container): void {
  for (const [i, win] of ct.tables.entries()) {
    if (win === undefined) continue;
    freeTable(world, ct, win);
    ct.tables[i] = undefined;
  }
  for (const region of [...ct.prereg]) {
    if (putRegion(world, ct.mm!, region) === undefined) ct.prereg.splice(ct.prereg.indexOf(region), 1);
  }
  disable(world, ct);
}

/** tce_iommu_disable: v1's ENABLE charge goes back. */
export function disable(world: World, ct: Container): void {
  if (!ct.enabled) return;
  ct.enabled = false;
  // mutant disable-keeps-charge: DISABLE forgets the whole-window charge of ENABLE.
  if (hasBug(world.policy, 'disable-keeps-charge')) return;
  uncharge(world, ct.mm!, ct.lockedPages);
}
