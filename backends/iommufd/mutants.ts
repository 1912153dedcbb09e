// The bundled mutants: a correct simulator with one realistic bug each. A conformance suite that
// passes the correct simulators must fail every mutant, on the rule named here
// (spec/iommufd/rule-ids.md).
import { mutant as anyMutant, type Mutant as AnyMutant } from '../bundled-sims.ts';
import type { BugId } from './sim/policy.ts';

export type MutantBase = 'sim-iommufd' | 'sim-iommufd-2dev';
export type Mutant = AnyMutant<MutantBase, BugId>;

const mutant = anyMutant<MutantBase, BugId>;

export const MUTANTS: readonly Mutant[] = [
  mutant('sim-iommufd', 'unmap-split', 'IOMMUFD-UNMAP-WHOLE',
    'IOAS_UNMAP of a range that covers only part of an area cuts the area at the range\'s edges and unmaps the inside, as the VFIO compat path does, instead of failing with ENOENT.'),
  mutant('sim-iommufd', 'unmap-rollback', 'IOMMUFD-UNMAP-PARTIAL',
    'IOAS_UNMAP checks every area before removing any, so a failing unmap leaves the whole areas below the failing one mapped.'),
  mutant('sim-iommufd', 'unmap-stale-tail', 'IOMMUFD-NO-STALE',
    'IOAS_UNMAP unpins an area but the domains keep its last page: the device still reaches the frame.'),
  mutant('sim-iommufd', 'unmap-all-empty-enoent', 'IOMMUFD-UNMAP-ALL',
    'Unmap-all (iova 0, length U64_MAX) of an IOAS with no area fails with ENOENT instead of succeeding with 0 bytes.'),
  mutant('sim-iommufd', 'copy-charges-again', 'IOMMUFD-COPY-SHARE',
    'IOAS_COPY builds new iopt_pages over the source\'s user VA instead of sharing them: the copy pins and charges the pages again, from whatever the process maps there now.'),
  mutant('sim-iommufd', 'copy-unmap-unpins', 'IOMMUFD-COPY-SHARE',
    'Unmapping one of two areas that share iopt_pages unpins and uncharges all of its pages, also those the other area still maps: pinned_vm falls while the pages are still in use.'),
  mutant('sim-iommufd', 'eager-pin', 'IOMMUFD-MAP-LAZY',
    'IOAS_MAP pins and charges the pages at once even when no domain is attached, so a map of unbacked or MMIO memory fails EFAULT and counters grow at MAP.'),
  mutant('sim-iommufd', 'map-eexist-first', 'IOMMUFD-MAP-ORDER',
    'A FIXED_IOVA map checks for an existing area before the iova alignment, answering EEXIST where the kernel answers EINVAL.'),
  mutant('sim-iommufd', 'alloc-iova-zero', 'IOMMUFD-MAP-ALLOC',
    'The iova allocator searches from 0 instead of PAGE_SIZE, so a map without FIXED_IOVA can be given iova 0.'),
  mutant('sim-iommufd', 'alloc-ignores-allowed', 'IOMMUFD-MAP-ALLOC',
    'The iova allocator ignores the ranges set by IOAS_ALLOW_IOVAS.'),
  mutant('sim-iommufd-2dev', 'alloc-over-reserved', 'IOMMUFD-MAP-ALLOC',
    'The iova allocator avoids the areas but not the reserved ranges, so it can place a map outside a domain\'s aperture or in an MSI window.'),
  mutant('sim-iommufd', 'attach-no-replay', 'IOMMUFD-ATTACH-FILL',
    'Attaching a device to an IOAS that already has areas does not write them into the new domain: the device reaches none of them.'),
  mutant('sim-iommufd', 'attach-conflict-keeps-reservation', 'IOMMUFD-ATTACH-CONFLICT',
    'An attach that fails on a reservation conflict leaves the reservations it had made (the device\'s MSI window) in the IOAS.'),
  mutant('sim-iommufd', 'detach-stale', 'IOMMUFD-DETACH',
    'Detach drops the device from its domain in iommufd\'s books but the domain is never flushed: the device still reaches the old mappings.'),
  mutant('sim-iommufd-2dev', 'replace-drops-reserved', 'IOMMUFD-ATTACH-RESERVE',
    'Attaching an attached device again to its IOAS, where an earlier domain of another IOMMU refuses it, drops the reserved regions of the device\'s group from the IOAS while they stay attached (iommufd_device_do_replace\'s error path in Linux 6.12).'),
  mutant('sim-iommufd', 'destroy-attached', 'IOMMUFD-OBJ-DESTROY-BUSY',
    'IOMMU_DESTROY of an IOAS a device is attached to succeeds (the domain\'s reference is not counted) instead of failing with EBUSY.'),
  mutant('sim-iommufd', 'rlimit-mode-busy-ignored', 'IOMMUFD-OPTION-RLIMIT',
    'IOMMU_OPTION RLIMIT_MODE SET is accepted while objects exist in the context.'),
  mutant('sim-iommufd', 'user-mode-charges-mm', 'IOMMUFD-ACCT-USER',
    'In RLIMIT_MODE 0 (per user) pages are charged to the process\'s locked_vm, as RLIMIT_MODE 1 does.'),
];
