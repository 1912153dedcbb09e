// The page-table mutants: a correct simulator with one realistic bug each. A suite that passes
// the correct simulators must fail every one of them on the rule named here.
import type { RuleId } from '../../../spec/viommu/rules.ts';
import type { TableBug } from './bugs.ts';
import { createTableSim, type TableSimName } from './flavours.ts';
import type { TableSim } from './sim.ts';

export interface TableMutant {
  /** `${base}~${id}` */
  readonly name: string;
  readonly base: TableSimName;
  readonly id: TableBug;
  /** The rule of spec/viommu/rules.ts the bug breaks. */
  readonly rule: RuleId;
  readonly description: string;
  /** The options the mutant's simulator is built with (a declaration the bug needs to show). */
  readonly options?: Readonly<Record<string, string>>;
}

const mutant = (base: TableSimName, id: TableBug, rule: RuleId, description: string, options?: Record<string, string>): TableMutant =>
  ({ name: `${base}~${id}`, base, id, rule, description, options });

export const TABLE_MUTANTS: readonly TableMutant[] = [
  mutant('sim-vtd', 'psi-mask-short', 'VIOMMU-INVAL-STALE',
    'The page-selective invalidation\'s address mask is one order too small, so the last part of a range stays cached.'),
  mutant('sim-vtd', 'perm-leaf-only', 'VIOMMU-XLATE-PERM-AND',
    'The walk takes a leaf\'s permission alone instead of ANDing it with the directory entries above it.'),
  mutant('sim-vtd', 'replay-unmap-first', 'VIOMMU-REPLAY-NO-UNMAP',
    'Replay first UNMAPs everything the notifier was told, then re-walks, as intel-iommu did before 2023.'),
  mutant('sim-vtd', 'change-map-only', 'VIOMMU-SHADOW-NO-DUP',
    'A changed translation is notified as a MAP over the old entry, without the UNMAP of the old entry first.'),
  mutant('sim-vtd', 'no-range-crop', 'VIOMMU-EVENT-RANGE',
    'A large leaf straddling a notifier\'s range is notified whole instead of split into the aligned chunks inside the range.'),
  mutant('sim-vtd', 'split-unmap-cut', 'VIOMMU-SHADOW-NO-CUT',
    'When a notified large leaf is split, the walk UNMAPs only the invalidated part of the old entry instead of the whole entry.'),
  mutant('sim-smmuv3', 'tlbi-num-off-by-one', 'VIOMMU-INVAL-STALE',
    'The range TLBI decoder takes NUM as the number of 2^SCALE-page chunks instead of that number minus one, so the last chunk of every command stays cached.'),
  mutant('sim-smmuv3', 'context-cache-sticky', 'VIOMMU-INVAL-CONTEXT',
    'CFGI_STE leaves the cached STE in place, so an endpoint keeps its old binding until a global invalidation.'),
  mutant('sim-vtd', 'vtd-fault-unattached-unrecorded', 'VIOMMU-DMA-FAULT-RECORD',
    'A DMA from an endpoint with no context entry faults but leaves no fault record: the context-entry-not-present reason is never reported.'),
  mutant('sim-vtd', 'context-move-unsynced', 'VIOMMU-SHADOW-SOUND',
    'A context invalidation after an endpoint moved from one domain to another switches its context but does not walk the new domain for its MAP notifiers: VFIO keeps the old domain\'s mappings and lacks the new ones.',
    { vfio: '0:0' }),
];

/** The mutant's simulator, with its own options first. */
export function createTableMutant(m: TableMutant, options: Record<string, string>): TableSim {
  return createTableSim(m.base, [m.id], { ...m.options, ...options }, m.name, mutantDescription(m));
}

export const mutantDescription = (m: TableMutant): string => `${m.base} with one bug: ${m.description} Violates ${m.rule}.`;
