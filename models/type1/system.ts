// The whole reference model: the processes, the container and the device view, driven by `Op`s.
//
// `apply` returns what a conforming backend must answer, and the rule that decides it. An
// observation (dmaRead, counters, ...) is judged by the rule of the last operation that
// changed state (`Context`), because that is the operation a wrong observation convicts: a
// stale page right after an unmap breaks T1-NO-STALE, wrong counters right after a failed map
// break T1-MAP-ATOMIC.
import type { BackendInfo } from '../../spec/type1/backend.ts';
import type { Errno, Op, OpOf, Result } from '../../spec/type1/ops.ts';
import { fail, MAP_FLAG, ok } from '../../spec/type1/ops.ts';
import type { RuleId } from '../../spec/type1/rules.ts';
import { FrameStore, Process } from '../host.ts';
import { Type1Container, type Dma, type Outcome } from './container.ts';

export interface Expectation {
  result: Result;
  /** Other answers that also conform (kernel-version variants named by the rule). */
  accept?: Result[];
  rule: RuleId;
  /** Further rules a wrong answer breaks (several checks failing at once). */
  alsoBroken?: RuleId[];
  /** Further rules this answer checks, one of which `blame` picks by what is wrong. */
  covers?: RuleId[];
}

interface Context {
  /** Broken when the device reaches the wrong frame, or nothing where it should reach one. */
  reach: RuleId;
  /** Broken when the device reaches a frame where it should fault. */
  fault: RuleId;
  /** Broken when locked_vm is wrong. */
  acct: RuleId;
}

const uniform = (rule: RuleId): Context => ({ reach: rule, fault: rule, acct: rule });

export class SystemModel {
  readonly frames = new FrameStore();
  readonly procs: Process[];
  readonly container: Type1Container;
  private context: Context = uniform('T1-MAP-EXACT');

  constructor(readonly info: BackendInfo) {
    const count = info.capabilities.includes('secondProcess') ? 2 : 1;
    this.procs = Array.from({ length: count }, () => new Process(this.frames, info.host.hugePageSize));
    this.container = new Type1Container(info.geometry, info.profile, this.procs);
  }

  apply(op: Op): Expectation {
    switch (op.op) {
      case 'mmap': return this.host(op.proc, uniform('T1-HOST-PIN-PERSISTS'), (p) => p.mmap(op.vaddr, op.size, op.prot, op.backing), 'T1-HOST-NO-REUSE');
      case 'munmap': return this.host(op.proc, uniform('T1-HOST-PIN-PERSISTS'), (p) => p.munmap(op.vaddr, op.size));
      case 'mremap': return this.host(op.proc, uniform('T1-HOST-PIN-PERSISTS'), (p) => p.mremap(op.vaddr, op.size, op.newVaddr, op.newSize));
      case 'mprotect': return this.host(op.proc, uniform('T1-HOST-PIN-PERSISTS'), (p) => p.mprotect(op.vaddr, op.size, op.prot));
      case 'cpuWrite': return this.host(op.proc, uniform('T1-HOST-NO-REUSE'), (p) => p.cpuWrite(op.vaddr, op.token));
      case 'cpuRead': {
        const got = this.procs[op.proc]!.cpuRead(op.vaddr);
        return { result: typeof got === 'bigint' ? ok<'cpuRead'>({ token: got }) : fail(got), rule: 'T1-HOST-ENV' };
      }
      case 'setRlimitMemlock':
        this.procs[op.proc]!.rlimitMemlock = op.bytes;
        return { result: ok<'setRlimitMemlock'>({}), rule: 'T1-HOST-ENV' };
      case 'setCapIpcLock':
        this.procs[op.proc]!.capIpcLock = op.enabled;
        return { result: ok<'setCapIpcLock'>({}), rule: 'T1-HOST-ENV' };
      case 'map': return this.map(op);
      case 'unmap': return this.unmap(op);
      case 'getInfo': {
        const { pgsizes, iovaRanges } = this.info.geometry;
        return {
          result: ok<'getInfo'>({ pgsizes, iovaRanges, dmaAvail: this.container.dmaAvail }),
          rule: 'T1-INFO-GEOMETRY', covers: ['T1-INFO-DMA-AVAIL'],
        };
      }
      case 'closeContainer':
        this.container.close();
        this.context = uniform('T1-CLOSE-RELEASE');
        return { result: ok<'closeContainer'>({}), rule: 'T1-CLOSE-RELEASE' };
      case 'dmaRead': return this.dmaRead(op);
      case 'dmaWrite': return this.dmaWrite(op);
      case 'counters':
        return { result: ok<'counters'>({ lockedVm: this.procs.map((p) => p.lockedVm) }), rule: this.context.acct };
      case 'dumpMappings':
        return { result: ok<'dumpMappings'>({ mappings: this.container.dump() }), rule: this.context.reach };
    }
  }

