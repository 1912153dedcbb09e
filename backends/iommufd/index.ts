// The registry of bundled iommufd backends: the correct simulators and their mutants.
import type { Backend } from '../../spec/iommufd/backend.ts';
import { bundledMutant, type BundledSim as AnyBundledSim } from '../bundled-sims.ts';
import { MUTANTS, type Mutant, type MutantBase } from './mutants.ts';
import { createSimIommufd } from './sim/index.ts';

export const SIM_IOMMUFD_DESCRIPTION =
  'In-process simulator of one Linux process with /dev/iommu and one VT-d device cdev (drivers/iommu/iommufd and drivers/vfio v6.12 semantics): 4K|2M|1G domain, aperture [0, 2^48-1], MSI window 0xfee00000-0xfeefffff';
export const SIM_IOMMUFD_2DEV_DESCRIPTION =
  'sim-iommufd with two devices in two groups: a VT-d one as in sim-iommufd, and a virtio-iommu one (every page size from 4K, aperture [1M, 2^40-1], MSI window 0x8000000-0x80fffff, no hw_info)';

/** A bundled simulator or mutant; a mutant's rule is one of spec/iommufd/rule-ids.md. */
export type BundledSim = AnyBundledSim<Backend>;

const GEOMETRY: Record<MutantBase, string> = { 'sim-iommufd': 'intel', 'sim-iommufd-2dev': '2dev' };

const correct = (name: MutantBase, description: string): BundledSim => ({
  name, description, kind: 'correct',
  create: (options) => createSimIommufd({ name, description, geometry: GEOMETRY[name] }, options),
});

const fromMutant = (m: Mutant): BundledSim =>
  bundledMutant(m, (name, description, options) => createSimIommufd({ name, description, geometry: GEOMETRY[m.base], bugs: [m.id] }, options));

export const BUNDLED: readonly BundledSim[] = [
  correct('sim-iommufd', SIM_IOMMUFD_DESCRIPTION),
  correct('sim-iommufd-2dev', SIM_IOMMUFD_2DEV_DESCRIPTION),
  ...MUTANTS.map(fromMutant),
];

export function findBundled(name: string): BundledSim | undefined {
  return BUNDLED.find((b) => b.name === name);
}

export { MUTANTS, type Mutant } from './mutants.ts';
