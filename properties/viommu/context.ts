// Bindings: endpoints attached, detached and moved between domains that translate the same
// iovas differently, probed from the moved endpoint before and after its context (or global)
// invalidation, and from every focus endpoint (VIOMMU-INVAL-CONTEXT, VIOMMU-DMA-UNATTACHED).
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, seq, type Step } from './build.ts';
import { changeSettled, syncAfter, tables } from './changes.ts';
import { probeAt, strayProbe, thenFaults } from './probes.ts';
import { domainArb, endpointArb, focusDomains, focusEndpoints, has, type Scene } from './scene.ts';
import { leafSizes, mapPerm, paArb, registerOp } from './steps.ts';
import { countArb, fitCount, posArb } from './window.ts';

/** The same iovas mapped in each focus domain to a different pa, each made visible. */
export function populate(scene: Scene, at?: bigint): Step {
  const domains = Array.from({ length: focusDomains(scene.info) }, (_, d) => d);
  const pages = at === undefined ? leafSizes(scene) : leafSizes(scene).filter((p) => at % p === 0n);
  return fc.constantFrom(...pages).chain((page) => (at === undefined ? posArb(scene.w, page) : fc.constant(at)).chain((iova) =>
    countArb(fitCount(scene.w, iova, page, 4n)).chain((count) => {
      const size = count * page;
      return fc.tuple(...domains.map(() => fc.tuple(paArb(page, size, scene.info.ram), mapPerm(scene.info)))).chain((targets) => {
        const maps = targets.map(([pa, perm], domain): Op => ({ op: 'map', domain, iova, size, pa, perm, page }));
        return seq(fc.constant(maps), ...maps.map((m, d) => syncAfter(scene, d, [m])));
      });
    })));
}

/** Probes of one window address from each focus endpoint. */
export function fromEveryEndpoint(scene: Scene, at?: bigint): Step {
  const endpoints = Array.from({ length: focusEndpoints(scene.info) }, (_, e) => e);
  return (at === undefined ? posArb(scene.w, scene.w.granule) : fc.constant(at))
    .chain((p) => thenFaults(scene, fc.tuple(...endpoints.map((e) => probeAt(scene, p, fc.constant(e)))).map((ps) => ps.flat())));
}

/**
 * An endpoint attached elsewhere or detached, probed while its old binding may still be
 * cached, then (page tables) after its context invalidation, a global one, or none yet.
 */
export function move(scene: Scene, at?: bigint): Step {
  const tbl = tables(scene);
  const target = fc.oneof({ weight: 3, arbitrary: domainArb(scene) }, { weight: 1, arbitrary: fc.constant(-1) });
  const sync = fc.constantFrom<('context' | 'global' | 'none')[]>('context', 'context', 'context', 'global', 'none');
  return fc.tuple(endpointArb(scene), target, sync).chain(([endpoint, domain, how]) => {
    const rebind: Op = domain < 0 ? { op: 'detach', endpoint } : { op: 'attach', endpoint, domain };
    const inval: Op[] = !tbl || how === 'none' ? []
      : [how === 'context' ? { op: 'invalidate', scope: 'context', endpoint } : { op: 'invalidate', scope: 'global' }];
    const one = fc.constant(endpoint);
    const probes = (): Step => thenFaults(scene, fc.tuple(at === undefined ? strayProbe(scene, one) : probeAt(scene, at, one), strayProbe(scene, one))
      .map((ps) => ps.flat()));
    return seq(probes(), fc.constant([rebind]), probes(), fc.constant(inval), probes(), fromEveryEndpoint(scene, at));
  });
}

/** Notifiers on the endpoints that move: their shadows follow the binding (VIOMMU-INVAL-CONTEXT). */
function watch(scene: Scene): Step | null {
  if (!has(scene.info, 'notifiers')) return null;
  const flags = fc.constant(scene.info.mapNotifiers ? 3 : 1);
  return registerOp(scene, flags).map((op) => [op]);
}

/** Domains that differ at one iova, then an endpoint moved and probed there. */
function populateThenMove(scene: Scene): Step {
  return posArb(scene.w, scene.w.granule).chain((at) => seq(populate(scene, at), move(scene, at)));
}

export function contextStep(scene: Scene): Step {
  return pick([
    [3, move(scene)],
    [3, populateThenMove(scene)],
    [1, populate(scene)],
    [2, changeSettled(scene)],
    [1, watch(scene)],
    [1, has(scene.info, 'notifiers') ? fc.integer({ min: 0, max: 5 }).map((notifier): Op[] => [{ op: 'replay', notifier }]) : null],
    [1, fromEveryEndpoint(scene)],
  ]);
}
