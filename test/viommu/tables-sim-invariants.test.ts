// Random sequences on the correct page-table simulators, judged by a page-by-page account of
// the guest's tables kept here: every event is well formed and lands where a consumer's shadow
// allows (VIOMMU-EVENT-*, VIOMMU-SHADOW-NO-DUP/NO-CUT/NO-LOSS), and after a global
// invalidation every MAP notifier's shadow, and translate, agree with the tables exactly.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tableSpans, type Backend } from '../../spec/viommu/backend.ts';
import { NOTIFIER_MAP, NOTIFIER_UNMAP, permAnd, type NotifierEvent, type Op, type Perm, type Result } from '../../spec/viommu/ops.ts';
import { TABLE_MUTANTS_BUNDLED, TABLE_SIMS } from '../../backends/viommu/tables/index.ts';

const K4 = 0x1000n;
const M2 = 0x200000n;
/** The random sequences stay in [0, 8 MiB): 2048 pages, four 2 MiB slots. */
const PAGES = 2048;

interface Xlat { pa: bigint; perm: Perm }
interface Held { iova: bigint; size: bigint; pa: bigint; perm: Perm }

/** The guest's page tables page by page: leaves, and directory permissions by span and base. */
class Truth {
  readonly leaves = [new Map<bigint, Xlat>(), new Map<bigint, Xlat>()];
  readonly dirs = [new Map<bigint, Map<bigint, Perm>>(), new Map<bigint, Map<bigint, Perm>>()];
  constructor(private readonly spans: bigint[]) {
    for (const d of this.dirs) for (const span of spans) d.set(span, new Map());
  }
  apply(op: Op): void {
    if (op.op === 'map') {
      for (let p = op.iova; p < op.iova + op.size; p += K4) this.leaves[op.domain]!.set(p, { pa: op.pa + (p - op.iova), perm: op.perm });
      // Directory entries of span <= page inside the range are replaced.
      for (const [span, bases] of this.dirs[op.domain]!) {
        if (span > op.page) continue;
        for (const base of [...bases.keys()]) if (base >= op.iova && base < op.iova + op.size) bases.delete(base);
      }
    } else if (op.op === 'unmap') {
      for (let p = op.iova; p < op.iova + op.size; p += K4) this.leaves[op.domain]!.delete(p);
    } else if (op.op === 'protect') {
      this.dirs[op.domain]!.get(op.span)!.set(op.iova, op.perm);
    }
  }
  at(domain: number | null, page: bigint): Xlat | null {
    if (domain === null) return null;
    const leaf = this.leaves[domain]!.get(page);
    if (leaf === undefined) return null;
    let perm = leaf.perm;
    for (const span of this.spans) perm = permAnd(perm, this.dirs[domain]!.get(span)!.get(page - (page % span)) ?? 'rw');
    return perm === 'none' ? null : { pa: leaf.pa, perm };
  }
}

const slot4k = fc.integer({ min: 0, max: PAGES - 1 }).map((i) => BigInt(i) * K4);
const perm = fc.constantFrom<Perm>('r', 'w', 'rw');
/** Mostly domain 0, the one endpoint 0 and its notifier start on. */
const domain = fc.constantFrom(0, 0, 0, 1);
const endpoint = fc.integer({ min: 0, max: 1 });
const range4k = fc.tuple(slot4k, fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 600 }))).map(([iova, n]) => {
  const end = iova + BigInt(n) * K4;
  return { iova, size: (end > BigInt(PAGES) * K4 ? BigInt(PAGES) * K4 : end) - iova };
});

function opArb(mapFlags: number[]): fc.Arbitrary<Op> {
  const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
  return fc.oneof(
    w(1, fc.record({ op: fc.constant('attach' as const), endpoint, domain })),
    w(1, fc.record({ op: fc.constant('detach' as const), endpoint })),
    w(4, fc.tuple(domain, slot4k, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 255 }), perm).map(([d, iova, n, f, p]): Op =>
      ({ op: 'map', domain: d, iova, size: BigInt(Math.min(n, PAGES - Number(iova / K4))) * K4, pa: BigInt(f) * K4 + 0x100000000n, perm: p, page: K4 }))),
    w(3, fc.tuple(domain, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 7 }), perm).map(([d, i, n, f, p]): Op =>
      ({ op: 'map', domain: d, iova: BigInt(i) * M2, size: BigInt(Math.min(n, 4 - i)) * M2, pa: BigInt(f) * M2 + 0x200000000n, perm: p, page: M2 }))),
    w(2, fc.tuple(domain, range4k).map(([d, r]): Op => ({ op: 'unmap', domain: d, ...r }))),
    w(1, fc.tuple(domain, fc.integer({ min: 0, max: 3 }), fc.constantFrom<Perm>('none', 'r', 'w', 'rw')).map(([d, i, p]): Op =>
      ({ op: 'protect', domain: d, iova: BigInt(i) * M2, span: M2, perm: p }))),
    w(5, fc.tuple(domain, range4k).map(([d, r]): Op => ({ op: 'invalidate', scope: 'range', domain: d, ...r }))),
    w(1, domain.map((d): Op => ({ op: 'invalidate', scope: 'domain', domain: d }))),
    w(1, endpoint.map((e): Op => ({ op: 'invalidate', scope: 'context', endpoint: e }))),
    w(1, fc.constant<Op>({ op: 'invalidate', scope: 'global' })),
    w(1, fc.tuple(fc.integer({ min: 1, max: 3 }), endpoint, fc.constantFrom(...mapFlags), range4k).map(([id, e, flags, r]): Op =>
      ({ op: 'register', notifier: id, endpoint: e, flags, start: r.iova, end: r.iova + r.size - 1n, index: 0 }))),
    w(1, fc.integer({ min: 1, max: 3 }).map((id): Op => ({ op: 'unregister', notifier: id }))),
    w(2, fc.constantFrom(1, 2, 3, 9).map((id): Op => ({ op: 'replay', notifier: id }))),
    w(2, fc.tuple(endpoint, slot4k, fc.constantFrom<'read' | 'write'>('read', 'write')).map(([e, iova, access]): Op => ({ op: 'dma', endpoint: e, iova, access, secure: false }))),
  );
}

