// The sPAPR TCE reference model: two processes (two mms) on the shared host model, the
// containers the backend declares, driven by `Op`s. `apply` returns what a conforming backend
// must answer, with the errno of the kernel's first failing check
// (drivers/vfio/vfio_iommu_spapr_tce.c: tce_iommu_ioctl and the functions it calls).
//
// An observation (dmaRead, dmaWrite, counters) is judged by the rule of the last operation that
// changed what it observes (`Blame`): counters wrong right after a REGISTER break
// SPAPR-REG-CHARGE, a device still reaching a page right after an UNMAP breaks SPAPR-UNMAP-CLEAR.
// A failed ioctl that charged locked_vm and gave it back counts as a change of the counters: a
// TCE_CREATE refused by the platform after its charge (6.12 keeps it) breaks SPAPR-WINDOW-CHARGE.
import type { Expectation, Model } from '../../spec/family.ts';
import type { BackendInfo } from '../../spec/spapr/backend.ts';
import { fail, ok, type Errno, type Op, type OpOf, type Result } from '../../spec/spapr/ops.ts';
import type { RuleId } from '../../spec/spapr/rules.ts';
import { taskSizeOf } from '../../spec/type1/backend.ts';
import { FrameStore, Process } from '../host.ts';
import { Container, type Refusal } from './container.ts';
import { Mm } from './mm.ts';
import { mapRefusal, unmapRefusal } from './checks.ts';
import { applyBuild, buildV1, buildV2 } from './build.ts';
import { registerPages, unregisterPages, releaseRegion } from './registration.ts';
import { Window } from './window.ts';
import { dmaRead, dmaWrite, type DeviceView } from './device.ts';

export type Exp = Expectation<Result>;

/** The ioctls on a container fd, all behind its mm check. */
type ContainerIoctl = OpOf<'getInfo' | 'enable' | 'disable' | 'register' | 'unregister' | 'create' | 'remove' | 'map' | 'unmap'>;

/** The rules observations break, set by the last change to what they see. */
interface Blame { reach: RuleId; acct: RuleId }
const INITIAL: Blame = { reach: 'SPAPR-DMA-REACH', acct: 'SPAPR-ACCT-EXACT' };

const shiftOf = (v: bigint): number => v.toString(2).length - 1;

export class SpaprModel implements Model<Op, Result> {
  private readonly frames = new FrameStore();
  readonly mms: Mm[];
  containers: Container[];
  private readonly v2: boolean;
  private readonly kernelPageShift: number;
  private readonly hugeShift: number;
  private blameFor: Blame = INITIAL;

  constructor(readonly info: BackendInfo) {
    const host = info.host;
    const procs = info.capabilities.includes('secondProcess') ? 2 : 1;
    this.mms = Array.from({ length: procs }, () => new Mm(new Process(this.frames, host.hugePageSize, taskSizeOf(host)), host.pageSize));
    this.v2 = info.profile === 'spapr-v2';
    this.kernelPageShift = shiftOf(host.pageSize);
    this.hugeShift = shiftOf(host.hugePageSize);
    this.containers = info.containers.map((g) => new Container(g, this.kernelPageShift));
  }

  apply(op: Op): Exp {
    switch (op.op) {
      case 'mmap': return this.host(this.proc(op.proc).mmap(op.vaddr, op.size, op.prot, op.backing));
      case 'munmap': return this.host(this.proc(op.proc).munmap(op.vaddr, op.size));
      case 'mremap': return this.host(this.proc(op.proc).mremap(op.vaddr, op.size, op.newVaddr, op.newSize));
      case 'cpuWrite': return this.host(this.proc(op.proc).cpuWrite(op.vaddr, op.token));
      case 'cpuRead': {
        const got = this.proc(op.proc).cpuRead(op.vaddr);
        return { result: typeof got === 'bigint' ? ok<'cpuRead'>({ token: got }) : fail(got), rule: 'SPAPR-HOST-ENV' };
      }
      case 'setRlimitMemlock':
        this.proc(op.proc).rlimitMemlock = op.bytes;
        return { result: ok<'setRlimitMemlock'>({}), rule: 'SPAPR-HOST-ENV' };
      case 'setCapIpcLock':
        this.proc(op.proc).capIpcLock = op.enabled;
        return { result: ok<'setCapIpcLock'>({}), rule: 'SPAPR-HOST-ENV' };
      case 'closeContainer': return this.close(op.ct);
      case 'dmaRead': return dmaRead(this.device(), op);
      case 'dmaWrite': return dmaWrite(this.device(), op);
      case 'counters': return { result: ok<'counters'>({ lockedVm: this.mms.map((m) => m.proc.lockedVm) }), rule: this.blameFor.acct };
      default: return this.ioctl(op);
    }
  }

  blame(op: Op, expected: Exp): string {
    if (op.op === 'dmaRead' || op.op === 'dmaWrite') return expected.result.ok ? expected.rule : this.blameFor.reach;
    if (op.op === 'counters') return this.blameFor.acct;
    return expected.rule;
  }

