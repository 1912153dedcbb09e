// DMA windows: TCE_CREATE, TCE_REMOVE and the lazily created default window
// (vfio_iommu_spapr_tce.c: tce_iommu_create_window, tce_iommu_create_table,
// tce_iommu_remove_window, tce_iommu_create_default_window).
import type { Errno } from '../../../spec/spapr/ops.ts';
import { PAGE_SHIFT } from '../../type1/sim/constants.ts';
import { Container, Window, charge, freeTable, uncharge, type World } from './container.ts';
import { DEFAULT_WINDOW_SHIFT, createTable, tableSize } from './platform.ts';
import { hasBug } from './policy.ts';

/** tce_iommu_create_window: the new window's start, or why not (SPAPR-CREATE-*, SPAPR-WINDOW-CHARGE). */
export function createWindow(world: World, ct: Container, pageShift: number, windowSize: bigint, levels: number, isDefault = false): bigint | Errno {
  const num = ct.tables.findIndex((t) => t === undefined);
  if (num < 0) return 'ENOSPC';
  const pgsizes = ct.geo.ddw?.pgsizes ?? 0n;
  if (pageShift > 63 || (pgsizes & (1n << BigInt(pageShift))) === 0n) return 'EINVAL';
  const bytes = tableSize(ct.geo, pageShift, windowSize, levels);
  if (bytes === 0n) return 'EINVAL';
  // The table is charged before it exists; a failure after that gives the charge back (the
  // kernel's tce_iommu_create_table keeps it: a known leak, not the rule).
  // mutant default-window-uncharged: the lazily created default window is not charged.
  const pages = isDefault && hasBug(world.policy, 'default-window-uncharged') ? 0n : bytes >> PAGE_SHIFT;
  const err = charge(world, ct.mm!, pages);
  if (err !== undefined) return err;
  const made = createTable(ct.geo, num, ct.tables, pageShift, windowSize, levels);
  if (typeof made === 'string') {
    // mutant failed-create-keeps-charge: 6.12's leak, the charge stays when create_table fails.
    if (!hasBug(world.policy, 'failed-create-keeps-charge')) uncharge(world, ct.mm!, pages);
    return made;
  }
  ct.tables[num] = new Window(made.start, windowSize >> BigInt(pageShift), pageShift, pages, made.dynamic);
  return made.start;
}

/** tce_iommu_create_default_window: the 32-bit window, 4K pages, one level (SPAPR-DEFAULT-WINDOW). */
export function createDefaultWindow(world: World, ct: Container): Errno | undefined {
  if (!ct.defWindowPending) return undefined;
  const start = createWindow(world, ct, DEFAULT_WINDOW_SHIFT, ct.geo.dma32.size, 1, true);
  if (typeof start === 'string') return start;
  ct.defWindowPending = false;
  return undefined;
}

/** TCE_REMOVE after its flags check (SPAPR-REMOVE, SPAPR-DEFAULT-WINDOW). */
export function removeWindow(world: World, ct: Container, startAddr: bigint): Errno | undefined {
  if (ct.defWindowPending && startAddr === 0n) {
    ct.defWindowPending = false;
    return undefined;
  }
  // tce_iommu_find_table: the window holding start_addr, wherever in it.
  const num = ct.tables.findIndex((t) => t !== undefined && t.holds(startAddr));
  if (num < 0) return 'EINVAL';
  // mutant remove-uncharges-half: TCE_REMOVE's it_allocated_size counts only the hardware
  // table, not its it_userspace copy (the bug "powerpc/powernv/ioda: Fix locked_vm counting for
  // memory used by IOMMU tables" fixed in 2019).
  freeTable(world, ct, ct.tables[num]!, hasBug(world.policy, 'remove-uncharges-half') ? 'half' : 'all');
  ct.tables[num] = undefined;
  return undefined;
}
