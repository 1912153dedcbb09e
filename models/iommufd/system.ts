// The iommufd reference model: one process, its iommufd context and the devices' cdevs, driven
// by `Op`s. `apply` returns what a conforming backend must answer and the rule that decides it.
//
// An observation (dmaRead, counters, iovaRanges) is judged by the rule of the last operation
// that changed what it observes (`Blame`): a device still reaching a page right after an
// unmap breaks IOMMUFD-NO-STALE, counters wrong right after a failed map break
// IOMMUFD-MAP-ATOMIC.
import type { Expectation, Model } from '../../spec/family.ts';
import type { BackendInfo } from '../../spec/iommufd/backend.ts';
import { fail, MAP_FLAG, ok, type Errno, type Op, type OpOf, type Result } from '../../spec/iommufd/ops.ts';
import type { RuleId } from '../../spec/iommufd/rules.ts';
import { taskSizeOf } from '../../spec/type1/backend.ts';
import { U64_MAX } from '../../spec/u64.ts';
import { FrameStore, PAGE_SIZE, Process } from '../host.ts';
import { badAutoIova } from './alloc.ts';
import { attach, bind, detach, type Refusal } from './devices.ts';
import { Ioas, TOP, type Area } from './ioas.ts';
import { argChecks, mapUser, place, sourcePieces, unmapRange, type Placed } from './mapping.ts';
import { holes } from './spans.ts';
import { Context } from './state.ts';

type Exp = Expectation<Result> & { laterErrnos?: readonly Errno[] };

/** The rules an observation breaks, set by the last operation that changed what it sees. */
interface Blame { reach: RuleId; fault: RuleId; acct: RuleId; ranges: RuleId }

const uniform = (rule: RuleId): Blame => ({ reach: rule, fault: rule, acct: rule, ranges: rule });
const INITIAL: Blame = { reach: 'IOMMUFD-DMA-REACH', fault: 'IOMMUFD-DMA-REACH', acct: 'IOMMUFD-ACCT-EXACT', ranges: 'IOMMUFD-RANGES-REPORT' };

/** The first failing check decides; the others are the errnos of a backend checking out of order. */
function refused(fails: readonly Refusal[]): Exp {
  const first = fails[0]!;
  const later = [...new Set(fails.slice(1).map((f) => f.errno).filter((e) => e !== first.errno))];
  return { result: fail(first.errno), rule: first.rule, ...(later.length > 0 ? { laterErrnos: later } : {}) };
}

export class IommufdModel implements Model<Op, Result> {
  private readonly frames = new FrameStore();
  private readonly proc: Process;
  private ctx: Context;
  private blameFor: Blame = INITIAL;
  /** The areas the last automatic map or copy placed at the model's choice (see `observe`). */
  private lastAuto: { areas: Area[]; iova: bigint } | null = null;

  constructor(readonly info: BackendInfo) {
    this.proc = new Process(this.frames, info.host.hugePageSize, taskSizeOf(info.host));
    this.proc.capIpcLock = true;
    this.ctx = new Context(info, this.proc);
  }

