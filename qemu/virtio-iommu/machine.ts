// The machine under test: q35 with a virtio-iommu-pci and one edu device per endpoint, started
// over qtest with the halting firmware (halt-bios.ts) and a virtual clock that jumps to edu's
// DMA timer. This program is the guest's virtio-iommu driver (driver.ts).
import type { QemuCommand } from '../build.ts';
import { EDU_VENDOR_DEVICE, eduDma } from '../edu.ts';
import { writeHaltBios } from '../halt-bios.ts';
import type { RawFault } from '../machine.ts';
import type { DmaMachine } from '../observe.ts';
import { Qtest } from '../qtest.ts';
import { VirtioIommuDriver, type IommuConfig } from './driver.ts';
import { FAULT_F_READ, FAULT_F_WRITE } from './events.ts';
import { GUEST_RAM, SCRATCH_PAGE, VIRTIO_BAR, VIRTIO_IOMMU_SLOT, VIRTIO_VENDOR_DEVICE } from './layout.ts';
import { PciConfig, requesterId, type PciFunction } from './pci.ts';
import { VirtioPci } from './transport.ts';

/** The edu devices: one per endpoint, each on a slot of its own on bus 0, BAR 0 where we put it. */
export const EDUS: { fn: PciFunction; bar: bigint }[] = [
  { fn: { slot: 0x10, fn: 0 }, bar: 0xfe000000n },
  { fn: { slot: 0x11, fn: 0 }, bar: 0xfe100000n },
];

export interface MachineOptions {
  bootBypass: boolean;
  /** Where the scratch mapping goes, once the device configuration is known. */
  scratchIova(config: IommuConfig): bigint;
}

export class VirtioMachine implements DmaMachine {
  readonly scratch: { pa: bigint; iova: bigint };
  /** The direction of the last edu DMA: QEMU's fault events name it only for permission faults. */
  private lastAccess: 'read' | 'write' = 'read';

  private constructor(readonly qtest: Qtest, readonly driver: VirtioIommuDriver, private readonly bios: { remove(): void }, options: MachineOptions) {
    this.scratch = { pa: SCRATCH_PAGE, iova: options.scratchIova(driver.config) };
  }

  static async start(qemu: QemuCommand, options: MachineOptions): Promise<VirtioMachine> {
    const bios = writeHaltBios();
    const edus = EDUS.flatMap((e) => ['-device', `edu,addr=0x${e.fn.slot.toString(16)},dma_mask=0xffffffffffffffff`]);
    const qtest = new Qtest(qemu.argv, [
      '-machine', 'q35', '-accel', 'tcg', '-bios', bios.path, '-icount', 'shift=0,sleep=off', '-m', GUEST_RAM,
      '-device', `virtio-iommu-pci,addr=0x${VIRTIO_IOMMU_SLOT.toString(16)},boot-bypass=${options.bootBypass ? 'on' : 'off'}`, ...edus,
    ]);
    try {
      const pci = new PciConfig(qtest);
      for (const e of EDUS) await pci.enable(e.fn, EDU_VENDOR_DEVICE, 0, e.bar, false);
      const transport = await VirtioPci.open(pci, { slot: VIRTIO_IOMMU_SLOT, fn: 0 }, VIRTIO_VENDOR_DEVICE, VIRTIO_BAR);
      const driver = new VirtioIommuDriver(transport);
      await driver.initialise();
      return new VirtioMachine(qtest, driver, bios, options);
    } catch (err) {
      await qtest.dispose();
      bios.remove();
      throw err;
    }
  }

  /** The endpoint id virtio-iommu knows endpoint `i` by. */
  endpointId(i: number): number { return requesterId(EDUS[i]!.fn); }

  eduDma(endpoint: number, direction: 'to-buffer' | 'from-buffer', addr: bigint, count = 1n, before: Promise<unknown>[] = []): Promise<void> {
    this.lastAccess = direction === 'to-buffer' ? 'read' : 'write';
    return eduDma(this.qtest, EDUS[endpoint]!.bar, direction, addr, count, before);
  }

  /**
   * The fault events since the last call. A permission fault says READ or WRITE; a missing
   * mapping or domain says only ADDRESS (virtio_iommu_translate), so its access is that of the
   * DMA just run: faults are taken after every DMA.
   */
  async takeFaults(): Promise<RawFault[]> {
    const events = await this.driver.takeFaults();
    return events.map((e) => ({
      sid: e.endpoint,
      addr: e.address,
      access: e.flags & FAULT_F_WRITE ? 'write' : e.flags & FAULT_F_READ ? 'read' : this.lastAccess,
      reason: e.reason,
    }));
  }

  async dispose(): Promise<void> {
    await this.qtest.dispose();
    this.bios.remove();
  }
}
