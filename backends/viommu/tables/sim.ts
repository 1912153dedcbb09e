// The page-table IOMMU as a Backend: guest page tables per domain and context entries per
// endpoint (what the guest writes), the IOTLB and context cache (what DMA and translate go
// through), the notifiers (what the invalidations keep up to date) and the fault records DMA
// leaves. `profile` picks how a range invalidation is encoded (a VT-d page-selective
// invalidation or SMMUv3 range TLBIs) and how a fault is recorded.
import type { Backend, BackendInfo } from '../../../spec/viommu/backend.ts';
import {
  NOTIFIER_DEVIOTLB, NOTIFIER_MAP, NOTIFIER_UNMAP, permAllows, type DmaOutcome, type InvalidateScope, type NotifierEvent, type Op, type Result,
  type TlbEntry,
} from '../../../spec/viommu/ops.ts';
import { ArgChecker } from './args.ts';
import type { Bugs } from './bugs.ts';
import { FaultLog } from './fault-log.ts';
import { decodeTlbi, encodeTlbi, psiCover, type Span } from './invalidation.ts';
import { ContextCache, Iotlb, notPresent } from './iotlb.ts';
import { Notifiers, type Notifier } from './notifiers.ts';
import { PageTable } from './page-table.ts';
import { PAGE } from './ranges.ts';
import { bringUpToDate, replay } from './shadow.ts';

const ok = (events: NotifierEvent[] = []): Result => ({ ok: true, events });
const EINVAL: Result = { ok: false, errno: 'EINVAL' };

/** What a device's lookup found: no binding, nothing mapped, or a leaf. */
type Lookup = { kind: 'unbound' } | { kind: 'none' } | { kind: 'leaf'; iova: bigint; size: bigint; pa: bigint; perm: TlbEntry['perm'] };

export class TableSim implements Backend {
  private readonly args: ArgChecker;
  private tables: PageTable[] = [];
  /** The context entries (STEs) as the guest last wrote them. */
  private bindings: (number | null)[] = [];
  /** The bindings as the last context or global invalidation made them known: what notifiers follow. */
  private known: (number | null)[] = [];
  private iotlb!: Iotlb;
  private context = new ContextCache();
  private notifiers = new Notifiers();
  private faults!: FaultLog;
  /** VFIO's notifiers while they stay registered: a notifier registered later under one of their ids is not VFIO's. */
  private vfioNotifiers = new Set<Notifier>();

  constructor(readonly info: BackendInfo, private readonly bugs: Bugs) {
    this.args = new ArgChecker(info);
    this.reset();
  }

  reset(): void {
    this.tables = Array.from({ length: this.info.domains }, () => new PageTable(this.info.iovaBits, this.bugs.has('perm-leaf-only')));
    this.bindings = Array.from({ length: this.info.endpoints }, () => null);
    this.known = [...this.bindings];
    this.iotlb = new Iotlb(this.info.pageSizes);
    this.context = new ContextCache();
    this.notifiers = new Notifiers();
    this.faults = new FaultLog(this.info.profile);
    // VFIO's listener registered a MAP|UNMAP notifier on each IOMMU section and replayed it
    // before anything was mapped (vfio_listener_region_add): the case starts with them in place.
    const vfio = this.info.vfio;
    this.vfioNotifiers = new Set((vfio?.notifiers ?? []).map(({ notifier, start, end }) =>
      this.notifiers.add({ id: notifier, endpoint: vfio!.endpoint, flags: NOTIFIER_MAP | NOTIFIER_UNMAP, start, end, index: 0 })));
  }

  execute(ops: readonly Op[]): Result[] {
    return ops.map((op) => this.asVfioSaw(this.args.valid(op) ? this.step(op) : EINVAL));
  }