  apply(op: Op): Exp {
    this.lastAuto = null;
    switch (op.op) {
      case 'mmap': return this.host(this.proc.mmap(op.vaddr, op.size, op.prot, op.backing));
      case 'munmap': return this.host(this.proc.munmap(op.vaddr, op.size));
      case 'cpuWrite': return this.host(this.proc.cpuWrite(op.vaddr, op.token));
      case 'cpuRead': {
        const got = this.proc.cpuRead(op.vaddr);
        return { result: typeof got === 'bigint' ? ok<'cpuRead'>({ token: got }) : fail(got), rule: 'IOMMUFD-HOST-ENV' };
      }
      case 'setRlimitMemlock':
        this.proc.rlimitMemlock = op.bytes;
        return { result: ok<'setRlimitMemlock'>({}), rule: 'IOMMUFD-HOST-ENV' };
      case 'setCapIpcLock':
        this.proc.capIpcLock = op.enabled;
        return { result: ok<'setCapIpcLock'>({}), rule: 'IOMMUFD-HOST-ENV' };
      case 'ioasAlloc': {
        const ioas = new Ioas();
        this.ctx.ioases.add(ioas);
        this.ctx.handles.set(op.ioas, ioas);
        return { result: ok<'ioasAlloc'>({}), rule: 'IOMMUFD-OBJ-ALLOC' };
      }
      case 'destroy': return this.destroy(op);
      case 'map': return this.map(op);
      case 'unmap': return this.unmap(op);
      case 'copy': return this.copy(op);
      case 'iovaRanges': return this.iovaRanges(op);
      case 'allowIovas': return this.allowIovas(op);
      case 'setRlimitMode': {
        const err: Errno | null = this.ctx.hasObjects() ? 'EBUSY' : op.value > 1n ? 'EINVAL' : null;
        if (!err) this.ctx.rlimitMode = op.value;
        return { result: err ? fail(err) : ok<'setRlimitMode'>({}), rule: 'IOMMUFD-OPTION-RLIMIT' };
      }
      case 'getRlimitMode': return { result: ok<'getRlimitMode'>({ value: this.ctx.rlimitMode }), rule: 'IOMMUFD-OPTION-RLIMIT' };
      case 'bind': return this.device(bind(this.ctx, op.dev), 'IOMMUFD-BIND');
      case 'attach': return this.attach(op);
      case 'detach': {
        const out = this.device(detach(this.ctx, op.dev), 'IOMMUFD-DETACH');
        if (out.result.ok) this.blameFor = { reach: 'IOMMUFD-DETACH', fault: 'IOMMUFD-DETACH', acct: 'IOMMUFD-DETACH', ranges: 'IOMMUFD-ATTACH-RESERVE' };
        return out;
      }
      case 'hwInfo': return this.hwInfo(op);
      case 'closeCtx':
        this.ctx = new Context(this.info, this.proc);
        this.blameFor = uniform('IOMMUFD-OBJ-CLOSE');
        return { result: ok<'closeCtx'>({}), rule: 'IOMMUFD-OBJ-CLOSE' };
      case 'dmaRead': return this.dmaRead(op);
      case 'dmaWrite': return this.dmaWrite(op);
      case 'counters': return this.counters();
    }
  }

  blame(op: Op, expected: Exp, actual: Result): string {
    const exp = expected.result;
    if (!actual.ok && !exp.ok) return expected.laterErrnos?.includes(actual.errno) ? 'IOMMUFD-MAP-ORDER' : expected.rule;
    if (op.op === 'dmaRead' || op.op === 'dmaWrite') return exp.ok ? this.blameFor.reach : this.blameFor.fault;
    if (!actual.ok && (op.op === 'map' || op.op === 'copy')) return wrongFailure(actual.errno, expected.rule as RuleId);
    if (op.op === 'counters' && exp.ok && actual.ok) return this.countersRule(exp, actual);
    if (op.op === 'iovaRanges') return this.blameFor.ranges;
    return expected.rule;
  }

  /** An automatic map or copy: the model follows the iova the backend chose. */
  observe(op: Op, actual: Result): void {
    const placed = this.lastAuto;
    if (!placed || !actual.ok || (op.op !== 'map' && op.op !== 'copy')) return;
    const iova = (actual as { iova: bigint }).iova;
    if (iova === placed.iova) return;
    const ioas = placed.areas[0]!.ioas;
    for (const a of placed.areas) ioas.areas.remove(a.iova);
    for (const a of placed.areas) {
      a.iova = a.iova - placed.iova + iova;
      ioas.areas.insert(a.iova, a.iova + a.length, a);
    }
  }

  private host(err: Errno | null): Exp {
    if (err) return { result: fail(err), rule: 'IOMMUFD-HOST-ENV' };
    this.blameFor = { ...this.blameFor, reach: 'IOMMUFD-HOST-PIN' };
    return { result: ok<'mmap'>({}), rule: 'IOMMUFD-HOST-ENV' };
  }

  private device(out: Refusal | null, rule: RuleId): Exp {
    return out ? { result: fail(out.errno), rule: out.rule } : { result: ok<'bind'>({}), rule };
  }

  private destroy(op: OpOf<'destroy'>): Exp {
    const ioas = this.ctx.handles.get(op.ioas);
    if (!ioas) return { result: fail('ENOENT'), rule: 'IOMMUFD-OBJ-ID' };
    if (ioas.domains.size > 0) return { result: fail('EBUSY'), rule: 'IOMMUFD-OBJ-DESTROY-BUSY' };
    unmapRange(this.ctx, ioas, 0n, TOP, true);
    this.ctx.ioases.delete(ioas);
    this.ctx.handles.delete(op.ioas);
    this.blameFor = uniform('IOMMUFD-OBJ-DESTROY');
    return { result: ok<'destroy'>({}), rule: 'IOMMUFD-OBJ-DESTROY' };
  }

