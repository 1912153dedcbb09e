// What the platform decides about a window: the size of its TCE table (what TCE_CREATE charges,
// SPAPR-WINDOW-CHARGE), the windows its create_table refuses (SPAPR-CREATE-PSERIES) and where a
// new window starts (SPAPR-CREATE-START). Everything else about windows is the container's.
import type { ContainerGeometry, TableSizing } from '../../spec/spapr/backend.ts';
import type { Errno } from '../../spec/spapr/ops.ts';

/** The shape of a window as TCE_CREATE asks for it. */
export interface Shape { pageShift: number; windowSize: bigint; levels: number }

/** IOMMU_PAGE_SHIFT_4K: the default window's TCE size (tce_iommu_create_default_window). */
export const DEFAULT_PAGE_SHIFT = 12;

export const defaultShape = (g: ContainerGeometry): Shape => ({ pageShift: DEFAULT_PAGE_SHIFT, windowSize: g.dma32.size, levels: 1 });

const isPowerOfTwo = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;
const ilog2 = (v: bigint): number => v.toString(2).length - 1;
const alignUp = (v: bigint, to: bigint): bigint => ((v + to - 1n) / to) * to;
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** POWERNV_IOMMU_MAX_LEVELS (arch/powerpc/platforms/powernv/pci.h). */
const POWERNV_MAX_LEVELS = 5;

/**
 * pnv_pci_ioda2_get_table_size (arch/powerpc/platforms/powernv/pci-ioda.c): the levels of the
 * indirect table, each a multiple of the direct table size, twice over (one for the hardware
 * table, one for the userspace view since "Fix locked_vm counting for memory used by IOMMU
 * tables"). 0 is an invalid geometry.
 */
function powernvTableBytes(s: Shape, kernelPageShift: number): bigint {
  if (s.levels < 1 || s.levels > POWERNV_MAX_LEVELS || !isPowerOfTwo(s.windowSize)) return 0n;
  const entriesShift = ilog2(s.windowSize) - s.pageShift;
  if (entriesShift < 0) return 0n;
  let tceTable = max(0x1000n, 1n << BigInt(entriesShift + 3));
  const levelShift = Math.max(Math.ceil(entriesShift / s.levels) + 3, kernelPageShift);
  const direct = 1n << BigInt(levelShift);
  let bytes = 0n;
  for (let l = s.levels; l > 0; l--) {
    bytes += alignUp(tceTable, direct);
    tceTable = max((tceTable / direct) << 3n, direct);
  }
  return 2n * bytes;
}

/**
 * spapr_tce_get_table_size (arch/powerpc/platforms/pseries/iommu.c): eight bytes a TCE, one
 * level only (more answers ~0U, which no limit lets through).
 */
function pseriesTableBytes(s: Shape): bigint {
  if (s.levels > 1) return 0xffffffffn;
  return s.windowSize >> BigInt(s.pageShift - 3);
}

/** The bytes of table memory a window of this shape takes: get_table_size. */
export function tableBytes(sizing: TableSizing, s: Shape, kernelPageShift: number): bigint {
  return sizing === 'pseries' ? pseriesTableBytes(s) : powernvTableBytes(s, kernelPageShift);
}

/** A window as create_table placed it: its bus address, and whether it is a dynamic one. */
export interface Placed { start: bigint; dynamic: boolean }

/**
 * create_table for `slot`, once the table is charged, given whether a dynamic window exists
 * (SPAPR-CREATE-PSERIES, SPAPR-CREATE-START). pseries (spapr_tce_create_table, the DDW ops since
 * v6.10): a power-of-two size and one level; slot 0 takes back the default window for a request
 * of 4 KiB pages no bigger than the 32-bit window, and nothing while a dynamic window exists; any
 * other request is a dynamic window the hypervisor gives only when none exists and when it is at
 * least one page. powernv (pnv_pci_ioda2_create_table): slot 0 at tce32_start, slot 1 at
 * tce_bypass_base, the levels' index bits and the page within 60 bits.
 */
export function createTable(g: ContainerGeometry, slot: number, s: Shape, dynamicExists: boolean): Placed | Errno {
  if (g.tableSizing === 'powernv') {
    const entriesShift = ilog2(s.windowSize) - s.pageShift;
    const levelShift = Math.max(Math.ceil(entriesShift / s.levels) + 3, 12);
    if ((levelShift - 3) * s.levels + s.pageShift >= 60) return 'EINVAL';
    return { start: g.windowStarts[slot] ?? g.dma32.start, dynamic: slot !== 0 };
  }
  if (!isPowerOfTwo(s.windowSize) || s.levels > 1) return 'EINVAL';
  if (slot === 0) {
    if (dynamicExists) return 'EPERM';
    if (s.pageShift === DEFAULT_PAGE_SHIFT && s.windowSize <= g.dma32.size) return { start: g.dma32.start, dynamic: false };
  }
  if (dynamicExists || s.windowSize < 1n << BigInt(s.pageShift)) return 'ENODEV';
  return { start: g.windowStarts[slot] ?? g.dma32.start, dynamic: true };
}
