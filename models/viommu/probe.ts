// Judging a device's DMA and a translate() against every translation the IOMMU may still use
// (VIOMMU-DMA-TRANSLATE, VIOMMU-XLATE-*, VIOMMU-INVAL-STALE): the current one, or one a
// cache may hold until the invalidation that covers the change.
import { hex } from '../../spec/u64.ts';
import { permAllows, type DmaOutcome, type Perm, type TlbEntry, type Translated } from '../../spec/viommu/ops.ts';
import type { Broken } from './events.ts';
import type { Old } from './space.ts';
import { isPow2, leafOf, type Xlat } from './xlat.ts';

/** Where the IOMMU may look `a` up: each domain the endpoint may be seen bound to, or none. */
export interface Lookup {
  /** Every value a cache or the tables may give. */
  candidates: Old[];
  /** The value the current tables give (what a conforming backend answers first). */
  current: Old;
  /** Values an invalidation ended, to name a stale answer. */
  retired: Old[];
  /** What the bindings the last context invalidation ended would give, to name a stale binding. */
  retiredBinding: Old[];
  /** The other index's current value (the MPC), to name a mistranslated attribute. */
  other: Old;
  /** What this index gave before the MPC's last reset, if no gate changed it since: to name a reset not done. */
  beforeReset: Old;
  /** virtio-iommu: the neighbouring mappings stretched by a byte over `a`, to name a lookup outside its mapping. */
  adjacent: Old[];
  /** The endpoint may be seen bound to no domain. */
  unbound: boolean;
}

export function dmaOutcome(v: Old, a: bigint, access: 'read' | 'write'): DmaOutcome {
  if (v === null) return { ok: true, outcome: 'fault' };
  if (v.target === 'blocked') return { ok: true, outcome: 'blocked' };
  return permAllows(v.perm, access) ? { ok: true, outcome: 'memory', addr: v.pa } : { ok: true, outcome: 'fault' };
}

const sameOutcome = (a: DmaOutcome, b: DmaOutcome): boolean =>
  a.outcome === b.outcome && (a.outcome !== 'memory' || (b.outcome === 'memory' && a.addr === b.addr));

const show = (d: DmaOutcome): string => (d.outcome === 'memory' ? `memory ${hex(d.addr)}` : d.outcome);

export function judgeDma(l: Lookup, a: bigint, access: 'read' | 'write', actual: DmaOutcome): Broken | null {
  const allowed = l.candidates.map((c) => dmaOutcome(c, a, access));
  if (allowed.some((o) => sameOutcome(o, actual))) return null;
  const why = `a ${access} at ${hex(a)} ${show(actual)}; the IOMMU may only give ${[...new Set(allowed.map(show))].join(' or ')}`;
  const cur = l.current;
  if (cur && actual.outcome === 'memory' && actual.addr === cur.pa && permAllows(cur.own, access) && !permAllows(cur.perm, access)) {
    return { rule: 'VIOMMU-XLATE-PERM-AND', why: `${why}: the leaf allows it but a directory above does not` };
  }
  if (l.adjacent.some((v) => sameOutcome(dmaOutcome(v, a, access), actual))) {
    return { rule: 'VIOMMU-VIRTIO-RANGE', why: `${why}: the neighbouring mapping's translation, one byte outside it` };
  }
  if (l.beforeReset !== null && sameOutcome(dmaOutcome(l.beforeReset, a, access), actual)) {
    return { rule: 'VIOMMU-MPC-RESET', why: `${why}: that is what the LUT gave before the reset` };
  }
  if (sameOutcome(dmaOutcome(l.other, a, access), actual) && l.other !== null) return { rule: 'VIOMMU-ATTR-INDEX', why: `${why}: that is the other index's translation` };
  if (cur && actual.outcome === 'memory' && insideLargeLeaf(cur, a, actual.addr)) return { rule: 'VIOMMU-XLATE-LARGE', why: `${why}: a byte of the ${hex(cur.unit)}-byte leaf, at the wrong offset` };
  if (l.retired.some((r) => sameOutcome(dmaOutcome(r, a, access), actual))) return { rule: 'VIOMMU-INVAL-STALE', why: `${why}: that translation was invalidated` };
  if (l.retiredBinding.some((r) => sameOutcome(dmaOutcome(r, a, access), actual))) return { rule: 'VIOMMU-INVAL-CONTEXT', why: `${why}: that is the domain the endpoint left, after its context invalidation` };
  if (l.unbound) return { rule: 'VIOMMU-DMA-UNATTACHED', why };
  return { rule: 'VIOMMU-DMA-TRANSLATE', why };
}

