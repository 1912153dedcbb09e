// QEMU's real intel-iommu (VT-d) as a viommu backend, with no guest: this program writes the
// root, context and second-level tables (legacy mode), or scalable-mode root and context
// entries, PASID tables and first-stage tables (mode=flts), into guest RAM over qtest,
// invalidates through the queued-invalidation interface, and watches edu devices DMA through
// the IOMMU.
//
//   --backend ./qemu/intel-iommu.ts[:cm=on][,version=11.1][,mode=flts][,reset=restart]
//
// cm=on starts the IOMMU in caching mode. version picks the QEMU (7.2, the default, or 11.1:
// build.ts). mode=flts (11.1 only) translates through first-stage tables in scalable mode.
// reset=restart starts a fresh QEMU for every case instead of clearing the one running (the
// default; see README.md for which is faster).
import type { Backend, BackendInfo } from '../spec/viommu/backend.ts';
import { parseVersion, qemuCommand, type QemuCommand } from './build.ts';
import type { Op, Result } from '../spec/viommu/ops.ts';
import { bindingFor, type Binding } from './binding.ts';
import { FIRST_STAGE_PERMS } from './first-stage.ts';
import { DECLARED_IOVA_BITS, EDU_SLOTS, RAM } from './layout.ts';
import { devfnOf, Machine, SCRATCH_TABLES, type VtdMode } from './machine.ts';
import { History, Observer } from './observe.ts';
import { FaultLog, notAnOperation, runOps } from './operations.ts';
import { SecondLevel, writeThrough } from './second-level.ts';
import { TablePool } from './table-pool.ts';

const DOMAINS = 4;

function declaration(qemu: QemuCommand, cachingMode: boolean, mode: VtdMode, pageSizes: bigint[]): BackendInfo {
  const how = mode === 'flts' ? 'scalable mode, first-stage tables' : 'legacy mode';
  return {
    name: `qemu-${qemu.version}:intel-iommu${cachingMode ? '-cm' : ''}${mode === 'flts' ? '-flts' : ''}`,
    description: `QEMU ${qemu.version} intel-iommu (VT-d, ${how}, caching-mode=${cachingMode ? 'on' : 'off'}) on q35 over qtest, two edu devices as endpoints`,
    family: 'viommu',
    profile: 'vtd',
    // qtest can neither register an IOMMU notifier nor call translate().
    capabilities: ['domains', 'tables', 'dma', 'faults'],
    iovaBits: DECLARED_IOVA_BITS,
    pageSizes,
    indexes: 1,
    endpoints: EDU_SLOTS.length,
    domains: DOMAINS,
    cachingMode,
    // What vtd_iommu_notify_flag_changed would accept; no notifier is registered over qtest.
    mapNotifiers: cachingMode,
    deviceIotlb: false,
    unattached: 'fault',
    // A present first-stage entry always allows a read (first-stage.ts).
    ...(mode === 'flts' ? { perms: FIRST_STAGE_PERMS } : {}),
    ram: RAM,
  };
}

const ok: Result = { ok: true, events: [] };

class IntelIommu implements Backend {
  private pool: TablePool;
  private domains: SecondLevel[] = [];
  private history = new History(DOMAINS);
  private observer: Observer;
  /** QEMU has one fault recording register: each DMA's records are taken at once and kept here. */
  private readonly faults = new FaultLog((sid) => EDU_SLOTS.findIndex((_, i) => devfnOf(i) === sid));

  constructor(private machine: Machine, private binding: Binding, private readonly qemu: QemuCommand, readonly info: BackendInfo, private readonly restart: boolean) {
    this.pool = new TablePool(machine.qtest);
    this.observer = new Observer(machine, EDU_SLOTS.length);
  }

  /** Each domain's tables, fresh: written before the first case and after every reset. */
  async build(): Promise<void> {
    this.pool.release();
    this.domains = Array.from({ length: DOMAINS }, () => new SecondLevel(this.pool, SCRATCH_TABLES[0]!, this.machine.format));
    await this.pool.settle();
  }

  async reset(): Promise<void> {
    this.machine.qtest.note('reset: the state a case starts from');
    if (this.restart) {
      await this.machine.dispose();
      this.machine = await Machine.start(this.qemu, this.info.cachingMode, 'edu', this.machine.mode);
      this.binding = await bindingFor(this.machine, EDU_SLOTS.length);
      this.pool = new TablePool(this.machine.qtest);
      this.observer = new Observer(this.machine, EDU_SLOTS.length);
    } else {
      await this.binding.clear();
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
        await this.binding.attach(op.endpoint, op.domain, this.domains[op.domain]!.root);
        return ok;
      case 'detach':
        await this.binding.detach(op.endpoint);
        return ok;
      case 'map': case 'unmap': case 'protect':
        if (op.op === 'map') this.history.add(op.domain, op.iova, op.size, op.pa);
        await writeThrough(this.pool, this.domains[op.domain]!, op);
        return ok;
      case 'invalidate':
        await this.binding.invalidate(op);
        return ok;
      case 'dma': {
        const candidates = this.history.candidates(op.iova);
        const seen = await this.observer.dma(op, candidates);
        this.faults.keep(seen.faults);
        return seen.outcome;
      }
      case 'faults':
        return this.faults.take();
      default:
        throw notAnOperation(op, this.info);
    }
  }

  async dispose(): Promise<void> { await this.machine.dispose(); }
}

export default async function create(options: Record<string, string>): Promise<Backend> {
  const cm = options.cm ?? 'off';
  if (cm !== 'on' && cm !== 'off') throw new Error(`cm=${cm}: expected on or off`);
  const reset = options.reset ?? 'clear';
  if (reset !== 'clear' && reset !== 'restart') throw new Error(`reset=${reset}: expected clear or restart`);
  const mode = options.mode ?? 'legacy';
  if (mode !== 'legacy' && mode !== 'flts') throw new Error(`mode=${mode}: expected legacy or flts`);
  const unknown = Object.keys(options).filter((k) => !['cm', 'mode', 'reset', 'version'].includes(k));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')} (known: cm, mode, reset, version)`);
  const version = parseVersion(options.version);
  // QEMU 7.2's intel-iommu walks no first-stage table (it has no fsts property, nor x-flts).
  if (mode === 'flts' && version === '7.2') throw new Error('mode=flts needs version=11.1: QEMU 7.2\'s intel-iommu has no first-stage translation');
  const qemu = qemuCommand(version, 'x86_64');
  const machine = await Machine.start(qemu, cm === 'on', 'edu', mode);
  let backend: IntelIommu;
  try {
    const binding = await bindingFor(machine, EDU_SLOTS.length);
    backend = new IntelIommu(machine, binding, qemu, declaration(qemu, cm === 'on', mode, machine.pageSizes()), reset === 'restart');
    await backend.build();
  } catch (err) {
    await machine.dispose();
    throw err;
  }
  return backend;
}
