// Notifier registration: valid and invalid arguments, MAP and DEVIOTLB flags an IOMMU may
// veto, ids already in use or never registered, and events around registration and after
// unregister (VIOMMU-REG-*, VIOMMU-EVENT-FLAGS).
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, seq, type Step } from './build.ts';
import { changeSettled } from './changes.ts';
import type { Scene } from './scene.ts';
import { badRegister, unknownNotifier } from './invalid.ts';
import { NOTIFIER_ID, registerOp, replayOp, unregisterOp } from './steps.ts';

const one = (a: fc.Arbitrary<Op>): Step => a.map((op) => [op]);

/** Every non-empty combination of UNMAP, MAP and DEVIOTLB: the vetoes depend on the declaration. */
const FLAGS = fc.constantFrom(1, 1, 2, 3, 3, 4, 5, 6, 7);

/** The same id registered twice, with other arguments the second time (EEXIST). */
function duplicate(scene: Scene): Step {
  return fc.tuple(registerOp(scene, FLAGS), registerOp(scene, FLAGS)).map(([a, b]): Op[] =>
    [a, { ...b, notifier: a.notifier }]);
}

/** A notifier removed, then changes it must not hear of, and its id unknown again. */
function afterUnregister(scene: Scene): Step {
  return fc.tuple(registerOp(scene, FLAGS), fc.boolean()).chain(([reg, replayFirst]) => {
    const { notifier } = reg;
    const gone: Op[] = [{ op: 'unregister', notifier }];
    return seq(fc.constant(replayFirst ? [reg, { op: 'replay', notifier } as Op] : [reg]), changeSettled(scene),
      fc.constant(gone), changeSettled(scene), fc.constant<Op[]>([{ op: 'replay', notifier }, { op: 'unregister', notifier }]));
  });
}

export function registrationStep(scene: Scene): Step {
  return pick([
    [4, one(registerOp(scene, FLAGS))],
    [4, one(badRegister(scene))],
    [2, duplicate(scene)],
    [2, afterUnregister(scene)],
    [1, one(unknownNotifier)],
    [1, one(unregisterOp)],
    [1, one(replayOp)],
    [1, NOTIFIER_ID.map((notifier): Op[] => [{ op: 'unregister', notifier }, { op: 'replay', notifier }])],
    [3, changeSettled(scene)],
  ]);
}
