// The reference model of one fresh emulated IOMMU: what the guest programmed, what the caches
// may still hold, the notifiers and their shadows. `apply` answers each operation with what
// a conforming IOMMU may answer, judged by rule; `observe` follows the answer it was given.
import type { Expectation, Model } from '../../spec/family.ts';
import type { BackendInfo } from '../../spec/viommu/backend.ts';
import { NOTIFIER_DEVIOTLB, NOTIFIER_MAP, NOTIFIER_UNMAP, type DmaOutcome, type NotifierEvent, type Op, type Result, type Translated } from '../../spec/viommu/ops.ts';
import { badArguments } from './args.ts';
import { canonicalEvents } from './canonical.ts';
import { deliver, joined, settle, type Broken, type Context, type Duty } from './events.ts';
import { Notifier, vfioView, type Sight } from './notifier.ts';
import { dmaOutcome, entryOf, judgeDma, judgeTranslate, type Lookup } from './probe.ts';
import { FaultLog } from './faults.ts';
import { State } from './state.ts';

type Exp = Expectation<Result>;

/** An operation whose events are still to be followed: the backend's, or else the model's own. */
interface Pending {
  duties: Map<Notifier, Duty>;
  ctx: Context;
  quiet: boolean;
  canonical: NotifierEvent[];
  /** After the events: the MPC's reset starts every shadow again from the reset translations. */
  resetShadows: boolean;
  done: boolean;
}

const fail = (errno: Result & { ok: false } extends infer F ? F extends { errno: infer E } ? E : never : never, rule: string): Exp =>
  ({ result: { ok: false, errno }, rule });

export class ViommuModel implements Model<Op, Result> {
  private readonly state: State;
  private pending: Pending | null = null;
  private readonly faults: FaultLog;

  constructor(private readonly info: BackendInfo) {
    this.state = new State(info);
    this.faults = new FaultLog(info.pageSizes[0]!);
    if (info.vfio) {
      // VFIO registered MAP|UNMAP on each IOMMU section and replayed it before the case began,
      // with nothing mapped (hw/vfio/listener.c: vfio_listener_region_add, one notifier per
      // section): empty, replayed shadows whose events are seen through what VFIO maps (vfioView).
      for (const { notifier, start, end } of info.vfio.notifiers) {
        const n = new Notifier(notifier, info.vfio.endpoint, 0, NOTIFIER_MAP | NOTIFIER_UNMAP, start, end + 1n, true, vfioView);
        n.replayed = true;
        this.state.notifiers.set(notifier, n);
      }
    }
  }

  apply(op: Op): Exp {
    this.follow(null);
    this.faults.follow(null);
    const bad = badArguments(this.info, op);
    if (bad) return fail('EINVAL', bad);
    switch (op.op) {
      case 'dma': return this.dma(op);
      case 'translate': return this.translate(op);
      case 'faults': return this.faults.read();
      case 'register': return this.register(op);
      case 'unregister': {
        const n = this.state.notifiers.get(op.notifier);
        if (!n) return fail('ENOENT', 'VIOMMU-REG-ARGS');
        this.state.notifiers.delete(op.notifier);
        return this.notify(new Map(), { replay: false, completeRule: 'VIOMMU-REG-ARGS' }, true);
      }
      case 'replay': {
        const n = this.state.notifiers.get(op.notifier);
        if (!n) return fail('ENOENT', 'VIOMMU-REG-ARGS');
        const exp = this.notify(new Map([[n, { touched: [[n.start, n.end]], owed: [] }]]), { replay: true, completeRule: 'VIOMMU-REPLAY-ALL' }, false);
        n.replayed = true;
        return exp;
      }
      default: {
        const change = this.state.change(op);
        if ('errno' in change) return { ...fail(change.errno, change.rule), accept: (change.accept ?? []).map((errno) => ({ ok: false, errno })) };
        return this.notify(change.duties, change.ctx, false, change.resetShadows);
      }
    }
  }

  observe(op: Op, actual: Result): void {
    if (op.op === 'dma') this.faults.follow(actual);
    else this.follow(actual);
  }

  blame(_op: Op, expected: Exp): string {
    return expected.rule;
  }

  /** Follows the events of the last operation: the answer given, or the model's own. */
  private follow(actual: Result | null): void {
    const p = this.pending;
    if (!p || p.done) return;
    if (actual) {
      this.judgeEvents(p, actual);
    } else {
      const broken = this.judgeEvents(p, { ok: true, events: p.canonical });
      if (broken) throw new Error(`the model's own events break ${broken.rule}: ${broken.why}`);
    }
  }

  private notify(duties: Map<Notifier, Duty>, ctx: Context, quiet: boolean, resetShadows = false): Exp {
    for (const duty of duties.values()) duty.touched = joined(duty.touched);
    const canonical = quiet ? [] : [...duties].flatMap(([n, duty]) => canonicalEvents(n, this.state.sight(n), duty, ctx.replay));
    const p: Pending = { duties, ctx, quiet, canonical, resetShadows, done: false };
    this.pending = p;
    return {
      result: { ok: true, events: canonical },
      rule: ctx.completeRule,
      judge: (actual) => this.judgeEvents(p, actual),
    };
  }

