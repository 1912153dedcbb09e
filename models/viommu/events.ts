// Judging the events an operation delivered, one notifier at a time and in delivery order,
// against semantics.md §e.8: well-formed (I4), inside the range, of a registered type, no
// duplicate MAP (I5), no cut (I6), no loss (I3); then, over every range the operation
// touched, sound (I1) and complete (I2) shadows and covered UNMAP-only notifiers.
import { hex } from '../../spec/u64.ts';
import { NOTIFIER_DEVIOTLB, NOTIFIER_MAP, NOTIFIER_UNMAP, type NotifierEvent } from '../../spec/viommu/ops.ts';
import type { Notifier, Sight } from './notifier.ts';
import { cutAt } from './space.ts';
import { hostable } from './vfio.ts';
import { isPow2, leafOf, sameXlat, within, type Xlat } from './xlat.ts';

export type Broken = { rule: string; why: string; alsoBroken?: string[] };

/** What the operation made the model expect of one notifier. */
export interface Duty {
  /** Ranges brought up to date: the shadow is judged there afterwards. */
  touched: [bigint, bigint][];
  /** Ranges an UNMAP-only notifier must be told about. */
  owed: [bigint, bigint][];
}

/** The rule a completeness failure names, by what the operation was. */
export type Context = {
  replay: boolean;
  completeRule: string;
  /** VIOMMU-SHADOW-NO-LOSS's variant: a vtd global invalidation may UNMAP valid entries it MAPs again. */
  remapAll?: boolean;
  /**
   * A virtio-iommu endpoint attached again to the domain it is in: it leaves first
   * (virtio_iommu_attach), so UNMAPs of its valid mappings are allowed (VIOMMU-SHADOW-NO-LOSS's variant).
   */
  rejoin?: boolean;
};

const range = (a: bigint, b: bigint) => `[${hex(a)}, ${hex(b)})`;

function formBroken(n: Notifier, ev: NotifierEvent): Broken | null {
  const { entry } = ev;
  const size = entry.addrMask + 1n;
  const aligned = isPow2(size) && entry.iova % size === 0n;
  if (!aligned && !clippedAtEdge(n, entry.iova, entry.iova + size)) {
    return { rule: 'VIOMMU-EVENT-FORM', why: `notifier ${n.id}: ${ev.type} at ${hex(entry.iova)} with addr_mask ${hex(entry.addrMask)} is not a naturally aligned power of two, nor one cut at the notifier's edge` };
  }
  if (ev.type === 'unmap' && entry.perm !== 'none') return { rule: 'VIOMMU-EVENT-FORM', why: `notifier ${n.id}: UNMAP at ${hex(entry.iova)} carries perm ${entry.perm}, not NONE` };
  if (ev.type === 'map' && entry.perm === 'none') return { rule: 'VIOMMU-EVENT-FORM', why: `notifier ${n.id}: MAP at ${hex(entry.iova)} carries perm NONE` };
  if (entry.iova < n.start || entry.iova + size > n.end) return { rule: 'VIOMMU-EVENT-RANGE', why: `notifier ${n.id} covers ${range(n.start, n.end)} but got ${ev.type} ${range(entry.iova, entry.iova + size)}` };
  const bit = ev.type === 'map' ? NOTIFIER_MAP : ev.type === 'unmap' ? NOTIFIER_UNMAP : NOTIFIER_DEVIOTLB;
  if (!(n.flags & bit)) return { rule: 'VIOMMU-EVENT-FLAGS', why: `notifier ${n.id} did not register for ${ev.type} events` };
  if (ev.type === 'deviotlb') return { rule: 'VIOMMU-EVENT-FLAGS', why: `notifier ${n.id}: no operation here invalidates a device IOTLB` };
  return null;
}

/**
 * VIOMMU-EVENT-FORM's variant: system/memory.c: memory_region_notify_iommu_one (QEMU 11.1) crops
 * every event to the notifier's [start, end], so a naturally aligned power of two reaching past
 * a notifier's edge arrives as its part inside. [s, e) is such a part when the smallest aligned
 * block holding it, cropped to the notifier, is exactly [s, e) (a larger block crops to more).
 */
function clippedAtEdge(n: Notifier, s: bigint, e: bigint): boolean {
  let size = 1n;
  while (s / size !== (e - 1n) / size) size <<= 1n;
  const blockStart = s - (s % size);
  const blockEnd = blockStart + size;
  return (blockStart < n.start ? n.start : blockStart) === s && (blockEnd > n.end ? n.end : blockEnd) === e;
}

/** Whether `v`, a value at `a`, is one the notifier's translations may have (I1). */
function allowed(n: Notifier, sight: Sight, a: bigint, v: Xlat): boolean {
  return sight.spaces.some((s) => s.candidates(a).some((c) => c !== null && within(v, n.view(c))));
}

