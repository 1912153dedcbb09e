// The registry of bundled backends: the correct simulators and their mutants.
import type { Backend } from '../../spec/type1/backend.ts';
import { MUTANTS, type Mutant } from './mutants.ts';
import {
  SIM_TYPE1_COMPAT_DESCRIPTION, SIM_TYPE1_COMPAT_V1_DESCRIPTION, SIM_TYPE1_DESCRIPTION, SIM_TYPE1_V1_DESCRIPTION, createSimType1,
} from './sim/index.ts';
import { MUTANT_BASES } from './mutants.ts';

export interface BundledBackend {
  readonly name: string;
  readonly description: string;
  readonly kind: 'correct' | 'mutant';
  /** For a mutant: the rule id (spec/type1/rules.ts) its bug violates. */
  readonly rule?: string;
  /** Throws an Error with a one-line message on an unknown or malformed option. */
  create(options: Record<string, string>): Backend;
}

const correct = (name: string, description: string, v2: boolean, compat = false): BundledBackend => ({
  name, description, kind: 'correct',
  create: (options) => createSimType1({ name, description, v2, compat }, options),
});

const fromMutant = (m: Mutant): BundledBackend => {
  const description = `${m.base} with one bug: ${m.description} Violates ${m.rule}.`;
  return {
    name: m.name, description, kind: 'mutant', rule: m.rule,
    create: (options) => createSimType1({ name: m.name, description, ...MUTANT_BASES[m.base], bugs: [m.id] }, options),
  };
};

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
