// Where things are on QEMU's virt machine with an SMMUv3 (hw/arm/virt.c, base_memmap with
// highmem=off), and the guest-physical layout of the structures this adapter keeps in RAM.
//
// Guest RAM is [1 GiB, 3 GiB). Its first gigabyte holds our structures (the DTB QEMU loads at
// the start of RAM included); the second is the RAM translations may point into, declared as
// `ram`, so generated mappings land there and 1 GiB leaves fit.

export const MIB = 0x100000n;
export const GIB = 0x40000000n;
export const PAGE = 0x1000n;

export const GUEST_RAM = '2G';
export const RAM = { start: 2n * GIB, size: GIB };

/** VIRT_SMMU, VIRT_PCIE_ECAM (highmem off), and BARs in VIRT_PCIE_MMIO. */
export const SMMU_BASE = 0x09050000n;
export const ECAM_BASE = 0x3f000000n;

/** The edu devices: one per endpoint, each on a slot of its own on bus 0; StreamID = devfn. */
export const EDU_SLOTS = [0x10, 0x11];
export const EDU_BARS = [0x10000000n, 0x10100000n];
export { EDU_BUFFER, EDU_VENDOR_DEVICE } from '../edu.ts';

/** SMMUv3 registers (Arm SMMUv3 specification, 6.3). */
export const REG = {
  IDR0: 0x00n, IDR1: 0x04n, IDR3: 0x0cn, IDR5: 0x14n, CR0: 0x20n, CR0ACK: 0x24n, CR1: 0x28n, CR2: 0x2cn,
  GERROR: 0x60n, GERRORN: 0x64n, STRTAB_BASE: 0x80n, STRTAB_BASE_CFG: 0x88n,
  CMDQ_BASE: 0x90n, CMDQ_PROD: 0x98n, CMDQ_CONS: 0x9cn, EVENTQ_BASE: 0xa0n, EVENTQ_PROD: 0xa8n, EVENTQ_CONS: 0xacn,
} as const;
export const CR0_SMMUEN = 1;
export const CR0_EVENTQEN = 1 << 2;
export const CR0_CMDQEN = 1 << 3;

// Our structures, below RAM.start (the first MiBs of RAM are left to the DTB).
const BASE = GIB + 16n * MIB;
/** A linear stream table of 2^STRTAB_LOG2 STEs: every edu's StreamID fits. */
export const STRTAB_LOG2 = 8n;
export const STREAM_TABLE = BASE;
/** One context descriptor per domain, 64 bytes each. */
export const CONTEXT_DESCRIPTORS = BASE + 0x10000n;
/** Command queue (2^QUEUE_LOG2 16-byte commands) and event queue (2^QUEUE_LOG2 32-byte records). */
export const QUEUE_LOG2 = 8n;
export const COMMAND_QUEUE = BASE + 0x20000n;
export const EVENT_QUEUE = BASE + 0x30000n;
/** The page a scratch IOVA reaches in every domain: how tokens enter and leave edu's buffer. */
export const SCRATCH_PAGE = BASE + 0x40000n;
/** The scratch IOVA's level 1..3 tables, shared by every domain. */
export const SCRATCH_TABLES = [BASE + 0x41000n, BASE + 0x42000n, BASE + 0x43000n];
/** Page tables are allocated from here up. */
export const TABLE_POOL = BASE + 0x100000n;
export const TABLE_POOL_END = RAM.start;

/**
 * The context descriptors' T0SZ is 16: QEMU walks 48 bits in four levels. The declaration says
 * 47: the model never reaches the upper half of the level-0 table, so its first slot is ours.
 */
export const DECLARED_IOVA_BITS = 47;
export const SCRATCH_IOVA = 1n << 47n;