  private map(op: OpOf<'map'>): Exp {
    const fails = argChecks(op.flags, [op.iova, op.length], { flags: 'IOMMUFD-MAP-FLAGS', overflow: 'IOMMUFD-MAP-OVERFLOW', perm: 'IOMMUFD-MAP-PERM' });
    const ioas = this.ctx.handles.get(op.ioas);
    if (!ioas) fails.push({ errno: 'ENOENT', rule: 'IOMMUFD-OBJ-ID' });
    if (fails.length > 0 || !ioas) return this.failedMap(fails);
    const out = mapUser(this.ctx, ioas, op.flags, op.iova, op.vaddr, op.length);
    return this.placed(op, out, ioas, op.length, out.ok && out.lazy ? 'IOMMUFD-MAP-LAZY' : 'IOMMUFD-MAP-EXACT');
  }

  private copy(op: OpOf<'copy'>): Exp {
    const fails = argChecks(op.flags, [op.length, op.srcIova, op.dstIova], { flags: 'IOMMUFD-COPY-FLAGS', overflow: 'IOMMUFD-COPY-FLAGS', perm: 'IOMMUFD-COPY-FLAGS' });
    const src = this.ctx.handles.get(op.srcIoas);
    if (!src) fails.push({ errno: 'ENOENT', rule: 'IOMMUFD-OBJ-ID' });
    if (fails.length > 0 || !src) return this.failedMap(fails);
    if (op.length === 0n) return this.failedMap([{ errno: 'EINVAL', rule: 'IOMMUFD-COPY-SRC' }]);
    if (op.srcIova + op.length - 1n > U64_MAX) return this.failedMap([{ errno: 'EOVERFLOW', rule: 'IOMMUFD-COPY-SRC' }]);
    const pieces = sourcePieces(src, op.srcIova, op.length);
    if (!pieces) return this.failedMap([{ errno: 'ENOENT', rule: 'IOMMUFD-COPY-SRC' }]);
    const dst = this.ctx.handles.get(op.dstIoas);
    if (!dst) return this.failedMap([{ errno: 'ENOENT', rule: 'IOMMUFD-OBJ-ID' }]);
    const first = pieces[0]!;
    const out = place(this.ctx, dst, pieces, op.length, op.dstIova, op.flags, first.pages.uptr + first.startByte);
    if (!out.ok) return this.placed(op, { ok: false, fails: out.fails.map(copyRule) }, dst, op.length, 'IOMMUFD-COPY-DST');
    return this.placed(op, out, dst, op.length, 'IOMMUFD-COPY-SHARE');
  }

  private failedMap(fails: readonly Refusal[]): Exp {
    this.blameFor = uniform('IOMMUFD-MAP-ATOMIC');
    return refused(fails);
  }

  /** The expectation of a map or copy that reached placement. */
  private placed(op: OpOf<'map'> | OpOf<'copy'>, out: Placed, ioas: Ioas, length: bigint, rule: RuleId): Exp {
    if (!out.ok) return this.failedMap(out.fails);
    this.blameFor = { reach: rule, fault: 'IOMMUFD-DMA-REACH', acct: out.lazy ? 'IOMMUFD-MAP-LAZY' : rule === 'IOMMUFD-COPY-SHARE' ? rule : 'IOMMUFD-ACCT-EXACT', ranges: 'IOMMUFD-RANGES-REPORT' };
    const result = ok<'map'>({ iova: out.iova });
    if (op.flags & MAP_FLAG.FIXED_IOVA) return { result, rule };
    this.lastAuto = { areas: out.areas, iova: out.iova };
    const placedAreas = new Set(out.areas);
    return {
      result, rule,
      judge: (actual) => {
        if (!actual.ok) return { rule: wrongFailure(actual.errno, rule), why: `expected success, got ${actual.errno}` };
        const why = badAutoIova(ioas, (actual as { iova: bigint }).iova, length, placedAreas);
        return why ? { rule: 'IOMMUFD-MAP-ALLOC', why: `the allocated iova is ${why}` } : null;
      },
    };
  }

