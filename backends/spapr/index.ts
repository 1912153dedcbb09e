// The registry of bundled sPAPR TCE backends: the correct simulators and their mutants.
import type { Backend } from '../../spec/spapr/backend.ts';
import { MUTANTS, type Mutant } from './mutants.ts';
import { createSimSpapr } from './sim/index.ts';

export const SIM_SPAPR_V2_DESCRIPTION =
  'In-process simulator of VFIO sPAPR TCE v2 containers (preregistration, dynamic windows) shared by two processes (drivers/vfio/vfio_iommu_spapr_tce.c and arch/powerpc/mm/book3s64/iommu_api.c, Linux 6.12): 2 containers on a pseries platform, 1 GiB 32-bit window at 0, DDW of 4K|64K|2M|16M pages at 2^59, one level';
export const SIM_SPAPR_V1_DESCRIPTION =
  'In-process simulator of VFIO sPAPR TCE v1 containers (ENABLE/DISABLE, the platform\'s 32-bit window) shared by two processes (drivers/vfio/vfio_iommu_spapr_tce.c, Linux 6.12): 2 containers on a pseries platform, 1 GiB 32-bit window at 0';

/** A bundled simulator or mutant (spec/family.ts: BundledBackend, never 'real'). */
export interface BundledSim {
  readonly name: string;
  readonly description: string;
  readonly kind: 'correct' | 'mutant';
  /** For a mutant: the rule (spec/spapr/rule-ids.md) its bug breaks. */
  readonly rule?: string;
  /** Throws an Error with a one-line message on an unknown or malformed option. */
  create(options: Record<string, string>): Backend;
}

const correct = (name: string, description: string, v2: boolean): BundledSim => ({
  name, description, kind: 'correct',
  create: (options) => createSimSpapr({ name, description, v2 }, options),
});

const fromMutant = (m: Mutant): BundledSim => {
  const description = `${m.base} with one bug: ${m.description} Violates ${m.rule}.`;
  return {
    name: m.name, description, kind: 'mutant', rule: m.rule,
    create: (options) => createSimSpapr({ name: m.name, description, v2: m.base === 'sim-spapr-v2', bugs: [m.id] }, options),
  };
};

export const BUNDLED: readonly BundledSim[] = [
  correct('sim-spapr-v2', SIM_SPAPR_V2_DESCRIPTION, true),
  correct('sim-spapr-v1', SIM_SPAPR_V1_DESCRIPTION, false),
  ...MUTANTS.map(fromMutant),
];

export function findBundled(name: string): BundledSim | undefined {
  return BUNDLED.find((b) => b.name === name);
}

export { MUTANTS, type Mutant } from './mutants.ts';
