// QEMU's virtio-iommu with QEMU's own VFIO device behind it: the vfio-user-pci client is
// endpoint 0, this program is the guest's virtio-iommu driver (../virtio-iommu/driver.ts), and
// what an operation answers is what VFIO was told while it ran. virtio-iommu notifies at once
// (virtio_iommu_notify_map, virtio_iommu_notify_unmap): no cache, no invalidation.
import { join } from 'node:path';
import type { Backend, BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op, Result } from '../../spec/viommu/ops.ts';
import { runOps } from '../operations.ts';
import type { QemuCommand } from '../build.ts';
import { Qtest } from '../qtest.ts';
import { VirtioIommuDriver } from '../virtio-iommu/driver.ts';
import { GUEST_RAM, RAM, VIRTIO_BAR, VIRTIO_IOMMU_SLOT, VIRTIO_VENDOR_DEVICE } from '../virtio-iommu/layout.ts';
import { PciConfig, requesterId, type PciFunction } from '../virtio-iommu/pci.ts';
import * as req from '../virtio-iommu/requests.ts';
import { VirtioPci } from '../virtio-iommu/transport.ts';
import { declaredEvents, VfioMappings } from './events.ts';
import { VfioUserServer } from './server.ts';

const DOMAINS = 4;
/** The vfio-user-pci function: endpoint 0. */
const CLIENT: PciFunction = { slot: 0x10, fn: 0 };
/** A config dword vfio-pci does not emulate: reading it is a REGION_READ on the same socket. */
const BARRIER_OFFSET = 0x40;

/** One QEMU and the server its client talks to: a case starts with a fresh pair (see reset). */
class Rig {
  private constructor(readonly qtest: Qtest, readonly pci: PciConfig, readonly driver: VirtioIommuDriver, readonly server: VfioUserServer) {}

  static async start(qemu: QemuCommand, socket: string): Promise<Rig> {
    if (!qemu.qtestAccel) throw new Error(`QEMU ${qemu.version} has no qtest accelerator, which a vfio-user machine needs`);
    const server = await VfioUserServer.listen(socket);
    const client = { driver: 'vfio-user-pci', addr: `0x${CLIENT.slot.toString(16)}`, socket: { type: 'unix', path: socket } };
    let qtest: Qtest | undefined;
    try {
      // boot-bypass=off: the endpoint is behind the IOMMU region from the start, so VFIO
      // registers its notifier at realize and keeps it (a bypassing endpoint has no IOMMU section).
      qtest = new Qtest(qemu.argv, ['-object', `memory-backend-memfd,id=ram,size=${GUEST_RAM}`, '-machine', 'q35,memory-backend=ram', '-accel', 'qtest', '-m', GUEST_RAM,
        '-device', `virtio-iommu-pci,addr=0x${VIRTIO_IOMMU_SLOT.toString(16)},boot-bypass=off`, '-device', JSON.stringify(client)]);
      const pci = new PciConfig(qtest);
      const driver = new VirtioIommuDriver(await VirtioPci.open(pci, { slot: VIRTIO_IOMMU_SLOT, fn: 0 }, VIRTIO_VENDOR_DEVICE, VIRTIO_BAR));
      await driver.initialise();
      if (driver.config.bypass) throw new Error('virtio-iommu bypasses unattached endpoints although boot-bypass is off');
      return new Rig(qtest, pci, driver, server);
    } catch (err) {
      await qtest?.dispose();
      await server.close();
      throw err;
    }
  }

  /**
   * The DMA messages of everything done so far. A config read travels on the socket after every
   * message QEMU sent before it, so once the server has answered it nothing earlier is pending.
   */
  async barrier() {
    const before = this.server.device.configReads;
    await this.pci.read32(CLIENT, BARRIER_OFFSET);
    if (this.server.device.configReads === before) throw new Error('a config read of the vfio-user device never reached the server: no ordering point');
    return this.server.take();
  }

  async dispose(): Promise<void> {
    await this.qtest.dispose();
    await this.server.close();
  }
}

