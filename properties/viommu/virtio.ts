// virtio-iommu requests: MAPs that overlap, touch or land in a domain no endpoint is attached
// to; UNMAPs of a whole mapping, its head, tail or inside (S_RANGE), or around it; ATTACH,
// DETACH and moves with notifiers registered (VIOMMU-VIRTIO-MAP, -UNMAP, -ATTACH).
// Mappings are a few granules long, rarely a power of two, at any granule: their
// notifications must be split into aligned power-of-two chunks (VIOMMU-EVENT-FORM).
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, seq, type Step } from './build.ts';
import { changeSettled, retarget } from './changes.ts';
import { probesAfter, strayProbe } from './probes.ts';
import { domainArb, endpointArb, has, type Scene } from './scene.ts';
import { attachOp, detachOp, mapOp, paArb, registerOp, replayOp, unmapOp } from './steps.ts';
import type { UnmapShape, VirtioRef } from './virtio-state.ts';

const SHAPES: UnmapShape[] = ['exact', 'exact', 'head', 'tail', 'inside', 'around'];

/** An UNMAP of an existing mapping of the domain, resolved against the case's own requests. */
export function unmapRef(scene: Scene): Step {
  return fc.record({ domain: domainArb(scene), pick: fc.nat(15), shape: fc.constantFrom(...SHAPES), probe: fc.nat() })
    .map((r): VirtioRef[] => [{ ref: 'unmap', ...r }]);
}

/** A MAP right before or after an existing mapping, touching it or overlapping it by a granule. */
export function mapBesideRef(scene: Scene): Step {
  const g = scene.w.granule;
  return fc.record({
    domain: domainArb(scene), pick: fc.nat(15), side: fc.constantFrom<('before' | 'after')[]>('before', 'after'),
    overlap: fc.boolean(), granules: fc.constantFrom(1n, 2n, 3n, 5n), probe: fc.nat(),
  }).chain((r) => paArb(g, r.granules * g, scene.info.ram).map((pa): VirtioRef[] => [{ ref: 'map-beside', ...r, pa }]));
}

/** ATTACH (or a move), DETACH, probed from the endpoint at once: there is no cache. */
export function rebind(scene: Scene): Step {
  return fc.oneof({ weight: 3, arbitrary: attachOp(scene) }, { weight: 2, arbitrary: detachOp(scene) }).chain((op) => {
    const endpoint = fc.constant(op.endpoint);
    return seq(fc.constant([op]), strayProbe(scene, endpoint), strayProbe(scene, endpoint));
  });
}

/**
 * A notifier registered and replayed on an endpoint that then moves to a domain with its own
 * mappings: the move must UNMAP the old ones and MAP the new ones to it (VIOMMU-VIRTIO-ATTACH).
 */
export function watchedMove(scene: Scene): Step {
  return fc.tuple(registerOp(scene, fc.constant(3)), domainArb(scene)).map(([reg, domain]): Op[] => [
    reg, { op: 'replay', notifier: reg.notifier }, { op: 'attach', endpoint: reg.endpoint, domain },
  ]);
}

const probed = (scene: Scene, op: fc.Arbitrary<Op>): Step => op.chain((o) => seq(fc.constant([o]), probesAfter(scene, [o])));

export function virtioStep(scene: Scene): Step {
  const flags = fc.constant(scene.info.mapNotifiers ? 3 : 1);
  const notifiers = has(scene.info, 'notifiers');
  return pick([
    [4, probed(scene, mapOp(scene))],
    [3, mapBesideRef(scene)],
    [4, unmapRef(scene)],
    [1, probed(scene, unmapOp(scene))],
    [3, rebind(scene)],
    [1, retarget(scene)],
    [1, changeSettled(scene)],
    [2, notifiers ? registerOp(scene, flags).map((op) => [op]) : null],
    [1, notifiers ? replayOp.map((op) => [op]) : null],
    [2, notifiers && scene.info.mapNotifiers ? watchedMove(scene) : null],
    [1, strayProbe(scene, endpointArb(scene))],
  ]);
}