/** Throws, with `what`, unless `ok`: a plain test, cheap enough to run on every page. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}
const sameXlat = (a: Xlat | null, b: Xlat | null): boolean => (a === null || b === null ? a === b : a.pa === b.pa && a.perm === b.perm);
const overlap = (a: Held, lo: bigint, hi: bigint): boolean => a.iova < hi && lo < a.iova + a.size;
const same = (a: Held, b: Held): boolean => a.iova === b.iova && a.size === b.size && a.pa === b.pa && a.perm === b.perm;

/** Runs `ops` one at a time and throws at the first broken invariant. */
function judge(backend: Backend, ops: Op[]): void {
  const truth = new Truth(tableSpans(backend.info));
  const bindings: (number | null)[] = [null, null];
  const known: (number | null)[] = [null, null];
  /** No attach or detach since the endpoint's last context invalidation: its context cache is current. */
  const stable = [true, true];
  const notifiers = new Map<number, { endpoint: number; flags: number; start: bigint; end: bigint; held: Held[] }>();
  const validNow = (endpoint: number, e: Held): boolean => {
    for (let p = e.iova; p < e.iova + e.size; p += K4) {
      const t = truth.at(known[endpoint]!, p);
      if (t === null || t.perm !== e.perm || t.pa - p !== e.pa - e.iova) return false;
    }
    return true;
  };
  for (const [step, op] of ops.entries()) {
    const where = `step ${step} ${op.op}`;
    const [result] = backend.execute([op]) as Result[];
    if (!result!.ok) {
      check(op.op === 'register' || op.op === 'unregister' || op.op === 'replay', `${where}: ${result!.errno}`);
      continue;
    }
    truth.apply(op);
    if (op.op === 'attach' || op.op === 'detach') {
      bindings[op.endpoint] = op.op === 'attach' ? op.domain : null;
      stable[op.endpoint] = false;
    }
    if (op.op === 'invalidate' && op.scope === 'context') {
      known[op.endpoint] = bindings[op.endpoint]!;
      stable[op.endpoint] = true;
    }
    if (op.op === 'invalidate' && op.scope === 'global') {
      for (const e of [0, 1]) [known[e], stable[e]] = [bindings[e]!, true];
    }
    if (op.op === 'register') notifiers.set(op.notifier, { endpoint: op.endpoint, flags: op.flags, start: op.start, end: op.end, held: [] });
    if (op.op === 'unregister') notifiers.delete(op.notifier);
    for (const ev of 'events' in result! ? result.events : []) checkEvent(ev, where);
    if (op.op === 'invalidate') checkInvalidated(op, where);
  }

  function checkEvent(ev: NotifierEvent, where: string): void {
    const n = notifiers.get(ev.notifier);
    check(n !== undefined, `${where}: event for an unknown notifier`);
    const { iova, addrMask, translatedAddr, perm } = ev.entry;
    const size = addrMask + 1n;
    check((size & addrMask) === 0n && iova % size === 0n && translatedAddr % size === 0n, `${where}: form`);
    check(iova >= n!.start && iova + addrMask <= n!.end, `${where}: outside the notifier's range`);
    check((n!.flags & (ev.type === 'map' ? NOTIFIER_MAP : NOTIFIER_UNMAP)) !== 0, `${where}: unasked ${ev.type}`);
    check(ev.type === 'unmap' ? perm === 'none' : perm !== 'none', `${where}: perm`);
    if (!(n!.flags & NOTIFIER_MAP)) return;
    const e: Held = { iova, size, pa: translatedAddr, perm };
    const hit = n!.held.filter((h) => overlap(h, iova, iova + size));
    if (ev.type === 'map') {
      const resend = where.endsWith('replay') && hit.length === 1 && same(hit[0]!, e);
      check(hit.length === 0 || resend, `${where}: MAP over a held entry (NO-DUP)`);
      if (!resend) n!.held.push(e);
      return;
    }
    for (const h of hit) {
      check(h.iova >= iova && h.iova + h.size <= iova + size, `${where}: UNMAP cuts a held entry (NO-CUT)`);
      check(!(validNow(n!.endpoint, h)), `${where}: UNMAP of a valid entry (NO-LOSS)`);
    }
    n!.held = n!.held.filter((h) => !hit.includes(h));
  }

  /** A MAP notifier's shadow over [lo, hi) is the tables, page by page (SOUND and COMPLETE there). */
  function checkShadow(n: { endpoint: number; start: bigint; end: bigint; held: Held[] }, lo: bigint, hi: bigint, where: string): void {
    const byPage = new Map<bigint, Held>();
    for (const e of n.held) for (let p = e.iova; p < e.iova + e.size; p += K4) byPage.set(p, e);
    for (let p = lo > n.start ? lo : n.start; p < hi && p <= n.end; p += K4) {
      const t = truth.at(known[n.endpoint]!, p);
      const h = byPage.get(p);
      const got = h === undefined ? null : { pa: h.pa + (p - h.iova), perm: h.perm };
      if (!sameXlat(got, t)) expect(got, `${where}: shadow of page 0x${p.toString(16)}`).toEqual(t);
    }
  }

  /** translate on `endpoint` at `page` is the tables of its binding (nothing stale can be left there). */
  function checkTranslate(endpoint: number, page: bigint, where: string): void {
    const [r] = backend.execute([{ op: 'translate', endpoint, index: 0, iova: page, flag: 'none' }]) as Result[];
    const entry = r!.ok && 'entry' in r! ? r.entry : null;
    const t = truth.at(bindings[endpoint]!, page);
    const got = entry === null || entry.perm === 'none' ? null : { pa: entry.translatedAddr + (page - entry.iova), perm: entry.perm };
    if (!sameXlat(got, t)) expect(got, `${where}: translate 0x${page.toString(16)} on endpoint ${endpoint}`).toEqual(t);
  }

  /** After an invalidation, what it covers is the tables (VIOMMU-INVAL-RANGE, VIOMMU-INVAL-DOMAIN). */
  function checkInvalidated(op: Extract<Op, { op: 'invalidate' }>, where: string): void {
    const lo = op.scope === 'range' ? op.iova : 0n;
    const hi = op.scope === 'range' ? op.iova + op.size : BigInt(PAGES) * K4;
    const domain = op.scope === 'range' || op.scope === 'domain' ? op.domain : undefined;
    if (op.scope === 'context') return;
    for (const n of notifiers.values()) {
      if (n.flags & NOTIFIER_MAP && (domain === undefined || known[n.endpoint] === domain)) checkShadow(n, lo, hi, where);
    }
    for (const e of [0, 1]) {
      if (!stable[e] || (domain !== undefined && bindings[e] !== domain)) continue;
      for (const p of [lo, hi - K4, lo + ((hi - lo) / 2n / K4) * K4]) checkTranslate(e, p, where);
    }
  }
}

