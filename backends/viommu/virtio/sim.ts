// sim-virtio-iommu: a virtio-iommu device with four endpoints, as a Backend of
// spec/viommu/backend.ts. `bugs` turns it into one of the mutants of mutants.ts.
import { capabilitiesFor, type Backend, type BackendInfo } from '../../../spec/viommu/backend.ts';
import type { Errno, Op, Result } from '../../../spec/viommu/ops.ts';
import { argsValid, rejectOptions } from './args.ts';
import type { VirtioBug } from './bugs.ts';
import { VirtioIommu } from './device.ts';
import { NotifierRegistry } from './notifiers.ts';

export interface SimVirtioConfig {
  name: string;
  description: string;
  bugs?: readonly VirtioBug[];
}

export const SIM_VIRTIO_DESCRIPTION =
  'In-process simulator of a virtio-iommu device (hw/virtio/virtio-iommu.c semantics): 4 endpoints, 4 domains, 4 KiB granule, 48-bit input addresses, MAP notifiers';

const done = (errno: Errno | undefined): Result => (errno === undefined ? { ok: true, events: [] } : { ok: false, errno });

class SimVirtioIommu implements Backend {
  readonly info: BackendInfo;
  private notifiers!: NotifierRegistry;
  private device!: VirtioIommu;
  private readonly bugs: ReadonlySet<VirtioBug>;

  constructor(config: SimVirtioConfig) {
    this.info = {
      name: config.name, description: config.description, family: 'viommu', profile: 'virtio-iommu',
      capabilities: ['domains', 'notifiers', 'dma', 'translate', 'faults'],
      iovaBits: 48, pageSizes: [0x1000n], indexes: 1, endpoints: 4, domains: 4,
      cachingMode: false, mapNotifiers: true, deviceIotlb: false, unattached: 'fault',
    };
    this.bugs = new Set(config.bugs ?? []);
    this.reset();
  }

  reset(): void {
    this.notifiers = new NotifierRegistry(this.info);
    this.device = new VirtioIommu(this.info, this.notifiers, this.bugs);
  }

  execute(ops: readonly Op[]): Result[] {
    return ops.map((op) => this.step(op));
  }

  private step(op: Op): Result {
    // protect, invalidate, gate and reset are not virtio-iommu requests.
    if (!capabilitiesFor(op).every((c) => this.info.capabilities.includes(c))) return { ok: false, errno: 'EINVAL' };
    if (!argsValid(this.info, op)) return { ok: false, errno: 'EINVAL' };
    const device = this.device;
    switch (op.op) {
      case 'attach': return device.attach(op.endpoint, op.domain);
      case 'detach': return device.detach(op.endpoint);
      case 'map': return device.map(op);
      case 'unmap': return device.unmap(op);
      case 'dma': return device.dma(op.endpoint, op.iova, op.access);
      case 'translate': return { ok: true, entry: device.translate(op.endpoint, op.iova) };
      case 'faults': return { ok: true, faults: device.drainFaults() };
      case 'register': return done(this.notifiers.register(op)); // VIOMMU-REG-QUIET
      case 'unregister': return done(this.notifiers.unregister(op.notifier));
      case 'replay': {
        const n = this.notifiers.get(op.notifier);
        return n === undefined ? { ok: false, errno: 'ENOENT' } : device.replay(n);
      }
      default: return { ok: false, errno: 'EINVAL' };
    }
  }
}

export function createSimVirtioIommu(config: SimVirtioConfig, options: Record<string, string> = {}): Backend {
  rejectOptions(config.name, options);
  return new SimVirtioIommu(config);
}

/** The module form: the correct simulator. */
export default function create(options: Record<string, string>): Backend {
  return createSimVirtioIommu({ name: 'sim-virtio-iommu', description: SIM_VIRTIO_DESCRIPTION }, options);
}