/** The entry a translate() of `a` answers from value `v` (the leaf, or the granule `g` when none). */
export function entryOf(v: Old, a: bigint, g: bigint): TlbEntry {
  if (v === null) {
    const iova = a - (a % g);
    return { iova, translatedAddr: 0n, addrMask: g - 1n, perm: 'none', target: 'memory' };
  }
  const [s, e] = leafOf(v, a);
  // A virtio-iommu mapping need not be a naturally aligned power of two, in iova or in
  // translated address: then its granule-sized page is the entry.
  const whole = isPow2(e - s) && s % (e - s) === 0n && (v.pa - (a - s)) % (e - s) === 0n;
  const [es, ee] = whole ? [s, e] : [a - (a % g), a - (a % g) + g];
  return { iova: es, translatedAddr: v.pa - (a - es), addrMask: ee - es - 1n, perm: v.perm, target: v.target };
}

function fits(entry: TlbEntry, v: Old, a: bigint, flag: Perm): boolean {
  const end = entry.iova + entry.addrMask + 1n;
  const refused = (p: Perm) => flag !== 'none' && !((flag === 'r' || flag === 'rw' ? permAllows(p, 'read') : true) && (flag === 'w' || flag === 'rw' ? permAllows(p, 'write') : true));
  if (v === null) return entry.perm === 'none';
  if (entry.perm === 'none') return v.perm === 'none' || refused(v.perm);
  if (entry.perm !== v.perm || entry.target !== v.target) return false;
  if (entry.translatedAddr + (a - entry.iova) !== v.pa) return false;
  const [s, e] = leafOf(v, a);
  return entry.iova >= s && end <= e;
}

/** Whether `reached` is in the memory of the large leaf `v` covers at `a`, but not its byte for `a`. */
function insideLargeLeaf(v: Xlat, a: bigint, reached: bigint): boolean {
  if (v.unit <= 0x1000n) return false;
  const base = v.pa - (a % v.unit);
  return reached !== v.pa && reached >= base && reached < base + v.unit;
}

export function judgeTranslate(l: Lookup, a: bigint, flag: Perm, actual: Translated): Broken | null {
  const { entry } = actual;
  const size = entry.addrMask + 1n;
  const end = entry.iova + size;
  if (!isPow2(size) || entry.iova % size !== 0n || entry.translatedAddr % size !== 0n || a < entry.iova || a >= end) {
    return { rule: 'VIOMMU-XLATE-ENTRY', why: `translate(${hex(a)}) answered [${hex(entry.iova)}, ${hex(end)}) -> ${hex(entry.translatedAddr)}: not an aligned power-of-two entry containing the address` };
  }
  if (l.candidates.some((c) => fits(entry, c, a, flag))) return null;
  const why = `translate(${hex(a)}) answered ${hex(entry.iova)}+${hex(entry.addrMask)} -> ${hex(entry.translatedAddr)} ${entry.perm} ${entry.target}`;
  const cur = l.current;
  if (cur && entry.perm === cur.own && cur.own !== cur.perm && fits(entry, { ...cur, perm: cur.own } as Xlat, a, flag)) {
    return { rule: 'VIOMMU-XLATE-PERM-AND', why: `${why}: the leaf's own permission, not ANDed with the directories above` };
  }
  if (l.beforeReset !== null && fits(entry, l.beforeReset, a, flag)) return { rule: 'VIOMMU-MPC-RESET', why: `${why}: what the LUT gave before the reset` };
  // translate() names its index: no attribute is involved, the two views are mixed up.
  if (l.other !== null && fits(entry, l.other, a, flag)) return { rule: 'VIOMMU-ATTR-SEPARATE', why: `${why}: the other index's translation` };
  if (cur && entry.perm !== 'none' && insideLargeLeaf(cur, a, entry.translatedAddr + (a - entry.iova))) {
    return { rule: 'VIOMMU-XLATE-LARGE', why: `${why}: inside the ${hex(cur.unit)}-byte leaf, at the wrong offset` };
  }
  if (l.retired.some((r) => fits(entry, r, a, flag))) return { rule: 'VIOMMU-INVAL-STALE', why: `${why}: a translation already invalidated` };
  if (l.retiredBinding.some((r) => fits(entry, r, a, flag))) return { rule: 'VIOMMU-INVAL-CONTEXT', why: `${why}: the domain the endpoint left, after its context invalidation` };
  return { rule: 'VIOMMU-XLATE-TABLES', why };
}
