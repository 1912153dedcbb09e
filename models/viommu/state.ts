// The model's state and what each state-changing operation does to it: page tables and
// bindings that caches may lag behind (vtd, smmuv3), virtio-iommu domains and mappings, the
// MPC's LUT. Each change says which notifiers it concerns and over which ranges.
import type { BackendInfo } from '../../spec/viommu/backend.ts';
import type { Errno } from '../../spec/errno.ts';
import type { Op } from '../../spec/viommu/ops.ts';
import type { Context, Duty } from './events.ts';
import type { Notifier, Sight } from './notifier.ts';
import { PageTables } from './page-tables.ts';
import type { Lookup } from './probe.ts';
import { Space, type Old } from './space.ts';
import { RangeMap } from './ranges.ts';
import { shiftXlat, type Xlat } from './xlat.ts';

export type Change =
  | { errno: Errno; rule: string; accept?: Errno[] }
  | { duties: Map<Notifier, Duty>; ctx: Context; resetShadows: boolean };

const CTX = (completeRule: string): Context => ({ replay: false, completeRule });

export class State {
  readonly notifiers = new Map<number, Notifier>();
  private readonly spaces = new Map<number, Space>();
  private readonly tables = new Map<number, PageTables>();
  /** The domain each endpoint is bound to now. */
  private readonly binding: (number | null)[];
  /** Page tables: bindings a context cache may still hold, since the endpoint's last context invalidation. */
  private readonly oldBindings: Set<number | null>[];
  /**
   * intel-iommu: domains an endpoint left whose translations its IOTLB entries, tagged by
   * source id, may still give until an IOTLB invalidation of that domain (VIOMMU-INVAL-CONTEXT).
   */
  private readonly iotlbBindings: Set<number>[];
  /** Bindings the endpoint's last context invalidation ended: kept to name a stale answer. */
  private retiredBindings: Set<number | null>[];
  /** virtio-iommu: the endpoints attached at least once since the reset. */
  private readonly known = new Set<number>();
  private gen = 0;
  /** What each MPC index gave before the last `reset`, where no gate has changed it since: to name a reset not done. */
  private beforeReset: [RangeMap<Xlat>, RangeMap<Xlat>] | null = null;
  private readonly top: bigint;
  private readonly granule: bigint;
  private readonly caching: boolean;

  constructor(private readonly info: BackendInfo) {
    this.top = 1n << BigInt(info.iovaBits);
    this.granule = info.pageSizes[0]!;
    this.caching = info.profile === 'vtd' || info.profile === 'smmuv3';
    this.binding = Array.from({ length: info.endpoints }, () => (info.profile === 'mpc' ? 0 : null));
    this.oldBindings = Array.from({ length: info.endpoints }, () => new Set());
    this.retiredBindings = Array.from({ length: info.endpoints }, () => new Set());
    this.iotlbBindings = Array.from({ length: info.endpoints }, () => new Set());
    if (info.profile === 'mpc') this.resetLut();
  }

  private space(domain: number, index = 0): Space {
    const key = domain * this.info.indexes + index;
    let s = this.spaces.get(key);
    if (!s) this.spaces.set(key, (s = new Space()));
    return s;
  }

  private pageTables(domain: number): PageTables {
    let t = this.tables.get(domain);
    if (!t) this.tables.set(domain, (t = new PageTables(this.space(domain), this.top)));
    return t;
  }

  /** Where notifier `n`'s translations come from. */
  sight(n: Notifier): Sight {
    const domains = [this.binding[n.endpoint]!, ...this.oldBindings[n.endpoint]!];
    const spaces = [...new Set(domains.filter((d): d is number => d !== null))].map((d) => this.space(d, n.index));
    const now = this.binding[n.endpoint]!;
    const bound = now === null ? null : this.space(now, n.index);
    return {
      spaces,
      unbound: domains.includes(null),
      settled: this.oldBindings[n.endpoint]!.size === 0 ? bound : null,
      bound,
      other: this.info.indexes === 2 ? this.space(0, 1 - n.index) : null,
    };
  }

