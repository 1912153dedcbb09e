// The bundled mutants: a correct simulator with one realistic bug each. A conformance suite that
// passes the correct simulators must fail every mutant, on the rule named here
// (spec/spapr/rule-ids.md).
import { mutant as anyMutant, type Mutant as AnyMutant } from '../bundled-sims.ts';
import type { BugId } from './sim/policy.ts';

export type MutantBase = 'sim-spapr-v2' | 'sim-spapr-v1';
export type Mutant = AnyMutant<MutantBase, BugId>;

const mutant = anyMutant<MutantBase, BugId>;

export const MUTANTS: readonly Mutant[] = [
  mutant('sim-spapr-v2', 'table-free-keeps-charge', 'SPAPR-CLOSE-RELEASE',
    'Release frees the container\'s tables but never uncharges them (TCE_REMOVE still does): every closed container leaves its windows\' charge in locked_vm.'),
  mutant('sim-spapr-v2', 'remove-uncharges-half', 'SPAPR-REMOVE',
    'TCE_REMOVE uncharges only the hardware table, not its userspace-view copy, so half of what TCE_CREATE charged stays (the 2019 it_allocated_size bug).'),
  mutant('sim-spapr-v2', 'map-eexist', 'SPAPR-MAP-OVERWRITE',
    'MAP over a valid TCE fails with EEXIST, as type1 refuses an overlapping mapping, instead of replacing it.'),
  mutant('sim-spapr-v2', 'register-charges-per-container', 'SPAPR-REG-SHARED',
    'REGISTER of a region another container of the same mm already registered charges its pages again, and UNREGISTER gives back only one charge.'),
  mutant('sim-spapr-v2', 'partial-map-success', 'SPAPR-MAP-PREREG',
    'A MAP that meets a page outside every registered region stops there, keeps the TCEs it set before it and answers success, as the kernel\'s loop does when mm_iommu_mapped_inc fails.'),
  mutant('sim-spapr-v2', 'map-error-keeps-partial', 'SPAPR-MAP-ATOMIC',
    'A MAP that fails at a page answers its error but does not clear the TCEs it set before that page: the device reaches part of a failed map.'),
  mutant('sim-spapr-v2', 'unregister-unpins-mapped', 'SPAPR-UNREG-MAPPED',
    'UNREGISTER of a region TCEs still point into unpins and uncharges it and succeeds.'),
  mutant('sim-spapr-v1', 'disable-keeps-charge', 'SPAPR-V1-DISABLE',
    'DISABLE clears the enabled flag but not the whole-window charge of ENABLE.'),
  mutant('sim-spapr-v2', 'no-mm-check', 'SPAPR-MM-BIND',
    'A container bound to one mm takes ioctls from another process, on the first mm\'s memory.'),
  mutant('sim-spapr-v2', 'unmap-empty-fails', 'SPAPR-UNMAP-CLEAR',
    'UNMAP of a range that holds no valid TCE fails with ENOENT instead of clearing it silently.'),
  mutant('sim-spapr-v2', 'default-window-uncharged', 'SPAPR-WINDOW-CHARGE',
    'The default window created by the first MAP, UNMAP or TCE_CREATE charges nothing for its table (its removal still uncharges it).'),
  mutant('sim-spapr-v2', 'failed-create-keeps-charge', 'SPAPR-WINDOW-CHARGE',
    'A TCE_CREATE the platform refuses after its table was charged (a size not a power of two, a second dynamic window) keeps the charge, as Linux 6.12\'s tce_iommu_create_table does.'),
  mutant('sim-spapr-v2', 'register-overlap-allowed', 'SPAPR-REG-OVERLAP',
    'REGISTER of a region that overlaps a different registered region of the mm is accepted.'),
];
