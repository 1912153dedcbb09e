// The registry of bundled backends: the correct simulators and their mutants.
import type { Backend } from '../../spec/type1/backend.ts';
import { bundledMutant, type BundledSim } from '../bundled-sims.ts';
import { MUTANTS, type Mutant } from './mutants.ts';
import {
  SIM_TYPE1_COMPAT_DESCRIPTION, SIM_TYPE1_COMPAT_V1_DESCRIPTION, SIM_TYPE1_DESCRIPTION, SIM_TYPE1_V1_DESCRIPTION, createSimType1,
} from './sim/index.ts';
import { MUTANT_BASES } from './mutants.ts';

/** A bundled simulator or mutant; a mutant's rule is one of spec/type1/rules.ts. */
export type BundledBackend = BundledSim<Backend>;

const correct = (name: string, description: string, v2: boolean, compat = false): BundledBackend => ({
  name, description, kind: 'correct',
  create: (options) => createSimType1({ name, description, v2, compat }, options),
});

const fromMutant = (m: Mutant): BundledBackend =>
  bundledMutant(m, (name, description, options) => createSimType1({ name, description, ...MUTANT_BASES[m.base], bugs: [m.id] }, options));

export const BUNDLED: readonly BundledBackend[] = [
  correct('sim-type1', SIM_TYPE1_DESCRIPTION, true),
  correct('sim-type1-v1', SIM_TYPE1_V1_DESCRIPTION, false),
  correct('sim-type1-compat', SIM_TYPE1_COMPAT_DESCRIPTION, true, true),
  correct('sim-type1-compat-v1', SIM_TYPE1_COMPAT_V1_DESCRIPTION, false, true),
  ...MUTANTS.map(fromMutant),
];

export function findBundled(name: string): BundledBackend | undefined {
  return BUNDLED.find((b) => b.name === name);
}

export { MUTANTS, type Mutant } from './mutants.ts';
