// Where things are on mps2-an505 (QEMU's hw/arm/mps2-tz.c and hw/arm/armsse.c, the same in 7.2
// and later): the region MPC 0 guards, its two aliases, the MPC's registers, the PL081 DMA
// controller that issues our transactions, and the scratch RAM outside every MPC.

/** ssram-0 (an505_raminfo): 4 MiB behind MPC 0, its upstream mapped at 0. */
export const REGION_SIZE = 0x400000n;
/**
 * The two aliases of the region. mps2_tz_idau_check makes address bit 28 the IDAU's
 * secure bit, so a Secure master reaching the region at 0x1000_0000 + x issues a Secure
 * transaction and at x a Non-secure one (tz_msc_check: an NS region is always forwarded NS).
 */
export const REGION_NS = 0x00000000n;
export const REGION_S = 0x10000000n;

/** MPC 0's registers: port 0 of apb_ppcexp0 (an505_ppcs), Secure alias. */
export const MPC_BASE = 0x58007000n;
/** hw/misc/tz-mpc.c REG32 offsets. */
export const MPC = {
  CTRL: 0x00n, BLK_MAX: 0x10n, BLK_CFG: 0x14n, BLK_IDX: 0x18n, BLK_LUT: 0x1cn,
  INT_STAT: 0x20n, INT_CLEAR: 0x24n, INT_EN: 0x28n, INT_INFO1: 0x2cn, INT_INFO2: 0x30n,
} as const;
/** tz_mpc_reset's CTRL: AUTOINC set, SEC_RESP clear (blocked accesses are RAZ/WI, not bus errors). */
export const CTRL_RESET = 0x100n;
export const CTRL_AUTOINC = 0x100n;

/** The SSE-200 security control block (hw/misc/iotkit-secctl.c), Secure alias. */
export const SECCTL_BASE = 0x50080000n;
/** AHBNSPPCEXP1 bit 0: the PL081 dma0's port becomes Non-secure, so qtest can program it. */
export const AHBNSPPCEXP1 = 0x64n;
/** NSMSCEXP bits 16+: which expansion masters are Non-secure. Left 0: dma0 is a Secure master. */
export const NSMSCEXP = 0xd0n;

/** PL081 dma0 (port 0 of ahb_ppcexp1), Non-secure alias; its master port goes through an MSC. */
export const DMA_BASE = 0x40110000n;
export const PL081_PERIPH_ID0 = 0x81;

/**
 * mps.ram: 16 MiB at 0x8000_0000 behind no MPC, reachable whatever the transaction's security.
 * Our scratch: the word a register is copied through, the bytes a probe goes through, the
 * LUT words a block transfer carries.
 */
export const SCRATCH = 0x80000000n;
export const SCRATCH_WORD = SCRATCH;
export const SCRATCH_WORDS = SCRATCH + 0x40n;
export const SCRATCH_BYTES = SCRATCH + 0x100n;
export const SCRATCH_LUT = SCRATCH + 0x1000n;
