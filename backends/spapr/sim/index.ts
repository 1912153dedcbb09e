// sim-spapr-v2 and sim-spapr-v1: VFIO sPAPR TCE containers and the processes that share them,
// as a Backend, written from drivers/vfio/vfio_iommu_spapr_tce.c and
// arch/powerpc/mm/book3s64/iommu_api.c (Linux 6.12), not from the reference model.
//
// container.ts holds the container and its release, windows.ts TCE_CREATE/REMOVE, register.ts
// preregistration, build.ts MAP/UNMAP and DMA, platform.ts the platform's table ops. Host memory
// is sim-type1's. `bugs` turns it into one of the mutants of backends/spapr/mutants.ts.
import { CAPABILITIES, type Backend, type BackendInfo } from '../../../spec/spapr/backend.ts';
import { MAP_FLAG, fail, ok, type Errno, type Op, type Result } from '../../../spec/spapr/ops.ts';
import { PAGE_SIZE, U64_MAX, isAligned } from '../../type1/sim/constants.ts';
import { Host } from '../../type1/sim/host.ts';
import { build, clear, translate } from './build.ts';
import { Container, Window, charge, disable, release, type World } from './container.ts';
import { machineFromOptions, type SimMachine } from './options.ts';
import { hasBug, type BugId, type Policy } from './policy.ts';
import { MmRegions } from './prereg.ts';
import { register, unregister } from './register.ts';
import type { Direction } from './tces.ts';
import { createDefaultWindow, createWindow, removeWindow } from './windows.ts';

export interface SimSpaprConfig {
  name: string;
  description: string;
  v2: boolean;
  bugs?: readonly BugId[];
}

const done = (errno: Errno | undefined): Result => (errno === undefined ? ok({}) : fail(errno));

/** Whether every u64 of the op is one. */
const inRange = (op: Op): boolean => Object.values(op).every((v) => typeof v !== 'bigint' || (v >= 0n && v <= U64_MAX));

const log2 = (v: bigint): number => v.toString(2).length - 1;

/** The ioctls on a container fd, each after the mm check common to all of them. */
type ContainerOp = Extract<Op, { ct: number; proc: 0 | 1 }>;

export class SimSpapr implements Backend {
  readonly info: BackendInfo;
  private readonly policy: Policy;
  private world!: World;
  private containers!: Container[];

  constructor(config: SimSpaprConfig, private readonly machine: SimMachine) {
    this.policy = { v2: config.v2, bugs: new Set(config.bugs ?? []) };
    const { host } = machine;
    this.info = {
      name: config.name,
      description: config.description,
      family: 'spapr',
      profile: config.v2 ? 'spapr-v2' : 'spapr-v1',
      containers: machine.containers.map((c) => ({ ...c, dma32: { ...c.dma32 }, ...(c.ddw ? { ddw: { ...c.ddw } } : {}), windowStarts: [...c.windowStarts] })),
      host: { pageSize: PAGE_SIZE, hugePageSize: host.hugePageSize, arena: { ...host.arena }, taskSize: host.taskSize },
      capabilities: [...CAPABILITIES],
    };
    this.reset();
  }

  reset(): void {
    const host = new Host({ v2: true, compat: false, bugs: new Set() }, this.machine.host);
    this.world = { host, mms: [new MmRegions(), new MmRegions()], policy: this.policy, hugeShift: log2(this.machine.host.hugePageSize) };
    this.containers = this.machine.containers.map((_, i) => this.open(i));
  }

  private open(i: number): Container {
    return new Container(this.machine.containers[i]!, this.policy.v2);
  }

  execute(ops: readonly Op[]): Result[] {
    return ops.map((op) => (inRange(op) ? this.step(op) : fail('EINVAL')));
  }

  private step(op: Op): Result {
    const host = this.world.host;
    switch (op.op) {
      case 'mmap': return done(host.mmap(op.proc, op.vaddr, op.size, op.prot, op.backing));
      case 'munmap': return done(host.munmap(op.proc, op.vaddr, op.size));
      case 'mremap': return done(host.mremap(op.proc, op.vaddr, op.size, op.newVaddr, op.newSize));
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
      case 'closeContainer': {
        const ct = this.containers[op.ct];
        if (ct === undefined) return fail('EINVAL');
        release(this.world, ct);
        this.containers[op.ct] = this.open(op.ct);
        return ok({});
      }
      case 'dmaRead': case 'dmaWrite': {
        const ct = this.containers[op.ct];
        const frame = ct === undefined ? 'EFAULT' : translate(this.world, ct, op.iova, op.op === 'dmaRead' ? 'read' : 'write');
        if (frame === 'EFAULT') return fail(frame);
        if (op.op === 'dmaRead') return ok<'dmaRead'>({ token: host.tokens.read(frame) });
        host.tokens.write(frame, op.token);
        return ok({});
      }
      case 'counters': return ok<'counters'>({ lockedVm: host.procs.map((p) => p.lockedVm) });
      default: return this.ioctl(op);
    }
  }

