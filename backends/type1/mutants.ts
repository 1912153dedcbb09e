// The bundled mutants: the correct simulator with one realistic bug each. A conformance suite
// that passes the correct simulator must fail every mutant, on the rule named here.
import type { RuleId } from '../../spec/type1/rules.ts';
import { mutant as anyMutant, type Mutant as AnyMutant } from '../bundled-sims.ts';
import type { MutantId } from './sim/policy.ts';

export type MutantBase = 'sim-type1' | 'sim-type1-v1' | 'sim-type1-compat' | 'sim-type1-compat-v1';

/** What each base simulator is: its container type and whether iommufd's compat layer serves it. */
export const MUTANT_BASES: Readonly<Record<MutantBase, { v2: boolean; compat: boolean }>> = {
  'sim-type1': { v2: true, compat: false },
  'sim-type1-v1': { v2: false, compat: false },
  'sim-type1-compat': { v2: true, compat: true },
  'sim-type1-compat-v1': { v2: false, compat: true },
};

/** A mutant; its rule is one of spec/type1/rules.ts. */
export type Mutant = AnyMutant<MutantBase, MutantId, RuleId>;

const mutant = anyMutant<MutantBase, MutantId, RuleId>;

export const MUTANTS: readonly Mutant[] = [
  mutant('sim-type1', 'unmap-stale-tail', 'T1-NO-STALE',
    'UNMAP_DMA drops the mapping but the IOTLB flush misses its last page, which stays reachable by the device.'),
  mutant('sim-type1', 'close-keeps-charge', 'T1-CLOSE-RELEASE',
    'Closing the container removes the mappings but never gives back their locked_vm.'),
  mutant('sim-type1', 'failed-map-keeps-charge', 'T1-MAP-ATOMIC',
    'A MAP_DMA that fails while pinning (EFAULT or ENOMEM part way) leaves the pages pinned before the failure charged.'),
  mutant('sim-type1', 'overlap-off-by-one', 'T1-MAP-OVERLAP',
    'The overlap check compares with < instead of <= and misses a request whose last page is the first page of an existing mapping.'),
  mutant('sim-type1', 'v2-bisect-allowed', 'T1-UNMAP-V2-BISECT',
    'A v2 UNMAP_DMA that bisects a mapping splits it and unmaps the covered part instead of failing with EINVAL.'),
  mutant('sim-type1', 'entry-limit-off-by-one', 'T1-MAP-ENTRY-LIMIT',
    'The dma_entry_limit check uses > instead of >=, so one mapping more than the limit is accepted.'),
  mutant('sim-type1', 'charge-once', 'T1-ACCT-PER-MAPPING',
    'A page already pinned by another mapping is not charged again (deduplicated accounting).'),
  mutant('sim-type1', 'uncharge-caller', 'T1-ACCT-UNCHARGE',
    'UNMAP_DMA gives the charge back to the calling process instead of the process that mapped.'),
  mutant('sim-type1', 'rlimit-ge', 'T1-MAP-RLIMIT',
    'The RLIMIT_MEMLOCK check uses >= so a map whose charge reaches the limit exactly fails with ENOMEM.'),
  mutant('sim-type1', 'mmio-charged', 'T1-ACCT-MMIO',
    'Pages of a PFNMAP (MMIO) VMA are charged to locked_vm like ordinary memory.'),
  mutant('sim-type1', 'relookup-vaddr', 'T1-HOST-PIN-PERSISTS',
    'The device view resolves an iova through the current page tables at the mapping\'s vaddr instead of the frames pinned at map time.'),
  mutant('sim-type1', 'reuse-pinned-frame', 'T1-HOST-NO-REUSE',
    'munmap frees frames even while pinned and the next mmap reuses them, so the device and the new memory share a frame.'),
  mutant('sim-type1', 'readonly-write-allowed', 'T1-MAP-READONLY',
    'Pinning does not ask for FOLL_WRITE, so a WRITE map of read-only memory succeeds.'),
  mutant('sim-type1', 'top-of-space-unmap', 'T1-UNMAP-TOP',
    'An UNMAP_DMA ending at 2^64-1 computes iova + size = 0 and silently unmaps nothing, reporting size 0 (the pre-2025 kernel bug).'),
  mutant('sim-type1', 'dma-avail-stale', 'T1-INFO-DMA-AVAIL',
    'GET_INFO\'s DMA_AVAIL capability always reports dma_entry_limit, never counting live mappings.'),
  mutant('sim-type1', 'readonly-dma-write', 'T1-MAP-EXACT',
    'The IOMMU ignores the mapping\'s write permission: a READ-only mapping lets the device write.'),
  mutant('sim-type1', 'vaddr-no-revert', 'T1-VADDR-INVALIDATE-ATOMIC',
    'A VADDR invalidate that meets an already-invalid mapping fails with EINVAL but keeps the invalidations it made before.'),
  mutant('sim-type1-v1', 'v1-unmap-inside', 'T1-UNMAP-V1-START-INSIDE',
    'A v1 UNMAP_DMA starting inside a mapping skips that mapping and removes the later mappings in range instead of doing nothing.'),
  mutant('sim-type1', 'empty-unmap-enoent', 'T1-UNMAP-EMPTY',
    'UNMAP_DMA of a range with no mapping fails with ENOENT (the iommufd habit) instead of succeeding with size 0.'),
  mutant('sim-type1-compat', 'compat-bisect-atomic', 'T1-COMPAT-UNMAP-V2-BISECT',
    'A v2 UNMAP_DMA that cuts a mapping checks every mapping of the range before removing any, so it fails with ENOENT having removed nothing, where iommufd has already removed the mappings before the cut one.'),
  mutant('sim-type1-compat-v1', 'compat-v1-no-cut', 'T1-COMPAT-UNMAP-V1-CUT',
    'VFIO_TYPE1_IOMMU is served like v2: UNMAP_DMA never cuts the mappings at its edges, so unmapping part of a mapping fails with ENOENT instead of unmapping exactly the range.'),
  mutant('sim-type1-compat', 'compat-dma-avail-limit', 'T1-INFO-DMA-AVAIL',
    'GET_INFO\'s DMA_AVAIL counts the live mappings down from U32_MAX, as type1 does from dma_entry_limit, where iommufd always reports U32_MAX.'),
  mutant('sim-type1-compat', 'compat-mmio-followed', 'T1-COMPAT-MAP-PFNMAP',
    'Pinning follows PFNMAP (MMIO) page-table entries as type1\'s vaddr_get_pfns does, so MMIO is mapped (uncharged) where iommufd\'s pin_user_pages refuses it with EFAULT.'),
  mutant('sim-type1-compat', 'compat-dirty-pages', 'T1-COMPAT-DIRTY-ENOTTY',
    'VFIO_IOMMU_DIRTY_PAGES is answered as type1 v2 answers it (START and STOP succeed, a bad flags word fails with EINVAL) where iommufd\'s compat layer has no such ioctl and answers ENOTTY.'),
  mutant('sim-type1', 'migration-cap-missing', 'T1-INFO-MIGRATION',
    'GET_INFO leaves VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION out of the capability chain, as the compat layer does, where type1 always reports it.'),
];
