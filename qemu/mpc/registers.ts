// MPC 0's registers, reached the only way there is from outside the CPU: by Secure DMA.
//
// qtest's own accesses carry unspecified attributes, whose secure bit is clear: the PPC port in
// front of the registers (Secure at reset, tz_ppc_check) refuses them, and tz_mpc_reg_read and
// tz_mpc_reg_write would answer any Non-secure access with zeros below PIDR4. So every register
// access here is a PL081 transfer between the register and a scratch word, issued by dma0 as a
// Secure master at the MPC's Secure alias. BLK_LUT is read and written a run of words at a time: one
// transfer that leaves the register address fixed while CTRL.AUTOINC steps BLK_IDX.
import type { Bus } from './bus.ts';
import { MPC, MPC_BASE, SCRATCH_LUT, SCRATCH_WORD, SCRATCH_WORDS } from './layout.ts';
import type { Pl081 } from './pl081.ts';

/** Little-endian words, as the PL081 stored them. */
const words = (bytes: Uint8Array): Uint32Array => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getUint32(i * 4, true));
};

export class MpcRegisters {
  constructor(private readonly bus: Bus, private readonly dma: Pl081) {}

  /** Posts a register write. */
  write(reg: bigint, value: bigint): void {
    this.bus.writel(SCRATCH_WORD, value);
    this.dma.run({ src: SCRATCH_WORD, dst: MPC_BASE + reg, count: 1, width: 4, srcIncrement: false, dstIncrement: false });
  }

  async read(reg: bigint): Promise<bigint> {
    return BigInt((await this.readWords(reg, 1))[0]!);
  }

  /** The registers from `reg` on, `count` words, in one transfer (none of them reacts to a read but BLK_LUT). */
  async readWords(reg: bigint, count: number): Promise<Uint32Array> {
    this.bus.write(SCRATCH_WORDS, new Uint8Array(count * 4).fill(0xee));
    this.dma.run({ src: MPC_BASE + reg, dst: SCRATCH_WORDS, count, width: 4, srcIncrement: true, dstIncrement: true });
    await this.dma.checkDone();
    return words(await this.bus.read(SCRATCH_WORDS, count * 4));
  }

  /** LUT words [first, first + count): BLK_IDX, then `count` reads of BLK_LUT. */
  async readLut(first: number, count: number): Promise<Uint32Array> {
    this.write(MPC.BLK_IDX, BigInt(first));
    this.dma.run({ src: MPC_BASE + MPC.BLK_LUT, dst: SCRATCH_LUT, count, width: 4, srcIncrement: false, dstIncrement: true });
    await this.dma.checkDone();
    return words(await this.bus.read(SCRATCH_LUT, count * 4));
  }

  /** Posts LUT writes of `values` from word `first` on: BLK_IDX, then one BLK_LUT write each. */
  writeLut(first: number, values: Uint32Array): void {
    const bytes = new Uint8Array(values.length * 4);
    values.forEach((v, i) => new DataView(bytes.buffer).setUint32(i * 4, v, true));
    this.bus.write(SCRATCH_LUT, bytes);
    this.write(MPC.BLK_IDX, BigInt(first));
    this.dma.run({ src: SCRATCH_LUT, dst: MPC_BASE + MPC.BLK_LUT, count: values.length, width: 4, srcIncrement: true, dstIncrement: false });
  }

  /** INT_CLEAR: the next blocked access is captured again (tz_mpc_handle_block). */
  clearInterrupt(): void { this.write(MPC.INT_CLEAR, 1n); }
}