function unsound(n: Notifier, sight: Sight, a: bigint, v: Xlat, what: 'was sent a MAP' | 'holds'): Broken {
  // A MAP of the other index's translation was misdelivered; a shadow still holding it after a
  // LUT change is only stale (the MPC's two indexes always translate each block differently).
  const other = what === 'was sent a MAP' ? sight.other?.current.at(a)?.value : undefined;
  if (other && within(v, other)) return { rule: 'VIOMMU-EVENT-INDEX', why: `notifier ${n.id} (index ${n.index}) ${what} at ${hex(a)} the other index's translation (${v.target})` };
  return { rule: 'VIOMMU-SHADOW-SOUND', why: `notifier ${n.id} ${what} at ${hex(a)} -> ${hex(v.pa)} ${v.perm} ${v.target}, which the guest does not allow` };
}

/** Applies one event to the notifier's shadow, or says what it breaks. */
export function deliver(n: Notifier, sight: Sight, ev: NotifierEvent, ctx: Context, unmapped: [bigint, bigint][]): Broken | null {
  const broken = formBroken(n, ev);
  if (broken) return broken;
  const start = ev.entry.iova;
  const end = start + ev.entry.addrMask + 1n;
  if (ev.type === 'unmap') unmapped.push([start, end]);
  if (!n.shadowing) return null;
  if (ev.type === 'unmap') return unmap(n, sight, ev, start, end, ctx);
  const v: Xlat = { pa: ev.entry.translatedAddr, perm: ev.entry.perm, own: ev.entry.perm, target: ev.entry.target, unit: 0n, lo: start, hi: end, gen: -1 };
  for (const seg of cutAt(start, end, sight.spaces.flatMap((s) => [s.current.pieces(start, end), s.history.pieces(start, end)]))) {
    const at = { ...v, pa: v.pa + (seg.start - start) };
    if (!allowed(n, sight, seg.start, at)) return unsound(n, sight, seg.start, at, 'was sent a MAP');
  }
  const held = n.shadow.pieces(start, end);
  if (held.length > 0) {
    const [hs, he] = leafOf(held[0]!.value, start);
    const same = held.length === 1 && held[0]!.start === start && held[0]!.end === end && hs === start && he === end && sameXlat(held[0]!.value, v);
    if (ctx.replay && same) return null;
    return hostStale(n, ev, {
      rule: ctx.replay ? 'VIOMMU-REPLAY-ALL' : 'VIOMMU-SHADOW-NO-DUP',
      why: `notifier ${n.id} was sent a MAP of ${range(start, end)} over ${range(held[0]!.start, held[0]!.end)} it already holds${same ? '' : ' with another translation'}, with no UNMAP first`,
    });
  }
  // A MAP is one leaf (page-table entry, virtio-iommu mapping, MPC block) or an aligned part of
  // one: an entry spanning several could never be taken back without a cut or a loss.
  const inOneLeaf = sight.spaces.some((s) => s.candidates(start).some((c) => {
    if (c === null || !within(v, n.view(c))) return false;
    const [ls, le] = leafOf(c, start);
    return ls <= start && end <= le;
  }));
  if (!inOneLeaf) return { rule: 'VIOMMU-EVENT-FORM', why: `notifier ${n.id} was sent a MAP of ${range(start, end)}, which spans more than one leaf` };
  const now = sight.bound?.current.at(start)?.value;
  n.shadow.set(start, end, { ...v, gen: now && sameXlat(n.view(now), v) ? now.gen : -1 });
  if (n.vfio && hosted(v, start, end)) n.memoryBytes += end - start;
  n.vfio?.feed(ev);
  return null;
}

/** The same violation, seen from the type1 container VFIO drives: what it answers and leaves. */
function hostStale(n: Notifier, ev: NotifierEvent, broken: Broken): Broken {
  const host = n.vfio?.feed(ev);
  if (!host?.errno) return broken;
  return {
    ...broken,
    why: `${broken.why}; VFIO's ${host.call} fails with ${host.errno}, which it only logs, so the host IOMMU keeps the old entry: a stale mapping`,
    alsoBroken: ['VIOMMU-VFIO-HOST'],
  };
}

function unmap(n: Notifier, sight: Sight, ev: NotifierEvent, start: bigint, end: bigint, ctx: Context): Broken | null {
  for (const p of n.shadow.pieces(start, end)) {
    for (const edge of [p.start, p.end - 1n]) {
      const [s, e] = leafOf(n.shadow.at(edge)!.value, edge);
      if (s < start || e > end) return hostStale(n, ev, { rule: 'VIOMMU-SHADOW-NO-CUT', why: `notifier ${n.id} was sent an UNMAP of ${range(start, end)} that cuts its entry ${range(s, e)}` });
    }
    // I3: an entry whose leaf is untouched since it was shadowed must stay.
    const space = sight.settled;
    if (ctx.rejoin || ctx.remapAll || !space || !space.settled(p.start, p.end)) continue;
    for (const cur of space.current.pieces(p.start, p.end)) {
      const held = n.shadow.at(cur.start)!.value;
      if (held.gen === cur.value.gen && sameXlat(held, n.view(cur.value))) {
        return {
          rule: ctx.replay ? 'VIOMMU-REPLAY-NO-UNMAP' : 'VIOMMU-SHADOW-NO-LOSS',
          why: `notifier ${n.id} was sent an UNMAP of ${range(start, end)}, removing ${hex(cur.start)} whose translation is valid and unchanged`,
        };
      }
    }
  }
  if (n.vfio) for (const p of n.shadow.pieces(start, end)) if (hosted(p.value, p.start, p.end)) n.memoryBytes -= p.end - p.start;
  n.shadow.set(start, end, undefined);
  n.vfio?.feed(ev);
  return null;
}

