// One valid operation of each kind, inside the scene's window.
//
// Everything is derived from the declaration: leaf sizes from `pageSizes`, directory spans from
// `tableSpans`, sizes clamped to the top of the space, endpoints, domains and indexes below
// their counts. A map writes at most eight leaves (sixteen granules on a virtio-iommu), with a
// `pa` that is new most of the time, so that a stale translation is told from a fresh one, and
// an old one sometimes (same target, another permission).
import fc from 'fast-check';
import { permExpressible, tableSpans, type BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op, Perm } from '../../spec/viommu/ops.ts';
import { U64_MAX } from '../../spec/u64.ts';
import { domainArb, endpointArb, endpointSeeing, type Scene } from './scene.ts';
import type { Span } from './probes.ts';
import { alignDown, countArb, fitCount, isTables, maxB, minB, posArb } from './window.ts';

type Arb<T> = fc.Arbitrary<T>;
/** The operation of one kind. */
export type OpOf<K extends Op['op']> = Extract<Op, { op: K }>;

/** A map's permission, among those the tables can carry (BackendInfo.perms). */
export const mapPerm = (info: BackendInfo): Arb<Perm> => fc.constantFrom<Perm>(...(['rw', 'rw', 'r', 'w'] as Perm[]).filter((p) => permExpressible(info, p)));
/** A directory's permission, likewise. */
export const anyPerm = (info: BackendInfo): Arb<Perm> => fc.constantFrom<Perm>(...(['none', 'r', 'w', 'rw'] as Perm[]).filter((p) => permExpressible(info, p)));

/** Notifier ids are a handful of small integers, so ids are re-used after unregister. */
export const NOTIFIER_ID: Arb<number> = fc.integer({ min: 0, max: 5 });

/** The leaf sizes a map may write: every declared page size (one granule off page tables). */
/** The leaf sizes a case maps: the declared ones that fit, aligned, eight times in the declared RAM. */
export const leafSizes = (scene: Scene): bigint[] => {
  const sizes = isTables(scene.info) ? scene.info.pageSizes : [scene.w.granule];
  const { ram } = scene.info;
  const fits = sizes.filter((s) => !ram || alignUp(ram.start, s) + 8n * s <= ram.start + ram.size);
  return fits.length > 0 ? fits : sizes.slice(0, 1);
};
const alignUp = (v: bigint, a: bigint): bigint => alignDown(v + a - 1n, a);
const largest = (scene: Scene): bigint => leafSizes(scene)[leafSizes(scene).length - 1]!;

/**
 * A target for `size` bytes of `page` leaves, inside the declared RAM when there is one:
 * mostly fresh, sometimes one of three shared ones.
 */
export function paArb(page: bigint, size: bigint, ram?: BackendInfo['ram']): Arb<bigint> {
  const lo = ram ? alignUp(ram.start, page) : 0n;
  const hi = ram ? ram.start + ram.size : U64_MAX + 1n;
  if (lo + size > hi) return fc.constant(lo);
  const maxN = (hi - size - lo) / page;
  const shared = [lo, 1n << 32n, 1n << 33n, 3n << 32n].map((v) => alignDown(v, page)).filter((v) => v >= lo && v + size <= hi);
  const fresh = fc.bigInt({ min: 0n, max: maxN }).map((n) => lo + n * page);
  return shared.length === 0 ? fresh : fc.oneof({ weight: 4, arbitrary: fresh }, { weight: 1, arbitrary: fc.constantFrom(...shared) });
}

/** A map of a few leaves of one declared size at an edge of the window. */
export function mapOp(scene: Scene, options: { domain?: number } = {}): Arb<OpOf<'map'>> {
  const { w } = scene;
  const cap = isTables(scene.info) ? 8n : 16n;
  const domain = options.domain !== undefined ? fc.constant(options.domain) : domainArb(scene);
  return fc.tuple(fc.constantFrom(...leafSizes(scene)), domain).chain(([page, d]) =>
    posArb(w, page).chain((iova) => countArb(fitCount(w, iova, page, cap)).chain((count) =>
      fc.tuple(paArb(page, count * page, scene.info.ram), mapPerm(scene.info)).map(([pa, perm]): OpOf<'map'> =>
        ({ op: 'map', domain: d, iova, size: count * page, pa, perm, page })))));
}

/**
 * An unmap at a granule edge, sized in granules or in leaves, sometimes one granule short or
 * long: it cuts large leaves, takes whole ones, or stops one page before a boundary.
 */
export function unmapOp(scene: Scene, options: { domain?: number } = {}): Arb<OpOf<'unmap'>> {
  const { w } = scene;
  const g = w.granule;
  const domain = options.domain !== undefined ? fc.constant(options.domain) : domainArb(scene);
  return fc.tuple(domain, posArb(w, g), fc.constantFrom(...leafSizes(scene)), fc.constantFrom(-1n, 0n, 0n, 1n))
    .chain(([d, iova, unit, delta]) => countArb(fitCount(w, iova, unit, isTables(scene.info) ? 4n : 16n)).map((count): OpOf<'unmap'> => {
      const size = clampSize(w.top, iova, maxB(g, count * unit + delta * g));
      return { op: 'unmap', domain: d, iova, size };
    }));
}

const clampSize = (top: bigint, iova: bigint, size: bigint): bigint => minB(size, top - iova);

/** The permission of one directory entry: a 2 MiB table, a 1 GiB directory, ... */
export function protectOp(scene: Scene, options: { domain?: number } = {}): Arb<Op> | null {
  const spans = tableSpans(scene.info);
  if (spans.length === 0) return null;
  const domain = options.domain !== undefined ? fc.constant(options.domain) : domainArb(scene);
  return fc.tuple(domain, fc.constantFrom(...spans), anyPerm(scene.info)).chain(([d, span, perm]) =>
    posArb(scene.w, span).map((iova): Op => ({ op: 'protect', domain: d, iova, span, perm })));
}