  private proc(p: number): Process {
    return this.mms[p]!.proc;
  }

  /** A host step: what the device reaches through pinned pages is now the snapshot's to keep. */
  private host(err: Errno | null): Exp {
    if (!err) this.blameFor = { ...this.blameFor, reach: 'SPAPR-REG-SNAPSHOT' };
    return { result: err ? fail(err) : ok<'mmap'>({}), rule: 'SPAPR-HOST-ENV' };
  }

  private changed(rule: RuleId, acct: RuleId = rule): void {
    this.blameFor = { reach: rule, acct };
  }

  /** A container ioctl: the mm check first (tce_iommu_ioctl), then the ioctl's own. */
  private ioctl(op: ContainerIoctl): Exp {
    const ct = this.containers[op.ct]!;
    if (ct.mm !== null && ct.mm !== op.proc) return { result: fail('EPERM'), rule: 'SPAPR-MM-BIND' };
    const out = this.dispatch(ct, op);
    if ('errno' in out) {
      if (out.charged) this.blameFor = { ...this.blameFor, acct: out.charged };
      return { result: fail(out.errno), rule: out.rule, ...(out.accept ? { accept: out.accept.map(fail) } : {}) };
    }
    return out;
  }

  private dispatch(ct: Container, op: ContainerIoctl): Exp | Refusal {
    switch (op.op) {
      case 'getInfo': return this.getInfo(ct);
      case 'enable': return this.enable(ct, op);
      case 'disable': return this.disable(ct);
      case 'register': return this.register(ct, op);
      case 'unregister': return this.unregister(ct, op);
      case 'create': return this.create(ct, op);
      case 'remove': return this.remove(ct, op);
      case 'map': return this.map(ct, op);
      case 'unmap': return this.unmap(ct, op);
    }
  }

  private mmOf(ct: Container): Mm {
    return this.mms[ct.mm!]!;
  }

  private getInfo(ct: Container): Exp {
    const g = ct.geometry;
    const ddw = this.v2 && g.ddw && g.ddw.maxDynamicWindows > 0 ? { ddw: { ...g.ddw } } : {};
    return { result: ok<'getInfo'>({ dma32WindowStart: g.dma32.start, dma32WindowSize: g.dma32.size, ...ddw }), rule: 'SPAPR-INFO' };
  }

  /** tce_iommu_enable: bound before it charges, so a refused charge leaves the mm bound. */
  private enable(ct: Container, op: OpOf<'enable'>): Exp | Refusal {
    if (this.v2) return { errno: 'ENOTTY', rule: 'SPAPR-V2-NO-ENABLE' };
    if (ct.enabled) return { errno: 'EBUSY', rule: 'SPAPR-V1-ENABLE' };
    if (ct.geometry.dma32.size === 0n) return { errno: 'EPERM', rule: 'SPAPR-V1-ENABLE' };
    ct.mm = op.proc;
    const pages = ct.geometry.dma32.size >> BigInt(this.kernelPageShift);
    if (!this.mmOf(ct).charge(pages)) return { errno: 'ENOMEM', rule: 'SPAPR-V1-ENABLE' };
    ct.v1Charge = pages;
    ct.enabled = true;
    this.changed('SPAPR-V1-ENABLE');
    return { result: ok<'enable'>({}), rule: 'SPAPR-V1-ENABLE' };
  }

  private disable(ct: Container): Exp | Refusal {
    if (this.v2) return { errno: 'ENOTTY', rule: 'SPAPR-V2-NO-ENABLE' };
    if (ct.enabled) {
      ct.enabled = false;
      this.mmOf(ct).uncharge(ct.v1Charge);
      ct.v1Charge = 0n;
      this.changed('SPAPR-V1-DISABLE');
    }
    return { result: ok<'disable'>({}), rule: 'SPAPR-V1-DISABLE' };
  }

  private register(ct: Container, op: OpOf<'register'>): Exp | Refusal {
    if (!this.v2) return { errno: 'ENOTTY', rule: 'SPAPR-V1-NO-V2-OPS' };
    ct.mm = op.proc;
    const out = registerPages(ct, this.mmOf(ct), op, this.kernelPageShift, this.hugeShift);
    if ('errno' in out) return out;
    this.changed(out.rule);
    return { result: ok<'register'>({}), rule: out.rule };
  }

  private unregister(ct: Container, op: OpOf<'unregister'>): Exp | Refusal {
    if (!this.v2) return { errno: 'ENOTTY', rule: 'SPAPR-V1-NO-V2-OPS' };
    if (ct.mm === null) return { errno: 'EPERM', rule: 'SPAPR-UNREG-CHECKS' };
    const out = unregisterPages(ct, this.mmOf(ct), op);
    if ('errno' in out) return out;
    this.changed(out.rule);
    return { result: ok<'unregister'>({}), rule: out.rule };
  }

