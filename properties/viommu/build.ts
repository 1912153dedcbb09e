// From steps to a case: the scene's setup, an array of steps that fast-check shrinks, then the
// references resolved, every operation the backend lacks a capability for left out, and the
// whole cut at maxOps.
import fc from 'fast-check';
import { capabilitiesFor, type BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op } from '../../spec/viommu/ops.ts';
import { sceneArb, setupOps, type Scene, type SceneOptions } from './scene.ts';
import { isRef, resolveVirtio, type Item } from './virtio-state.ts';

export type Step = fc.Arbitrary<Item[]>;

/** A weighted choice among the steps that exist for this backend (null: not available). */
export function pick(choices: readonly (readonly [number, Step | null])[]): Step {
  const present = choices.filter((c): c is readonly [number, Step] => c[1] !== null && c[0] > 0);
  if (present.length === 0) return fc.constant([]);
  return fc.oneof(...present.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

/** Steps in order, flattened. */
export const seq = (...steps: Step[]): Step => fc.tuple(...steps).map((parts) => parts.flat());

/** Steps are one to twenty operations; enough of them to fill maxOps, which then cuts. */
const stepsFor = (maxOps: number): number => Math.max(1, Math.ceil(maxOps / 2));

export interface CaseOptions extends SceneOptions {
  /** What every case starts with after the setup (notifiers a shadow property watches with). */
  prelude?: (scene: Scene) => Step;
}

export function caseArb(info: BackendInfo, maxOps: number, step: (scene: Scene) => Step, options: CaseOptions = {}): fc.Arbitrary<Op[]> {
  return sceneArb(info, options).chain((scene) =>
    fc.tuple(options.prelude?.(scene) ?? fc.constant([]), fc.array(step(scene), { maxLength: stepsFor(maxOps), size: 'max' }))
      .map(([prelude, steps]) => finish(info, maxOps, [...setupOps(scene), ...prelude, ...steps.flat()])));
}

const allowed = (info: BackendInfo, op: Op): boolean => capabilitiesFor(op).every((c) => info.capabilities.includes(c));

export function finish(info: BackendInfo, maxOps: number, items: readonly Item[]): Op[] {
  const kept = items.filter((item) => isRef(item) || allowed(info, item));
  const ops = info.profile === 'virtio-iommu' ? resolveVirtio(info, kept) : kept.filter((item): item is Op => !isRef(item));
  return ops.filter((op) => allowed(info, op)).slice(0, maxOps);
}
