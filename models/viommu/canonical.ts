// The model's own answer to an operation that notifies: one conforming list of events, shown
// in reports as what was expected and followed when a backend's answer is not observed. It
// notifies as intel-iommu's page walk does: an UNMAP of every shadowed entry no longer
// exact, then a MAP of every leaf not held, split into naturally aligned chunks.
import type { NotifierEvent, TlbEntry } from '../../spec/viommu/ops.ts';
import type { Duty } from './events.ts';
import type { Notifier, Sight } from './notifier.ts';
import { RangeMap } from './ranges.ts';
import { cutAt } from './space.ts';
import { alignedChunks, leafOf, sameXlat, type Xlat } from './xlat.ts';

const unmapEntry = (iova: bigint, end: bigint): TlbEntry => ({ iova, translatedAddr: 0n, addrMask: end - iova - 1n, perm: 'none', target: 'memory' });

export function canonicalEvents(n: Notifier, sight: Sight, duty: Duty, replay: boolean): NotifierEvent[] {
  const events: NotifierEvent[] = [];
  if (n.unmapOnly) {
    for (const [s0, e0] of duty.owed) {
      const r = n.clip(s0, e0);
      if (r) for (const [s, e] of alignedChunks(r[0], r[1])) events.push({ notifier: n.id, type: 'unmap', entry: unmapEntry(s, e) });
    }
    return events;
  }
  if (!n.shadowing) return events;
  const ranges = replay ? [[n.start, n.end] as [bigint, bigint]] : duty.touched;
  const removed = new RangeMap<true>((v) => v);
  for (const [s0, e0] of ranges) {
    const r = n.clip(s0, e0);
    if (!r) continue;
    // Widen to the shadowed entries the range cuts: they go whole (VIOMMU-SHADOW-NO-CUT).
    const first = n.shadow.pieces(r[0], r[0] + 1n)[0];
    const last = n.shadow.pieces(r[1] - 1n, r[1])[0];
    const s = first ? leafOf(first.value, r[0])[0] : r[0];
    const e = last ? leafOf(last.value, r[1] - 1n)[1] : r[1];
    for (const p of n.shadow.pieces(s, e)) {
      if (exact(n, p.start, p.end, p.value, sight)) continue;
      for (const [es, ee] of entries(p.start, p.end, p.value)) {
        events.push({ notifier: n.id, type: 'unmap', entry: unmapEntry(es, ee) });
        removed.set(es, ee, true);
      }
    }
    for (const seg of cutAt(s, e, [sight.bound?.current.pieces(s, e) ?? [], n.shadow.pieces(s, e)])) {
      const v = sight.bound?.current.at(seg.start)?.value;
      // A leaf with no permission left is no translation to a consumer (translate says NONE).
      if (!v || v.perm === 'none') continue;
      const kept = n.shadow.at(seg.start)?.value;
      if (kept && !removed.at(seg.start) && exact(n, seg.start, seg.end, kept, sight)) continue;
      for (const [ls, le] of leafParts(seg.start, seg.end, v)) {
        for (const [cs, ce] of alignedChunks(ls, le)) {
          const pa = v.pa + (cs - seg.start);
          events.push({ notifier: n.id, type: 'map', entry: { iova: cs, translatedAddr: pa, addrMask: ce - cs - 1n, perm: n.view(v).perm, target: v.target } });
        }
      }
    }
  }
  return events;
}

/** Whether the shadow's [s, e) translates exactly as the endpoint's current tables. */
function exact(n: Notifier, s: bigint, e: bigint, held: Xlat, sight: Sight): boolean {
  const cur = sight.bound?.current;
  if (!cur) return false;
  let at = s;
  for (const p of cur.pieces(s, e)) {
    if (p.start !== at || !sameXlat({ ...held, pa: held.pa + (p.start - s) }, n.view(p.value))) return false;
    at = p.end;
  }
  return at === e;
}


/** The entries of a shadow piece: itself, or its unit-sized blocks. */
function entries(s: bigint, e: bigint, v: Xlat): [bigint, bigint][] {
  if (v.unit === 0n) return [[v.lo, v.hi]];
  const out: [bigint, bigint][] = [];
  for (let a = s - (s % v.unit); a < e; a += v.unit) out.push([a, a + v.unit]);
  return out;
}

/** [s, e) cut at the leaf boundaries of `v`. */
function leafParts(s: bigint, e: bigint, v: Xlat): [bigint, bigint][] {
  if (v.unit === 0n) return [[s, e]];
  const out: [bigint, bigint][] = [];
  for (let a = s; a < e;) {
    const next = a - (a % v.unit) + v.unit;
    const end = next < e ? next : e;
    out.push([a, end]);
    a = end;
  }
  return out;
}
