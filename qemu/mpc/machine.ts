// The machine under test: mps2-an505 over qtest, with nothing running on its Cortex-M33. Started
// with no image, the CPU locks up ("Lockup: can't escalate 3 to HardFault") and ends QEMU, so
// it is kept stopped with -S; the PL081 needs no clock (pl080_run is synchronous). Both versions
// run TCG so, as for intel-iommu, a difference between them is the MPC's (11.1's qtest
// accelerator gives the same answers).
import type { QemuCommand } from '../build.ts';
import { Qtest, QtestError } from '../qtest.ts';
import { Bus } from './bus.ts';
import { AHBNSPPCEXP1, CTRL_AUTOINC, MPC, PL081_PERIPH_ID0, REGION_SIZE, SECCTL_BASE } from './layout.ts';
import { Pl081 } from './pl081.ts';
import { MpcRegisters } from './registers.ts';

/** What BLK_MAX and BLK_CFG report (tz_mpc_reg_read). */
export interface Geometry {
  blockSize: bigint;
  lutWords: number;
  /** The region: ssram-0's size, which the LUT covers (tz_mpc_realize: blk_max = ceil(blocks / 32)). */
  regionSize: bigint;
}

export class Machine {
  readonly bus: Bus;
  readonly dma: Pl081;
  readonly mpc: MpcRegisters;
  geometry!: Geometry;

  private constructor(readonly qtest: Qtest) {
    this.bus = new Bus(qtest);
    this.dma = new Pl081(this.bus);
    this.mpc = new MpcRegisters(this.bus, this.dma);
  }

  static async start(qemu: QemuCommand): Promise<Machine> {
    const machine = new Machine(new Qtest(qemu.argv, ['-machine', 'mps2-an505', '-accel', 'tcg', '-S']));
    try {
      await machine.boot();
    } catch (err) {
      await machine.dispose();
      throw err;
    }
    return machine;
  }

  private async boot(): Promise<void> {
    // iotkit_secctl_s_write takes any access: dma0's port is opened to Non-secure, where qtest
    // (attributes unspecified, which tz-ppc treats as Non-secure) can program it.
    this.bus.writel(SECCTL_BASE + AHBNSPPCEXP1, 1n);
    const id = await this.dma.periphId0();
    if (id !== PL081_PERIPH_ID0) throw new QtestError(`no PL081 at dma0 (PeriphID0 0x${id.toString(16)})`);
    this.dma.enable();
    const blkMax = await this.mpc.read(MPC.BLK_MAX);
    const blkCfg = await this.mpc.read(MPC.BLK_CFG);
    const ctrl = await this.mpc.read(MPC.CTRL);
    if (!(ctrl & CTRL_AUTOINC)) throw new QtestError(`MPC CTRL 0x${ctrl.toString(16)}: AUTOINC is not set after reset`);
    const blockSize = 1n << (blkCfg + 5n);
    const lutWords = Number(blkMax) + 1;
    // tz_mpc_realize sizes the LUT to the region rounded up to 32 blocks: BLK_MAX confirms ssram-0's size.
    const covered = BigInt(lutWords) * 32n * blockSize;
    if (covered < REGION_SIZE || covered - 32n * blockSize >= REGION_SIZE) {
      throw new QtestError(`MPC LUT of ${lutWords} words of ${blockSize}-byte blocks is not the size of the ${REGION_SIZE}-byte region`);
    }
    this.geometry = { blockSize, lutWords, regionSize: REGION_SIZE };
  }

  async dispose(): Promise<void> {
    await this.qtest.dispose();
  }
}
