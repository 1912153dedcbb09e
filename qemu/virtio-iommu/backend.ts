// QEMU's real virtio-iommu as a viommu backend, with no guest: this program is the guest's
// virtio-iommu driver over qtest (ATTACH, DETACH, MAP, UNMAP on the request queue, fault events
// on the event queue) and watches edu devices DMA through the IOMMU.
//
//   --backend ./qemu/virtio-iommu/backend.ts[:bypass=on][,version=11.1][,reset=restart]
//
// bypass=on starts the device with boot-bypass=on: unattached endpoints pass untranslated.
// version picks the QEMU (build.ts). reset=restart starts a fresh QEMU for every case instead
// of resetting the device (the default on 7.2; 11.1 restarts, see create).
import type { Backend, BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op, Result } from '../../spec/viommu/ops.ts';
import { parseVersion, qemuCommand, type QemuCommand } from '../build.ts';
import { History, Observer } from '../observe.ts';
import { declaration, DOMAINS, windowOf } from './declaration.ts';
import { EDUS, VirtioMachine, type MachineOptions } from './machine.ts';
import * as req from './requests.ts';
import { FaultLog, notAnOperation, runOps } from '../operations.ts';

const ok: Result = { ok: true, events: [] };
const failed = (errno: NonNullable<ReturnType<typeof req.errnoOf>>): Result => ({ ok: false, errno });

/** The machine's options: boot-bypass, and the scratch mapping where windowOf puts it. */
const machineOptions = (bypass: boolean): MachineOptions => ({ bootBypass: bypass, scratchIova: (config) => windowOf(config, config.bypass).scratchIova });

class VirtioIommuBackend implements Backend {
  private history = new History(DOMAINS);
  private observer: Observer;
  private readonly faults = new FaultLog((sid) => EDUS.findIndex((_, i) => this.machine.endpointId(i) === sid));
  /** The domain each endpoint was last attached to, as the device answered. */
  private bound: (number | undefined)[] = [];

  constructor(private machine: VirtioMachine, private readonly qemu: QemuCommand, readonly info: BackendInfo, private readonly bypass: boolean, private readonly restart: boolean) {
    this.observer = new Observer(machine, EDUS.length);
  }

  async reset(): Promise<void> {
    this.machine.qtest.note('reset: the state a case starts from');
    if (this.restart) {
      await this.machine.dispose();
      this.machine = await VirtioMachine.start(this.qemu, machineOptions(this.bypass));
      this.observer = new Observer(this.machine, EDUS.length);
    } else {
      // A device reset: QEMU forgets every domain and endpoint (virtio_iommu_device_reset).
      await this.machine.driver.initialise();
    }
    this.history.clear();
    this.observer.forget();
    this.faults.clear();
    this.bound = [];
  }

  execute(ops: readonly Op[]): Promise<Result[]> {
    return runOps(this.machine.qtest, this.info, ops, (op) => this.apply(op));
  }

  private domainId(domain: number): number { return this.machine.driver.config.domainRange.start + domain; }

  /** One request; its status as the operation's result. */
  private async send(r: req.Request): Promise<Result> {
    const status = await this.machine.driver.request(r);
    if (status === req.S_OK) return ok;
    const errno = req.errnoOf(status);
    if (!errno) throw new Error(`${r.what}: the device answered ${req.statusName(status)}`);
    return failed(errno);
  }

  private async apply(op: Op): Promise<Result> {
    const m = this.machine;
    switch (op.op) {
      case 'attach': {
        const r = await this.send(req.attach(this.domainId(op.domain), m.endpointId(op.endpoint)));
        if (!r.ok) return r;
        this.bound[op.endpoint] = op.domain;
        // The domain may be new: the scratch mapping goes in (INVAL: it is there already).
        const s = await m.driver.request(req.map(this.domainId(op.domain), m.scratch.iova, m.scratch.iova + 0xfffn, m.scratch.pa, req.MAP_F_READ | req.MAP_F_WRITE));
        if (s !== req.S_OK && s !== 4) throw new Error(`the scratch mapping of domain ${op.domain}: ${req.statusName(s)}`);
        return r;
      }
      case 'detach': {
        // DETACH names the domain too: the one the endpoint is in, or (unattached) the first.
        const r = await this.send(req.detach(this.domainId(this.bound[op.endpoint] ?? 0), m.endpointId(op.endpoint)));
        if (r.ok) this.bound[op.endpoint] = undefined;
        return r;
      }
      case 'map': {
        const r = await this.send(req.map(this.domainId(op.domain), op.iova, op.iova + op.size - 1n, op.pa, req.mapFlags(op.perm)));
        if (r.ok) this.history.add(op.domain, op.iova, op.size, op.pa);
        return r;
      }
      case 'unmap':
        return this.send(req.unmap(this.domainId(op.domain), op.iova, op.iova + op.size - 1n));
      case 'dma': {
        const candidates = this.history.candidates(op.iova);
        // QEMU translates the byte before a mapping through that mapping, to the byte before its
        // translation (VIOMMU-VIRTIO-RANGE, a known divergence): where it lands must be seen.
        for (const c of this.history.candidates(op.iova + 1n)) if (!candidates.includes(c - 1n)) candidates.push(c - 1n);
        // Unattached with bypass: the IOVA is the address (the window is inside RAM).
        if (this.info.unattached === 'bypass' && !candidates.includes(op.iova)) candidates.push(op.iova);
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
  const unknown = Object.keys(options).filter((k) => !['bypass', 'reset', 'version'].includes(k));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')} (known: bypass, reset, version)`);
  const bypass = options.bypass ?? 'off';
  if (bypass !== 'on' && bypass !== 'off') throw new Error(`bypass=${bypass}: expected on or off`);
  const qemu = qemuCommand(parseVersion(options.version), 'x86_64');
  // QEMU 11.1 keeps its domains, mappings and bindings across a device reset (measured over
  // qtest): a case could meet the last one's, so each case gets a fresh QEMU there.
  const reset = options.reset ?? (qemu.version === '7.2' ? 'clear' : 'restart');
  if (reset !== 'clear' && reset !== 'restart') throw new Error(`reset=${reset}: expected clear or restart`);
  const machine = await VirtioMachine.start(qemu, machineOptions(bypass === 'on'));
  try {
    const info = declaration(qemu, machine.driver.config);
    return new VirtioIommuBackend(machine, qemu, info, bypass === 'on', reset === 'restart');
  } catch (err) {
    await machine.dispose();
    throw err;
  }
}