  /**
   * What an endpoint bound to no domain gets at `a` (VIOMMU-DMA-UNATTACHED): nothing, or with
   * bypass `a` itself, read-write. Only the binding decides: a bound endpoint's unmapped
   * address faults even when unbound ones bypass.
   */
  private unbound(a: bigint): Old {
    if (this.info.unattached !== 'bypass') return null;
    return { pa: a, perm: 'rw', own: 'rw', target: 'memory', unit: this.granule, lo: 0n, hi: 0n, gen: 0 };
  }

  lookup(endpoint: number, index: number, a: bigint): Lookup {
    const domains = [...new Set([this.binding[endpoint]!, ...this.oldBindings[endpoint]!, ...this.iotlbBindings[endpoint]!])];
    const candidates = domains.flatMap((d) => {
      if (d === null) return [this.unbound(a)];
      const [now, ...olds] = this.space(d, index).candidates(a);
      // Without caching mode no cache holds a not-present entry (VIOMMU-INVAL-STALE).
      return [now!, ...olds.filter((o) => o !== null || this.info.cachingMode)];
    });
    const now = this.binding[endpoint]!;
    return {
      candidates,
      current: now === null ? this.unbound(a) : this.space(now, index).current.at(a)?.value ?? null,
      retired: domains.flatMap((d) => (d === null ? [] : this.space(d, index).retired.at(a)?.value ?? [])),
      retiredBinding: [...this.retiredBindings[endpoint]!].filter((d) => !domains.includes(d))
        .map((d) => (d === null ? this.unbound(a) : this.space(d, index).current.at(a)?.value ?? null)),
      other: this.info.indexes === 2 ? this.space(0, 1 - index).current.at(a)?.value ?? null : null,
      beforeReset: this.beforeReset?.[index]?.at(a)?.value ?? null,
      adjacent: this.info.profile === 'virtio-iommu' && now !== null ? this.adjacent(now, a) : [],
      unbound: domains.includes(null),
    };
  }

  /**
   * What the mappings that start just after `a` or end just before it would give, extended by
   * a byte: to name a lookup that strays out of its mapping (VIOMMU-VIRTIO-RANGE; QEMU's
   * virtio_iommu_translate looks [a, a + 1] up).
   */
  private adjacent(domain: number, a: bigint): Old[] {
    const current = this.space(domain).current;
    const next = a + 1n < this.top ? current.at(a + 1n)?.value : undefined;
    const prev = a > 0n ? current.at(a - 1n)?.value : undefined;
    const stretched = (v: Xlat, d: bigint): Xlat => ({ ...v, pa: BigInt.asUintN(64, v.pa + d) });
    return [
      ...(next && next.lo === a + 1n ? [stretched(next, -1n)] : []),
      ...(prev && prev.hi === a ? [stretched(prev, 1n)] : []),
    ];
  }

  private notifiersOf(endpoint: number | null, index?: number): Notifier[] {
    return [...this.notifiers.values()].filter((n) => (endpoint === null || n.endpoint === endpoint) && (index === undefined || n.index === index));
  }

  private endpointsIn(domain: number): number[] {
    return this.binding.flatMap((d, e) => (d === domain ? [e] : []));
  }

