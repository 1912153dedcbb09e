// One sPAPR TCE container (drivers/vfio/vfio_iommu_spapr_tce.c: struct tce_container) with its
// group already attached: the mm it is bound to, whether it is enabled, its windows by slot,
// the registrations it references, and v1's ENABLE charge.
import type { ContainerGeometry } from '../../spec/spapr/backend.ts';
import type { Errno, Proc } from '../../spec/spapr/ops.ts';
import type { RuleId } from '../../spec/spapr/rules.ts';
import { createTable, defaultShape, tableBytes, type Shape } from './platform.ts';
import type { Region } from './regions.ts';
import { Window } from './window.ts';
import type { Mm } from './mm.ts';

/** IOMMU_TABLE_GROUP_MAX_TABLES. */
export const MAX_TABLES = 2;

/**
 * A failing check: its errno and rule, and the errnos a variant the rule names answers instead.
 * `charged`: the rule of a charge the ioctl took and gave back before failing, so that the next
 * `counters` is judged by it (a kernel that keeps the charge breaks that rule, not the rule of
 * the last successful ioctl).
 */
export type Refusal = { errno: Errno; rule: RuleId; accept?: readonly Errno[]; charged?: RuleId };

export class Container {
  /** The mm of the first REGISTER / ENABLE / TCE_CREATE / TCE_REMOVE (SPAPR-MM-BIND). */
  mm: Proc | null = null;
  enabled = false;
  /** v1: the pages ENABLE charged (container->locked_pages). */
  v1Charge = 0n;
  /** Set at attach with no table: the first MAP, UNMAP or TCE_CREATE creates it (SPAPR-DEFAULT-WINDOW). */
  defaultPending = true;
  readonly windows: (Window | null)[] = Array.from({ length: MAX_TABLES }, () => null);
  readonly regions = new Set<Region>();

  constructor(readonly geometry: ContainerGeometry, readonly kernelPageShift: number) {}

  /** tce_iommu_find_table: the first slot whose window holds the iova. */
  windowAt(iova: bigint): Window | undefined {
    return this.windows.find((w): w is Window => w !== null && w.contains(iova));
  }

  /**
   * tce_iommu_create_window: a free slot, a page size of the platform, a valid geometry, the
   * table charged to the mm, then the platform's create_table.
   */
  createWindow(mm: Mm, shape: Shape, isDefault: boolean): Window | Refusal {
    const rule: RuleId = isDefault ? 'SPAPR-DEFAULT-WINDOW' : 'SPAPR-CREATE-CHECKS';
    const slot = this.windows.findIndex((w) => w === null);
    if (slot < 0) return { errno: 'ENOSPC', rule };
    const pgsizes = this.geometry.ddw?.pgsizes ?? 1n << 12n;
    if (shape.pageShift < 0 || shape.pageShift > 63 || (pgsizes & (1n << BigInt(shape.pageShift))) === 0n) return { errno: 'EINVAL', rule };
    const bytes = tableBytes(this.geometry.tableSizing, shape, this.kernelPageShift);
    if (bytes === 0n) return { errno: 'EINVAL', rule };
    const charge = bytes >> BigInt(this.kernelPageShift);
    if (!mm.charge(charge)) return { errno: 'ENOMEM', rule: isDefault ? rule : 'SPAPR-WINDOW-CHARGE' };
    const placed = createTable(this.geometry, slot, shape, this.windows.some((w) => w?.dynamic === true));
    if (typeof placed === 'string') {
      // The rule: a failed create leaves nothing charged (6.12 keeps the charge, a kernel bug).
      mm.uncharge(charge);
      return { errno: placed, rule: isDefault ? rule : 'SPAPR-CREATE-PSERIES', charged: 'SPAPR-WINDOW-CHARGE' };
    }
    const w = new Window(slot, isDefault ? this.geometry.dma32.start : placed.start, shape, charge, !isDefault && placed.dynamic);
    this.windows[slot] = w;
    return w;
  }

  /** tce_iommu_create_default_window: nothing when none is pending. */
  createDefault(mm: Mm): Refusal | null {
    if (!this.defaultPending) return null;
    const out = this.createWindow(mm, defaultShape(this.geometry), true);
    if (!(out instanceof Window)) return out;
    this.defaultPending = false;
    return null;
  }

  /** tce_iommu_remove_window and release: TCEs cleared, table freed, its charge returned. */
  removeWindow(mm: Mm, w: Window): void {
    w.clearAll();
    mm.uncharge(w.charge);
    this.windows[w.slot] = null;
  }
}