  private unmap(op: OpOf<'unmap'>): Exp {
    const ioas = this.ctx.handles.get(op.ioas);
    if (!ioas) return { result: fail('ENOENT'), rule: 'IOMMUFD-OBJ-ID' };
    const all = op.iova === 0n && op.length === U64_MAX;
    if (!all) {
      if (op.iova >= U64_MAX || op.length >= U64_MAX) return { result: fail('EOVERFLOW'), rule: 'IOMMUFD-UNMAP-ARGS' };
      if (op.length === 0n) return { result: fail('EINVAL'), rule: 'IOMMUFD-UNMAP-ARGS' };
      if (op.iova + op.length - 1n > U64_MAX) return { result: fail('EOVERFLOW'), rule: 'IOMMUFD-UNMAP-ARGS' };
    }
    const out = all ? unmapRange(this.ctx, ioas, 0n, TOP, true) : unmapRange(this.ctx, ioas, op.iova, op.iova + op.length, false);
    if (!out.ok) {
      this.blameFor = uniform(out.removed > 0n ? 'IOMMUFD-UNMAP-PARTIAL' : out.rule);
      return { result: fail(out.errno), rule: out.rule };
    }
    const rule: RuleId = all ? 'IOMMUFD-UNMAP-ALL' : 'IOMMUFD-UNMAP-COUNT';
    this.blameFor = { reach: rule, fault: 'IOMMUFD-NO-STALE', acct: 'IOMMUFD-ACCT-EXACT', ranges: 'IOMMUFD-RANGES-REPORT' };
    return { result: ok<'unmap'>({ unmapped: out.unmapped }), rule };
  }

  private iovaRanges(op: OpOf<'iovaRanges'>): Exp {
    const ioas = this.ctx.handles.get(op.ioas);
    if (!ioas) return { result: fail('ENOENT'), rule: 'IOMMUFD-OBJ-ID' };
    const ranges = holes(0n, TOP, ioas.reservedSpans()).map(([start, end]) => ({ start, last: end - 1n }));
    return { result: ok<'iovaRanges'>({ ranges, alignment: ioas.alignment }), rule: this.blameFor.ranges };
  }

  private allowIovas(op: OpOf<'allowIovas'>): Exp {
    const ioas = this.ctx.handles.get(op.ioas);
    if (!ioas) return { result: fail('ENOENT'), rule: 'IOMMUFD-OBJ-ID' };
    for (const [i, r] of op.ranges.entries()) {
      if (r.start >= r.last) return { result: fail('EINVAL'), rule: 'IOMMUFD-ALLOW-ARGS' };
      if (op.ranges.slice(0, i).some((q) => q.start <= r.last && r.start <= q.last)) return { result: fail('EINVAL'), rule: 'IOMMUFD-ALLOW-ARGS' };
    }
    const reserved = ioas.reservedSpans();
    if (op.ranges.some((r) => reserved.some(([s, e]) => s <= r.last && r.start < e))) return { result: fail('EADDRINUSE'), rule: 'IOMMUFD-ALLOW-RESERVED' };
    ioas.allowed = op.ranges.map((r) => [r.start, r.last + 1n] as const);
    return { result: ok<'allowIovas'>({}), rule: 'IOMMUFD-ALLOW-REPLACE' };
  }

  private attach(op: OpOf<'attach'>): Exp {
    const dev = this.ctx.devices[op.dev]!;
    if (!dev.bound) return { result: fail('EINVAL'), rule: 'IOMMUFD-BIND' };
    const target = this.ctx.handles.get(op.ioas);
    if (!target) return { result: fail('ENOENT'), rule: 'IOMMUFD-OBJ-ID' };
    const replacing = dev.ioas !== null;
    const out = attach(this.ctx, op.dev, target);
    if (out) {
      this.blameFor = uniform(out.rule);
      return { result: fail(out.errno), rule: out.rule };
    }
    const rule: RuleId = replacing ? 'IOMMUFD-ATTACH-REPLACE' : 'IOMMUFD-ATTACH-FILL';
    this.blameFor = { reach: rule, fault: rule, acct: rule, ranges: 'IOMMUFD-ATTACH-RESERVE' };
    return { result: ok<'attach'>({}), rule };
  }

  private hwInfo(op: OpOf<'hwInfo'>): Exp {
    if (!this.ctx.devices[op.dev]!.bound) return { result: fail('ENOENT'), rule: 'IOMMUFD-HWINFO' };
    const dataType = this.info.devices[op.dev]!.hwInfoType;
    return {
      result: ok<'hwInfo'>({ dataType, capabilities: 0n }),
      rule: 'IOMMUFD-HWINFO',
      // out_capabilities is not in the declaration: only the data type is judged.
      judge: (actual) => (actual.ok && (actual as { dataType: number }).dataType === dataType
        ? null
        : { rule: 'IOMMUFD-HWINFO', why: actual.ok ? `expected out_data_type ${dataType}` : `expected success, got ${actual.errno}` }),
    };
  }

  /** The area and page a device's DMA at `iova` reaches, if it is attached and an area covers it. */
  private translate(dev: number, iova: bigint): { area: Area; frame: { object: number; page: bigint } } | null {
    const state = this.ctx.devices[dev]!;
    const area = state.bound && state.ioas ? state.ioas.areas.containing(iova) : undefined;
    const frame = area?.pages.frameAt((area.startByte + (iova - area.iova)) / PAGE_SIZE);
    return area && frame ? { area, frame } : null;
  }

