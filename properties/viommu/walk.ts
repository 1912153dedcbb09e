// The walk and its caches: what translate and DMA return after page-table writes, and what
// they may still return before the invalidation that covers them.
import fc from 'fast-check';
import { tableSpans } from '../../spec/viommu/backend.ts';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, seq, type Step } from './build.ts';
import { changeOp, changeSettled, retarget, settle, settled, splitMerge, tables } from './changes.ts';
import { probesAfter, spanOf, strayProbe } from './probes.ts';
import { domainArb, endpointSeeing, has, type Scene } from './scene.ts';
import { anyPerm, invalidateOp, mapOp, rangeInvalidateOp } from './steps.ts';
import { posArb } from './window.ts';

/**
 * A directory entry's permission, then leaves under it: every leaf below gets at most the
 * directory's permission (VIOMMU-XLATE-PERM-AND); probed with reads and writes.
 */
export function protectedLeaves(scene: Scene): Step | null {
  const spans = tableSpans(scene.info);
  if (!tables(scene) || spans.length === 0) return null;
  return fc.tuple(domainArb(scene), fc.constantFrom(...spans), anyPerm(scene.info)).chain(([domain, span, perm]) =>
    posArb(scene.w, span).chain((iova) => {
      const protect: Op = { op: 'protect', domain, iova, span, perm };
      const leafFirst = fc.boolean();
      return fc.tuple(mapOp(scene, { domain }), leafFirst).chain(([map, first]) =>
        seq(settled(scene, domain, first ? [map, protect] : [protect, map]), readThenWrite(scene, domain, map, protect)));
    }));
}

/**
 * A read, then a write of the same byte from the same endpoint, under the directory (at the
 * leaf when it is there): the read may have cached the leaf, and the write must still be
 * refused where the directory refuses it.
 */
function readThenWrite(scene: Scene, domain: number, map: Op, protect: Op): Step {
  if (map.op !== 'map' || protect.op !== 'protect' || !has(scene.info, 'dma')) return fc.constant([]);
  const under = map.iova >= protect.iova && map.iova < protect.iova + protect.span;
  const iova = under ? map.iova : protect.iova;
  return endpointSeeing(scene, domain).map((endpoint): Op[] => [
    { op: 'dma', endpoint, iova, access: 'read', secure: false },
    { op: 'dma', endpoint, iova, access: 'write', secure: false },
  ]);
}

/** VIOMMU-XLATE-*, VIOMMU-DMA-TRANSLATE: every change is made visible, then probed. */
export function walkStep(scene: Scene): Step {
  return pick([
    [5, changeSettled(scene)],
    [2, splitMerge(scene)],
    [2, retarget(scene)],
    [2, protectedLeaves(scene)],
    [1, strayProbe(scene)],
  ]);
}

/**
 * A change probed before (so that caches hold the old translation), right after (the old one
 * may remain), after an invalidation of another scope or a range that misses it by a granule,
 * a range that is not a power of two or cuts a large leaf (VIOMMU-INVAL-RANGE), and now and
 * then after a covering one (VIOMMU-INVAL-STALE, VIOMMU-INVAL-DOMAIN).
 */
export function staleChange(scene: Scene): Step {
  return domainArb(scene).chain((domain) => changeOp(scene, domain).chain((change) => {
    const seeing = endpointSeeing(scene, domain);
    const span = spanOf(change) ?? undefined;
    const otherDomain = fc.integer({ min: 0, max: scene.info.domains - 1 });
    const inval = fc.oneof(
      { weight: 4, arbitrary: invalidateOp(scene, domain, span) },
      { weight: 1, arbitrary: otherDomain.chain((d) => rangeInvalidateOp(scene, d, span)) },
      { weight: 1, arbitrary: rangeInvalidateOp(scene, domain) },
    );
    return fc.tuple(inval, fc.boolean()).chain(([inv, thenSettle]) => seq(
      probesAfter(scene, [change], seeing),
      fc.constant([change]),
      probesAfter(scene, [change], seeing),
      fc.constant([inv]),
      probesAfter(scene, [change, inv], seeing),
      thenSettle ? settle(scene, domain, [change]) : fc.constant([]),
    ));
  }));
}

export function staleStep(scene: Scene): Step {
  return pick([
    [6, staleChange(scene)],
    [2, retarget(scene)],
    [2, splitMerge(scene)],
    [1, changeSettled(scene)],
    [1, domainArb(scene).chain((d) => invalidateOp(scene, d).chain((inv) => seq(fc.constant([inv]), probesAfter(scene, [inv]))))],
    [1, strayProbe(scene)],
  ]);
}