  /** The VFIO notifier's MAPs as VFIO mapped them: READ always, WRITE iff the entry has it (vfio_iommu_map_notify). */
  private asVfioSaw(result: Result): Result {
    if (this.vfioNotifiers.size === 0 || !result.ok || !('events' in result)) return result;
    const byVfio = (id: number): boolean => { const n = this.notifiers.get(id); return n !== undefined && this.vfioNotifiers.has(n); };
    return {
      ok: true,
      events: result.events.map((ev) => (ev.type === 'map' && byVfio(ev.notifier)
        ? { ...ev, entry: { ...ev.entry, perm: ev.entry.perm === 'w' || ev.entry.perm === 'rw' ? 'rw' : ev.entry.perm } }
        : ev)),
    };
  }

  private step(op: Op): Result {
    switch (op.op) {
      case 'attach': this.bindings[op.endpoint] = op.domain; return ok();
      case 'detach': this.bindings[op.endpoint] = null; return ok();
      case 'map': this.tables[op.domain]!.map(op.iova, op.size, op.pa, op.perm, op.page); return ok();
      case 'unmap': this.tables[op.domain]!.unmap(op.iova, op.iova + op.size); return ok();
      case 'protect': this.tables[op.domain]!.protect(op.iova, op.span, op.perm); return ok();
      case 'invalidate': return ok(this.invalidate(op));
      case 'dma': return this.dma(op.endpoint, op.iova, op.access);
      case 'translate': return { ok: true, entry: this.translate(op.endpoint, op.iova) };
      case 'faults': return { ok: true, faults: this.faults.drain() };
      case 'register': {
        if (this.notifiers.has(op.notifier)) return { ok: false, errno: 'EEXIST' };
        // notify_flag_changed's veto (VIOMMU-REG-VETO-MAP, VIOMMU-REG-VETO-DEVIOTLB).
        if ((op.flags & NOTIFIER_MAP && !this.info.mapNotifiers) || (op.flags & NOTIFIER_DEVIOTLB && !this.info.deviceIotlb)) return EINVAL;
        this.notifiers.add({ id: op.notifier, endpoint: op.endpoint, flags: op.flags, start: op.start, end: op.end, index: op.index });
        return ok();
      }
      case 'unregister':
        if (!this.notifiers.has(op.notifier)) return { ok: false, errno: 'ENOENT' };
        this.notifiers.remove(op.notifier);
        return ok();
      case 'replay': {
        const n = this.notifiers.get(op.notifier);
        if (n === undefined) return { ok: false, errno: 'ENOENT' };
        const events: NotifierEvent[] = [];
        replay(n, this.tableOf(this.known[n.endpoint]!), this.bugs, events);
        return ok(events);
      }
      case 'gate': case 'reset': return { ok: false, errno: 'ENOTTY' };
    }
  }

  private tableOf(domain: number | null): PageTable | null {
    return domain === null ? null : this.tables[domain]!;
  }

  /** The pages a range invalidation covers, as the flavour's commands encode them (VIOMMU-INVAL-RANGE). */
  private rangeCover(iova: bigint, size: bigint): Span[] | null {
    if (this.info.profile === 'vtd') return psiCover(iova, size, this.bugs.has('psi-mask-short'));
    const commands = encodeTlbi(iova, size);
    return commands === null ? null : decodeTlbi(commands, this.bugs.has('tlbi-num-off-by-one'));
  }

  private invalidate(op: InvalidateScope): NotifierEvent[] {
    const events: NotifierEvent[] = [];
    switch (op.scope) {
      case 'range': {
        const spans = this.rangeCover(op.iova, op.size);
        if (spans === null) return this.invalidate({ scope: 'domain', domain: op.domain });
        for (const s of spans) this.iotlb.dropRange(op.domain, s.lo, s.hi);
        this.notifyDomain(op.domain, spans, events);
        break;
      }
      case 'domain':
        this.iotlb.dropDomain(op.domain);
        this.notifyDomain(op.domain, 'whole', events);
        break;
      case 'context':
        // context-cache-sticky: CFGI_STE leaves the cached STE in place (VIOMMU-INVAL-CONTEXT).
        if (!this.bugs.has('context-cache-sticky')) this.context.drop(op.endpoint);
        this.rebind(op.endpoint, events);
        break;
      case 'global':
        this.iotlb.dropAll();
        this.context.dropAll();
        for (let endpoint = 0; endpoint < this.info.endpoints; endpoint++) {
          const before = this.known[endpoint]!;
          this.known[endpoint] = this.bindings[endpoint]!;
          if (before === null && this.known[endpoint] === null) continue;
          for (const n of this.notifiers.ofEndpoint(endpoint)) bringUpToDate(n, this.tableOf(this.known[endpoint]!), 'whole', this.bugs, events);
        }
        break;
    }
    return events;
  }

