// The whole reference model: the processes, the container and the device view, driven by `Op`s.
//
// `apply` returns what a conforming backend must answer, and the rule that decides it. An
// observation (dmaRead, counters, ...) is judged by the rule of the last operation that
// changed state (`Context`), because that is the operation a wrong observation convicts: a
// stale page right after an unmap breaks T1-NO-STALE, wrong counters right after a failed map
// break T1-MAP-ATOMIC.
import { profileTraits, taskSizeOf, type BackendInfo } from '../../spec/type1/backend.ts';
import type { Errno, Op, OpOf, Result } from '../../spec/type1/ops.ts';
import { fail, MAP_FLAG, ok, UNMAP_FLAG } from '../../spec/type1/ops.ts';
import type { RuleId } from '../../spec/type1/rules.ts';
import { FrameStore, Process } from '../host.ts';
import { Type1Container, U64_LIMIT, type Dma, type Outcome } from './container.ts';
import { CompatContainer } from './compat.ts';

export interface Expectation {
  result: Result;
  /** Other answers that also conform (kernel-version variants named by the rule). */
  accept?: Result[];
  rule: RuleId;
  /** Further rules a wrong answer breaks (several checks failing at once). */
  alsoBroken?: RuleId[];
  /** Further rules this answer checks, one of which `blame` picks by what is wrong. */
  covers?: RuleId[];
  /**
   * For a failure: the errnos of checks that fail too, later in kernel order. A backend that
   * answers one of them applied the right check in the wrong order (see `alsoBroken`).
   */
  laterErrnos?: Errno[];
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
    const taskSize = taskSizeOf(info.host);
    this.procs = Array.from({ length: count }, () => new Process(this.frames, info.host.hugePageSize, taskSize));
    const Container = profileTraits(info.profile).impl === 'compat' ? CompatContainer : Type1Container;
    this.container = new Container(info.geometry, info.profile, this.procs);
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
      case 'dirtyPages': {
        const out = this.container.dirtyPages(op.flags);
        // Wrong counters or device reach right after it convict it.
        this.context = uniform(out.rule);
        return out.ok ? { result: ok<'dirtyPages'>({}), rule: out.rule } : failure(out);
      }
      case 'migrationInfo':
        return { result: ok<'migrationInfo'>(this.container.migration), rule: 'T1-INFO-MIGRATION' };
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
   * failure was due breaks the failing check's rule. A map or unmap that fails where success or
   * another errno was due breaks the rule of the check the backend wrongly applied, named by its
   * errno (`errnoBlame`).
   */
  blame(op: Op, expected: Expectation, actual: Result): RuleId {
    const exp = expected.result;
    if (!actual.ok && (op.op === 'map' || op.op === 'unmap')) return this.errnoBlame(op, expected, actual.errno);
    if (exp.ok && !actual.ok) {
      if (op.op === 'dmaRead' || op.op === 'dmaWrite') return this.context.reach;
      return expected.rule;
    }
    if (exp.ok && actual.ok) {
      if (op.op === 'getInfo') return getInfoRule(exp, actual);
      if (op.op === 'dumpMappings') return dumpRule(exp, actual, this.context);
    }
    return expected.rule;
  }

  /**
   * A map or unmap answered `errno` where success or another errno was due. When a failure was
   * due, the deciding check may itself answer `errno` (RULE_ERRNOS), or a check that fails too,
   * later in kernel order, may (`laterErrnos`): the deciding rule is broken, in the second case
   * with T1-MAP-CHECK-ORDER (in `alsoBroken`). Otherwise the backend applied a check that does
   * not fail here: the rule of the check `errno` names. An errno no check explains falls back
   * to the deciding rule.
   */
  private errnoBlame(op: OpOf<'map'> | OpOf<'unmap'>, expected: Expectation, errno: Errno): RuleId {
    const exp = expected.result;
    if (!exp.ok && (RULE_ERRNOS[expected.rule]?.includes(errno) || expected.laterErrnos?.includes(errno))) return expected.rule;
    if (op.op === 'map') {
      if (op.flags & MAP_FLAG.VADDR) return VADDR_ERRNO_RULE[errno] ?? (exp.ok ? 'T1-VADDR-UPDATE' : expected.rule);
      return MAP_ERRNO_RULE[errno] ?? expected.rule;
    }
    if (errno === 'EOVERFLOW') return 'T1-UNMAP-ARGS';
    if (errno === 'EBUSY' && op.flags & UNMAP_FLAG.VADDR) return 'T1-VADDR-INVALIDATE';
    // ENOENT is iommufd's answer to a range no mapping fills exactly: for a range holding no
    // mapping at all it is T1-UNMAP-EMPTY's question; for a bisected one the bisect check's.
    if (errno === 'ENOENT' && !exp.ok && this.holdsNothing(op)) return 'T1-UNMAP-EMPTY';
    return expected.rule;
  }

  /** Whether the range of a failed unmap (the model unchanged by it) holds no mapping. */
  private holdsNothing(op: OpOf<'unmap'>): boolean {
    if (op.flags & UNMAP_FLAG.ALL) return this.container.mappings.size === 0;
    const end = op.iova + op.size < U64_LIMIT ? op.iova + op.size : U64_LIMIT;
    return this.container.overlapping(op.iova, end).length === 0;
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
    return { result: ok<'unmap'>({ unmapped: out.unmapped }), rule: out.rule, ...(out.accept ? { accept: out.accept.map(fail) } : {}) };
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

/** The check a plain MAP_DMA answering each errno applied (EINVAL names too many to pick one). */
const MAP_ERRNO_RULE: Partial<Record<Errno, RuleId>> = {
  EEXIST: 'T1-MAP-OVERLAP',
  ENOSPC: 'T1-MAP-ENTRY-LIMIT',
  ENOMEM: 'T1-MAP-RLIMIT',
  EFAULT: 'T1-MAP-UNBACKED',
  EOVERFLOW: 'T1-MAP-WRAP',
};

/** The same for MAP_DMA with FLAG_VADDR: the lookup, the owner move, the wrap check. */
const VADDR_ERRNO_RULE: Partial<Record<Errno, RuleId>> = {
  ENOENT: 'T1-VADDR-UPDATE-ERRNO',
  EINVAL: 'T1-VADDR-UPDATE-ERRNO',
  ENOMEM: 'T1-VADDR-UPDATE',
  EOVERFLOW: 'T1-MAP-WRAP',
};

/** Rules whose own check answers more than one errno (beyond kernel-version variants in `accept`). */
const RULE_ERRNOS: Partial<Record<RuleId, Errno[]>> = {
  'T1-MAP-WRAP': ['EINVAL', 'EOVERFLOW'],
  'T1-UNMAP-ARGS': ['EINVAL', 'EOVERFLOW'],
  'T1-VADDR-UPDATE-ERRNO': ['ENOENT', 'EINVAL'],
};

function failure(out: Extract<Outcome, { ok: false }>): Expectation {
  return {
    result: fail(out.errno),
    rule: out.rule,
    ...(out.accept ? { accept: out.accept.map(fail) } : {}),
    ...(out.alsoBroken ? { alsoBroken: out.alsoBroken } : {}),
    ...(out.laterErrnos ? { laterErrnos: out.laterErrnos } : {}),
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