/**
 * A range invalidation near `near`: exactly it, one granule short or long at either end,
 * shifted by a granule, or widened to the large leaves it cuts; without `near`, anywhere in
 * the window with a size that is rarely a power of two (VIOMMU-INVAL-RANGE).
 */
export function rangeInvalidateOp(scene: Scene, domain: number, near?: Span): Arb<Op> {
  const { w } = scene;
  const g = w.granule;
  const big = largest(scene);
  const make = (start: bigint, end: bigint): Op => {
    const s = maxB(0n, minB(alignDown(start, g), w.top - g));
    const e = minB(w.top, maxB(s + g, alignDown(end + g - 1n, g)));
    return { op: 'invalidate', scope: 'range', domain, iova: s, size: e - s };
  };
  if (near) {
    const { start, end } = near;
    return fc.constantFrom(
      make(start, end), make(start + g, end), make(start, end - g), make(start - g, end + g),
      make(start, end + g), make(start + g, end + g), make(alignDown(start, big), alignDown(end + big - 1n, big) - g),
    );
  }
  return fc.tuple(posArb(w, g), fc.constantFrom(...leafSizes(scene)), fc.constantFrom(-1n, 0n, 1n)).chain(([iova, unit, delta]) =>
    countArb(fitCount(w, iova, unit, 4n)).map((count) => make(iova, iova + count * unit + delta * g)));
}

/** An invalidation of any scope, aimed at `domain` (and `near` for ranges). */
export function invalidateOp(scene: Scene, domain: number, near?: Span): Arb<Op> {
  return fc.oneof(
    { weight: 5, arbitrary: rangeInvalidateOp(scene, domain, near) },
    { weight: 2, arbitrary: fc.constant<Op>({ op: 'invalidate', scope: 'domain', domain }) },
    { weight: 1, arbitrary: endpointSeeing(scene, domain).map((endpoint): Op => ({ op: 'invalidate', scope: 'context', endpoint })) },
    { weight: 1, arbitrary: fc.constant<Op>({ op: 'invalidate', scope: 'global' }) },
  );
}

/** An invalidation that certainly covers `span` of `domain`: what brings it up to date. */
export function coveringInvalidateOp(scene: Scene, domain: number, span: Span): Arb<Op> {
  const g = scene.w.granule;
  const s = alignDown(span.start, g);
  const e = minB(scene.w.top, alignDown(span.end + g - 1n, g));
  return fc.constantFrom<Op[]>(
    { op: 'invalidate', scope: 'range', domain, iova: s, size: e - s },
    { op: 'invalidate', scope: 'range', domain, iova: s, size: e - s },
    { op: 'invalidate', scope: 'domain', domain },
    { op: 'invalidate', scope: 'global' },
  );
}

export function attachOp(scene: Scene): Arb<OpOf<'attach'>> {
  return fc.tuple(endpointArb(scene), domainArb(scene)).map(([endpoint, domain]): OpOf<'attach'> => ({ op: 'attach', endpoint, domain }));
}

export function detachOp(scene: Scene): Arb<OpOf<'detach'>> {
  return endpointArb(scene).map((endpoint): OpOf<'detach'> => ({ op: 'detach', endpoint }));
}

/**
 * A notifier range: the whole space, the window, or a sub-range whose edges are granule
 * edges, often inside large leaves and mappings (VIOMMU-EVENT-RANGE, VIOMMU-SHADOW-NO-CUT).
 */
export function notifierRangeArb(scene: Scene): Arb<{ start: bigint; end: bigint }> {
  const { w } = scene;
  const g = w.granule;
  const sub = fc.tuple(posArb(w, g), fc.constantFrom(g, ...w.levels)).chain(([start, unit]) =>
    countArb(fitCount(w, start, unit, 5n)).map((count) => ({ start, end: minB(w.top, start + count * unit) - 1n })));
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ start: 0n, end: w.top - 1n }) },
    { weight: 2, arbitrary: fc.constant({ start: w.base, end: w.base + w.size - 1n }) },
    { weight: 4, arbitrary: sub },
  );
}

/** A register with `flags` on a focus endpoint, an index and a notifier range. */
export function registerOp(scene: Scene, flags: Arb<number>, options: { endpoint?: Arb<number>; index?: Arb<number> } = {}): Arb<OpOf<'register'>> {
  const index = options.index ?? fc.integer({ min: 0, max: scene.info.indexes - 1 });
  return fc.tuple(NOTIFIER_ID, options.endpoint ?? endpointArb(scene), flags, notifierRangeArb(scene), index)
    .map(([notifier, endpoint, f, { start, end }, i]): OpOf<'register'> => ({ op: 'register', notifier, endpoint, flags: f, start, end, index: i }));
}

export const unregisterOp: Arb<Op> = NOTIFIER_ID.map((notifier): Op => ({ op: 'unregister', notifier }));
export const replayOp: Arb<Op> = NOTIFIER_ID.map((notifier): Op => ({ op: 'replay', notifier }));

/** A LUT write of one block or a short run, at an edge of the window. */
export function gateOp(scene: Scene): Arb<OpOf<'gate'>> {
  const { w } = scene;
  return fc.tuple(posArb(w, w.granule), fc.boolean()).chain(([iova, ns]) =>
    countArb(fitCount(w, iova, w.granule, 6n)).map((count): OpOf<'gate'> => ({ op: 'gate', iova, size: count * w.granule, ns })));
}
