// Invalid arguments among valid operations: each invalid one fails with EINVAL and changes
// nothing, which the valid ones around it would show (VIOMMU-OP-ARGS).
import fc from 'fast-check';
import type { Op } from '../../spec/viommu/ops.ts';
import { pick, type Step } from './build.ts';
import { changeSettled } from './changes.ts';
import { badOps } from './invalid.ts';
import { strayProbe } from './probes.ts';
import { has, type Scene } from './scene.ts';
import { attachOp, registerOp } from './steps.ts';

export function argsStep(scene: Scene): Step {
  const bad = badOps(scene);
  const flags = fc.constant(scene.info.mapNotifiers ? 3 : 1);
  return pick([
    [5, bad.length > 0 ? fc.oneof(...bad).map((op): Op[] => [op]) : null],
    [3, changeSettled(scene)],
    [1, has(scene.info, 'domains') ? attachOp(scene).map((op) => [op]) : null],
    [1, has(scene.info, 'notifiers') ? registerOp(scene, flags).map((op) => [op]) : null],
    [1, strayProbe(scene)],
  ]);
}
