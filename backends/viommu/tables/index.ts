// The bundled page-table backends: the correct simulators and their mutants.
import type { Backend } from '../../../spec/viommu/backend.ts';
import { TABLE_SIM_INFOS, createTableSim, type TableSimName } from './flavours.ts';
import { TABLE_MUTANTS, createTableMutant, mutantDescription } from './mutants.ts';

export interface TableSimDescriptor {
  readonly name: string;
  readonly description: string;
  readonly kind: 'correct';
  /** Throws an Error with a one-line message on any option: these take none. */
  create(options: Record<string, string>): Backend;
}

export interface TableMutantDescriptor {
  readonly name: string;
  readonly description: string;
  readonly kind: 'mutant';
  readonly rule: string;
  create(options: Record<string, string>): Backend;
}

const NAMES: readonly TableSimName[] = ['sim-vtd', 'sim-vtd-nocm', 'sim-smmuv3'];

export const TABLE_SIMS: readonly TableSimDescriptor[] = NAMES.map((name) => ({
  name, description: TABLE_SIM_INFOS[name].description, kind: 'correct',
  create: (options) => createTableSim(name, [], options),
}));

export const TABLE_MUTANTS_BUNDLED: readonly TableMutantDescriptor[] = TABLE_MUTANTS.map((m) => ({
  name: m.name, description: mutantDescription(m), kind: 'mutant', rule: m.rule,
  create: (options) => createTableMutant(m, options),
}));

export { TABLE_MUTANTS, type TableMutant } from './mutants.ts';