  /** Applies `actual`'s events to the shadows (once) and judges them. */
  private judgeEvents(p: Pending, actual: Result): Broken | null {
    if (p.done) throw new Error('an operation\'s events were judged twice');
    p.done = true;
    if (!actual.ok) return { rule: p.ctx.completeRule, why: `the operation failed with ${actual.errno}` };
    if (!('events' in actual)) return { rule: 'VIOMMU-OP-ARGS', why: 'the answer carries no events' };
    if (p.quiet && actual.events.length > 0) return { rule: 'VIOMMU-REG-QUIET', why: `${actual.events.length} events were delivered by registering or unregistering a notifier` };
    if (p.resetShadows && actual.events.length > 0) return { rule: 'VIOMMU-MPC-RESET', why: `${actual.events.length} events were delivered by a reset, which notifies nothing` };
    const unmapped = new Map<Notifier, [bigint, bigint][]>();
    const mapped = new Map<Notifier, [bigint, bigint][]>();
    for (const ev of actual.events) {
      const n = this.state.notifiers.get(ev.notifier);
      if (!n) return { rule: 'VIOMMU-EVENT-FLAGS', why: `an event went to notifier ${ev.notifier}, which is not registered` };
      const u = unmapped.get(n) ?? [];
      unmapped.set(n, u);
      const broken = deliver(n, this.state.sight(n), ev, p.ctx, u);
      if (broken) return broken;
      if (ev.type === 'map') {
        const m = mapped.get(n) ?? [];
        m.push([ev.entry.iova, ev.entry.iova + ev.entry.addrMask + 1n]);
        mapped.set(n, m);
      }
    }
    if (p.resetShadows) {
      for (const n of this.state.notifiers.values()) this.state.resetShadow(n);
      return null;
    }
    for (const n of this.state.notifiers.values()) {
      const duty = p.duties.get(n) ?? { touched: [], owed: [] };
      const broken = settle(n, this.state.sight(n), duty, unmapped.get(n) ?? [], mapped.get(n) ?? [], p.ctx);
      if (broken) return broken;
    }
    return null;
  }

  private register(op: Op & { op: 'register' }): Exp {
    if (this.state.notifiers.has(op.notifier)) return fail('EEXIST', 'VIOMMU-REG-ARGS');
    if ((op.flags & NOTIFIER_MAP) && !this.info.mapNotifiers) return fail('EINVAL', 'VIOMMU-REG-VETO-MAP');
    if ((op.flags & NOTIFIER_DEVIOTLB) && !this.info.deviceIotlb) return fail('EINVAL', 'VIOMMU-REG-VETO-DEVIOTLB');
    const n = new Notifier(op.notifier, op.endpoint, op.index, op.flags, op.start, op.end + 1n, this.info.profile !== 'mpc');
    this.state.notifiers.set(op.notifier, n);
    // Refusing a notifier the declaration accepts is the veto's question, or the arguments'.
    const refused = op.flags & NOTIFIER_MAP ? 'VIOMMU-REG-VETO-MAP' : op.flags & NOTIFIER_DEVIOTLB ? 'VIOMMU-REG-VETO-DEVIOTLB' : 'VIOMMU-REG-ARGS';
    return this.notify(new Map(), { replay: false, completeRule: refused }, true);
  }

  private lookup(endpoint: number, index: number, a: bigint): Lookup {
    return this.state.lookup(endpoint, index, a);
  }

  private dma(op: Op & { op: 'dma' }): Exp {
    const index = this.info.profile === 'mpc' && !op.secure ? 1 : 0;
    const l = this.lookup(op.endpoint, index, op.iova);
    const result = dmaOutcome(l.current, op.iova, op.access);
    // VIOMMU-DMA-FAULT-RECORD: a DMA with no translation anywhere must leave a record, except,
    // on an SMMUv3, one of a stream that may have no domain: its STE aborts, and an abort records
    // no event (the rule's variant; hw/arm/smmuv3.c: smmuv3_translate, SMMU_TRANS_ABORT).
    const silentAbort = this.info.profile === 'smmuv3' && l.unbound;
    const untranslated = !silentAbort && l.candidates.every((c) => c === null);
    this.faults.issued(op, result, untranslated);
    return {
      result,
      rule: 'VIOMMU-DMA-TRANSLATE',
      judge: (actual) => ('outcome' in actual ? judgeDma(l, op.iova, op.access, actual as DmaOutcome) : { rule: 'VIOMMU-DMA-TRANSLATE', why: 'a DMA answers where it went, not a failure' }),
    };
  }

  private translate(op: Op & { op: 'translate' }): Exp {
    const l = this.lookup(op.endpoint, op.index, op.iova);
    return {
      result: { ok: true, entry: entryOf(l.current, op.iova, this.info.pageSizes[0]!) },
      rule: 'VIOMMU-XLATE-TABLES',
      judge: (actual) => ('entry' in actual ? judgeTranslate(l, op.iova, op.flag, actual as Translated) : { rule: 'VIOMMU-XLATE-ENTRY', why: 'translate answers an entry, not a failure' }),
    };
  }
}

export type { Sight };