export function declaration(qemu: QemuCommand, rig: Rig): BackendInfo {
  const { pageSizeMask, inputRange, domainRange } = rig.driver.config;
  const iovaBits = (inputRange.end + 1n).toString(2).length - 1;
  if (inputRange.start !== 0n || inputRange.end + 1n !== 1n << BigInt(iovaBits)) throw new Error(`virtio-iommu input_range [0x${inputRange.start.toString(16)}, 0x${inputRange.end.toString(16)}] is not [0, 2^n)`);
  if (domainRange.end - domainRange.start + 1 < DOMAINS) throw new Error(`virtio-iommu domain_range has fewer than ${DOMAINS} ids`);
  return {
    name: `qemu-${qemu.version}:virtio-iommu-vfio-user`,
    description: `QEMU ${qemu.version} virtio-iommu-pci (boot-bypass=off) on q35 over qtest, QEMU's vfio-user-pci client as endpoint 0: its DMA_MAP and DMA_UNMAP messages are the events`,
    family: 'viommu', profile: 'virtio-iommu',
    // No dma: the vfio-user device does no DMA here. The whole input range is declared: no
    // scratch mapping is needed without DMA.
    capabilities: ['domains', 'vfio'],
    iovaBits, pageSizes: [pageSizeMask & -pageSizeMask], indexes: 1, endpoints: 1, domains: DOMAINS,
    cachingMode: false, mapNotifiers: true, deviceIotlb: false, unattached: 'fault',
    ram: RAM,
    // virtio-iommu overlays nothing on the endpoint's region: one section, one notifier.
    vfio: { endpoint: 0, notifiers: [{ notifier: 0, start: 0n, end: inputRange.end }] },
  };
}

const ok: Result = { ok: true, events: [] };

export class VirtioVfioUser implements Backend {
  private held = new VfioMappings();
  /** The domain endpoint 0 was last attached to, as the device answered. */
  private bound: number | undefined;
  private started = 0;

  private constructor(private rig: Rig, private readonly qemu: QemuCommand, private readonly dir: string, readonly info: BackendInfo, private readonly cleanup: () => void) {}

  static async start(qemu: QemuCommand, dir: string, cleanup: () => void): Promise<VirtioVfioUser> {
    const rig = await Rig.start(qemu, join(dir, 'device-0.sock'));
    try {
      const backend = new VirtioVfioUser(rig, qemu, dir, declaration(qemu, rig), cleanup);
      await backend.drain();
      return backend;
    } catch (err) {
      await rig.dispose();
      throw err;
    }
  }

  /** QEMU 11.1 keeps domains across a device reset (qemu/README.md, virtio-iommu): a fresh QEMU per case. */
  async reset(): Promise<void> {
    await this.rig.dispose();
    this.rig = await Rig.start(this.qemu, join(this.dir, `device-${++this.started}.sock`));
    this.held = new VfioMappings();
    this.bound = undefined;
    await this.drain();
  }

  execute(ops: readonly Op[]): Promise<Result[]> {
    return runOps(this.rig.qtest, this.info, ops, async (op) => {
      const r = await this.apply(op);
      const messages = await this.rig.barrier();
      this.held.apply(messages);
      return r.ok ? { ok: true, events: declaredEvents(messages, this.info.vfio!.notifiers, 1n << BigInt(this.info.iovaBits)) } : r;
    });
  }

  private domainId(domain: number): number { return this.rig.driver.config.domainRange.start + domain; }

  private async send(r: req.Request): Promise<Result> {
    const status = await this.rig.driver.request(r);
    if (status === req.S_OK) return ok;
    const errno = req.errnoOf(status);
    if (!errno) throw new Error(`${r.what}: the device answered ${req.statusName(status)}`);
    return { ok: false, errno };
  }

  private async apply(op: Op): Promise<Result> {
    const endpoint = requesterId(CLIENT);
    switch (op.op) {
      case 'attach': {
        const r = await this.send(req.attach(this.domainId(op.domain), endpoint));
        if (r.ok) this.bound = op.domain;
        return r;
      }
      case 'detach': {
        // DETACH names the domain too: the one the endpoint is in, or (unattached) the first.
        const r = await this.send(req.detach(this.domainId(this.bound ?? 0), endpoint));
        if (r.ok) this.bound = undefined;
        return r;
      }
      case 'map':
        return this.send(req.map(this.domainId(op.domain), op.iova, op.iova + op.size - 1n, op.pa, req.mapFlags(op.perm)));
      case 'unmap':
        return this.send(req.unmap(this.domainId(op.domain), op.iova, op.iova + op.size - 1n));
      default:
        throw new Error(`${op.op}: not an operation of this backend (its capabilities are ${this.info.capabilities.join(', ')})`);
    }
  }

  /** Takes what start-up sent; VFIO must hold no mapping afterwards. */
  private async drain(): Promise<void> {
    this.held.apply(await this.rig.barrier());
    if (this.held.size > 0) throw new Error(`VFIO holds ${this.held.describe()} at start: a case cannot start from an empty shadow`);
  }

  async dispose(): Promise<void> {
    await this.rig.dispose();
    this.cleanup();
  }
}
