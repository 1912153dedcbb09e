// Steps that change translations and look at the result: the building blocks of the
// properties, each a short sequence (change, invalidation that covers it, probes).
//
// On page tables nothing reaches the IOMMU before an invalidation, so a change is followed by
// one that covers it (a range exactly over it, its domain, or global) before the probes that
// must see the new translation; virtio-iommu and the MPC act at once and need none.
import fc from 'fast-check';
import type { Op, Perm } from '../../spec/viommu/ops.ts';
import { permExpressible } from '../../spec/viommu/backend.ts';
import { seq, type Step } from './build.ts';
import { probesAfter, probesArb, spanOf, type Span } from './probes.ts';
import { domainArb, endpointSeeing, has, type Scene } from './scene.ts';
import { coveringInvalidateOp, gateOp, leafSizes, mapOp, mapPerm, paArb, protectOp, unmapOp } from './steps.ts';
import { isTables, minB, posArb } from './window.ts';

type Arb<T> = fc.Arbitrary<T>;
const one = (a: Arb<Op>): Step => a.map((op) => [op]);

export const tables = (scene: Scene): boolean => isTables(scene.info) && has(scene.info, 'tables');

/** The invalidation that makes `ops` of `domain` visible, on page tables; nothing elsewhere. */
export function syncAfter(scene: Scene, domain: number, ops: readonly Op[]): Step {
  if (!tables(scene)) return fc.constant([]);
  const spans = ops.map(spanOf).filter((s): s is Span => s !== null);
  if (spans.length === 0) return fc.constant([]);
  const start = spans.reduce((a, s) => (s.start < a ? s.start : a), spans[0]!.start);
  const end = spans.reduce((a, s) => (s.end > a ? s.end : a), spans[0]!.end);
  return one(coveringInvalidateOp(scene, domain, { start, end }));
}

/** One change of `domain`'s translations, as the programming model has them. */
export function changeOp(scene: Scene, domain: number): Arb<Op> {
  const { info } = scene;
  if (info.profile === 'mpc') return gateOp(scene);
  const choices: { weight: number; arbitrary: Arb<Op> }[] = [
    { weight: 4, arbitrary: mapOp(scene, { domain }) },
    { weight: 2, arbitrary: unmapOp(scene, { domain }) },
  ];
  const protect = tables(scene) ? protectOp(scene, { domain }) : null;
  if (protect) choices.push({ weight: 1, arbitrary: protect });
  return fc.oneof(...choices);
}

/** The invalidation that covers `ops`, then probes of their edges from endpoints that see `domain`. */
export function settle(scene: Scene, domain: number, ops: readonly Op[]): Step {
  return seq(syncAfter(scene, domain, ops), probesAfter(scene, ops, endpointSeeing(scene, domain)));
}

/** `ops`, settled. */
export function settled(scene: Scene, domain: number, ops: readonly Op[]): Step {
  return seq(fc.constant([...ops]), settle(scene, domain, ops));
}

/** A change made visible and probed: the basic step of every property. */
export function changeSettled(scene: Scene): Step {
  if (scene.info.profile === 'mpc') return gateOp(scene).chain((op) => seq(fc.constant([op]), probesAfter(scene, [op])));
  return domainArb(scene).chain((d) => changeOp(scene, d).chain((op) => settled(scene, d, [op])));
}

/**
 * A large leaf split into smaller leaves with the same translations, then merged back
 * (VIOMMU-XLATE-LARGE, VIOMMU-SHADOW-NO-LOSS): no translation changes at any point, so nothing
 * a device or a shadow holds may go. Now and then the split changes a permission instead.
 */
export function splitMerge(scene: Scene): Step | null {
  const sizes = leafSizes(scene);
  if (!isTables(scene.info) || sizes.length < 2) return null;
  return fc.tuple(domainArb(scene), fc.integer({ min: 1, max: sizes.length - 1 })).chain(([domain, i]) => {
    const big = sizes[i]!;
    const small = sizes[i - 1]!;
    const per = big / small;
    return fc.tuple(posArb(scene.w, big), paArb(big, big, scene.info.ram), mapPerm(scene.info), fc.constantFrom(0n, 1n, per / 2n, per - 1n),
      fc.constantFrom(1n, 2n, 3n), fc.constantFrom<(Perm | null)[]>(null, null, null, ...(['r', 'w'] as Perm[]).filter((p) => permExpressible(scene.info, p)))).chain(([x, pa, perm, k, n, other]) => {
      const count = minB(n, per - k);
      const whole: Op = { op: 'map', domain, iova: x, size: big, pa, perm, page: big };
      const split: Op = { op: 'map', domain, iova: x + k * small, size: count * small, pa: pa + k * small, perm: other ?? perm, page: small };
      return seq(settled(scene, domain, [whole]), settled(scene, domain, [split]), probesArb(scene, [spanOf(whole)!]),
        settled(scene, domain, [whole]));
    });
  });
}

/**
 * One range given another translation in place: a new pa, or the same pa with another
 * permission; or unmapped and mapped again, both settled by one invalidation (on a
 * virtio-iommu the in-place MAP overlaps and fails, VIOMMU-VIRTIO-MAP). A changed translation
 * must reach a shadow as UNMAP then MAP (VIOMMU-SHADOW-NO-DUP).
 */
export function retarget(scene: Scene): Step | null {
  if (!has(scene.info, 'domains')) return null;
  return domainArb(scene).chain((domain) => mapOp(scene, { domain }).chain((first) => {
    const again = fc.tuple(paArb(first.page, first.size, scene.info.ram), mapPerm(scene.info), fc.boolean()).map(([pa, perm, samePa]): Op =>
      ({ ...first, pa: samePa ? first.pa : pa, perm }));
    const unmap: Op = { op: 'unmap', domain, iova: first.iova, size: first.size };
    return fc.tuple(again, fc.boolean()).chain(([second, viaUnmap]) =>
      seq(settled(scene, domain, [first]), settled(scene, domain, viaUnmap ? [unmap, second] : [second])));
  }));
}
