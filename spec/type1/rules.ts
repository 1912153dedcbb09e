// The type1 rule index: every rule the suite checks, with its source.
//
// IDs are stable and never renumbered. `profile` says which container type the rule binds:
// 'v2' (VFIO_TYPE1v2_IOMMU), 'v1' (VFIO_TYPE1_IOMMU) or 'both'; `container`, when present, that
// it binds only the container served by vfio_iommu_type1.c ('type1') or only the one served by
// iommufd's compat layer ('compat', drivers/iommu/iommufd/vfio_compat.c). Where the compat
// layer answers differently under a rule that binds both, the rule says so in a variant that
// begins "Compat:", and the model follows it for the compat profiles. Sources cite the Linux file
// and function (`L path: function`) as read in upstream; line numbers, where given, are those
// of Linux v6.18.2. Where a kernel version behaves differently the rule says so in
// `variants`. spec/type1/rules.md is generated from this file.

import { profileTraits, type ContainerImpl, type Profile } from './backend.ts';

export type Level = 'MUST' | 'MAY';
export type RuleProfile = 'v1' | 'v2' | 'both';

export interface Rule {
  id: string;
  group: Group;
  level: Level;
  profile: RuleProfile;
  /** The one implementation the rule binds; both when absent. */
  container?: ContainerImpl;
  statement: string;
  sources: string[];
  /** Kernel versions or configurations that behave differently, and how the suite treats them. */
  variants?: string[];
}

export const GROUPS = {
  MAP: 'VFIO_IOMMU_MAP_DMA',
  UNMAP: 'VFIO_IOMMU_UNMAP_DMA',
  INFO: 'VFIO_IOMMU_GET_INFO',
  DIRTY: 'VFIO_IOMMU_DIRTY_PAGES',
  VADDR: 'Live update: VADDR invalidate and update',
  ACCT: 'locked_vm accounting',
  HOST: 'Host memory interplay',
  CLOSE: 'Container release',
} as const;
export type Group = keyof typeof GROUPS;

const T1 = 'L drivers/vfio/vfio_iommu_type1.c';
const COMPAT = 'L drivers/iommu/iommufd/vfio_compat.c';
const IOPT = 'L drivers/iommu/iommufd/io_pagetable.c';
const PAGES = 'L drivers/iommu/iommufd/pages.c';
const UAPI = 'L include/uapi/linux/vfio.h';
/** VFIO_IOMMU_DIRTY_PAGES on type1, as 6.12.117 reads. */
const DIRTY = `${T1}: vfio_iommu_type1_dirty_pages`;

