// sim-type1: a simulated process pair sharing one VFIO type1 container, as a Backend.
//
// host.ts holds the processes, container.ts the dma list and its ioctls, iommu.ts what the
// device reaches. `v2` selects VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU; `compat` serves them as
// iommufd's compat layer does (compat.ts); `bugs` turns the simulator into one of the mutants
// of backends/type1/mutants.ts.
import { CAPABILITIES, type Backend, type BackendInfo } from '../../../spec/type1/backend.ts';
import { fail, ok, type Errno, type Op, type Result } from '../../../spec/type1/ops.ts';
import { OP_FIELDS } from '../../../spec/type1/wire.ts';
import { PAGE_SIZE, U64_MAX } from './constants.ts';
import { CompatContainer } from './compat.ts';
import { Container } from './container.ts';
import { Host } from './host.ts';
import { translate } from './iommu.ts';
import { compatMachineFromOptions, machineFromOptions, type SimMachine } from './options.ts';
import type { MutantId, Policy } from './policy.ts';

export { MUTANT_IDS, type MutantId } from './policy.ts';

export interface SimType1Config {
  name: string;
  description: string;
  v2: boolean;
  /** Served by iommufd's compat layer (profiles type1v2-compat, type1v1-compat). */
  compat?: boolean;
  bugs?: readonly MutantId[];
}

const done = (errno: Errno | undefined): Result => (errno === undefined ? ok({}) : fail(errno));

const FIELDS = new Map(Object.entries(OP_FIELDS).map(([kind, fields]) => [kind, Object.entries(fields)]));

/** Whether every field has the range its wire type promises (a well-typed op may still hold -1n). */
function inRange(op: Op): boolean {
  for (const [name, type] of FIELDS.get(op.op) ?? []) {
    const v = (op as unknown as Record<string, unknown>)[name];
    if (type === 'u64' && (typeof v !== 'bigint' || v < 0n || v > U64_MAX)) return false;
    if (type === 'u32' && !(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff)) return false;
    if (type === 'proc' && v !== 0 && v !== 1) return false;
  }
  return true;
}

export class SimType1 implements Backend {
  readonly info: BackendInfo;
  private readonly policy: Policy;
  private host: Host;
  private container: Container;

  constructor(config: SimType1Config, private readonly machine: SimMachine) {
    this.policy = { v2: config.v2, compat: config.compat ?? false, bugs: new Set(config.bugs ?? []) };
    const { geometry, host } = machine;
    this.info = {
      name: config.name,
      description: config.description,
      profile: `${config.v2 ? 'type1v2' : 'type1v1'}${this.policy.compat ? '-compat' : ''}`,
      geometry,
      host: { pageSize: PAGE_SIZE, hugePageSize: host.hugePageSize, arena: { ...host.arena }, taskSize: host.taskSize },
      // VFIO_CHECK_EXTENSION(VFIO_UPDATE_VADDR) is 0 on the compat layer.
      capabilities: CAPABILITIES.filter((c) => !(this.policy.compat && c === 'vaddr')),
    };
    this.host = new Host(this.policy, host);
    this.container = this.newContainer();
  }

  private newContainer(): Container {
    const Kind = this.policy.compat ? CompatContainer : Container;
    return new Kind(this.machine.geometry, this.policy, this.host);
  }

  reset(): void {
    this.host = new Host(this.policy, this.machine.host);
    this.container = this.newContainer();
  }

  execute(ops: readonly Op[]): Result[] {
    return ops.map((op) => (inRange(op) ? this.step(op) : fail('EINVAL')));
  }

