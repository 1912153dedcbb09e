// Where things are: the machine's MMIO, the VT-d registers, and the guest-physical layout of the
// structures this adapter keeps in guest RAM.
//
// The guest has 2 GiB. The upper gigabyte is the RAM translations may point into (declared as
// `ram`, so generated mappings land there and 1 GiB leaves fit); every structure of ours lives in
// the lower gigabyte, where no generated translation can overwrite it.

export const MIB = 0x100000n;
export const GIB = 0x40000000n;
export const PAGE = 0x1000n;

export const GUEST_RAM = '2G';
export const RAM = { start: GIB, size: GIB };

/** The edu devices: one per endpoint, each on a slot of its own on bus 0, BAR 0 where we put it. */
export const EDU_SLOTS = [0x10, 0x11];
export const EDU_BARS = [0xfe000000n, 0xfe100000n];
export { EDU_BUFFER, EDU_VENDOR_DEVICE } from './edu.ts';

export const VTD_BASE = 0xfed90000n;
export const VTD = {
  VER: 0x00n, CAP: 0x08n, ECAP: 0x10n, GCMD: 0x18n, GSTS: 0x1cn, RTADDR: 0x20n,
  FSTS: 0x34n, FECTL: 0x38n, IQH: 0x80n, IQT: 0x88n, IQA: 0x90n,
} as const;
export const GCMD_TE = 1 << 31;
export const GCMD_SRTP = 1 << 30;
export const GCMD_QIE = 1 << 26;

// Our structures, below RAM.start.
export const ROOT_TABLE = 0x00100000n;
export const CONTEXT_TABLE = 0x00101000n;
export const INVALIDATION_QUEUE = 0x00102000n;
export const WAIT_STATUS = 0x00103000n;
/** The page a scratch IOVA reaches in every domain: how tokens enter and leave edu's buffer. */
export const SCRATCH_PAGE = 0x00104000n;
/** Scalable mode: each endpoint's PASID directory and PASID table, one page each, endpoint by endpoint. */
export const PASID_DIRECTORIES = 0x00108000n;
export const PASID_TABLES = 0x00110000n;
/** Page tables are allocated from here up. */
export const TABLE_POOL = 0x00200000n;
export const TABLE_POOL_END = GIB;

/**
 * The IOVA of the scratch page. The tables have four levels (aw-bits 48) while the declaration
 * says 39 bits: the model never reaches the second 512 GiB, so its top-level slot is ours.
 */
export const SCRATCH_IOVA = 1n << 39n;
export const DECLARED_IOVA_BITS = 39;
