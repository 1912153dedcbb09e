// The scene of a case: its window, the endpoints and domains it focuses on, and how the setup
// binds them.
//
// With up to 64 endpoints and domains, operations on random ones would rarely meet. A case
// focuses on the first few endpoints and domains (and now and then names any other), and its
// setup binds each focus endpoint to a focus domain or leaves it unbound, so that steps know
// which endpoints see a domain's translations and probe from those.
import fc from 'fast-check';
import type { BackendInfo, Capability } from '../../spec/viommu/backend.ts';
import type { Op } from '../../spec/viommu/ops.ts';
import { isTables, windowArb, type Window } from './window.ts';

export interface Scene {
  info: BackendInfo;
  w: Window;
  /** The domain each focus endpoint is bound to by the setup, or -1: left unbound. */
  binding: number[];
  /** Whether every edge of a change is probed, or a few: where events, not probes, are the observation. */
  sparse: boolean;
  /** Whether probes are now and then followed by a read of the fault records they left (VIOMMU-DMA-FAULT-RECORD). */
  faults: boolean;
}

export const has = (info: BackendInfo, cap: Capability): boolean => info.capabilities.includes(cap);
export const focusEndpoints = (info: BackendInfo): number => Math.min(info.endpoints, 4);
export const focusDomains = (info: BackendInfo): number => Math.min(info.domains, 3);

export interface SceneOptions {
  /** Whether focus endpoints other than endpoint 0 may be left unbound (DMA-UNATTACHED). */
  unbound?: boolean;
  /** Probe some edges of each change only (see Scene.sparse). */
  sparse?: boolean;
  /** Read the fault records after probes, where the backend keeps them (see Scene.faults). */
  faults?: boolean;
}

export function sceneArb(info: BackendInfo, options: SceneOptions = {}): fc.Arbitrary<Scene> {
  const domains = has(info, 'domains') ? focusDomains(info) : 0;
  const slot = fc.integer({ min: 0, max: Math.max(0, domains - 1) });
  const other = options.unbound ? fc.oneof({ weight: 3, arbitrary: slot }, { weight: 1, arbitrary: fc.constant(-1) }) : slot;
  const binding = domains === 0
    ? fc.constant<number[]>([])
    : fc.tuple(slot, fc.array(other, { minLength: focusEndpoints(info) - 1, maxLength: focusEndpoints(info) - 1 }))
      .map(([first, rest]) => [first, ...rest]);
  const faults = (options.faults ?? false) && has(info, 'faults');
  return fc.tuple(windowArb(info), binding).map(([w, b]) => ({ info, w, binding: b, sparse: options.sparse ?? false, faults }));
}

/** The attaches of the scene's bindings and, on page tables, the invalidation that makes them visible. */
export function setupOps(scene: Scene): Op[] {
  const ops: Op[] = [];
  scene.binding.forEach((domain, endpoint) => { if (domain >= 0) ops.push({ op: 'attach', endpoint, domain }); });
  if (ops.length > 0 && isTables(scene.info) && has(scene.info, 'tables')) ops.push({ op: 'invalidate', scope: 'global' });
  return ops;
}

/** The focus endpoints the setup bound to `domain`. */
export const boundTo = (scene: Scene, domain: number): number[] =>
  scene.binding.flatMap((d, e) => (d === domain ? [e] : []));

/** Mostly a domain the setup bound an endpoint to, sometimes any declared one. */
export function domainArb(scene: Scene): fc.Arbitrary<number> {
  const { info } = scene;
  const bound = [...new Set(scene.binding.filter((d) => d >= 0))];
  const any = fc.integer({ min: 0, max: info.domains - 1 });
  if (bound.length === 0) return any;
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...bound) }, { weight: 1, arbitrary: any });
}

/** Mostly a focus endpoint, sometimes any declared one. */
export function endpointArb(scene: Scene): fc.Arbitrary<number> {
  const { info } = scene;
  const focus = fc.integer({ min: 0, max: focusEndpoints(info) - 1 });
  if (info.endpoints <= focusEndpoints(info)) return focus;
  return fc.oneof({ weight: 6, arbitrary: focus }, { weight: 1, arbitrary: fc.integer({ min: 0, max: info.endpoints - 1 }) });
}

/** An endpoint that sees `domain`: one the setup bound to it when there is one. */
export function endpointSeeing(scene: Scene, domain: number): fc.Arbitrary<number> {
  const bound = boundTo(scene, domain);
  if (bound.length === 0) return endpointArb(scene);
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...bound) }, { weight: 1, arbitrary: endpointArb(scene) });
}
