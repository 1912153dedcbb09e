// The platform's iommu_table_group_ops as VFIO sees them: how big a new window's TCE table is
// (get_table_size, what TCE_CREATE charges) and whether, where, create_table makes the window.
import type { ContainerGeometry } from '../../../spec/spapr/backend.ts';
import type { Errno } from '../../../spec/spapr/ops.ts';

/** IOMMU_PAGE_SHIFT_4K: the page of the default window. */
export const DEFAULT_WINDOW_SHIFT = 12;
/** POWERNV_IOMMU_MAX_LEVELS. */
const POWERNV_MAX_LEVELS = 5;

const isPow2 = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;
const log2 = (v: bigint): number => v.toString(2).length - 1;
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const alignUp = (v: bigint, a: bigint): bigint => (v + a - 1n) / a * a;

/**
 * pnv_pci_ioda2_get_table_size: every level's tables, rounded to the direct table size, twice
 * (the hardware table and its it_userspace copy). 0: an invalid geometry.
 */
function powernvTableSize(pageShift: number, windowSize: bigint, levels: number): bigint {
  if (levels === 0 || levels > POWERNV_MAX_LEVELS || !isPow2(windowSize) || windowSize < (1n << BigInt(pageShift))) return 0n;
  const entriesShift = log2(windowSize) - pageShift;
  let tceTableSize = max(0x1000n, 1n << BigInt(entriesShift + 3));
  const levelShift = Math.max(Math.floor((entriesShift + levels - 1) / levels) + 3, 12);
  const direct = 1n << BigInt(levelShift);
  let bytes = 0n;
  for (let l = levels; l > 0; l--) {
    bytes += alignUp(tceTableSize, direct);
    tceTableSize = max((tceTableSize / direct) << 3n, direct);
  }
  return bytes + bytes;
}

/**
 * pseries spapr_tce_get_table_size: 8 bytes a TCE, one level; more levels ask for ~0U bytes
 * (create_table then refuses them).
 */
function pseriesTableSize(pageShift: number, windowSize: bigint, levels: number): bigint {
  if (levels > 1) return 0xffffffffn;
  return windowSize >> BigInt(pageShift - 3);
}

/** get_table_size in bytes; 0 is an invalid geometry (tce_iommu_create_table: EINVAL). */
export function tableSize(geo: ContainerGeometry, pageShift: number, windowSize: bigint, levels: number): bigint {
  return geo.tableSizing === 'powernv' ? powernvTableSize(pageShift, windowSize, levels) : pseriesTableSize(pageShift, windowSize, levels);
}

/** What the container's slots hold, as the platform tells a default window from a dynamic one. */
export interface SlotUse {
  /** The slot holds a dynamic DMA window (not the restored 32-bit one). */
  readonly dynamic: boolean;
}

export interface Created { start: bigint; dynamic: boolean }

/**
 * create_table for slot `num`. pseries (iommu.c: spapr_tce_create_table): the size must be a
 * power of two and one level; slot 0 asked for a window of 4K pages no bigger than the 32-bit
 * one restores the default window at tce32_start, refused (EPERM) while a dynamic window
 * exists; any other request opens a dynamic window at the hypervisor's address, refused in slot
 * 0 while one exists (EPERM) and failing in the hypervisor (ENODEV) when one already exists or
 * the window is smaller than its page. powernv (pci-ioda.c: pnv_pci_ioda2_create_table): the
 * window goes to tce32_start in slot 0 and tce_bypass_base in slot 1, get_table_size already
 * refused every bad geometry.
 */
export function createTable(geo: ContainerGeometry, num: number, slots: readonly (SlotUse | undefined)[], pageShift: number, windowSize: bigint, levels: number): Created | Errno {
  if (geo.tableSizing === 'powernv') return { start: geo.windowStarts[num]!, dynamic: num !== 0 };
  if (!isPow2(windowSize) || levels > 1) return 'EINVAL';
  const dynamicExists = slots.some((s) => s?.dynamic === true);
  if (num === 0) {
    const defaultRequest = windowSize <= geo.dma32.size && pageShift === DEFAULT_WINDOW_SHIFT;
    if (dynamicExists) return 'EPERM';
    if (defaultRequest) return { start: geo.dma32.start, dynamic: false };
  }
  if (dynamicExists || windowSize < (1n << BigInt(pageShift))) return 'ENODEV';
  return { start: geo.windowStarts[num]!, dynamic: true };
}
