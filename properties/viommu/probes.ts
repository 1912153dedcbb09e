// Where to look after a step: DMA and translate on both sides of every edge it touched.
//
// A backend changes translations only where operations name addresses, so a stale, lost or
// misplaced translation always shows at one of a range's edges: its first and last page, the
// page before and the page after, and (for a large leaf) its middle. One probe per point, from
// an endpoint that sees the domain, of a random kind (a read, a write, secure or not; a
// translate of any index, mostly with flag none), at a random byte of the page so that linear
// translation inside large leaves is checked too (VIOMMU-XLATE-LARGE, VIOMMU-DMA-TRANSLATE).
// Cost: five probes per range, whatever its size. Where the scene reads fault records, a DMA is
// now and then read back at once, and a group of probes now and then after its last: one
// record or several, of faults of every kind the edges provoke (VIOMMU-DMA-FAULT-RECORD).
import fc from 'fast-check';
import type { Op, Perm } from '../../spec/viommu/ops.ts';
import { endpointArb, has, type Scene } from './scene.ts';
import { alignDown, posArb } from './window.ts';

/** A half-open range [start, end) a step touched. */
export interface Span { start: bigint; end: bigint }

/** The range an operation may change, read from the operation itself. */
export function spanOf(op: Op): Span | null {
  switch (op.op) {
    case 'map': case 'unmap': case 'gate': return { start: op.iova, end: op.iova + op.size };
    case 'invalidate': return op.scope === 'range' ? { start: op.iova, end: op.iova + op.size } : null;
    case 'protect': return { start: op.iova, end: op.iova + op.span };
    default: return null;
  }
}

/** The probe points of a range: granule-aligned, below the top, without repeats. */
export function edgePoints(scene: Scene, spans: readonly Span[]): bigint[] {
  const g = scene.w.granule;
  const points = new Set<bigint>();
  for (const { start, end } of spans) {
    const s = alignDown(start, g);
    const e = alignDown(end, g);
    const candidates = [s - g, s, e - g, e];
    if (e - s > 2n * g) candidates.push(alignDown(s + (e - s) / 2n, g));
    for (const p of candidates) if (p >= 0n && p < scene.w.top) points.add(p);
  }
  return [...points];
}

const FLAG: fc.Arbitrary<Perm> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Perm>('none') },
  { weight: 1, arbitrary: fc.constantFrom<Perm>('r', 'w', 'rw') },
);

/** A byte of the page at `point`: mostly its first, sometimes its last or any. */
function byteArb(scene: Scene, point: bigint): fc.Arbitrary<bigint> {
  const g = scene.w.granule;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(point) },
    { weight: 1, arbitrary: fc.constant(point + g - 1n) },
    { weight: 1, arbitrary: fc.bigInt({ min: point, max: point + g - 1n }) },
  );
}

const FAULTS: Op = { op: 'faults' };

/** `probes`, then half the time a read of the fault records, where the scene reads them. */
export function thenFaults(scene: Scene, probes: fc.Arbitrary<Op[]>): fc.Arbitrary<Op[]> {
  if (!scene.faults) return probes;
  return fc.tuple(probes, fc.boolean()).map(([ops, read]) => (read && ops.length > 0 ? [...ops, FAULTS] : ops));
}

/** One probe of the byte at `point`, from `endpoints` (or any focus endpoint). */
export function probeAt(scene: Scene, point: bigint, endpoints?: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  const { info } = scene;
  const endpoint = endpoints ?? endpointArb(scene);
  const kinds: fc.Arbitrary<Op[]>[] = [];
  if (has(info, 'dma')) {
    // A DMA's own record read back at once a quarter of the time.
    const readBack = scene.faults ? fc.integer({ min: 0, max: 3 }).map((n) => n === 0) : fc.constant(false);
    kinds.push(fc.tuple(endpoint, byteArb(scene, point), fc.constantFrom<('read' | 'write')[]>('read', 'write'), fc.boolean(), readBack)
      .map(([e, iova, access, secure, read]): Op[] => [{ op: 'dma', endpoint: e, iova, access, secure }, ...(read ? [FAULTS] : [])]));
  }
  if (has(info, 'translate')) {
    kinds.push(fc.tuple(endpoint, byteArb(scene, point), fc.integer({ min: 0, max: info.indexes - 1 }), FLAG)
      .map(([e, iova, index, flag]): Op[] => [{ op: 'translate', endpoint: e, index, iova, flag }]));
  }
  return kinds.length === 0 ? fc.constant([]) : fc.oneof(...kinds);
}

/** Probes at every edge of `spans`. */
export function probesArb(scene: Scene, spans: readonly Span[], endpoints?: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  const points = edgePoints(scene, spans);
  if (points.length === 0) return fc.constant([]);
  const all = (ps: bigint[]): fc.Arbitrary<Op[]> => thenFaults(scene, fc.tuple(...ps.map((p) => probeAt(scene, p, endpoints))).map((xs) => xs.flat()));
  if (!scene.sparse) return all(points);
  return fc.subarray(points, { minLength: 0, maxLength: 2 }).chain(all);
}

/** Probes around the range each of `ops` names. */
export function probesAfter(scene: Scene, ops: readonly Op[], endpoints?: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  return probesArb(scene, ops.map(spanOf).filter((s): s is Span => s !== null), endpoints);
}

/** A probe somewhere in the window: what no edge names may still have changed. */
export function strayProbe(scene: Scene, endpoints?: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  return posArb(scene.w, scene.w.granule).chain((p) => probeAt(scene, p, endpoints));
}
