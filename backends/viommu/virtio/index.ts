// The bundled virtio-iommu backends: the correct simulator and its mutants.
import type { Backend } from '../../../spec/viommu/backend.ts';
import type { RuleId } from '../../../spec/viommu/rules.ts';
import { VIRTIO_MUTANT_LIST, type VirtioMutant } from './mutants.ts';
import { SIM_VIRTIO_DESCRIPTION, createSimVirtioIommu } from './sim.ts';

export interface BundledSim {
  readonly name: string;
  readonly description: string;
  readonly kind: 'correct';
  /** Throws an Error with a one-line message on an unknown option. */
  create(options: Record<string, string>): Backend;
}

export interface BundledMutant {
  readonly name: string;
  readonly description: string;
  readonly kind: 'mutant';
  /** The rule (spec/viommu/rules.ts) its bug violates. */
  readonly rule: RuleId;
  create(options: Record<string, string>): Backend;
}

export const VIRTIO_SIMS: readonly BundledSim[] = [{
  name: 'sim-virtio-iommu', description: SIM_VIRTIO_DESCRIPTION, kind: 'correct',
  create: (options) => createSimVirtioIommu({ name: 'sim-virtio-iommu', description: SIM_VIRTIO_DESCRIPTION }, options),
}];

const fromMutant = (m: VirtioMutant): BundledMutant => {
  const description = `${m.base} with one bug: ${m.description} Violates ${m.rule}.`;
  return {
    name: m.name, description, kind: 'mutant', rule: m.rule,
    create: (options) => createSimVirtioIommu({ name: m.name, description, bugs: [m.id] }, options),
  };
};

export const VIRTIO_MUTANTS: readonly BundledMutant[] = VIRTIO_MUTANT_LIST.map(fromMutant);

export { VIRTIO_MUTANT_LIST, type VirtioMutant } from './mutants.ts';
export { createSimVirtioIommu, SIM_VIRTIO_DESCRIPTION } from './sim.ts';