  private step(op: Op): Result {
    const host = this.host;
    switch (op.op) {
      case 'mmap': return done(host.mmap(op.proc, op.vaddr, op.size, op.prot, op.backing));
      case 'munmap': return done(host.munmap(op.proc, op.vaddr, op.size));
      case 'mremap': return done(host.mremap(op.proc, op.vaddr, op.size, op.newVaddr, op.newSize));
      case 'mprotect': return done(host.mprotect(op.proc, op.vaddr, op.size, op.prot));
      case 'cpuWrite': return done(host.cpuWrite(op.proc, op.vaddr, op.token));
      case 'cpuRead': {
        const token = host.cpuRead(op.proc, op.vaddr);
        return token === 'EFAULT' ? fail(token) : ok<'cpuRead'>({ token });
      }
      case 'setRlimitMemlock':
        host.procs[op.proc].rlimitMemlock = op.bytes;
        return ok({});
      case 'setCapIpcLock':
        host.procs[op.proc].capIpcLock = op.enabled;
        return ok({});
      case 'map': return done(this.container.map(op.proc, op.flags, op.iova, op.vaddr, op.size));
      case 'unmap': {
        const unmapped = this.container.unmap(op.proc, op.flags, op.iova, op.size);
        return typeof unmapped === 'bigint' ? ok<'unmap'>({ unmapped }) : fail(unmapped);
      }
      case 'getInfo': return ok<'getInfo'>(this.container.info());
      case 'dirtyPages': return done(this.container.dirtyPages(op.flags));
      case 'migrationInfo': return ok<'migrationInfo'>(this.container.migration());
      case 'closeContainer':
        this.container.release();
        this.container = this.newContainer();
        return ok({});
      case 'dmaRead': {
        const frame = translate(this.container, host, this.policy, op.iova, 'read');
        return frame === 'EFAULT' ? fail(frame) : ok<'dmaRead'>({ token: host.tokens.read(frame) });
      }
      case 'dmaWrite': {
        const frame = translate(this.container, host, this.policy, op.iova, 'write');
        if (frame === 'EFAULT') return fail(frame);
        host.tokens.write(frame, op.token);
        return ok({});
      }
      case 'counters': return ok<'counters'>({ lockedVm: host.procs.map((p) => p.lockedVm) });
      case 'dumpMappings': return ok<'dumpMappings'>({ mappings: this.container.dump() });
    }
  }
}

export function createSimType1(config: SimType1Config, options: Record<string, string> = {}): SimType1 {
  return new SimType1(config, (config.compat ? compatMachineFromOptions : machineFromOptions)(config.name, options));
}

/** The correct simulators' descriptions (BackendInfo.description). */
export const SIM_TYPE1_DESCRIPTION =
  'In-process simulator of two Linux processes sharing a VFIO_TYPE1v2_IOMMU container (drivers/vfio/vfio_iommu_type1.c semantics, dma_entry_limit 32 by default)';
export const SIM_TYPE1_V1_DESCRIPTION =
  'In-process simulator of two Linux processes sharing a VFIO_TYPE1_IOMMU (v1) container (drivers/vfio/vfio_iommu_type1.c semantics, dma_entry_limit 32 by default)';

export const SIM_TYPE1_COMPAT_DESCRIPTION =
  'In-process simulator of two Linux processes sharing a VFIO_TYPE1v2_IOMMU container served by iommufd\'s compat layer (/dev/vfio/vfio with CONFIG_IOMMUFD_VFIO_CONTAINER: drivers/iommu/iommufd/vfio_compat.c semantics, VT-d page tables)';
export const SIM_TYPE1_COMPAT_V1_DESCRIPTION =
  'In-process simulator of two Linux processes sharing a VFIO_TYPE1_IOMMU (v1) container served by iommufd\'s compat layer (/dev/vfio/vfio with CONFIG_IOMMUFD_VFIO_CONTAINER: drivers/iommu/iommufd/vfio_compat.c semantics, large pages disabled, VT-d page tables)';

/** The module form of spec/type1/backend.ts: the correct v2 simulator. */
export default function create(options: Record<string, string>): Backend {
  return createSimType1({ name: 'sim-type1', description: SIM_TYPE1_DESCRIPTION, v2: true }, options);
}
