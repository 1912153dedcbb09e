// sim-mpc: a TrustZone Memory Protection Controller guarding a 1 MiB region in 1 KiB blocks,
// as a Backend of spec/viommu/backend.ts. `bugs` turns it into one of the mutants of mutants.ts.
import { capabilitiesFor, type Backend, type BackendInfo } from '../../../spec/viommu/backend.ts';
import type { Errno, Op, Result } from '../../../spec/viommu/ops.ts';
import { argsValid, rejectOptions } from '../virtio/args.ts';
import { NotifierRegistry } from '../virtio/notifiers.ts';
import type { MpcBug } from './bugs.ts';
import { Mpc } from './device.ts';

export interface SimMpcConfig {
  name: string;
  description: string;
  bugs?: readonly MpcBug[];
}

export const SIM_MPC_DESCRIPTION =
  'In-process simulator of an Arm TrustZone MPC (hw/misc/tz-mpc.c semantics): a 1 MiB region in 1 KiB blocks, index 0 secure and 1 non-secure';

const done = (errno: Errno | undefined): Result => (errno === undefined ? { ok: true, events: [] } : { ok: false, errno });

class SimMpc implements Backend {
  readonly info: BackendInfo;
  private notifiers!: NotifierRegistry;
  private device!: Mpc;
  private readonly bugs: ReadonlySet<MpcBug>;

  constructor(config: SimMpcConfig) {
    this.info = {
      name: config.name, description: config.description, family: 'viommu', profile: 'mpc',
      capabilities: ['lut', 'notifiers', 'dma', 'translate'],
      iovaBits: 20, pageSizes: [0x400n], indexes: 2, endpoints: 1, domains: 1,
      cachingMode: false, mapNotifiers: true, deviceIotlb: false, unattached: 'fault',
    };
    this.bugs = new Set(config.bugs ?? []);
    this.reset();
  }

  reset(): void {
    this.notifiers = new NotifierRegistry(this.info);
    this.device = new Mpc(this.info, this.notifiers, this.bugs);
  }

  execute(ops: readonly Op[]): Result[] {
    return ops.map((op) => this.step(op));
  }

  private step(op: Op): Result {
    // attach, detach, map, unmap, protect and invalidate are not MPC operations.
    if (!capabilitiesFor(op).every((c) => this.info.capabilities.includes(c))) return { ok: false, errno: 'EINVAL' };
    if (!argsValid(this.info, op)) return { ok: false, errno: 'EINVAL' };
    const device = this.device;
    switch (op.op) {
      case 'gate': return device.gate(op.iova, op.size, op.ns);
      case 'reset': return device.reset();
      case 'dma': return device.dma(op.iova, op.secure);
      case 'translate': return { ok: true, entry: device.translate(op.iova, op.index) };
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

export function createSimMpc(config: SimMpcConfig, options: Record<string, string> = {}): Backend {
  rejectOptions(config.name, options);
  return new SimMpc(config);
}

/** The module form: the correct simulator. */
export default function create(options: Record<string, string>): Backend {
  return createSimMpc({ name: 'sim-mpc', description: SIM_MPC_DESCRIPTION }, options);
}