const property = (create: () => Backend) => {
  const flags = create().info.mapNotifiers ? [1, 3, 3] : [1];
  return fc.property(fc.array(opArb(flags), { minLength: 10, maxLength: 40 }), (ops) => {
    const watch: Op = { op: 'register', notifier: 9, endpoint: 0, flags: flags.at(-1)!, start: 0n, end: BigInt(PAGES) * K4 - 1n, index: 0 };
    judge(create(), [{ op: 'attach', endpoint: 0, domain: 0 }, { op: 'invalidate', scope: 'context', endpoint: 0 }, watch, ...ops, { op: 'invalidate', scope: 'global' }]);
  });
};

describe('random sequences keep the shadows sound and complete', () => {
  for (const b of TABLE_SIMS) {
    test(b.name, () => fc.assert(property(() => b.create({})), { seed: 7, numRuns: 300 }));
  }
});

/** The judge above is no rubber stamp: the mutants it can see fail it. */
describe('the judge catches the mutants', () => {
  const CAUGHT: Record<string, RegExp> = {
    'sim-vtd~replay-unmap-first': /NO-LOSS/,
    'sim-vtd~change-map-only': /NO-DUP/,
    'sim-vtd~no-range-crop': /outside the notifier's range/,
    'sim-vtd~split-unmap-cut': /NO-CUT/,
    'sim-vtd~perm-leaf-only': /shadow of page|translate/,
    'sim-vtd~psi-mask-short': /shadow of page|translate/,
    'sim-smmuv3~tlbi-num-off-by-one': /translate/,
  };
  for (const [name, message] of Object.entries(CAUGHT)) {
    test(name, () => {
      const m = TABLE_MUTANTS_BUNDLED.find((b) => b.name === name)!;
      const details = fc.check(property(() => m.create({})), { seed: 7, numRuns: 300, endOnFailure: true });
      expect(details.failed).toBe(true);
      expect(String(details.errorInstance)).toMatch(message);
    });
  }
});
