// VFIO's own notifier: the shadow property's changes with no register, unregister or replay,
// aimed at the domain of the endpoint QEMU's VFIO device sits at, which also moves between
// domains and detaches, its context invalidated or not yet (VIOMMU-SHADOW-*, VIOMMU-EVENT-*,
// VIOMMU-VFIO-HOST, VIOMMU-INVAL-CONTEXT). The notifier was registered before the case began
// (BackendInfo.vfio): every event is what VFIO was told, every shadow what it mapped.
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, type Step } from './build.ts';
import { tables } from './changes.ts';
import { populate } from './context.ts';
import { domainArb, type Scene } from './scene.ts';
import { mutations } from './shadow.ts';

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
  ]);
}
