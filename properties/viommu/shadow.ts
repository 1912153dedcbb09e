// Shadows: notifiers registered over the whole space and over sub-ranges whose edges fall
// inside large leaves and mappings, several per endpoint, replayed, then the translations
// under them changed in every way a guest does: new and re-used targets, permissions changed
// in place, unmap and remap, a large leaf split and merged back, partial invalidations,
// replays between a change and its invalidation (VIOMMU-SHADOW-*, VIOMMU-REPLAY-*,
// VIOMMU-EVENT-*, VIOMMU-VFIO-HOST). A backend that vetoes MAP notifiers gets UNMAP-only ones
// instead, which still must cover every removal (VIOMMU-SHADOW-UNMAP-COVER).
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, seq, type Step } from './build.ts';
import { changeOp, changeSettled, retarget, settle, splitMerge, tables } from './changes.ts';
import { probesAfter } from './probes.ts';
import { domainArb, has, type Scene } from './scene.ts';
import { invalidateOp, registerOp, replayOp, unregisterOp } from './steps.ts';
import { mapBesideRef, rebind, unmapRef } from './virtio.ts';
import { staleChange } from './walk.ts';

const one = (a: fc.Arbitrary<Op>): Step => a.map((op) => [op]);

/** The flags a consumer asks for: MAP|UNMAP where the IOMMU serves them, UNMAP-only otherwise. */
export const shadowFlags = (scene: Scene): number => (scene.info.mapNotifiers ? 3 : 1);

/** A few notifiers, then a replay of each: the consumer's start (REPLAY-ALL, REG-QUIET). */
export function watchers(scene: Scene, flags: number): Step {
  return fc.array(registerOp(scene, fc.constant(flags)), { minLength: 1, maxLength: 3 }).map((regs): Op[] => [
    ...regs, ...regs.map((r): Op => ({ op: 'replay', notifier: r.notifier }))]);
}

/** A change, a replay before the invalidation that publishes it, then that invalidation. */
function replayMidway(scene: Scene): Step | null {
  if (!tables(scene)) return null;
  return fc.tuple(domainArb(scene), replayOp).chain(([domain, replay]) => changeOp(scene, domain).chain((change) =>
    seq(fc.constant([change, replay]), settle(scene, domain, [change]))));
}

/** An invalidation of any scope and range, then probes of it. */
function looseInvalidation(scene: Scene): Step | null {
  if (!tables(scene)) return null;
  return domainArb(scene).chain((d) => invalidateOp(scene, d).chain((inv) => seq(fc.constant([inv]), probesAfter(scene, [inv]))));
}

/** The steps the shadow properties share: changes of every kind under registered notifiers. */
export function mutations(scene: Scene): [number, Step | null][] {
  const virtio = scene.info.profile === 'virtio-iommu';
  return [
    [4, changeSettled(scene)],
    [3, retarget(scene)],
    [2, splitMerge(scene)],
    [2, tables(scene) ? staleChange(scene) : null],
    [1, looseInvalidation(scene)],
    [2, virtio ? unmapRef(scene) : null],
    [1, virtio ? mapBesideRef(scene) : null],
    [1, has(scene.info, 'domains') && virtio ? rebind(scene) : null],
  ];
}

export function shadowStep(scene: Scene): Step {
  const flags = fc.constant(shadowFlags(scene));
  return pick([
    ...mutations(scene),
    [3, one(registerOp(scene, flags))],
    [2, one(replayOp)],
    [1, replayMidway(scene)],
    [1, one(unregisterOp)],
  ]);
}

export function unmapNotifierStep(scene: Scene): Step {
  return pick([
    ...mutations(scene),
    [2, one(registerOp(scene, fc.constant(1)))],
    [1, one(unregisterOp)],
    [1, one(replayOp)],
  ]);
}