  /** Notifiers of the endpoints known bound to `domain`, brought up to date over `spans`. */
  private notifyDomain(domain: number, spans: Span[] | 'whole', events: NotifierEvent[]): void {
    for (const n of this.notifiers.all()) {
      if (this.known[n.endpoint] === domain) bringUpToDate(n, this.tables[domain]!, spans, this.bugs, events);
    }
  }

  /** A context invalidation: a changed binding resyncs, or empties, the endpoint's notifiers. */
  private rebind(endpoint: number, events: NotifierEvent[]): void {
    const before = this.known[endpoint];
    const after = this.bindings[endpoint]!;
    this.known[endpoint] = after;
    if (before === after) return;
    // context-move-unsynced: a move between two domains switches the context but walks nothing.
    if (before !== null && after !== null && this.bugs.has('context-move-unsynced')) return;
    for (const n of this.notifiers.ofEndpoint(endpoint)) bringUpToDate(n, this.tableOf(after), 'whole', this.bugs, events);
  }

  /** A device lookup through the context cache and the IOTLB, filling them from the tables on a miss. */
  private lookup(endpoint: number, iova: bigint): Lookup {
    let domain = this.context.lookup(endpoint);
    if (domain === undefined) {
      const bound = this.bindings[endpoint]!;
      // A not-present context entry is not cached: a new binding may be used at once.
      if (bound === null) return { kind: 'unbound' };
      this.context.fill(endpoint, bound);
      domain = bound;
    }
    const hit = this.iotlb.lookup(domain, iova);
    if (hit !== undefined) return hit.present ? { kind: 'leaf', ...hit } : { kind: 'none' };
    const leaf = this.tables[domain]!.walk(iova);
    if (leaf !== null && leaf.perm !== 'none') {
      this.iotlb.fill(domain, { present: true, ...leaf });
      return { kind: 'leaf', ...leaf };
    }
    // Caching mode lets the IOMMU cache a not-present entry too (VIOMMU-INVAL-STALE, its variant).
    if (this.info.cachingMode) this.iotlb.fill(domain, notPresent(iova));
    return { kind: 'none' };
  }

  private dma(endpoint: number, iova: bigint, access: 'read' | 'write'): DmaOutcome {
    const found = this.lookup(endpoint, iova);
    if (found.kind === 'unbound' && this.info.unattached === 'bypass') return { ok: true, outcome: 'memory', addr: iova };
    if (found.kind !== 'leaf' || !permAllows(found.perm, access)) {
      // vtd-fault-unattached-unrecorded: the context-entry-not-present reason is never reported.
      if (!(found.kind === 'unbound' && this.bugs.has('vtd-fault-unattached-unrecorded'))) this.faults.record(endpoint, iova, access);
      return { ok: true, outcome: 'fault' };
    }
    return { ok: true, outcome: 'memory', addr: found.pa + (iova - found.iova) };
  }

  private translate(endpoint: number, iova: bigint): TlbEntry {
    const found = this.lookup(endpoint, iova);
    const page = iova - (iova % PAGE);
    if (found.kind === 'leaf') return { iova: found.iova, translatedAddr: found.pa, addrMask: found.size - 1n, perm: found.perm, target: 'memory' };
    if (found.kind === 'unbound' && this.info.unattached === 'bypass') return { iova: page, translatedAddr: page, addrMask: PAGE - 1n, perm: 'rw', target: 'memory' };
    return { iova: page, translatedAddr: 0n, addrMask: PAGE - 1n, perm: 'none', target: 'memory' };
  }
}
