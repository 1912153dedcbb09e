// AArch64 stage-1 descriptors, 4 KiB granule (Arm ARM D8.3), as QEMU's smmu-common.c walks them
// (smmu_ptw_64_s1): a leaf's AP[2] refuses writes, a table's APTable[1] refuses writes below it.
// Stage 1 has no way to refuse a privileged read (QEMU treats every transaction as privileged:
// smmu-internal.h is_permission_fault), so leaves and tables carry 'rw' or 'r' only.
import type { Perm } from '../../spec/viommu/ops.ts';
import type { TableFormat } from '../second-level.ts';

/** The permissions a stage-1 descriptor can give, declared as the backend's `perms`. */
export const STAGE1_PERMS: Perm[] = ['r', 'rw'];

const VALID = 1n;
const TABLE_OR_PAGE = 2n;
const AF = 1n << 10n;
const AP_READ_ONLY = 1n << 7n;
const APTABLE_READ_ONLY = 1n << 62n;

function readOnly(perm: Perm): boolean {
  if (!STAGE1_PERMS.includes(perm)) throw new Error(`a stage-1 descriptor cannot give permission '${perm}'`);
  return perm === 'r';
}

/**
 * Level 0 of the mirror is a page (LPAE level 3), 1 a 2 MiB block, 2 a 1 GiB block; level 3 is
 * the walk's first table (512 GiB entries): the tree is the root itself, its slots 0-255 the
 * declared 47 bits and slot 256 the scratch IOVA's way in.
 */
export const LPAE_FORMAT: TableFormat = {
  top: 3,
  scratchSlot: 256,
  leaf: (pa, perm, level) => pa | VALID | (level === 0 ? TABLE_OR_PAGE : 0n) | AF | (readOnly(perm) ? AP_READ_ONLY : 0n),
  table: (addr, perm) => addr | VALID | TABLE_OR_PAGE | (readOnly(perm) ? APTABLE_READ_ONLY : 0n),
};
