// The TrustZone MPC: LUT writes of single blocks and runs, flipped and flipped back, resets,
// notifiers of both indexes over sub-ranges, replays, and probes secure and non-secure, of
// both indexes (VIOMMU-MPC-*, VIOMMU-ATTR-*, VIOMMU-EVENT-INDEX).
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, seq, type Step } from './build.ts';
import { changeSettled } from './changes.ts';
import { probesAfter, strayProbe } from './probes.ts';
import { has, type Scene } from './scene.ts';
import { gateOp, notifierRangeArb, NOTIFIER_ID, registerOp, replayOp, unregisterOp } from './steps.ts';

const one = (a: fc.Arbitrary<Op>): Step => a.map((op) => [op]);

/** A gate and its inverse over the same blocks: every block changes twice, two UNMAP+MAP pairs each. */
function flipBack(scene: Scene): Step {
  return gateOp(scene).chain((g) => {
    const back: Op = { ...g, ns: !g.ns };
    return seq(fc.constant([g]), probesAfter(scene, [g]), fc.constant([back]), probesAfter(scene, [back]));
  });
}

/** One notifier per index over the same range: each hears only of its own index. */
function bothIndexes(scene: Scene, flags: number): Step {
  return fc.tuple(NOTIFIER_ID, notifierRangeArb(scene)).map(([id, { start, end }]): Op[] => [
    { op: 'register', notifier: id, endpoint: 0, flags, start, end, index: 0 },
    { op: 'register', notifier: (id + 1) % 6, endpoint: 0, flags, start, end, index: 1 },
  ]);
}

export function mpcStep(scene: Scene): Step {
  const flags = scene.info.mapNotifiers ? 3 : 1;
  // Without notifiers (a real MPC over qtest: DMA only) their steps would be dropped whole and
  // leave the case shorter; they are left out of the choice instead.
  const notifying = (step: Step): Step | null => (has(scene.info, 'notifiers') ? step : null);
  return pick([
    [5, changeSettled(scene)],
    [2, flipBack(scene)],
    [1, fc.tuple(strayProbe(scene), strayProbe(scene)).map(([a, b]): Op[] => [{ op: 'reset' }, ...a, ...b])],
    [3, notifying(one(registerOp(scene, fc.constant(flags))))],
    [1, notifying(bothIndexes(scene, flags))],
    [2, notifying(one(replayOp))],
    [1, notifying(one(unregisterOp))],
    [2, strayProbe(scene)],
  ]);
}
