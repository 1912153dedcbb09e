// sim-iommufd: one Linux process with an open /dev/iommu and VFIO device cdevs, as a Backend,
// written from drivers/iommu/iommufd and drivers/vfio (v6.12), not from the reference model.
//
// context.ts holds the objects and handles, ioas.ts the IOAS ioctls, io-pagetable.ts the areas
// and ranges, pages.ts pinning and charging, device.ts bind/attach/detach, domain.ts what a
// device reaches. `bugs` turns it into one of the mutants of backends/iommufd/mutants.ts.
import { CAPABILITIES, type Backend, type BackendInfo } from '../../../spec/iommufd/backend.ts';
import { fail, ok, type Errno, type Op, type Result } from '../../../spec/iommufd/ops.ts';
import { PAGE_SIZE, U64_MAX } from '../../type1/sim/constants.ts';
import { Context } from './context.ts';
import { attach, bind, detach, unbind } from './device.ts';
import { IommufdHost } from './host.ts';
import { allowIovas, copy, destroy, map, setRlimitMode, unmap } from './ioas.ts';
import { machineFromOptions, type SimMachine } from './options.ts';
import type { BugId, Policy } from './policy.ts';

export interface SimIommufdConfig {
  name: string;
  description: string;
  /** The preset geometry when the options name none. */
  geometry?: string;
  bugs?: readonly BugId[];
}

const done = (errno: Errno | undefined): Result => (errno === undefined ? ok({}) : fail(errno));

/** Whether every u64 of the op is one (a well-typed op may still hold -1n or 2^64). */
function inRange(op: Op): boolean {
  const values = Object.values(op).flatMap((v) => (Array.isArray(v) ? v.flatMap((r) => Object.values(r as object)) : [v]));
  return values.every((v) => typeof v !== 'bigint' || (v >= 0n && v <= U64_MAX));
}

export class SimIommufd implements Backend {
  readonly info: BackendInfo;
  private readonly policy: Policy;
  private host: IommufdHost;
  private ctx: Context;

  constructor(config: SimIommufdConfig, private readonly machine: SimMachine) {
    this.policy = { bugs: new Set(config.bugs ?? []) };
    const { host } = machine;
    this.info = {
      name: config.name,
      description: config.description,
      family: 'iommufd',
      profile: 'iommufd',
      devices: machine.devices.map((d) => ({ ...d, aperture: { ...d.aperture }, reserved: d.reserved.map((r) => ({ ...r })) })),
      host: { pageSize: PAGE_SIZE, hugePageSize: host.hugePageSize, arena: { ...host.arena }, taskSize: host.taskSize },
      capabilities: [...CAPABILITIES],
    };
    this.host = new IommufdHost(this.policy, host);
    this.ctx = new Context(this.host, this.policy, machine.devices);
  }

  reset(): void {
    this.host = new IommufdHost(this.policy, this.machine.host);
    this.ctx = new Context(this.host, this.policy, this.machine.devices);
  }

  execute(ops: readonly Op[]): Result[] {
    return ops.map((op) => (inRange(op) ? this.step(op) : fail('EINVAL')));
  }

  /** closeCtx: every device fd, then the iommufd (iommufd_fops_release destroys what is left). */
  private closeCtx(): void {
    const ctx = this.ctx;
    ctx.bound.forEach((_, i) => unbind(ctx, i));
    for (const obj of ctx.objects.all()) if (obj.type === 'ioas') obj.iopt.unmapAll();
    this.ctx = new Context(this.host, this.policy, this.machine.devices);
  }

  private step(op: Op): Result {
    const ctx = this.ctx;
    const memory = this.host.memory;
    switch (op.op) {
      case 'mmap': return done(memory.mmap(0, op.vaddr, op.size, op.prot, op.backing));
      case 'munmap': return done(memory.munmap(0, op.vaddr, op.size));
      // spec/iommufd/operations.md: the CPU accesses one page at a page-aligned address.
      case 'cpuWrite': return done(op.vaddr % PAGE_SIZE !== 0n ? 'EINVAL' : memory.cpuWrite(0, op.vaddr, op.token));
      case 'cpuRead': {
        const token = op.vaddr % PAGE_SIZE !== 0n ? 'EINVAL' : memory.cpuRead(0, op.vaddr);
        return typeof token === 'bigint' ? ok<'cpuRead'>({ token }) : fail(token);
      }
      case 'setRlimitMemlock':
        this.host.process.rlimitMemlock = op.bytes;
        return ok({});
      case 'setCapIpcLock':
        this.host.process.capIpcLock = op.enabled;
        return ok({});
      case 'ioasAlloc':
        ctx.allocIoas(op.ioas);
        return ok({});
      case 'destroy': return done(destroy(ctx, op.ioas));
      case 'map': {
        const iova = map(ctx, op);
        return typeof iova === 'bigint' ? ok<'map'>({ iova }) : fail(iova);
      }
      case 'unmap': {
        const unmapped = unmap(ctx, op);
        return typeof unmapped === 'bigint' ? ok<'unmap'>({ unmapped }) : fail(unmapped);
      }
      case 'copy': {
        const iova = copy(ctx, op);
        return typeof iova === 'bigint' ? ok<'copy'>({ iova }) : fail(iova);
      }
      case 'iovaRanges': {
        const ioas = ctx.ioas(op.ioas);
        return ioas === 'ENOENT' ? fail(ioas) : ok<'iovaRanges'>({ ranges: ioas.iopt.ranges(), alignment: ioas.iopt.alignment });
      }
      case 'allowIovas': return done(allowIovas(ctx, op.ioas, op.ranges));
      case 'setRlimitMode': return done(setRlimitMode(ctx, op.value));
      case 'getRlimitMode': return ok<'getRlimitMode'>({ value: ctx.accountMode === 'mm' ? 1n : 0n });
      case 'bind': return done(bind(ctx, op.dev));
      case 'attach': return done(attach(ctx, op.dev, op.ioas));
      case 'detach': return done(detach(ctx, op.dev));
      case 'hwInfo': {
        // IOMMU_GET_HW_INFO names the device by the id BIND returned: an unbound one has none.
        const idev = ctx.bound[op.dev];
        return idev === undefined || idev === null ? fail('ENOENT') : ok<'hwInfo'>({ dataType: idev.decl.hwInfoType, capabilities: 0n });
      }
      case 'closeCtx':
        this.closeCtx();
        return ok({});
      case 'dmaRead': case 'dmaWrite': {
        const frame = ctx.domainOf(op.dev)?.translate(op.iova, op.op === 'dmaRead' ? 'read' : 'write') ?? 'EFAULT';
        if (frame === 'EFAULT') return fail(frame);
        if (op.op === 'dmaRead') return ok<'dmaRead'>({ token: memory.tokens.read(frame) });
        memory.tokens.write(frame, op.token);
        return ok({});
      }
      case 'counters': return ok<'counters'>({ lockedVm: this.host.process.lockedVm, pinnedVm: this.host.pinnedVm });
    }
  }
}

export function createSimIommufd(config: SimIommufdConfig, options: Record<string, string> = {}): SimIommufd {
  return new SimIommufd(config, machineFromOptions(config.name, options, config.geometry));
}