  change(op: Op): Change {
    const duties = new Map<Notifier, Duty>();
    const duty = (n: Notifier): Duty => {
      let d = duties.get(n);
      if (!d) duties.set(n, (d = { touched: [], owed: [] }));
      return d;
    };
    const all = (n: Notifier) => duty(n).touched.push([n.start, n.end]);
    const owe = (n: Notifier, ranges: [bigint, bigint][]) => duty(n).owed.push(...ranges);
    const g = ++this.gen;
    switch (op.op) {
      case 'attach': case 'detach': {
        const to = op.op === 'attach' ? op.domain : null;
        const from = this.binding[op.endpoint]!;
        if (this.caching) {
          if (from !== to) this.oldBindings[op.endpoint]!.add(from);
          this.binding[op.endpoint] = to;
          return { duties, ctx: CTX('VIOMMU-INVAL-CONTEXT'), resetShadows: false };
        }
        // virtio_iommu_detach: an endpoint the device has not met since its reset (it learns
        // them at ATTACH, virtio_iommu_get_endpoint) does not exist; a known one in no domain is
        // not attached to the one named.
        // QEMU 11.1 forgets an endpoint when it is detached: ENOENT again (the rule's variant).
        if (to === null && from === null) {
          return this.known.has(op.endpoint) ? { errno: 'EINVAL', rule: 'VIOMMU-VIRTIO-ATTACH', accept: ['ENOENT'] } : { errno: 'ENOENT', rule: 'VIOMMU-VIRTIO-ATTACH' };
        }
        // virtio_iommu_attach detaches first, even from the domain it names again: its
        // notifiers are unmapped and, the last endpoint out, it takes the domain with it.
        const alone = from !== null && this.endpointsIn(from).every((e) => e === op.endpoint);
        for (const n of this.notifiersOf(op.endpoint)) {
          all(n);
          if (from !== null) owe(n, present(this.space(from), n.start, n.end));
        }
        this.binding[op.endpoint] = to;
        if (to !== null) this.known.add(op.endpoint);
        if (alone) {
          const s = this.space(from);
          s.current.clear();
          s.history.clear();
        }
        return { duties, ctx: { ...CTX('VIOMMU-VIRTIO-ATTACH'), rejoin: from === to }, resetShadows: false };
      }
      case 'map': case 'unmap': {
        const end = op.iova + op.size;
        if (this.caching) {
          this.space(op.domain).remember(op.iova, end);
          if (op.op === 'map') this.pageTables(op.domain).map(op.iova, op.size, op.page, op.pa, op.perm, g);
          else this.pageTables(op.domain).unmap(op.iova, op.size, this.granule, g);
          return { duties, ctx: CTX('VIOMMU-SHADOW-COMPLETE'), resetShadows: false };
        }
        if (this.endpointsIn(op.domain).length === 0) return { errno: 'ENOENT', rule: op.op === 'map' ? 'VIOMMU-VIRTIO-MAP' : 'VIOMMU-VIRTIO-UNMAP' };
        const s = this.space(op.domain);
        const held = s.current.pieces(op.iova, end);
        if (op.op === 'map') {
          if (held.length > 0) return { errno: 'EINVAL', rule: 'VIOMMU-VIRTIO-MAP' };
          s.remember(op.iova, end);
          s.current.set(op.iova, end, { pa: op.pa, perm: op.perm, own: op.perm, target: 'memory', unit: 0n, lo: op.iova, hi: end, gen: g });
        } else {
          if (held.some((p) => p.value.lo < op.iova || p.value.hi > end)) return { errno: 'ERANGE', rule: 'VIOMMU-VIRTIO-UNMAP' };
          s.remember(op.iova, end);
          s.current.set(op.iova, end, undefined);
        }
        const changed = s.sync(op.iova, end);
        for (const e of this.endpointsIn(op.domain)) {
          for (const n of this.notifiersOf(e)) {
            const r = n.clip(op.iova, end);
            if (!r) continue;
            duty(n).touched.push(r);
            owe(n, changed);
          }
        }
        return { duties, ctx: CTX(op.op === 'map' ? 'VIOMMU-VIRTIO-MAP' : 'VIOMMU-VIRTIO-UNMAP'), resetShadows: false };
      }
      case 'protect': {
        this.space(op.domain).remember(op.iova, op.iova + op.span);
        this.pageTables(op.domain).protect(op.iova, op.span, op.perm, g);
        return { duties, ctx: CTX('VIOMMU-SHADOW-COMPLETE'), resetShadows: false };
      }
      case 'invalidate': {
        const domains = op.scope === 'range' || op.scope === 'domain' ? [op.domain] : op.scope === 'global' ? [...Array(this.info.domains).keys()] : [];
        const [s, e] = op.scope === 'range' ? [op.iova, op.iova + op.size] : [0n, this.top];
        for (const d of domains) {
          if (op.scope !== 'range') for (const left of this.iotlbBindings) left.delete(d);
          const changed = this.space(d).sync(s, e);
          for (const n of this.notifiers.values()) {
            const sight = this.sight(n);
            if (!sight.spaces.includes(this.space(d))) continue;
            const r = n.clip(s, e);
            if (r) duty(n).touched.push(r);
            if (sight.settled === this.space(d)) owe(n, changed);
          }
        }
        const endpoints = op.scope === 'context' ? [op.endpoint] : op.scope === 'global' ? [...this.binding.keys()] : [];
        for (const ep of endpoints) {
          const olds = this.oldBindings[ep]!;
          if (olds.size === 0) continue;
          for (const n of this.notifiersOf(ep)) {
            all(n);
            // Owed for certain: what the binding the IOMMU last synchronised translated. Bindings
            // written since may never have been read, so nothing of theirs was surely seen.
            const synced = [...olds][0]!;
            if (synced !== null && synced !== this.binding[ep]) owe(n, present(this.space(synced), n.start, n.end));
          }
          this.retiredBindings[ep] = new Set(olds);
          if (this.info.profile === 'vtd') for (const d of olds) if (d !== null && d !== this.binding[ep]) this.iotlbBindings[ep]!.add(d);
          olds.clear();
        }
        const ctx = CTX(op.scope === 'context' || op.scope === 'global' ? 'VIOMMU-INVAL-CONTEXT' : op.scope === 'range' ? 'VIOMMU-INVAL-RANGE' : 'VIOMMU-INVAL-DOMAIN');
        // VIOMMU-SHADOW-NO-LOSS's variant: intel-iommu refreshes every address space on a global
        // context invalidation, UNMAPping all before it replays (vtd_context_global_invalidate).
        if (op.scope === 'global' && this.info.profile === 'vtd') ctx.remapAll = true;
        return { duties, ctx, resetShadows: false };
      }
      case 'gate': {
        const end = op.iova + op.size;
        for (const index of [0, 1]) {
          const s = this.space(0, index);
          const target = (index === 1) === op.ns ? 'memory' : 'blocked';
          s.remember(op.iova, end);
          this.beforeReset?.[index]!.set(op.iova, end, undefined);
          for (const p of s.current.pieces(op.iova, end)) {
            if (p.value.target !== target) s.current.set(p.start, p.end, { ...p.value, target, gen: g });
          }
          const changed = s.sync(op.iova, end);
          for (const n of this.notifiersOf(0, index)) {
            for (const [cs, ce] of changed) {
              const r = n.clip(cs, ce);
              if (r) duty(n).touched.push(r);
            }
            owe(n, changed);
          }
        }
        return { duties, ctx: CTX('VIOMMU-MPC-LUT'), resetShadows: false };
      }
      case 'reset':
        this.beforeReset = [0, 1].map((index) => {
          const copy = new RangeMap<Xlat>(shiftXlat);
          for (const p of this.space(0, index).current) copy.set(p.start, p.end, p.value);
          return copy;
        }) as [RangeMap<Xlat>, RangeMap<Xlat>];
        this.resetLut();
        return { duties, ctx: CTX('VIOMMU-MPC-RESET'), resetShadows: true };
      default:
        throw new Error(`State.change: ${op.op} is not a state change`);
    }
  }

  /** Every block secure: memory for index 0, blocked for index 1 (VIOMMU-MPC-RESET). */
  private resetLut(): void {
    const g = ++this.gen;
    for (const index of [0, 1]) {
      const s = this.space(0, index);
      s.current.clear();
      s.history.clear();
      s.current.set(0n, this.top, { pa: 0n, perm: 'rw', own: 'rw', target: index === 0 ? 'memory' : 'blocked', unit: this.granule, lo: 0n, hi: 0n, gen: g });
    }
  }

  /** A shadow taken to hold exactly the current translations of its range. */
  resetShadow(n: Notifier): void {
    n.shadow.clear();
    if (!n.shadowing) return;
    const bound = this.sight(n).bound;
    for (const p of bound?.current.pieces(n.start, n.end) ?? []) n.shadow.set(p.start, p.end, p.value);
  }
}

/** The ranges of [start, end) where `space` translates anything. */
function present(space: Space, start: bigint, end: bigint): [bigint, bigint][] {
  return space.current.pieces(start, end).map((p) => [p.start, p.end]);
}