  /**
   * The rule a backend's `actual` answer breaks, given what was expected. A success where a
   * failure was due breaks the failing check's rule; a failure where success was due breaks
   * the rule of the check the backend wrongly applied, named by its errno.
   */
  blame(op: Op, expected: Expectation, actual: Result): RuleId {
    const exp = expected.result;
    if (exp.ok && !actual.ok) {
      if (op.op === 'map') return op.flags & MAP_FLAG.VADDR ? 'T1-VADDR-UPDATE' : MAP_ERRNO_RULE[actual.errno] ?? expected.rule;
      if (op.op === 'dmaRead' || op.op === 'dmaWrite') return this.context.reach;
      return expected.rule;
    }
    if (!exp.ok && actual.ok && (op.op === 'dmaRead' || op.op === 'dmaWrite')) return this.context.fault;
    if (exp.ok && actual.ok) {
      if (op.op === 'getInfo') return getInfoRule(exp, actual);
      if (op.op === 'dumpMappings') return dumpRule(exp, actual, this.context);
    }
    return expected.rule;
  }

  private host(proc: number, after: Context, run: (p: Process) => Errno | null, reach?: RuleId): Expectation {
    const err = run(this.procs[proc]!);
    if (err) return { result: fail(err), rule: 'T1-HOST-ENV' };
    this.context = reach ? { ...after, reach } : after;
    return { result: ok<'mmap'>({}), rule: 'T1-HOST-ENV' };
  }

  private map(op: OpOf<'map'>): Expectation {
    const before = this.container.mappings.size;
    const out = this.container.map(op.proc, op.flags, op.iova, op.vaddr, op.size);
    if (!out.ok) {
      this.context = uniform(out.rule === 'T1-VADDR-UPDATE-ERRNO' || out.rule === 'T1-VADDR-UPDATE' ? out.rule : 'T1-MAP-ATOMIC');
      return failure(out);
    }
    if (this.container.mappings.size === before) {
      this.context = uniform('T1-VADDR-UPDATE');
    } else {
      const dma = this.container.containing(op.iova)!;
      this.context = { reach: 'T1-MAP-EXACT', fault: 'T1-MAP-EXACT', acct: this.chargeRule(dma) };
    }
    return { result: ok<'map'>({}), rule: out.rule };
  }

  /** Which accounting rule a new mapping exercises: MMIO, aliasing, or plain charging. */
  private chargeRule(dma: Dma): RuleId {
    if (dma.frames.some((f) => f.backing === 'mmio')) return 'T1-ACCT-MMIO';
    return this.container.sharesFrames(dma) ? 'T1-ACCT-PER-MAPPING' : 'T1-ACCT-CHARGE';
  }

  private unmap(op: OpOf<'unmap'>): Expectation {
    const out = this.container.unmap(op.flags, op.iova, op.size);
    if (!out.ok) {
      this.context = uniform(out.rule);
      return failure(out);
    }
    const removed = out.unmapped > 0n && out.rule !== 'T1-VADDR-INVALIDATE';
    this.context = { reach: out.rule, fault: removed ? 'T1-NO-STALE' : out.rule, acct: removed ? 'T1-ACCT-UNCHARGE' : out.rule };
    return { result: ok<'unmap'>({ unmapped: out.unmapped }), rule: out.rule };
  }

  private dmaRead(op: OpOf<'dmaRead'>): Expectation {
    const t = this.container.translate(op.iova);
    if (!t) return { result: fail('EFAULT'), rule: this.context.fault };
    const result = ok<'dmaRead'>({ token: this.frames.read(t.frame.object, t.page) });
    // Whether an IOMMU can express write-only entries depends on the hardware.
    if (!t.dma.read) return { result: fail('EFAULT'), accept: [result], rule: this.context.reach };
    return { result, rule: this.context.reach };
  }

  private dmaWrite(op: OpOf<'dmaWrite'>): Expectation {
    const t = this.container.translate(op.iova);
    if (!t || !t.dma.write) return { result: fail('EFAULT'), rule: t ? 'T1-MAP-EXACT' : this.context.fault };
    this.frames.write(t.frame.object, t.page, op.token);
    this.context = { ...this.context, reach: 'T1-MAP-EXACT' };
    return { result: ok<'dmaWrite'>({}), rule: 'T1-MAP-EXACT' };
  }
}

const MAP_ERRNO_RULE: Partial<Record<Errno, RuleId>> = {
  EEXIST: 'T1-MAP-OVERLAP',
  ENOSPC: 'T1-MAP-ENTRY-LIMIT',
  ENOMEM: 'T1-MAP-RLIMIT',
  EFAULT: 'T1-MAP-UNBACKED',
};

function failure(out: Extract<Outcome, { ok: false }>): Expectation {
  return {
    result: fail(out.errno),
    rule: out.rule,
    ...(out.accept ? { accept: out.accept.map(fail) } : {}),
    ...(out.alsoBroken ? { alsoBroken: out.alsoBroken } : {}),
  };
}

function getInfoRule(exp: Result, actual: Result): RuleId {
  const e = exp as Extract<Result, { dmaAvail: bigint }>;
  const a = actual as Extract<Result, { dmaAvail: bigint }>;
  return e.dmaAvail !== a.dmaAvail ? 'T1-INFO-DMA-AVAIL' : 'T1-INFO-GEOMETRY';
}

function dumpRule(exp: Result, actual: Result, context: Context): RuleId {
  const e = (exp as Extract<Result, { mappings: unknown }>).mappings;
  const a = (actual as Extract<Result, { mappings: unknown }>).mappings;
  const has = (list: typeof e, m: (typeof e)[number]) => list.some((x) => x.iova === m.iova && x.size === m.size);
  return a.some((m) => !has(e, m)) ? context.fault : context.reach;
}
