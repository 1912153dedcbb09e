// The registry of bundled sPAPR TCE backends: the correct simulators and their mutants.
import type { Backend } from '../../spec/spapr/backend.ts';
import { bundledMutant, type BundledSim as AnyBundledSim } from '../bundled-sims.ts';
import { MUTANTS, type Mutant } from './mutants.ts';
import { createSimSpapr } from './sim/index.ts';

export const SIM_SPAPR_V2_DESCRIPTION =
  'In-process simulator of VFIO sPAPR TCE v2 containers (preregistration, dynamic windows) shared by two processes (drivers/vfio/vfio_iommu_spapr_tce.c and arch/powerpc/mm/book3s64/iommu_api.c, Linux 6.12): 2 containers on a pseries platform, 1 GiB 32-bit window at 0, DDW of 4K|64K|2M|16M pages at 2^59, one level';
export const SIM_SPAPR_V1_DESCRIPTION =
  'In-process simulator of VFIO sPAPR TCE v1 containers (ENABLE/DISABLE, the platform\'s 32-bit window) shared by two processes (drivers/vfio/vfio_iommu_spapr_tce.c, Linux 6.12): 2 containers on a pseries platform, 1 GiB 32-bit window at 0';

/** A bundled simulator or mutant; a mutant's rule is one of spec/spapr/rule-ids.md. */
export type BundledSim = AnyBundledSim<Backend>;

const correct = (name: string, description: string, v2: boolean): BundledSim => ({
  name, description, kind: 'correct',
  create: (options) => createSimSpapr({ name, description, v2 }, options),
});

const fromMutant = (m: Mutant): BundledSim =>
  bundledMutant(m, (name, description, options) => createSimSpapr({ name, description, v2: m.base === 'sim-spapr-v2', bugs: [m.id] }, options));

export const BUNDLED: readonly BundledSim[] = [
  correct('sim-spapr-v2', SIM_SPAPR_V2_DESCRIPTION, true),
  correct('sim-spapr-v1', SIM_SPAPR_V1_DESCRIPTION, false),
  ...MUTANTS.map(fromMutant),
];

export function findBundled(name: string): BundledSim | undefined {
  return BUNDLED.find((b) => b.name === name);
}

export { MUTANTS, type Mutant } from './mutants.ts';
