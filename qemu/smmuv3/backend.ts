// QEMU's real SMMUv3 as a viommu backend, with no guest: this program writes the stream table,
// context descriptors and stage-1 page tables into guest RAM over qtest, invalidates through the
// command queue, reads the event queue and watches edu devices DMA through the SMMU.
//
//   --backend ./qemu/smmuv3/backend.ts[:version=11.1][,reset=restart]
//
// version picks the QEMU (7.2, the default, or 11.1: ../build.ts). reset=restart starts a fresh
// QEMU for every case instead of clearing the one running (the default; see ../README.md).
import type { Backend, BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op, Result } from '../../spec/viommu/ops.ts';
import { parseVersion, qemuCommand, type QemuCommand } from '../build.ts';
import type { RawFault } from '../machine.ts';
import { History, Observer } from '../observe.ts';
import { SecondLevel, writeThrough } from '../second-level.ts';
import { TablePool } from '../table-pool.ts';
import { cfgiAll, tlbiAll } from './commands.ts';
import { DECLARED_IOVA_BITS, EDU_SLOTS, RAM, SCRATCH_TABLES, TABLE_POOL, TABLE_POOL_END } from './layout.ts';
import { LPAE_FORMAT, STAGE1_PERMS } from './lpae.ts';
import { Machine, sidOf } from './machine.ts';
import { asidOf, bytesOf, cdAddress, contextDescriptor } from './stream-table.ts';
import { FaultLog, notAnOperation, runOps } from '../operations.ts';

const DOMAINS = 4;

function declaration(qemu: QemuCommand): BackendInfo {
  return {
    name: `qemu-${qemu.version}:smmuv3`,
    description: `QEMU ${qemu.version} SMMUv3 (stage 1, 4 KiB granule) on virt over qtest, two edu devices as endpoints`,
    family: 'viommu',
    profile: 'smmuv3',
    // qtest can neither register an IOMMU notifier nor call translate().
    capabilities: ['domains', 'tables', 'dma', 'faults'],
    iovaBits: DECLARED_IOVA_BITS,
    // Pages, and blocks at levels 2 and 1 (smmu_ptw_64_s1 honours both with a 4 KiB granule).
    pageSizes: [0x1000n, 0x200000n, 0x40000000n],
    indexes: 1,
    endpoints: EDU_SLOTS.length,
    domains: DOMAINS,
    cachingMode: false,
    // smmuv3_notify_flag_changed refuses MAP notifiers; no notifier is registered over qtest.
    mapNotifiers: false,
    deviceIotlb: false,
    // An aborting STE terminates every transaction (spec 5.2, STE.Config 0b000).
    unattached: 'fault',
    perms: STAGE1_PERMS,
    ram: RAM,
  };
}

const ok: Result = { ok: true, events: [] };

class Smmuv3 implements Backend {
  private pool: TablePool;
  private domains: SecondLevel[] = [];
  private history = new History(DOMAINS);
  private observer: Observer;
  private readonly faults = new FaultLog((sid) => EDU_SLOTS.findIndex((_, i) => sidOf(i) === sid));

  constructor(private machine: Machine, private readonly qemu: QemuCommand, readonly info: BackendInfo, private readonly restart: boolean) {
    this.pool = new TablePool(machine.qtest, TABLE_POOL, TABLE_POOL_END);
    this.observer = new Observer(machine, EDU_SLOTS.length);
  }

  /** Each domain's tables and context descriptor, fresh: written before the first case and after every reset. */
  async build(): Promise<void> {
    this.pool.release();
    this.domains = Array.from({ length: DOMAINS }, () => new SecondLevel(this.pool, SCRATCH_TABLES[0]!, LPAE_FORMAT));
    this.domains.forEach((d, i) => this.pool.issue(this.machine.qtest.write(cdAddress(i), bytesOf(contextDescriptor(d.root, asidOf(i))))));
    await this.pool.settle();
  }

  async reset(): Promise<void> {
    this.machine.qtest.note('reset: the state a case starts from');
    if (this.restart) {
      await this.machine.dispose();
      this.machine = await Machine.start(this.qemu);
      this.pool = new TablePool(this.machine.qtest, TABLE_POOL, TABLE_POOL_END);
      this.observer = new Observer(this.machine, EDU_SLOTS.length);
    } else {
      // Every stream aborting, then nothing cached: QEMU's configuration cache and IOTLB are empty again.
      await this.machine.abortAll();
      await this.machine.invalidate([cfgiAll(), tlbiAll()]);
      await this.machine.takeFaults();
    }
    this.history.clear();
    this.observer.forget();
    this.faults.clear();
    await this.build();
  }

  execute(ops: readonly Op[]): Promise<Result[]> {
    return runOps(this.machine.qtest, this.info, ops, (op) => this.apply(op));
  }

  private async apply(op: Op): Promise<Result> {
    switch (op.op) {
      case 'attach':
        await this.machine.writeSte(op.endpoint, cdAddress(op.domain));
        return ok;
      case 'detach':
        await this.machine.writeSte(op.endpoint, null);
        return ok;
      case 'map': case 'unmap': case 'protect':
        if (op.op === 'map') this.history.add(op.domain, op.iova, op.size, op.pa);
        await writeThrough(this.pool, this.domains[op.domain]!, op);
        return ok;
      case 'invalidate':
        await this.machine.invalidate(op);
        return ok;
      case 'dma': {
        const candidates = this.history.candidates(op.iova);
        const seen = await this.observer.dma(op, candidates);
        this.record(seen.faults);
        return seen.outcome;
      }
      case 'faults':
        return this.faults.take();
      default:
        throw notAnOperation(op, this.info);
    }
  }

  /** The event queue is drained after every DMA (the observer does): its fault records are kept here. */
  private record(faults: RawFault[]): void {
    if (this.machine.strange.length > 0) {
      const e = this.machine.strange[0]!;
      throw new Error(`SMMU event 0x${e.type.toString(16)} for StreamID 0x${e.sid.toString(16)}: a stream table entry or context descriptor this adapter wrote is malformed`);
    }
    this.faults.keep(faults);
  }

  async dispose(): Promise<void> { await this.machine.dispose(); }
}

export default async function create(options: Record<string, string>): Promise<Backend> {
  const reset = options.reset ?? 'clear';
  if (reset !== 'clear' && reset !== 'restart') throw new Error(`reset=${reset}: expected clear or restart`);
  const unknown = Object.keys(options).filter((k) => !['reset', 'version'].includes(k));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')} (known: reset, version)`);
  const qemu = qemuCommand(parseVersion(options.version), 'aarch64');
  const machine = await Machine.start(qemu);
  const backend = new Smmuv3(machine, qemu, declaration(qemu), reset === 'restart');
  try {
    await backend.build();
  } catch (err) {
    await machine.dispose();
    throw err;
  }
  return backend;
}