export const RULES = [
  // --- MAP_DMA ---------------------------------------------------------------------------
  {
    id: 'T1-MAP-FLAGS', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'MAP_DMA with a flag bit other than READ, WRITE or VADDR fails with EINVAL.',
    sources: [`${T1}: vfio_iommu_type1_map_dma`, `${UAPI}: struct vfio_iommu_type1_dma_map`],
    variants: ['Compat: iommufd_vfio_map_dma accepts READ and WRITE only, so FLAG_VADDR fails with EINVAL like any unknown flag (and VFIO_CHECK_EXTENSION(VFIO_UPDATE_VADDR) answers 0, iommufd_vfio_check_extension: a compat backend declares no `vaddr` capability).'],
  },
  {
    id: 'T1-MAP-PERM', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'A plain MAP_DMA must request READ, WRITE or both; VADDR combined with READ or WRITE is invalid. Either fails with EINVAL.',
    sources: [`${T1}: vfio_dma_do_map`],
    variants: ['Compat: iommufd_vfio_map_dma does not check the permission. A MAP_DMA with neither READ nor WRITE reaches iopt_map_user_pages with IOMMU_CACHE alone, passes every IOAS check and pins its pages; the IOMMU driver decides. VT-d refuses an entry with neither permission (drivers/iommu/intel/iommu.c: __domain_mapping, EINVAL) and iopt_fill_domains_pages undoes the map, leaving nothing mapped, pinned or charged; io-pgtable-arm maps nothing and succeeds (arm_lpae_map_pages). The suite expects VT-d\'s EINVAL after the IOAS checks (size, alignment, wrap, IOVA range, overlap) and, pinning running batch by batch before each domain map (pages.c: pfn_reader_fill, batch_to_domain), also accepts the EFAULT or ENOMEM of a pinning failure in the same range.'],
  },
  {
    id: 'T1-MAP-SIZE-ZERO', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'MAP_DMA with size 0 fails with EINVAL.',
    sources: [`${T1}: vfio_dma_do_map`],
  },
  {
    id: 'T1-MAP-ALIGN', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'MAP_DMA whose iova, vaddr or size is not a multiple of the smallest IOMMU page size (the lowest bit of iova_pgsizes) fails with EINVAL.',
    sources: [`${T1}: vfio_dma_do_map`],
    variants: ['Compat: the size and the iova are checked against iopt->iova_alignment, the smallest IOMMU page (io_pagetable.c: iopt_alloc_area_pages, iopt_check_iova), the vaddr\'s offset in its page only when the area is inserted (iopt_insert_area), after the IOVA range and overlap checks; each fails with EINVAL.'],
  },
  {
    id: 'T1-MAP-WRAP', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'MAP_DMA whose iova + size - 1 or vaddr + size - 1 wraps past 2^64 - 1 fails with EINVAL. A range that ends exactly at 2^64 - 1 does not wrap.',
    sources: [`${T1}: vfio_dma_do_map`],
    variants: ['Since v6.18 (the series "vfio/type1: handle DMA map/unmap up to the addressable limit", 6012379ede6a "vfio/type1: sanitize for overflow using check_*_overflow") the wrap check returns EOVERFLOW and runs after the unknown-flag check (vfio_iommu_type1_map_dma, line 2909) and the size-0 check, but before the permission and alignment checks (vfio_dma_do_map, lines 1698-1703). The suite accepts EOVERFLOW wherever the range wraps and the permission, alignment or wrap check decides in the older order; never where the flag check does.',
      'Compat: a size above 2^64 - 1 - PAGE_SIZE fails with EINVAL (pages.c: iopt_alloc_pages); a vaddr range reaching 2^64 (vaddr + size overflows, so one ending exactly at 2^64 - 1 too) fails with EOVERFLOW (the uptr overflow check, 2023, in iopt_alloc_pages after the size check, since the file-backed IOAS_MAP_FILE in iopt_alloc_user_pages before it: the suite accepts EOVERFLOW for such a size too; before the check the range failed at pinning with EFAULT, also accepted); an iova range wrapping past 2^64 - 1 fails with EOVERFLOW after the alignment checks (io_pagetable.c: iopt_check_iova).',
    ],
  },
  {
    id: 'T1-MAP-OVERLAP', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'MAP_DMA overlapping any byte of an existing mapping fails with EEXIST; adjacent mappings do not overlap. Mappings are never merged.',
    sources: [`${T1}: vfio_dma_do_map, vfio_find_dma`],
    variants: ['Before v6.18 vfio_find_dma compared against start + size, which wraps to 0 for a request ending at 2^64 - 1: such a request never found its overlap (EEXIST was missed) and a VADDR update of such a mapping failed with ENOENT. The suite reports that as a violation.'],
  },
  {
    id: 'T1-MAP-ENTRY-LIMIT', group: 'MAP', level: 'MUST', profile: 'both', container: 'type1',
    statement: 'MAP_DMA when the container already holds dma_entry_limit mappings fails with ENOSPC.',
    sources: [`${T1}: vfio_dma_do_map (dma_avail), module parameter dma_entry_limit`],
  },
  {
    id: 'T1-MAP-IOVA-RANGE', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'MAP_DMA whose [iova, iova + size - 1] is not wholly inside one valid IOVA range fails with EINVAL.',
    sources: [`${T1}: vfio_dma_do_map, vfio_iommu_iova_dma_valid`],
  },
  {
    id: 'T1-MAP-CHECK-ORDER', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'When several MAP_DMA checks fail, the errno is that of the first in this order: unknown flags, permission, size 0 and alignment, wrap, overlap (EEXIST), entry limit (ENOSPC), IOVA range (EINVAL), then pinning: ENOMEM or EFAULT, whichever comes first in address order over the VMAs of the range (the limit is checked as each run of pages is pinned, a fault ends pinning where it is met). A backend answering a later failing check\'s errno breaks the first check\'s rule and this one.',
    sources: [`${T1}: vfio_iommu_type1_map_dma, vfio_dma_do_map, vfio_pin_map_dma, vfio_pin_pages_remote, vaddr_get_pfns`],
    variants: ['Since v6.18 (6012379ede6a "vfio/type1: sanitize for overflow using check_*_overflow") vfio_dma_do_map checks, after the unknown flags of vfio_iommu_type1_map_dma: size 0 (EINVAL, line 1698), then the wrap (EOVERFLOW, lines 1701-1703), then the permission (EINVAL, line 1711), then the alignment (EINVAL, line 1720); the later checks keep their order. The answers differ from the older order only for a wrapping range, where the suite accepts EOVERFLOW (T1-MAP-WRAP).',
      'Compat: iommufd_vfio_map_dma checks the flags; iopt_alloc_pages the size (0: EINVAL, T1-MAP-SIZE-ZERO) and the vaddr wrap (EOVERFLOW); iopt_alloc_area_pages the size\'s alignment; iopt_check_iova the iova\'s alignment (EINVAL), its wrap (EOVERFLOW), a reserved range (EINVAL, T1-MAP-IOVA-RANGE) before an overlap (EEXIST); iopt_insert_area the vaddr\'s alignment (EINVAL); then pinning (EFAULT, ENOMEM) and the domain map (T1-MAP-PERM). There is no entry limit. Pinning charges after each batch it pinned (pages.c: pfn_reader_user_update_pinned), so for a range that both faults and crosses RLIMIT_MEMLOCK the suite accepts either errno.',
    ],
  },
  {
    id: 'T1-MAP-UNBACKED', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'MAP_DMA of a vaddr range with a page not backed by a VMA, or backed by a PROT_NONE VMA, fails with EFAULT. '
      + 'One exception, for PFNMAP (MMIO) memory: a READ-only MAP_DMA of PROT_NONE pages whose page-table entries are present succeeds (uncharged, T1-ACCT-MMIO). '
      + 'GUP refuses a PFNMAP VMA, so vaddr_get_pfns asks follow_fault_pfn, which uses a present entry as it is (a PROT_NONE entry is present) and checks only that a WRITE map may write through it; '
      + 'a missing entry must be faulted in, which PROT_NONE forbids. An entry is present once a CPU access or an earlier MAP_DMA faulted the page in (vfio-pci inserts one per fault), '
      + 'and stays through mprotect and mremap; a new mmap starts without entries.',
    sources: [
      `${T1}: vfio_pin_pages_remote, vaddr_get_pfns, follow_fault_pfn`,
      'L mm/memory.c: follow_pfnmap_start (pte_present)', 'L mm/gup.c: fixup_user_fault, vma_permits_fault',
      'L drivers/vfio/pci/vfio_pci_core.c: vfio_pci_mmap_huge_fault',
      'Measured on Linux 6.12.117 (Debian) with kernel/divergences/pfnmap-prot-none.c, an mmap of the edu device\'s BAR0: touched or mapped before, then PROT_NONE, a READ map succeeds with locked_vm unchanged and READ|WRITE or WRITE fails with EFAULT; never touched, every map fails with EFAULT (kernel/divergences/README.md)',
    ],
    variants: ['Compat: iommufd pins with pin_user_pages, which refuses a PFNMAP VMA whatever its page-table entries (T1-COMPAT-MAP-PFNMAP), so the PROT_NONE exception does not arise and a failed map faults nothing in; a hole or a PROT_NONE page of ordinary memory fails with EFAULT as here.'],
  },
  {
    id: 'T1-COMPAT-MAP-PFNMAP', group: 'MAP', level: 'MUST', profile: 'both', container: 'compat',
    statement: 'MAP_DMA served by the compat layer, of a range holding a page of a PFNMAP (MMIO) VMA, fails with EFAULT and leaves nothing mapped, pinned or charged: iommufd pins with pin_user_pages, which refuses VM_PFNMAP and VM_IO VMAs whatever their page-table entries, and has no follow_pfn fallback.',
    sources: [
      `${PAGES}: pfn_reader_user_pin (pin_user_pages_remote)`, 'L mm/gup.c: check_vma_flags (VM_IO | VM_PFNMAP)',
      `${IOPT}: iopt_fill_domains_pages (a failed fill undoes the areas filled before it)`,
    ],
  },
  {
    id: 'T1-MAP-READONLY', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'A WRITE mapping of memory the process cannot write fails with EFAULT (pages are pinned with FOLL_WRITE); a READ-only mapping of read-only memory succeeds.',
    sources: [`${T1}: vaddr_get_pfns, follow_fault_pfn`],
  },
  {
    id: 'T1-MAP-RLIMIT', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'Without CAP_IPC_LOCK, MAP_DMA whose charge would take the mapping process\'s locked_vm above RLIMIT_MEMLOCK (in pages) fails with ENOMEM; with CAP_IPC_LOCK at map time it succeeds and is still charged.',
    sources: [`${T1}: vfio_pin_pages_remote, vfio_lock_acct, mm_lock_acct`, 'L mm/util.c: __account_locked_vm'],
    variants: ['Compat: a container opened as /dev/vfio/vfio charges in IOPT_PAGES_ACCOUNT_MM mode (drivers/iommu/iommufd/main.c: iommufd_fops_open sets it for the VFIO misc device; io_pagetable.c: iopt_map_user_pages keeps it for the new pages) against RLIMIT_MEMLOCK as here, but a process with CAP_IPC_LOCK at map time gets IOPT_PAGES_ACCOUNT_NONE (pages.c: iopt_alloc_pages): it is neither limited nor charged. A group whose container is a /dev/iommu fd charges user->locked_vm instead (IOPT_PAGES_ACCOUNT_USER), which `counters` does not observe; the compat profiles are the /dev/vfio/vfio container (measured on Linux 6.12.117: 4 KiB of VmLck for one page without CAP_IPC_LOCK, none with it).'],
  },
  {
    id: 'T1-MAP-ATOMIC', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'A failed MAP_DMA leaves nothing mapped, pinned or charged, and dma_avail unchanged, also when it failed part way through its range, after the VMAs before the failing page were pinned, mapped and charged.',
    sources: [`${T1}: vfio_pin_map_dma (vfio_remove_dma of the chunks already mapped, line 1623), vfio_dma_do_map`],
  },
  {
    id: 'T1-MAP-EXACT', group: 'MAP', level: 'MUST', profile: 'both',
    statement: 'After a successful MAP_DMA, exactly [iova, iova + size) reaches the frames that backed [vaddr, vaddr + size) at map time, page for page across every VMA of the range, with the requested permission: a READ-only mapping blocks device writes. A WRITE-only mapping blocks device reads where the IOMMU page-table format can express write-only; where it cannot (x86 first-stage, Arm stage-1 page tables) the mapping is readable too, and the suite accepts either. Nothing outside the range changes.',
    sources: [
      `${T1}: vfio_pin_map_dma, vfio_iommu_map (iommu_map with the requested IOMMU_READ / IOMMU_WRITE)`,
      'L drivers/iommu/intel/iommu.c: __domain_mapping (a first-stage entry always gets DMA_FL_PTE_PRESENT, which also grants reads)',
      'L drivers/iommu/io-pgtable-arm.c: arm_lpae_prot_to_pte (stage 1 has read-only and read-write only; a write-only request gets read-write)',
    ],
  },
  // --- UNMAP_DMA -------------------------------------------------------------------------
  {
    id: 'T1-UNMAP-FLAGS', group: 'UNMAP', level: 'MUST', profile: 'both',
    statement: 'UNMAP_DMA with an unknown flag, or GET_DIRTY_BITMAP together with ALL or VADDR, fails with EINVAL. GET_DIRTY_BITMAP alone, with argsz leaving no room for the struct vfio_bitmap after the header (the suite sends none), fails with EINVAL too, whether VFIO_IOMMU_DIRTY_PAGES started tracking or not.',
    sources: [`${T1}: vfio_iommu_type1_unmap_dma (argsz < minsz + sizeof(bitmap))`],
    variants: ['Compat: iommufd_vfio_unmap_dma accepts FLAG_ALL only: GET_DIRTY_BITMAP (dirty tracking moved to iommufd\'s own ioctls) and VADDR fail with EINVAL, alone or together.'],
  },
  {
    id: 'T1-UNMAP-ARGS', group: 'UNMAP', level: 'MUST', profile: 'both',
    statement: 'UNMAP_DMA (without ALL) whose iova or size is not a multiple of the smallest IOMMU page size, whose size is 0, or whose range wraps past 2^64 - 1 fails with EINVAL and unmaps nothing.',
    sources: [`${T1}: vfio_dma_do_unmap`],
    variants: ['Since v6.18 the wrap returns EOVERFLOW; the suite accepts either errno.',
      'Compat: neither iova nor size is checked for alignment (iommufd_vfio_unmap_dma, io_pagetable.c: iopt_unmap_iova): an unaligned range is walked like any other (T1-COMPAT-UNMAP-V2-BISECT; measured on Linux 6.12.117, an unaligned unmap of an empty range succeeds with size 0). Size 0 fails with EINVAL and a range wrapping past 2^64 - 1 with EOVERFLOW (iopt_unmap_iova); on v1 both checks come after the cuts of T1-COMPAT-UNMAP-V1-CUT, whose EINVAL for an unaligned edge inside a mapping comes first.',
    ],
  },
  {
    id: 'T1-UNMAP-V2-BISECT', group: 'UNMAP', level: 'MUST', profile: 'v2', container: 'type1',
    statement: 'A v2 UNMAP_DMA whose range starts or ends strictly inside a mapping fails with EINVAL and unmaps nothing.',
    sources: [`${T1}: vfio_dma_do_unmap (iommu->v2 checks with vfio_find_dma)`],
    variants: ['Before v6.18 vfio_find_dma compared against start + size, which wraps to 0 at 2^64 - 1: an unmap starting inside a mapping that ends at 2^64 - 1 was not seen as bisecting and succeeded with size 0, unmapping nothing (measured on Linux 6.12 with virtio-iommu, kernel/divergences/). The suite reports that as a violation.'],
  },
  {
    id: 'T1-COMPAT-UNMAP-V2-BISECT', group: 'UNMAP', level: 'MUST', profile: 'v2', container: 'compat',
    statement: 'A v2 UNMAP_DMA served by the compat layer walks the mappings meeting its range in ascending iova order and removes each one wholly inside the range, until the first that starts before the range or ends after it: there it stops and fails with ENOENT. The mappings removed before stay removed (unpinned, uncharged, unreachable by the device); that one and every later one stay as they were, so a range whose first mapping starts before it removes nothing.',
    sources: [
      `${IOPT}: iopt_unmap_iova_range (areas taken by iopt_area_iter_first in ascending order; -ENOENT for an area not inside [start, last], after the earlier ones were unfilled and freed)`,
      `${COMPAT}: iommufd_vfio_unmap_dma (no cut on v2)`,
      'Measured on Linux 6.12.117 with intel-iommu (a group bound to an iommufd container): an unmap splitting a mapping fails with ENOENT where type1 answers EINVAL',
    ],
    variants: ['iommufd_vfio_unmap_dma copies the bytes removed before the failure back into unmap.size even when the call fails; the suite observes only the errno of a failed call.'],
  },
  {
    id: 'T1-UNMAP-V2-EXACT', group: 'UNMAP', level: 'MUST', profile: 'v2',
    statement: 'A successful v2 UNMAP_DMA removes exactly the mappings inside the range and reports their total size in bytes.',
    sources: [`${T1}: vfio_dma_do_unmap`],
  },
  {
    id: 'T1-UNMAP-EMPTY', group: 'UNMAP', level: 'MUST', profile: 'both',
    statement: 'UNMAP_DMA of a valid range with no mapping in it succeeds and reports size 0.',
    sources: [`${T1}: vfio_dma_do_unmap`],
    variants: ['Compat: iopt_unmap_iova_range started from rc = -ENOENT, so an empty range failed with ENOENT until afb47765f923 ("iommufd: Make vfio_compat\'s unmap succeed if the range is already empty", 2025) made the compat path answer success with size 0, keeping ENOENT for IOMMU_IOAS_UNMAP; 6.12 has it since 6.12.59 (stable commit df21a2be8a47: 6.12.0 to 6.12.58 answer ENOENT, 6.12.117 answers success, measured). The suite expects success from a compat backend and accepts ENOENT; either way nothing changes.'],
  },
  {
    id: 'T1-UNMAP-V1-START-INSIDE', group: 'UNMAP', level: 'MUST', profile: 'v1', container: 'type1',
    statement: 'A v1 UNMAP_DMA whose range starts strictly inside a mapping succeeds, reports size 0 and unmaps nothing, even if later mappings lie in the range.',
    sources: [`${T1}: vfio_dma_do_unmap (comment on v1 compatibility; "!iommu->v2 && iova > dma->iova")`],
  },
  {
    id: 'T1-UNMAP-V1-WHOLE', group: 'UNMAP', level: 'MUST', profile: 'v1', container: 'type1',
    statement: 'Otherwise a v1 UNMAP_DMA removes every mapping whose first iova lies in the range, entirely, even where it extends past the range end, and reports their total size, which may exceed the request.',
    sources: [`${T1}: vfio_dma_do_unmap`],
  },
  {
    id: 'T1-COMPAT-UNMAP-V1-CUT', group: 'UNMAP', level: 'MUST', profile: 'v1', container: 'compat',
    statement: 'A v1 UNMAP_DMA served by the compat layer unmaps exactly its range. It first cuts the mapping holding its last byte just after that byte, then the mapping holding the byte before its start just before its start (no such cut when iova is 0), then removes every mapping inside the range and reports their total size. What a cut leaves outside the range stays mapped, pinned and charged for the pages it keeps. A cut strictly inside a mapping at an address that is not a multiple of the smallest IOMMU page fails with EINVAL and unmaps nothing; a cut made before it stays. No cut is made at a mapping\'s first or last byte: where an unaligned range starts one byte into a mapping or ends on a mapping\'s first byte, that mapping straddles the edge and the walk fails there with ENOENT, the mappings before it removed, as on v2 (T1-COMPAT-UNMAP-V2-BISECT).',
    sources: [
      `${COMPAT}: iommufd_vfio_set_iommu (VFIO_TYPE1_IOMMU disables large pages), iommufd_vfio_unmap_dma (iopt_cut_iova at iova + size - 1, then iova - 1)`,
      `${IOPT}: iopt_cut_iova, iopt_area_split (no split at an area's first or last byte; -EINVAL for an unaligned new start), iopt_disable_large_pages, iopt_unmap_iova_range`,
      `${PAGES}: iopt_area_unfill_domains (only the pages no remaining area uses are unpinned and uncharged)`,
    ],
  },
  {
    id: 'T1-UNMAP-ALL', group: 'UNMAP', level: 'MUST', profile: 'both',
    statement: 'UNMAP_DMA with FLAG_ALL and iova = size = 0 removes every mapping and reports their total size; FLAG_ALL with a non-zero iova or size fails with EINVAL.',
    sources: [`${T1}: vfio_dma_do_unmap`, `${UAPI}: VFIO_DMA_UNMAP_FLAG_ALL`],
    variants: ['Before v6.18 vfio_find_dma_first_node(0, U64_MAX) compared against dma->iova + dma->size, which is 0 for a mapping ending at 2^64 - 1: with such a mapping on the search path, UNMAP_DMA with FLAG_ALL reported 0 and removed nothing at all (measured on Linux 6.12 with virtio-iommu, kernel/divergences/). The suite reports that as a violation.'],
  },
  {
    id: 'T1-UNMAP-TOP', group: 'UNMAP', level: 'MUST', profile: 'both',
    statement: 'An UNMAP_DMA whose range ends exactly at 2^64 - 1 is handled like any other range.',
    sources: [`${T1}: vfio_dma_do_unmap, vfio_find_dma_first_node`],
    variants: ['Before v6.18 ("vfio/type1: handle DMA map/unmap up to the addressable limit") vfio_find_dma_first_node compared against iova + size, which wraps to 0: such an unmap succeeded with size 0 and unmapped nothing, and release leaked the pins of a mapping ending at 2^64 - 1. The suite reports that as a violation.'],
  },
  {
    id: 'T1-NO-STALE', group: 'UNMAP', level: 'MUST', profile: 'both',
    statement: 'Once a mapping is reported unmapped, no iova in it reaches any frame: no page of it survives in the IOMMU or its IOTLB.',
    sources: [`${T1}: vfio_unmap_unpin, vfio_sync_unpin (iommu_iotlb_sync)`],
  },
  // --- GET_INFO --------------------------------------------------------------------------
  {
    id: 'T1-INFO-GEOMETRY', group: 'INFO', level: 'MUST', profile: 'both',
    statement: 'GET_INFO reports iova_pgsizes and the IOVA_RANGE capability (inclusive ranges) that the container enforces.',
    sources: [`${T1}: vfio_iommu_type1_get_info, vfio_iommu_iova_build_caps`],
    variants: ['Compat: iova_pgsizes is the AND of the attached domains\' pgsize_bitmap, sizes below PAGE_SIZE folded into PAGE_SIZE (iommufd_get_pagesizes); it is not narrowed when VFIO_TYPE1_IOMMU disabled large pages (iommufd_vfio_set_iommu), so a v1 compat container reports the sizes a v2 one does while it maps PAGE_SIZE pages only. The IOVA ranges are the holes between iommufd\'s reserved ranges, the aperture\'s complement and the devices\' reserved regions, as type1\'s (iommufd_fill_cap_iova). A compat container\'s smallest page is PAGE_SIZE: iopt_table_add_domain refuses a domain whose smallest page is larger.'],
  },
  {
    id: 'T1-INFO-DMA-AVAIL', group: 'INFO', level: 'MUST', profile: 'both',
    statement: 'The DMA_AVAIL capability reports dma_entry_limit minus the number of live mappings.',
    sources: [`${T1}: vfio_iommu_dma_avail_build_caps, vfio_dma_do_map, vfio_remove_dma`],
    variants: ['Compat: iommufd_fill_cap_dma_avail always reports U32_MAX (iommufd is limited by the memory cgroup, not by an entry count) and MAP_DMA never fails with ENOSPC (T1-MAP-ENTRY-LIMIT binds type1 only); measured on Linux 6.12.117: DMA_AVAIL 0xffffffff before and after a map.'],
  },
  {
    id: 'T1-INFO-MIGRATION', group: 'INFO', level: 'MUST', profile: 'both',
    statement: 'GET_INFO\'s capability chain holds VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, on v1 as on v2: its pgsize_bitmap is the smallest IOMMU page size alone (the lowest bit of iova_pgsizes), its max_dirty_bitmap_size is DIRTY_BITMAP_BYTES(INT_MAX) = 2^28 bytes.',
    sources: [
      `${T1}: vfio_iommu_type1_get_info (builds it before DMA_AVAIL and IOVA_RANGE whatever iommu->v2), vfio_iommu_migration_build_caps`,
      `${T1}: DIRTY_BITMAP_PAGES_MAX (INT_MAX), DIRTY_BITMAP_SIZE_MAX`,
      `${UAPI}: struct vfio_iommu_type1_info_cap_migration`,
    ],
    variants: ['Compat: absent. iommufd_vfio_iommu_get_info fills DMA_AVAIL and IOVA_RANGE only (its fill_fns), as the compat layer has no VFIO_IOMMU_DIRTY_PAGES (T1-COMPAT-DIRTY-ENOTTY); dirty tracking is iommufd\'s own IOMMU_HWPT_SET_DIRTY_TRACKING and IOMMU_HWPT_GET_DIRTY_BITMAP.'],
  },
  // --- DIRTY_PAGES -----------------------------------------------------------------------
  {
    id: 'T1-DIRTY-V1', group: 'DIRTY', level: 'MUST', profile: 'v1', container: 'type1',
    statement: 'VFIO_IOMMU_DIRTY_PAGES on a v1 container fails with EACCES, whatever its flags, before any other check.',
    sources: [`${DIRTY} (!iommu->v2)`],
  },
  {
    id: 'T1-DIRTY-FLAGS', group: 'DIRTY', level: 'MUST', profile: 'v2', container: 'type1',
    statement: 'VFIO_IOMMU_DIRTY_PAGES whose flags hold a bit other than START, STOP and GET_BITMAP, more than one of them, or none fails with EINVAL.',
    sources: [`${DIRTY} (the mask check; __ffs(flags) != __fls(flags); the final return -EINVAL)`, `${UAPI}: VFIO_IOMMU_DIRTY_PAGES_FLAG_START, _STOP, _GET_BITMAP`],
  },
  {
    id: 'T1-DIRTY-START-STOP', group: 'DIRTY', level: 'MUST', profile: 'v2', container: 'type1',
    statement: 'VFIO_IOMMU_DIRTY_PAGES with START alone succeeds, also when tracking is already started; with STOP alone it succeeds, also when tracking is not started. Neither changes the mappings, what the device reaches or locked_vm (the bitmaps are kernel memory, not pinned pages).',
    sources: [`${DIRTY} (START: vfio_dma_bitmap_alloc_all only when !dirty_page_tracking; STOP: vfio_dma_bitmap_free_all only when tracking)`, `${T1}: vfio_dma_bitmap_alloc`],
    variants: ['START fails with EINVAL when a mapping holds more than INT_MAX smallest pages (vfio_dma_bitmap_alloc), 8 TiB at 4 KiB: the suite never maps that much. The tracking state is observable only through GET_BITMAP with a range and through UNMAP_DMA with GET_DIRTY_BITMAP and a bitmap, which the suite does not send.'],
  },
  {
    id: 'T1-DIRTY-GET-BITMAP', group: 'DIRTY', level: 'MUST', profile: 'v2', container: 'type1',
    statement: 'VFIO_IOMMU_DIRTY_PAGES with GET_BITMAP alone and no range after the header (argsz the size of struct vfio_iommu_type1_dirty_bitmap) fails with EINVAL, whether tracking is started or not.',
    sources: [`${DIRTY} (data_size = argsz - minsz; !data_size || data_size < sizeof(range))`, `${UAPI}: struct vfio_iommu_type1_dirty_bitmap_get`],
  },
  {
    id: 'T1-COMPAT-DIRTY-ENOTTY', group: 'DIRTY', level: 'MUST', profile: 'both', container: 'compat',
    statement: 'VFIO_IOMMU_DIRTY_PAGES served by the compat layer fails with ENOTTY, whatever its flags and the container type: the compat layer does not implement it.',
    sources: [`${COMPAT}: iommufd_vfio_ioctl (case VFIO_IOMMU_DIRTY_PAGES falls to the default, -ENOIOCTLCMD)`, 'L fs/ioctl.c: vfs_ioctl (-ENOIOCTLCMD becomes -ENOTTY)'],
  },
  // --- VADDR -----------------------------------------------------------------------------
  {
    id: 'T1-VADDR-INVALIDATE', group: 'VADDR', level: 'MUST', profile: 'both', container: 'type1',
    statement: 'UNMAP_DMA with FLAG_VADDR marks the mappings in the range as having no valid vaddr and reports their total size; the IOMMU mappings, pins and charges do not change. The range is judged as an unmap\'s: on v2 a range that bisects a mapping fails with EINVAL and invalidates nothing (T1-UNMAP-V2-BISECT); on v1 a range starting strictly inside a mapping succeeds, reports size 0 and invalidates nothing (T1-UNMAP-V1-START-INSIDE), otherwise every mapping whose first iova lies in the range is invalidated whole; with FLAG_ALL every mapping is. While emulated (mdev) groups are attached the call fails with EBUSY before any other check; the suite\'s containers have none.',
    sources: [`${T1}: vfio_dma_do_unmap (EBUSY with emulated_iommu_groups, lines 1409-1412; v2 bisect check, lines 1479-1487; v1 break, line 1497; invalidate_vaddr loop, lines 1500-1519)`],
  },
  {
    id: 'T1-VADDR-INVALIDATE-ATOMIC', group: 'VADDR', level: 'MUST', profile: 'both', container: 'type1',
    statement: 'If a mapping in the range of an UNMAP_DMA with FLAG_VADDR is already invalid, the call fails with EINVAL and every mapping it had invalidated is valid again. No size is reported: vfio_dma_do_unmap sets it to 0, but the ioctl returns the error before copying it back.',
    sources: [`${T1}: vfio_dma_do_unmap (invalidate_vaddr revert loop, lines 1501-1512)`, `${T1}: vfio_iommu_type1_unmap_dma (returns on error, lines 2960-2962, before copy_to_user, line 2964)`],
  },
  {
    id: 'T1-VADDR-UPDATE', group: 'VADDR', level: 'MUST', profile: 'both', container: 'type1',
    statement: 'MAP_DMA with FLAG_VADDR whose iova and size equal an invalid mapping gives it the new vaddr; the IOMMU mapping and its pinned frames do not change. From another process, the mapping\'s charge moves to that process (ENOMEM, mapping left invalid, if that would exceed its RLIMIT_MEMLOCK without CAP_IPC_LOCK).',
    sources: [`${T1}: vfio_dma_do_map (set_vaddr), vfio_change_dma_owner`],
    variants: ['vfio_change_dma_owner came with "vfio/type1: restore locked_vm" in v6.3 and 6.1.16; before, the charge did not move.'],
  },
  {
    id: 'T1-VADDR-UPDATE-ERRNO', group: 'VADDR', level: 'MUST', profile: 'both', container: 'type1',
    statement: 'MAP_DMA with FLAG_VADDR fails with ENOENT when no mapping overlaps the range, and with EINVAL when the overlapping mapping is still valid or does not have exactly that iova and size.',
    sources: [`${T1}: vfio_dma_do_map (set_vaddr)`],
    variants: [
      'Linux < 6.18: the lookup (vfio_find_dma) compares start + size, which wraps to 0 for a range ending at 2^64-1, so an update of a mapping ending there fails with ENOENT whatever its state (measured on Linux 6.12 with virtio-iommu; listed in expectations/linux-type1@virtio-iommu.json). Fixed by \'vfio/type1: handle DMA map/unmap up to the addressable limit\' (v6.18).',
    ],
  },
  // --- Accounting ------------------------------------------------------------------------
  {
    id: 'T1-ACCT-CHARGE', group: 'ACCT', level: 'MUST', profile: 'both',
    statement: 'A successful MAP_DMA adds to locked_vm of the mapping process exactly one page per PAGE_SIZE of memory pinned, whether or not that process has CAP_IPC_LOCK.',
    sources: [`${T1}: vfio_pin_pages_remote, vfio_lock_acct`],
    variants: ['Compat: the charge goes to the mapping process\'s mm->locked_vm per iopt_pages (IOPT_PAGES_ACCOUNT_MM on /dev/vfio/vfio), one page per PAGE_SIZE pinned, but is nothing when the process had CAP_IPC_LOCK at map time (IOPT_PAGES_ACCOUNT_NONE, pages.c: iopt_alloc_pages, T1-MAP-RLIMIT). mm->pinned_vm grows in every mode (pages.c: do_update_pinned); `counters` does not observe it.'],
  },
  {
    id: 'T1-ACCT-PER-MAPPING', group: 'ACCT', level: 'MUST', profile: 'both',
    statement: 'Accounting is per mapping: the same memory mapped at two iovas is charged twice.',
    sources: [`${T1}: vfio_pin_pages_remote (per-dma vfio_find_vpfn only)`],
    variants: ['Compat: each MAP_DMA creates its own iopt_pages, so memory mapped twice is charged twice, as here; the pieces T1-COMPAT-UNMAP-V1-CUT leaves of one mapping share its iopt_pages and keep the charge of the pages they still pin.'],
  },
  {
    id: 'T1-ACCT-MMIO', group: 'ACCT', level: 'MUST', profile: 'both', container: 'type1',
    statement: 'Pages of a PFNMAP/MMIO VMA (reserved pfns) are mapped but never charged, also in a request that spans ordinary memory too: only its anonymous and hugetlb pages are charged.',
    sources: [`${T1}: vaddr_get_pfns, follow_fault_pfn, is_invalid_reserved_pfn, vfio_pin_pages_remote (a chunk ends where pages turn reserved or back)`],
  },
  {
    id: 'T1-ACCT-UNCHARGE', group: 'ACCT', level: 'MUST', profile: 'both',
    statement: 'Removing a mapping gives back exactly what it charged to dma->mm, whichever process unmaps: the process that mapped it, or the last process whose VADDR update moved the charge to itself (T1-VADDR-UPDATE). locked_vm never goes negative.',
    sources: [`${T1}: vfio_remove_dma, vfio_unmap_unpin, vfio_lock_acct (mm = dma->mm, line 452)`, `${T1}: vfio_change_dma_owner (dma->mm = the updating process\'s mm, line 1675)`],
    variants: ['Vanilla 6.1.0 to 6.1.15 charged the group leader\'s current mm (the exec underflow bug); fixed by 046eca5018f8 in v6.3 and 6.1.16.'],
  },
  // --- Host memory -----------------------------------------------------------------------
  {
    id: 'T1-HOST-PIN-PERSISTS', group: 'HOST', level: 'MUST', profile: 'both',
    statement: 'munmap, mremap or mprotect of mapped memory does not change what the device reaches: the frames pinned at map time stay reachable, with the mapping\'s permission, until the mapping is removed.',
    sources: [`${T1}: vfio_pin_pages_remote (FOLL_LONGTERM pins, no MMU notifier)`, 'L mm/gup.c: pin_user_pages_remote'],
  },
  {
    id: 'T1-HOST-NO-REUSE', group: 'HOST', level: 'MUST', profile: 'both',
    statement: 'A pinned frame is not given to new memory while pinned: after munmap and a new mmap at the same vaddr, CPU writes to the new memory do not reach the device through the old mapping.',
    sources: ['L mm/gup.c: pin_user_pages_remote', `${T1}: vfio_unpin_pages_remote`],
  },
  {
    id: 'T1-HOST-ENV', group: 'HOST', level: 'MUST', profile: 'both',
    statement: 'The backend\'s processes implement mmap(MAP_FIXED), munmap, mremap(MREMAP_MAYMOVE|MREMAP_FIXED), mprotect and CPU loads and stores as Linux does: the suite builds every case on them, inside the arena the backend declares. mremap moves the frames with the VMA; new anonymous memory reads as zero. Nothing maps above TASK_SIZE (HostInfo.taskSize): mmap of a range reaching above it fails with ENOMEM, mremap onto it and munmap of it with EINVAL.',
    sources: ['L mm/mmap.c: do_mmap, __get_unmapped_area (TASK_SIZE)', 'L mm/vma.c: do_vmi_munmap (TASK_SIZE)', 'L mm/mremap.c: check_mremap_params (TASK_SIZE), mremap_to, move_vma', 'L mm/mprotect.c: do_mprotect_pkey', 'L arch/x86/include/asm/page_64.h: task_size_max (2^47 - PAGE_SIZE with 4-level paging)'],
  },
  // --- Release ---------------------------------------------------------------------------
  {
    id: 'T1-CLOSE-RELEASE', group: 'CLOSE', level: 'MUST', profile: 'both',
    statement: 'When the last group detaches from the container (VFIO_GROUP_UNSET_CONTAINER, or the close of the group with its devices), every mapping is removed, every page unpinned and every charge given back; a new container starts empty with the full dma_entry_limit. Closing the container fd alone releases nothing while a group still holds the container. closeContainer closes the device, the group and the container and sets up a new one.',
    sources: [
      'L drivers/vfio/container.c: vfio_group_detach_container (detach_group, then release once the group list is empty, lines 468-500), vfio_fops_release (drops a reference only, lines 376-382)',
      `${T1}: vfio_iommu_type1_detach_group (vfio_iommu_unmap_unpin_all when the last IOMMU-backed group leaves and no emulated group remains, lines 2588-2592), vfio_iommu_type1_release (line 2683), vfio_iommu_unmap_unpin_all`,
    ],
    variants: ['Before v6.18 vfio_unmap_unpin computed end = iova + size, which wraps to 0 for a mapping ending at 2^64 - 1, so its loop never ran: release (and every removal of such a mapping) freed the vfio_dma but left its pages pinned and charged to locked_vm (measured on Linux 6.12 with virtio-iommu, kernel/divergences/). Fixed by "vfio/type1: handle DMA map/unmap up to the addressable limit". The suite reports that as a violation.'],
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]['id'];

export const RULE_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

/** Whether `rule` binds a backend of `profile`: its container type and the implementation serving it. */
export function ruleBinds(rule: Rule, profile: Profile): boolean {
  const { v2, impl } = profileTraits(profile);
  const version = rule.profile === 'both' || rule.profile === (v2 ? 'v2' : 'v1');
  return version && (rule.container === undefined || rule.container === impl);
}