  private dmaRead(op: OpOf<'dmaRead'>): Exp {
    const t = this.translate(op.dev, op.iova);
    if (!t) return { result: fail('EFAULT'), rule: this.blameFor.fault };
    const result = ok<'dmaRead'>({ token: this.frames.read(t.frame.object, t.frame.page) });
    // Whether an IOMMU can express a write-only entry depends on the hardware.
    if (!t.area.read) return { result: fail('EFAULT'), accept: [result], rule: 'IOMMUFD-DMA-REACH' };
    return { result, rule: this.blameFor.reach };
  }

  private dmaWrite(op: OpOf<'dmaWrite'>): Exp {
    const t = this.translate(op.dev, op.iova);
    if (!t || !t.area.write) return { result: fail('EFAULT'), rule: t ? 'IOMMUFD-DMA-REACH' : this.blameFor.fault };
    this.frames.write(t.frame.object, t.frame.page, op.token);
    return { result: ok<'dmaWrite'>({}), rule: this.blameFor.reach };
  }

  private counters(): Exp {
    const result = ok<'counters'>({ lockedVm: this.ctx.charged('mm'), pinnedVm: this.ctx.pinnedVm() });
    if (this.info.capabilities.includes('pinnedVm')) return { result, rule: this.blameFor.acct };
    const lockedVm = this.ctx.charged('mm');
    return {
      result, rule: this.blameFor.acct,
      // Without the `pinnedVm` capability only VmLck is judged.
      judge: (actual) => (actual.ok && (actual as { lockedVm: bigint }).lockedVm === lockedVm ? null : { rule: this.blameFor.acct, why: 'locked_vm differs' }),
    };
  }

  /**
   * Which accounting rule wrong counters break: with the pins right and VmLck wrong, the rule
   * of the account mode that charges elsewhere; otherwise the last change's.
   */
  private countersRule(exp: Result, actual: Result): RuleId {
    const e = exp as { lockedVm: bigint; pinnedVm: bigint };
    const a = actual as { lockedVm: bigint; pinnedVm: bigint };
    if (e.pinnedVm === a.pinnedVm && e.lockedVm !== a.lockedVm) {
      if (a.lockedVm < e.lockedVm) return 'IOMMUFD-ACCT-MM';
      if (this.ctx.charged('user') > 0n) return 'IOMMUFD-ACCT-USER';
      if (this.ctx.charged('none') > 0n) return 'IOMMUFD-ACCT-CAP';
    }
    if (this.blameFor.acct === 'IOMMUFD-ACCT-EXACT' && e.lockedVm === a.lockedVm) return 'IOMMUFD-ACCT-PINNED';
    return this.blameFor.acct;
  }
}

/** The check a map or copy answering each errno applied, where success was due (EINVAL names too many). */
const ERRNO_RULE: Partial<Record<Errno, RuleId>> = {
  EOPNOTSUPP: 'IOMMUFD-MAP-FLAGS',
  EOVERFLOW: 'IOMMUFD-MAP-OVERFLOW',
  ENOENT: 'IOMMUFD-OBJ-ID',
  EEXIST: 'IOMMUFD-MAP-OVERLAP',
  ENOSPC: 'IOMMUFD-MAP-ALLOC',
  EFAULT: 'IOMMUFD-MAP-UNBACKED',
  ENOMEM: 'IOMMUFD-MAP-RLIMIT',
  EPERM: 'IOMMUFD-COPY-WRITE',
};

/**
 * The rule a map or copy breaks by failing with `errno` where success under `rule` was due: a
 * lazy map must not pin at all, pages in account mode NONE never hit the limit.
 */
function wrongFailure(errno: Errno, rule: RuleId): RuleId {
  if (rule === 'IOMMUFD-MAP-LAZY' && (errno === 'EFAULT' || errno === 'ENOMEM')) return rule;
  return ERRNO_RULE[errno] ?? rule;
}

/** A copy's destination checks are MAP's, judged under IOMMUFD-COPY-DST but for its own EPERM and the fill. */
function copyRule(f: Refusal): Refusal {
  const own: readonly RuleId[] = ['IOMMUFD-COPY-WRITE', 'IOMMUFD-MAP-UNBACKED', 'IOMMUFD-MAP-RLIMIT'];
  return own.includes(f.rule) ? f : { errno: f.errno, rule: 'IOMMUFD-COPY-DST' };
}
