// QEMU's real Arm TrustZone MPC (hw/misc/tz-mpc.c) as a viommu backend, with no guest: MPC 0 of
// mps2-an505, which guards ssram-0, is programmed by Secure DMA from the board's PL081, and the
// same PL081 issues each probe as a Secure or Non-secure transaction into the region.
//
//   --backend ./qemu/mpc/backend.ts[:version=11.1][,reset=restart]
//
// version picks the QEMU (7.2, the default, or 11.1: ../build.ts). reset=restart starts a
// fresh QEMU for every case instead of restoring the LUT in place (README.md compares them).
import type { Backend, BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op, Result } from '../../spec/viommu/ops.ts';
import { parseVersion, qemuCommand, type QemuCommand } from '../build.ts';
import { CTRL_RESET, MPC } from './layout.ts';
import { gate } from './lut.ts';
import { Machine, type Geometry } from './machine.ts';
import { Observer } from './observe.ts';
import { notAnOperation, runOps } from '../operations.ts';

/** The largest power of two not above `v`: the part of the region the declaration can name. */
const log2Floor = (v: bigint): number => v.toString(2).length - 1;

function declaration(qemu: QemuCommand, g: Geometry): BackendInfo {
  return {
    name: `qemu-${qemu.version}:mpc`,
    description: `QEMU ${qemu.version} tz-mpc (MPC 0 of mps2-an505, ssram-0) over qtest, Secure and Non-secure DMA from a PL081`,
    family: 'viommu',
    profile: 'mpc',
    // qtest can neither register an IOMMU notifier nor call translate(); the MPC keeps no fault log.
    capabilities: ['lut', 'dma'],
    // ssram-0 is 4 MiB, a power of two; were it not, only its power-of-two prefix is declared.
    iovaBits: log2Floor(g.regionSize),
    pageSizes: [g.blockSize],
    indexes: 2,
    endpoints: 1,
    domains: 1,
    cachingMode: false,
    // tz-mpc has no notify_flag_changed: memory_region_register_iommu_notifier vetoes nothing.
    mapNotifiers: true,
    deviceIotlb: true,
    unattached: 'fault',
  };
}

const ok: Result = { ok: true, events: [] };

class QemuMpc implements Backend {
  private observer: Observer;

  constructor(private machine: Machine, private readonly qemu: QemuCommand, readonly info: BackendInfo, private readonly restart: boolean) {
    this.observer = new Observer(machine.bus, machine.dma, machine.mpc);
  }

  /**
   * What tz_mpc_reset does to what registers can reach: every LUT word 0 (one transfer, BLK_IDX
   * stepping by AUTOINC), BLK_IDX 0, CTRL and INT_EN their reset values, the interrupt cleared.
   * INT_INFO1/2 are read-only and keep the last capture; tz_mpc_reset zeroes them.
   */
  private resetRegisters(): void {
    const { mpc } = this.machine;
    mpc.write(MPC.CTRL, CTRL_RESET);
    mpc.writeLut(0, new Uint32Array(this.machine.geometry.lutWords));
    mpc.write(MPC.BLK_IDX, 0n);
    mpc.write(MPC.INT_EN, 1n);
    mpc.clearInterrupt();
  }

  async reset(): Promise<void> {
    this.machine.qtest.note('reset: the state a case starts from');
    if (this.restart) {
      await this.machine.dispose();
      this.machine = await Machine.start(this.qemu);
      this.observer = new Observer(this.machine.bus, this.machine.dma, this.machine.mpc);
      return;
    }
    this.resetRegisters();
    await this.machine.dma.checkDone();
  }

  execute(ops: readonly Op[]): Promise<Result[]> {
    return runOps(this.machine.qtest, this.info, ops, (op) => this.apply(op));
  }

  private async apply(op: Op): Promise<Result> {
    const block = this.info.pageSizes[0]!;
    switch (op.op) {
      case 'gate':
        await gate(this.machine.mpc, { first: op.iova / block, count: op.size / block }, op.ns);
        await this.machine.dma.checkDone();
        return ok;
      case 'reset':
        this.resetRegisters();
        await this.machine.dma.checkDone();
        return ok;
      case 'dma':
        return op.access === 'read' ? this.observer.read(op.iova, op.secure) : this.observer.write(op.iova, op.secure);
      default:
        throw notAnOperation(op, this.info);
    }
  }

  async dispose(): Promise<void> { await this.machine.dispose(); }
}

export default async function create(options: Record<string, string>): Promise<Backend> {
  const reset = options.reset ?? 'clear';
  if (reset !== 'clear' && reset !== 'restart') throw new Error(`reset=${reset}: expected clear or restart`);
  const unknown = Object.keys(options).filter((k) => !['reset', 'version'].includes(k));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')} (known: reset, version)`);
  const qemu = qemuCommand(parseVersion(options.version), 'arm');
  const machine = await Machine.start(qemu);
  return new QemuMpc(machine, qemu, declaration(qemu, machine.geometry), reset === 'restart');
}
