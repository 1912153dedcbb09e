// What the platform decides about a window: the size of its TCE table (what TCE_CREATE charges,
// SPAPR-WINDOW-CHARGE), the windows its create_table refuses, and where a new window starts
// (SPAPR-CREATE-START). Everything else about windows is the container's.
import type { ContainerGeometry, TableSizing } from '../../spec/spapr/backend.ts';
import type { Errno } from '../../spec/spapr/ops.ts';

/** The shape of a window as TCE_CREATE asks for it. */
export interface Shape { pageShift: number; windowSize: bigint; levels: number }

/** IOMMU_PAGE_SHIFT_4K: the default window's TCE size (tce_iommu_create_default_window). */
export const DEFAULT_PAGE_SHIFT = 12;

export const defaultShape = (g: ContainerGeometry): Shape => ({ pageShift: DEFAULT_PAGE_SHIFT, windowSize: g.dma32.size, levels: 1 });

const isDefaultShape = (g: ContainerGeometry, s: Shape): boolean =>
  s.pageShift === DEFAULT_PAGE_SHIFT && s.windowSize === g.dma32.size && s.levels === 1;

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

/** What create_table refuses once the table is charged, given the windows the container has. */
export function createRefusal(g: ContainerGeometry, s: Shape, others: readonly Shape[]): Errno | null {
  if (g.tableSizing === 'powernv') {
    // pnv_pci_ioda2_table_alloc_pages: the levels' index bits and the page must fit 60 bits.
    const entriesShift = ilog2(s.windowSize) - s.pageShift;
    const levelShift = Math.max(Math.ceil(entriesShift / s.levels) + 3, 12);
    return (levelShift - 3) * s.levels + s.pageShift >= 60 ? 'EINVAL' : null;
  }
  // pseries (spapr_tce_create_table, the DDW ops since v6.10): one dynamic window at a time; the
  // default window only while no dynamic one exists; a window smaller than its page fails to
  // create its DDW.
  if (s.windowSize < 1n << BigInt(s.pageShift)) return 'ENODEV';
  const dynamicExists = others.some((o) => !isDefaultShape(g, o));
  if (!isDefaultShape(g, s) && dynamicExists) return 'ENODEV';
  if (isDefaultShape(g, s) && dynamicExists) return 'EPERM';
  return null;
}

/** Where a window created in `slot` starts: it_offset << it_page_shift as create_table sets it. */
export function windowStart(g: ContainerGeometry, slot: number, s: Shape, isDefault: boolean): bigint {
  // The default window is the 32-bit one (tce_iommu_create_default_window warns otherwise);
  // pseries gives a default-shaped window its 32-bit place whatever the slot.
  if (isDefault || (g.tableSizing === 'pseries' && isDefaultShape(g, s))) return g.dma32.start;
  return g.windowStarts[slot] ?? g.dma32.start;
}
