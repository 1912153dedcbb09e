// The bundled TrustZone MPC backends: the correct simulator and its mutants.
import type { BundledMutant, BundledSim } from '../virtio/index.ts';
import { MPC_MUTANT_LIST, type MpcMutant } from './mutants.ts';
import { SIM_MPC_DESCRIPTION, createSimMpc } from './sim.ts';

export const MPC_SIMS: readonly BundledSim[] = [{
  name: 'sim-mpc', description: SIM_MPC_DESCRIPTION, kind: 'correct',
  create: (options) => createSimMpc({ name: 'sim-mpc', description: SIM_MPC_DESCRIPTION }, options),
}];

const fromMutant = (m: MpcMutant): BundledMutant => {
  const description = `${m.base} with one bug: ${m.description} Violates ${m.rule}.`;
  return {
    name: m.name, description, kind: 'mutant', rule: m.rule,
    create: (options) => createSimMpc({ name: m.name, description, bugs: [m.id] }, options),
  };
};

export const MPC_MUTANTS: readonly BundledMutant[] = MPC_MUTANT_LIST.map(fromMutant);

export { MPC_MUTANT_LIST, type MpcMutant } from './mutants.ts';
export { createSimMpc, SIM_MPC_DESCRIPTION } from './sim.ts';