  private create(ct: Container, op: OpOf<'create'>): Exp | Refusal {
    if (!this.v2) return { errno: 'ENOTTY', rule: 'SPAPR-V1-NO-V2-OPS' };
    ct.mm = op.proc;
    if (op.flags !== 0) return { errno: 'EINVAL', rule: 'SPAPR-CREATE-CHECKS' };
    const mm = this.mmOf(ct);
    const pending = ct.createDefault(mm);
    if (pending) return pending;
    const out = ct.createWindow(mm, { pageShift: op.pageShift, windowSize: op.windowSize, levels: op.levels }, false);
    if (!(out instanceof Window)) return out;
    this.changed('SPAPR-WINDOW-CHARGE');
    return { result: ok<'create'>({ startAddr: out.start }), rule: 'SPAPR-CREATE-START' };
  }

  private remove(ct: Container, op: OpOf<'remove'>): Exp | Refusal {
    if (!this.v2) return { errno: 'ENOTTY', rule: 'SPAPR-V1-NO-V2-OPS' };
    ct.mm = op.proc;
    if (op.flags !== 0) return { errno: 'EINVAL', rule: 'SPAPR-REMOVE' };
    if (ct.defaultPending && op.startAddr === 0n) {
      ct.defaultPending = false;
      return { result: ok<'remove'>({}), rule: 'SPAPR-DEFAULT-WINDOW' };
    }
    const w = ct.windowAt(op.startAddr);
    if (!w) return { errno: 'EINVAL', rule: 'SPAPR-REMOVE' };
    ct.removeWindow(this.mmOf(ct), w);
    this.changed('SPAPR-REMOVE');
    return { result: ok<'remove'>({}), rule: 'SPAPR-REMOVE' };
  }

  private map(ct: Container, op: OpOf<'map'>): Exp | Refusal {
    const early = mapRefusal(ct, op, 'before', this.v2);
    if (early) return early;
    const pending = ct.mm === null ? null : ct.createDefault(this.mmOf(ct));
    if (pending) return pending;
    const w = ct.windowAt(op.iova);
    const late = mapRefusal(ct, op, 'after', this.v2, w);
    if (late) return late;
    const args = { iova: op.iova, vaddr: op.vaddr, size: op.size, flags: op.flags };
    const built = this.v2
      ? buildV2(this.mmOf(ct).registry, w!, args, this.kernelPageShift, this.hugeShift)
      : buildV1(this.mmOf(ct).proc, w!, args, this.kernelPageShift, this.hugeShift);
    const refused = applyBuild(w!, args, built);
    // A MAP charges nothing: v2's pages were charged at REGISTER, v1 counts them at ENABLE.
    if (refused) this.changed('SPAPR-MAP-ATOMIC');
    else this.changed('SPAPR-DMA-REACH', this.v2 ? 'SPAPR-ACCT-EXACT' : 'SPAPR-MAP-V1-PIN');
    return refused ?? { result: ok<'map'>({}), rule: ('rule' in built && built.rule) || 'SPAPR-MAP-OVERWRITE' };
  }

  private unmap(ct: Container, op: OpOf<'unmap'>): Exp | Refusal {
    if (!ct.enabled) return { errno: 'EPERM', rule: this.v2 ? 'SPAPR-REG-ENABLES' : 'SPAPR-MAP-ENABLED' };
    if (op.flags !== 0) return { errno: 'EINVAL', rule: 'SPAPR-UNMAP-CHECKS' };
    const pending = ct.mm === null ? null : ct.createDefault(this.mmOf(ct));
    if (pending) return pending;
    const w = ct.windowAt(op.iova);
    const refused = unmapRefusal(op, w);
    if (refused) return refused;
    w!.clear(op.iova, op.iova + op.size);
    this.changed('SPAPR-UNMAP-CLEAR');
    return { result: ok<'unmap'>({}), rule: 'SPAPR-UNMAP-CLEAR' };
  }

  /**
   * tce_iommu_release, then a fresh container: every TCE cleared, every table freed, each
   * registration put (the last user of an unmapped region releases it), v1's charge returned.
   */
  private close(index: number): Exp {
    const ct = this.containers[index]!;
    if (ct.mm !== null) {
      const mm = this.mmOf(ct);
      for (const w of ct.windows) if (w) ct.removeWindow(mm, w);
      for (const r of ct.regions) {
        r.users.delete(ct);
        if (r.users.size > 0 || r.orphan) continue;
        // A region other containers' TCEs still point into stays, held by no one (6.12 warns).
        if (r.tces === 0n) releaseRegion(mm, r);
        else r.orphan = true;
      }
      mm.uncharge(ct.v1Charge);
    }
    this.containers[index] = new Container(ct.geometry, this.kernelPageShift);
    this.changed('SPAPR-CLOSE-RELEASE');
    return { result: ok<'closeContainer'>({}), rule: 'SPAPR-CLOSE-RELEASE' };
  }

  private device(): DeviceView {
    return { containers: this.containers, mms: this.mms, frames: this.frames, reach: this.blameFor.reach, faultSignal: this.info.capabilities.includes('faultSignal') };
  }
}
