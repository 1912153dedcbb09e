// VFIO's own notifier: the shadow property's changes with no register, unregister or replay,
// aimed at the domain of the endpoint QEMU's VFIO device sits at, which also moves between
// domains and detaches, its context invalidated or not yet (VIOMMU-SHADOW-*, VIOMMU-EVENT-*,
// VIOMMU-VFIO-HOST, VIOMMU-INVAL-CONTEXT). The notifier was registered before the case began
// (BackendInfo.vfio): every event is what VFIO was told, every shadow what it mapped. Where
// VFIO's notifiers leave a gap (intel-iommu's interrupt window), translations inside it reach
// no notifier: leaves are put across and beside its edges, where QEMU crops events.
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, seq, type Step } from './build.ts';
import { settled, tables } from './changes.ts';
import { populate } from './context.ts';
import { domainArb, type Scene } from './scene.ts';
import { mutations } from './shadow.ts';
import { leafSizes, mapPerm, paArb } from './steps.ts';
import { alignDown } from './window.ts';

/** The edges of the gaps between VFIO's notifier sections that fall inside the case's window. */
function gapEdges(scene: Scene): bigint[] {
  const sections = scene.info.vfio?.notifiers ?? [];
  const { base, size } = scene.w;
  return sections.slice(1).flatMap((n, i) => {
    const gapStart = sections[i]!.end + 1n;
    return gapStart < n.start ? [gapStart, n.start] : [];
  }).filter((e) => e > base && e < base + size);
}

/** A leaf across, ending at or starting at a gap's edge, made visible, then maybe unmapped. */
function aroundGap(scene: Scene): Step | null {
  const edges = gapEdges(scene);
  if (edges.length === 0 || !tables(scene)) return null;
  const { top } = scene.w;
  return fc.tuple(fc.constantFrom(...edges), fc.constantFrom(...leafSizes(scene)), domainArb(scene), fc.constantFrom(-1n, 0n), mapPerm(scene.info), fc.boolean())
    .chain(([edge, page, domain, shift, perm, unmapAfter]) => {
      const iova = alignDown(edge, page) + shift * page;
      if (iova < 0n || iova + page > top) return fc.constant([]);
      return paArb(page, page, scene.info.ram).chain((pa) => {
        const map: Op = { op: 'map', domain, iova, size: page, pa, perm, page };
        const unmap: Op = { op: 'unmap', domain, iova, size: page };
        return unmapAfter ? seq(settled(scene, domain, [map]), settled(scene, domain, [unmap])) : settled(scene, domain, [map]);
      });
    });
}

/** The VFIO endpoint attached elsewhere or detached, then its context or a global invalidation, or none yet. */
function moveVfio(scene: Scene): Step | null {
  const vfio = scene.info.vfio;
  if (!vfio) return null;
  const endpoint = vfio.endpoint;
  const target = fc.oneof({ weight: 4, arbitrary: domainArb(scene) }, { weight: 1, arbitrary: fc.constant(-1) });
  const sync = fc.constantFrom<('context' | 'global' | 'none')[]>('context', 'context', 'context', 'global', 'none');
  return fc.tuple(target, sync).map(([domain, how]): Op[] => {
    const rebind: Op = domain < 0 ? { op: 'detach', endpoint } : { op: 'attach', endpoint, domain };
    if (!tables(scene) || how === 'none') return [rebind];
    return [rebind, how === 'context' ? { op: 'invalidate', scope: 'context', endpoint } : { op: 'invalidate', scope: 'global' }];
  });
}

export function vfioStep(scene: Scene): Step {
  return pick([
    ...mutations(scene),
    [3, moveVfio(scene)],
    [2, populate(scene)],
    [2, aroundGap(scene)],
  ]);
}
