// The deliberate bugs a sim-mpc mutant switches on, one each (see mutants.ts for the rule each
// breaks). Each bug's code path is tagged `// mutant <id>` where it lives.
export const MPC_BUG_IDS = [
  'mpc-wrong-index',
  'mpc-map-without-unmap',
  'mpc-ns-sees-secure',
  'mpc-reset-keeps-lut',
] as const;
export type MpcBug = (typeof MPC_BUG_IDS)[number];
export type MpcBugs = ReadonlySet<MpcBug>;
