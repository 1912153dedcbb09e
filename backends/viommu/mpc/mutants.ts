// The sim-mpc mutants: the correct simulator with one realistic bug each. A suite that passes
// sim-mpc must fail every one, on the rule named here.
import type { RuleId } from '../../../spec/viommu/rules.ts';
import type { MpcBug } from './bugs.ts';

export interface MpcMutant {
  /** The bundled backend name: `${base}~${id}`. */
  readonly name: string;
  readonly id: MpcBug;
  readonly base: 'sim-mpc';
  /** The rule of spec/viommu/rules.ts the bug violates. */
  readonly rule: RuleId;
  readonly description: string;
}

const mutant = (id: MpcBug, rule: RuleId, description: string): MpcMutant =>
  ({ name: `sim-mpc~${id}`, id, base: 'sim-mpc', rule, description });

export const MPC_MUTANT_LIST: readonly MpcMutant[] = [
  mutant('mpc-wrong-index', 'VIOMMU-EVENT-INDEX',
    'A LUT write notifies every notifier with both indexes\' events, so a secure notifier also hears the non-secure view.'),
  mutant('mpc-map-without-unmap', 'VIOMMU-SHADOW-NO-DUP',
    'A block whose LUT bit changed is notified to MAP|UNMAP notifiers with a MAP of its new target only, without the UNMAP of the old one.'),
  mutant('mpc-ns-sees-secure', 'VIOMMU-ATTR-INDEX',
    'attrs_to_index answers the secure index for every access, so non-secure DMA reaches secure blocks.'),
  mutant('mpc-reset-keeps-lut', 'VIOMMU-MPC-RESET',
    'The reset clears the interrupt state but not the LUT, so blocks gated non-secure stay open to non-secure DMA after it.'),
];
