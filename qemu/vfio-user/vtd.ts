// QEMU's intel-iommu in caching mode with QEMU's own VFIO device behind it: the vfio-user-pci
// client at endpoint 0, whose container's every DMA_MAP and DMA_UNMAP reaches our server. The
// guest side is intel-iommu.ts's (qemu/machine.ts, second-level.ts, descriptors.ts); what an
// operation answers is what VFIO was told while it ran.
import type { Backend, BackendInfo, VfioNotifier } from '../../spec/viommu/backend.ts';
import type { Op, Result } from '../../spec/viommu/ops.ts';
import { runOps } from '../operations.ts';
import type { QemuCommand } from '../build.ts';
import { contextGlobal, descriptorsFor, didOf, iotlbGlobal } from '../descriptors.ts';
import { DECLARED_IOVA_BITS, EDU_SLOTS, RAM } from '../layout.ts';
import { devfnOf, Machine } from '../machine.ts';
import { SecondLevel, writeThrough } from '../second-level.ts';
import { TablePool } from '../table-pool.ts';
import { declaredEvents, VfioMappings } from './events.ts';
import type { VfioUserServer } from './server.ts';

const DOMAINS = 4;
/**
 * VFIO's notifiers, one per section of the device's address space: intel-iommu overlays its
 * interrupt window 0xfee00000-0xfeefffff (vtd_find_add_as, the "vtd-ir" region), so VFIO's
 * listener sees two IOMMU sections and registers a notifier on each (vfio_listener_region_add).
 * The second really ends at the region's top; the declaration stops at 2^39.
 */
const sections = (top: bigint): VfioNotifier[] => [
  { notifier: 0, start: 0n, end: 0xfedfffffn },
  { notifier: 1, start: 0xfef00000n, end: top - 1n },
];
/** A config dword vfio-pci does not emulate: reading it is a REGION_READ on the same socket. */
const BARRIER_OFFSET = 0x40;

export function declaration(qemu: QemuCommand, pageSizes: bigint[]): BackendInfo {
  return {
    name: `qemu-${qemu.version}:intel-iommu-vfio-user`,
    description: `QEMU ${qemu.version} intel-iommu (VT-d, caching mode) on q35 over qtest, QEMU's vfio-user-pci client as endpoint 0: its DMA_MAP and DMA_UNMAP messages are the events`,
    family: 'viommu', profile: 'vtd',
    // No dma: the vfio-user device does no DMA here. No notifiers: VFIO's are the only ones.
    capabilities: ['domains', 'tables', 'vfio'],
    iovaBits: DECLARED_IOVA_BITS, pageSizes, indexes: 1, endpoints: 1, domains: DOMAINS,
    cachingMode: true, mapNotifiers: true, deviceIotlb: false, unattached: 'fault',
    ram: RAM,
    vfio: { endpoint: 0, notifiers: sections(1n << BigInt(DECLARED_IOVA_BITS)) },
  };
}

const ok: Result = { ok: true, events: [] };

export class VtdVfioUser implements Backend {
  private readonly pool: TablePool;
  private domains: SecondLevel[] = [];
  private readonly held = new VfioMappings();
  /** Operations run and vfio-user messages received during them (for the README's numbers). */
  ops = 0;
  messages = 0;

  constructor(private readonly machine: Machine, private readonly server: VfioUserServer, readonly info: BackendInfo, private readonly cleanup: () => void) {
    this.pool = new TablePool(machine.qtest);
  }

  /** After set-up: VFIO mapped RAM while DMA remapping was off, and must hold nothing now it is on. */
  async build(): Promise<void> {
    await this.drain();
    this.pool.release();
    this.domains = Array.from({ length: DOMAINS }, () => new SecondLevel(this.pool, null));
    await this.pool.settle();
  }

  async reset(): Promise<void> {
    await this.machine.clearContexts();
    await this.machine.invalidate([contextGlobal(), iotlbGlobal()]);
    await this.build();
  }

  execute(ops: readonly Op[]): Promise<Result[]> {
    return runOps(this.machine.qtest, this.info, ops, async (op) => {
      const r = await this.apply(op);
      const messages = await this.barrier();
      this.ops++;
      this.messages += messages.length;
      this.held.apply(messages);
      return r.ok ? { ok: true, events: declaredEvents(messages, this.info.vfio!.notifiers, 1n << BigInt(this.info.iovaBits)) } : r;
    });
  }

  private async apply(op: Op): Promise<Result> {
    switch (op.op) {
      case 'attach':
        await this.machine.writeContext(op.endpoint, { slptptr: this.domains[op.domain]!.root, did: Number(didOf(op.domain)) });
        return ok;
      case 'detach':
        await this.machine.writeContext(op.endpoint, null);
        return ok;
      case 'map': case 'unmap': case 'protect':
        await writeThrough(this.pool, this.domains[op.domain]!, op);
        return ok;
      case 'invalidate':
        await this.machine.invalidate(descriptorsFor(op, devfnOf, (this.machine.cap >> 48n) & 0x3fn));
        return ok;
      default:
        throw new Error(`${op.op}: not an operation of this backend (its capabilities are ${this.info.capabilities.join(', ')})`);
    }
  }

  /**
   * The DMA messages of everything done so far. A config read travels on the socket after every
   * message QEMU sent before it, so once the server has answered it nothing earlier is pending.
   */
  private async barrier() {
    const before = this.server.device.configReads;
    await this.machine.readConfig(EDU_SLOTS[0]!, BARRIER_OFFSET);
    if (this.server.device.configReads === before) throw new Error('a config read of the vfio-user device never reached the server: no ordering point');
    return this.server.take();
  }

  /** Takes what set-up or a reset sent; VFIO must hold no mapping afterwards. */
  private async drain(): Promise<void> {
    this.held.apply(await this.barrier());
    if (this.held.size > 0) throw new Error(`VFIO still holds ${this.held.describe()} after a reset: a case cannot start from an empty shadow`);
  }

  async dispose(): Promise<void> {
    await this.machine.dispose();
    await this.server.close();
    this.cleanup();
  }
}