  /**
   * tce_iommu_ioctl: a container bound to another mm refuses every ioctl (SPAPR-MM-BIND); each
   * then checks in the kernel's order.
   */
  private ioctl(op: ContainerOp): Result {
    const ct = this.containers[op.ct];
    if (ct === undefined) return fail('EINVAL');
    // mutant no-mm-check: another process's ioctls act on the container and its mm.
    if (ct.mm !== undefined && ct.mm !== op.proc && !hasBug(this.policy, 'no-mm-check')) return fail('EPERM');
    const world = this.world;
    /** tce_iommu_mm_set. */
    const bind = (): void => { ct.mm ??= op.proc; };
    switch (op.op) {
      case 'getInfo': {
        const ddw = ct.v2 && ct.geo.ddw !== undefined ? { ddw: { ...ct.geo.ddw } } : {};
        return ok<'getInfo'>({ dma32WindowStart: ct.geo.dma32.start, dma32WindowSize: ct.geo.dma32.size, ...ddw });
      }
      case 'enable': {
        if (ct.v2) return fail('ENOTTY');
        if (ct.enabled) return fail('EBUSY');
        if (ct.geo.dma32.size === 0n) return fail('EPERM');
        bind();
        const pages = ct.geo.dma32.size >> 12n;
        const err = charge(world, ct.mm!, pages);
        if (err !== undefined) return fail(err);
        ct.lockedPages = pages;
        ct.enabled = true;
        return ok({});
      }
      case 'disable':
        if (ct.v2) return fail('ENOTTY');
        disable(world, ct);
        return ok({});
      case 'register':
        if (!ct.v2) return fail('ENOTTY');
        bind();
        return op.flags !== 0 ? fail('EINVAL') : done(register(world, ct, op.vaddr, op.size));
      case 'unregister':
        if (!ct.v2) return fail('ENOTTY');
        if (ct.mm === undefined) return fail('EPERM');
        return op.flags !== 0 ? fail('EINVAL') : done(unregister(world, ct, op.vaddr, op.size));
      case 'create': {
        if (!ct.v2) return fail('ENOTTY');
        bind();
        if (op.flags !== 0) return fail('EINVAL');
        const err = createDefaultWindow(world, ct);
        if (err !== undefined) return fail(err);
        const start = createWindow(world, ct, op.pageShift, op.windowSize, op.levels);
        return typeof start === 'string' ? fail(start) : ok<'create'>({ startAddr: start });
      }
      case 'remove':
        if (!ct.v2) return fail('ENOTTY');
        bind();
        return op.flags !== 0 ? fail('EINVAL') : done(removeWindow(world, ct, op.startAddr));
      case 'map': return done(this.map(ct, op));
      case 'unmap': return done(this.unmap(ct, op));
    }
  }

  /** VFIO_IOMMU_MAP_DMA (SPAPR-MAP-*). */
  private map(ct: Container, op: Extract<Op, { op: 'map' }>): Errno | undefined {
    if (!ct.enabled) return 'EPERM';
    if ((op.flags & ~(MAP_FLAG.READ | MAP_FLAG.WRITE)) !== 0) return 'EINVAL';
    const err = createDefaultWindow(this.world, ct);
    if (err !== undefined) return err;
    const win = ct.findTable(op.iova);
    if (win === undefined) return 'ENXIO';
    const page = 1n << BigInt(win.shift);
    if (!isAligned(op.size, page) || !isAligned(op.vaddr, page)) return 'EINVAL';
    const dir: Direction | undefined = op.flags === (MAP_FLAG.READ | MAP_FLAG.WRITE) ? 'both' : op.flags === MAP_FLAG.READ ? 'read' : op.flags === MAP_FLAG.WRITE ? 'write' : undefined;
    if (dir === undefined) return 'EINVAL';
    // iommu_tce_put_param_check looks at the first page only; a range past the window's end
    // would write past the table, so the whole range is checked (SPAPR-MAP-WINDOW-END).
    if (!this.rangeInside(win, op.iova, op.size)) return 'EINVAL';
    return build(this.world, ct, win, op.iova, op.vaddr, op.size, dir);
  }

  /** VFIO_IOMMU_UNMAP_DMA (SPAPR-UNMAP-*). */
  private unmap(ct: Container, op: Extract<Op, { op: 'unmap' }>): Errno | undefined {
    if (!ct.enabled) return 'EPERM';
    if (op.flags !== 0) return 'EINVAL';
    const err = createDefaultWindow(this.world, ct);
    if (err !== undefined) return err;
    const win = ct.findTable(op.iova);
    if (win === undefined) return 'ENXIO';
    if (!isAligned(op.size, 1n << BigInt(win.shift)) || !this.rangeInside(win, op.iova, op.size)) return 'EINVAL';
    return clear(this.world, win, op.iova, op.size);
  }

  /** iommu_tce_check_ioba: iova aligned to the window's page and [iova, iova + size) inside it. */
  private rangeInside(win: Window, iova: bigint, size: bigint): boolean {
    const shift = BigInt(win.shift);
    if (!isAligned(iova, 1n << shift)) return false;
    return (iova >> shift) + (size >> shift) <= win.firstEntry + win.size;
  }
}

export function createSimSpapr(config: SimSpaprConfig, options: Record<string, string> = {}): SimSpapr {
  return new SimSpapr(config, machineFromOptions(config.name, options));
}
