// VT-d first-stage paging entries (x86-64 4-level format, VT-d 3.x section 9.9), as QEMU 11.1's
// intel_iommu.c walks them (vtd_iova_to_fspte, named vtd_iova_to_flpte before the x-flts -> fsts rename):
// - P refuses nothing once set: a present entry always allows a read, so a leaf or a directory
//   carries 'r' or 'rw' only (the declaration's `perms`).
// - R/W at every level gates writes (the AND of the walk, VIOMMU-XLATE-PERM-AND).
// - U/S must be set at every level: QEMU's emulated devices issue user-privilege requests only,
//   and an entry without it faults (VTD_FR_FS_PAGING_ENTRY_US).
// - A and D: set here as Linux sets them (intel-iommu's first-level entries carry ACCESS, and
//   DIRTY when writable), so the walk never has to write our tables (vtd_set_flag_in_pte).
// - XD (bit 63) is reserved in QEMU's masks (vtd_fpte_rsvd): never set.
import type { Perm } from '../spec/viommu/ops.ts';
import type { TableFormat } from './second-level.ts';

/** The permissions a first-stage entry can give, declared as the backend's `perms`. */
export const FIRST_STAGE_PERMS: Perm[] = ['r', 'rw'];

const PRESENT = 1n;
const WRITABLE = 1n << 1n;
const USER = 1n << 2n;
const ACCESSED = 1n << 5n;
const DIRTY = 1n << 6n;
const PAGE_SIZE = 1n << 7n;

function writable(perm: Perm): boolean {
  if (!FIRST_STAGE_PERMS.includes(perm)) throw new Error(`a first-stage entry cannot give permission '${perm}'`);
  return perm === 'rw';
}

/** Same shape as the second level (four levels, scratch in slot 1 of the top table). */
export const FIRST_STAGE_FORMAT: TableFormat = {
  top: 2,
  scratchSlot: 1,
  leaf: (pa, perm, level) =>
    pa | PRESENT | USER | ACCESSED | (writable(perm) ? WRITABLE | DIRTY : 0n) | (level > 0 ? PAGE_SIZE : 0n),
  table: (addr, perm) => addr | PRESENT | USER | ACCESSED | (writable(perm) ? WRITABLE : 0n),
};