/** The end-of-operation checks of one notifier over the ranges its duty and its events touched. */
export function settle(n: Notifier, sight: Sight, duty: Duty, unmapped: [bigint, bigint][], mapped: [bigint, bigint][], ctx: Context): Broken | null {
  if (n.unmapOnly) {
    for (const [s0, e0] of duty.owed) {
      const r = n.clip(s0, e0);
      if (!r) continue;
      const missed = uncovered(r[0], r[1], unmapped);
      if (missed) return { rule: 'VIOMMU-SHADOW-UNMAP-COVER', why: `notifier ${n.id} (UNMAP only) was not told that ${range(missed[0], missed[1])} changed` };
    }
    return null;
  }
  if (!n.shadowing) return null;
  for (const [s0, e0] of joined([...duty.touched, ...unmapped, ...mapped])) {
    const r = n.clip(s0, e0);
    if (!r) continue;
    const [s, e] = r;
    const lists = sight.spaces.flatMap((sp) => [sp.current.pieces(s, e), sp.history.pieces(s, e)]);
    for (const seg of cutAt(s, e, [...lists, n.shadow.pieces(s, e)])) {
      const held = n.shadow.at(seg.start)?.value;
      if (held && !allowed(n, sight, seg.start, held)) return unsound(n, sight, seg.start, held, 'holds');
      const space = sight.settled;
      if (!held && n.replayed && space && space.settled(seg.start, seg.end)) {
        const now = space.current.at(seg.start)?.value;
        if (now && now.perm !== 'none') return { rule: ctx.completeRule, why: `notifier ${n.id} lacks ${range(seg.start, seg.end)} -> ${hex(now.pa)} ${now.perm}, which the guest made visible` };
      }
      if (held && n.replayed && space && space.settled(seg.start, seg.end)) {
        const now = space.current.at(seg.start)?.value;
        if (now && !sameXlat(held, n.view(now))) return { rule: ctx.completeRule, why: `notifier ${n.id} holds ${hex(seg.start)} -> ${hex(held.pa)} ${held.perm} where the guest made ${hex(now.pa)} ${now.perm} visible` };
      }
    }
    const host = n.vfio && hostDiffers(n, s, e);
    if (host) return { rule: 'VIOMMU-VFIO-HOST', why: host };
  }
  if (n.vfio && n.vfio.lockedVm() * PAGE !== n.memoryBytes) {
    return { rule: 'VIOMMU-VFIO-HOST', why: `the container behind notifier ${n.id} has locked_vm ${n.vfio.lockedVm()} pages for ${hex(n.memoryBytes)} bytes of shadowed RAM` };
  }
  return null;
}

const PAGE = 0x1000n;

/** Whether VFIO maps the shadow entry holding [start, end): guest RAM, not another target (I8). */
function hosted(v: Xlat, start: bigint, end: bigint): boolean {
  const entryPa = v.pa - (start - v.lo);
  return v.target === 'memory' && hostable(entryPa, v.hi - v.lo) && end > start;
}

/** Where the container VFIO drives differs from the notifier's shadow in [s, e), or null. */
function hostDiffers(n: Notifier, s: bigint, e: bigint): string | null {
  const host = n.vfio!.mappings(s, e);
  const shadow = n.shadow.pieces(s, e).filter((p) => hosted(p.value, p.start, p.end)).map((p) => ({ iova: p.value.lo, size: p.value.hi - p.value.lo }));
  const key = (m: { iova: bigint; size: bigint }) => `${hex(m.iova)}+${hex(m.size)}`;
  const a = host.map(key).join(' ');
  const b = [...new Set(shadow.map(key))].join(' ');
  return a === b ? null : `the host IOMMU behind notifier ${n.id} holds [${a}] where the shadow holds [${b}]`;
}

/** The ranges sorted, overlapping and adjacent ones joined. */
export function joined(ranges: readonly [bigint, bigint][]): [bigint, bigint][] {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = e > last[1] ? e : last[1];
    else out.push([s, e]);
  }
  return out;
}

/** The first part of [s, e) no range of `cover` contains, or null. */
function uncovered(s: bigint, e: bigint, cover: [bigint, bigint][]): [bigint, bigint] | null {
  let at = s;
  for (const [cs, ce] of joined(cover)) {
    if (cs > at) break;
    if (ce > at) at = ce;
    if (at >= e) return null;
  }
  return at < e ? [at, e] : null;
}
