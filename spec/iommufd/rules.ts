// The iommufd rule index: the IOAS uAPI of /dev/iommu and the VFIO device cdev's iommufd
// ioctls, as Linux implements them.
//
// IDs are stable and never renumbered (spec/iommufd/rule-ids.md is the shared vocabulary; rules
// may be added, never renamed). Every statement was checked against the Linux source: v6.12
// (the kernel the suite runs) and upstream, which differ only where a rule says so in
// `variants`. Sources cite the Linux file and function (`L path: function`). The order in which
// the kernel applies the checks of one ioctl is in spec/iommufd/README.md and in
// IOMMUFD-MAP-ORDER. spec/iommufd/rules.md is generated from this file.

export type Level = 'MUST' | 'MAY';

export interface Rule {
  id: string;
  group: Group;
  level: Level;
  /** One profile today: the native /dev/iommu interface. */
  profile: 'iommufd';
  statement: string;
  sources: string[];
  /** Kernel versions or configurations that behave differently, and how the suite treats them. */
  variants?: string[];
}

export const GROUPS = {
  OBJ: 'Objects: IOMMU_IOAS_ALLOC, IOMMU_DESTROY, closing the context',
  MAP: 'IOMMU_IOAS_MAP',
  UNMAP: 'IOMMU_IOAS_UNMAP',
  COPY: 'IOMMU_IOAS_COPY',
  RANGES: 'IOMMU_IOAS_IOVA_RANGES and IOMMU_IOAS_ALLOW_IOVAS',
  ATTACH: 'Devices: VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT',
  ACCT: 'Pinning and accounting, IOMMU_OPTION_RLIMIT_MODE',
  DMA: 'What a device reaches',
  HOST: 'Host memory interplay',
  INFO: 'IOMMU_GET_HW_INFO',
} as const;
export type Group = keyof typeof GROUPS;

const IOAS = 'L drivers/iommu/iommufd/ioas.c';
const IOPT = 'L drivers/iommu/iommufd/io_pagetable.c';
const PAGES = 'L drivers/iommu/iommufd/pages.c';
const MAIN = 'L drivers/iommu/iommufd/main.c';
const DEVICE = 'L drivers/iommu/iommufd/device.c';
const HWPT = 'L drivers/iommu/iommufd/hw_pagetable.c';
const CDEV = 'L drivers/vfio/device_cdev.c';
const VFIO_MAIN = 'L drivers/vfio/vfio_main.c';
const VFIO_IOMMUFD = 'L drivers/vfio/iommufd.c';
const UAPI = 'L include/uapi/linux/iommufd.h';

const P = 'iommufd' as const;

export const RULES = [
  // --- Objects ----------------------------------------------------------------------------
  {
    id: 'IOMMUFD-OBJ-ID', group: 'OBJ', level: 'MUST', profile: P,
    statement: 'An operation naming an IOAS handle that names no live IOAS (never allocated, destroyed, or allocated in a context since closed) fails with ENOENT. The lookup comes after the checks of the command\'s own fields (flags, u64 bounds, permission: IOMMUFD-MAP-ORDER) and before every check that needs the IOAS. COPY looks up the source IOAS first and the destination only after the source range was found (IOMMUFD-COPY-SRC); ATTACH of a bound device to a dead handle fails with ENOENT too.',
    sources: [`${MAIN}: iommufd_get_object`, `${IOAS}: iommufd_ioas_map, iommufd_ioas_unmap, iommufd_ioas_copy, iommufd_ioas_iova_ranges, iommufd_ioas_allow_iovas`, `${DEVICE}: iommufd_device_change_pt`],
  },
  {
    id: 'IOMMUFD-OBJ-ALLOC', group: 'OBJ', level: 'MUST', profile: P,
    statement: 'IOMMU_IOAS_ALLOC always succeeds with a new, empty IOAS: no area, no allowed range, no reserved range, iova_alignment 1. A handle that already named a live IOAS then names the new one; the old IOAS stays alive, unnamed, with its areas and attached devices, until the context is closed.',
    sources: [`${IOAS}: iommufd_ioas_alloc_ioctl, iommufd_ioas_alloc`, `${IOPT}: iopt_init_table`],
  },
  {
    id: 'IOMMUFD-OBJ-DESTROY-BUSY', group: 'OBJ', level: 'MUST', profile: P,
    statement: 'IOMMU_DESTROY of an IOAS that a device is attached to (its automatic HWPT holds a reference on the IOAS) fails with EBUSY and changes nothing.',
    sources: [`${MAIN}: iommufd_destroy, iommufd_object_remove (refcount of users not 1)`, `${HWPT}: iommufd_hwpt_paging_alloc (the HWPT holds the IOAS)`],
  },
  {
    id: 'IOMMUFD-OBJ-DESTROY', group: 'OBJ', level: 'MUST', profile: P,
    statement: 'IOMMU_DESTROY of an IOAS no device is attached to removes every area (unpinning and uncharging what they held) and the handle is dead; the IOAS\'s pages shared with areas of other IOASes (IOMMUFD-COPY-SHARE) stay pinned while those areas are filled.',
    sources: [`${IOAS}: iommufd_ioas_destroy (iopt_unmap_all)`, `${IOPT}: iopt_unmap_iova_range`],
  },
  {
    id: 'IOMMUFD-OBJ-CLOSE', group: 'OBJ', level: 'MUST', profile: P,
    statement: 'Closing the device fds and the iommufd (closeCtx) unbinds every device, destroys every object, unpins every page and returns every charge (locked_vm of the user or the mm, pinned_vm); nothing stays mapped. The fresh context has RLIMIT_MODE 0 and no object. The process\'s memory, RLIMIT_MEMLOCK and capabilities are unchanged.',
    sources: [`${MAIN}: iommufd_fops_release, iommufd_fops_open (account_mode = IOPT_PAGES_ACCOUNT_USER)`, `${CDEV}: vfio_df_unbind_iommufd`],
  },
  // --- IOMMU_IOAS_MAP ---------------------------------------------------------------------
  {
    id: 'IOMMUFD-MAP-FLAGS', group: 'MAP', level: 'MUST', profile: P,
    statement: 'IOAS_MAP with a flag bit other than FIXED_IOVA (1), WRITEABLE (2) or READABLE (4) fails with EOPNOTSUPP. It is the first check.',
    sources: [`${IOAS}: iommufd_ioas_map`, `${UAPI}: struct iommu_ioas_map`],
  },
  {
    id: 'IOMMUFD-MAP-PERM', group: 'MAP', level: 'MUST', profile: P,
    statement: 'IOAS_MAP with neither READABLE nor WRITEABLE fails with EINVAL, after the flag and u64-bound checks and before the IOAS lookup.',
    sources: [`${IOAS}: iommufd_ioas_map`],
  },
  {
    id: 'IOMMUFD-MAP-LENGTH-ZERO', group: 'MAP', level: 'MUST', profile: P,
    statement: 'IOAS_MAP with length 0, or a length above SIZE_MAX - PAGE_SIZE that passed the bound check, fails with EINVAL (iopt_alloc_pages, after the IOAS lookup).',
    sources: [`${PAGES}: iopt_alloc_pages`],
    variants: ['Upstream splits iopt_alloc_pages and checks user_va + length for overflow first (iopt_alloc_user_pages): a length above SIZE_MAX - PAGE_SIZE whose user range also overflows is EOVERFLOW there, EINVAL in v6.12. The suite accepts either.'],
  },
  {
    id: 'IOMMUFD-MAP-OVERFLOW', group: 'MAP', level: 'MUST', profile: P,
    statement: 'IOAS_MAP fails with EOVERFLOW when iova or length is at least 2^64 - 1 (before the permission check and the IOAS lookup); when user_va + length does not fit in 64 bits (check_add_overflow(uptr, length): a user range whose last byte is 2^64 - 1 is refused too); without FIXED_IOVA when length is at least 2^63 - 1 (iopt_alloc_iova protects roundup_pow_of_two); with FIXED_IOVA when iova + length - 1 passes 2^64 - 1 (an iova range whose last byte is 2^64 - 1 is accepted).',
    sources: [`${IOAS}: iommufd_ioas_map`, `${PAGES}: iopt_alloc_pages (check_add_overflow(uptr, length))`, `${IOPT}: iopt_alloc_iova, iopt_check_iova`],
    variants: ['The user_va + length check was added by "iommufd: Check for uptr overflow" (2023) and is in v6.12 and upstream; a kernel without it maps such a range lazily. The suite reports that as a violation.'],
  },
  {
    id: 'IOMMUFD-MAP-ALIGN', group: 'MAP', level: 'MUST', profile: P,
    statement: 'IOAS_MAP fails with EINVAL when length is not a multiple of the IOAS\'s iova_alignment; with FIXED_IOVA when iova is not a multiple of it; without FIXED_IOVA when the alignment the allocator wants (min(roundup_pow_of_two(length), lowest set bit of user_va), or roundup_pow_of_two(length) for user_va 0) is below it; and, once the iova is chosen, when user_va\'s offset in its page is not a multiple of it. iova_alignment is 1 with no domain attached, so any byte granularity maps; with a domain it is the domain\'s smallest page (IOMMUFD-ATTACH-ALIGN).',
    sources: [`${IOPT}: iopt_alloc_area_pages (length), iopt_check_iova (iova), iopt_alloc_iova (iova_alignment < iopt->iova_alignment), iopt_insert_area (page_offset)`],
  },
  {
    id: 'IOMMUFD-MAP-RESERVED', group: 'MAP', level: 'MUST', profile: P,
    statement: 'A FIXED_IOVA map whose [iova, iova + length - 1] meets a reserved range (IOMMUFD-ATTACH-RESERVE) fails with EINVAL. The allowed list does not restrict FIXED_IOVA maps.',
    sources: [`${IOPT}: iopt_check_iova (iopt_reserved_iter_first)`],
  },
  {
    id: 'IOMMUFD-MAP-OVERLAP', group: 'MAP', level: 'MUST', profile: P,
    statement: 'A FIXED_IOVA map overlapping any byte of an existing area fails with EEXIST (after the reserved-range check); adjacent areas do not overlap and are never merged.',
    sources: [`${IOPT}: iopt_check_iova (iopt_area_iter_first)`],
  },
  {
    id: 'IOMMUFD-MAP-ALLOC', group: 'MAP', level: 'MUST', profile: P,
    statement: 'Without FIXED_IOVA the kernel picks the iova and writes it back: the range lies in [PAGE_SIZE, 2^64 - 1 - PAGE_SIZE] (never iova 0), inside one allowed range when the allowed list is not empty, meets no reserved range and no area, and is a multiple of the iova_alignment. Which such iova is an implementation choice (Linux takes the lowest hole, aligned to min(roundup_pow_of_two(length), lowest set bit of user_va) and keeping user_va\'s offset in its page). When no hole fits at the alignment Linux wants, the map fails with ENOSPC.',
    sources: [`${IOPT}: iopt_alloc_iova, __alloc_iova_check_used, __alloc_iova_check_hole`],
    variants: ['Upstream (and stable kernels it was backported to) caps the alignment the allocator wants at the huge page size (HPAGE_SIZE with transparent huge pages, else PAGE_SIZE: "Protect against ALIGN() overflow" in iopt_alloc_iova), so it finds room v6.12 does not. Where v6.12 answers ENOSPC and the capped alignment fits, the suite accepts either answer, with the host\'s huge page size for HPAGE_SIZE or PAGE_SIZE (a kernel without CONFIG_TRANSPARENT_HUGEPAGE, such as the one kernel/iommufd builds); a success must still be a conforming iova, and the model follows it.'],
  },
  {
    id: 'IOMMUFD-MAP-LAZY', group: 'MAP', level: 'MUST', profile: P,
    statement: 'While no device is attached to the IOAS (no domain), IOAS_MAP creates the area without looking at user_va\'s memory: it pins and charges nothing, and succeeds for an unmapped, PROT_NONE or MMIO user_va. The pages are pinned, charged and checked when a domain is attached (IOMMUFD-ATTACH-FILL).',
    sources: [`${PAGES}: iopt_area_fill_domains (returns 0 when iopt->domains is empty)`, `${IOPT}: iopt_map_pages, iopt_fill_domain`],
  },
  {
    id: 'IOMMUFD-MAP-UNBACKED', group: 'MAP', level: 'MUST', profile: P,
    statement: 'When the IOAS has a domain, IOAS_MAP pins the pages at once (pin_user_pages with FOLL_LONGTERM, and FOLL_WRITE when WRITEABLE): a page of [user_va, user_va + length) that no VMA backs, a PROT_NONE page, a VM_PFNMAP (MMIO) page, or, with WRITEABLE, a read-only page fails the map with EFAULT.',
    sources: [`${PAGES}: pfn_reader_user_pin, iopt_area_fill_domains`, 'L mm/gup.c: __gup_longterm_locked, check_vma_flags (VM_IO | VM_PFNMAP)'],
  },
  {
    id: 'IOMMUFD-MAP-RLIMIT', group: 'MAP', level: 'MUST', profile: P,
    statement: 'A pin whose charge would take the charged counter (IOMMUFD-ACCT-USER, IOMMUFD-ACCT-MM) above RLIMIT_MEMLOCK in pages fails with ENOMEM, unless the pages are in account mode NONE (IOMMUFD-ACCT-CAP). An area is charged once its pages are all pinned, so EFAULT on a page of the area wins over ENOMEM.',
    sources: [`${PAGES}: pfn_reader_user_update_pinned, do_update_pinned, incr_user_locked_vm`, 'L mm/util.c: __account_locked_vm'],
  },
  {
    id: 'IOMMUFD-MAP-ATOMIC', group: 'MAP', level: 'MUST', profile: P,
    statement: 'A failed IOAS_MAP or IOAS_COPY leaves no area, no pin and no charge: the IOAS, every domain and the counters are as before.',
    sources: [`${IOPT}: iopt_map_user_pages, iopt_map_pages, iopt_fill_domains_pages, iopt_free_pages_list`, `${PAGES}: iopt_area_fill_domains ("On failure all domains are left unchanged")`],
  },
  {
    id: 'IOMMUFD-MAP-EXACT', group: 'MAP', level: 'MUST', profile: P,
    statement: 'After a successful IOAS_MAP exactly [iova, iova + length) is an area, reaching with READABLE / WRITEABLE the pages behind [user_va, user_va + length) (pinned now or at the first attach: IOMMUFD-HOST-PIN), for every device attached to the IOAS now or later. The iova written back is the fixed one with FIXED_IOVA.',
    sources: [`${IOAS}: iommufd_ioas_map, conv_iommu_prot`, `${IOPT}: iopt_map_user_pages, iopt_insert_area`],
  },
  {
    id: 'IOMMUFD-MAP-ORDER', group: 'MAP', level: 'MUST', profile: P,
    statement: 'The checks of IOAS_MAP run in this order, and the first that fails decides: flags (EOPNOTSUPP); iova or length at least 2^64 - 1 (EOVERFLOW); no permission (EINVAL); IOAS lookup (ENOENT); length 0 or too large (EINVAL); user_va + length overflow (EOVERFLOW); length alignment (EINVAL); then with FIXED_IOVA iova alignment (EINVAL), iova + length - 1 overflow (EOVERFLOW), reserved (EINVAL), overlap (EEXIST), or without it length at least 2^63 - 1 (EOVERFLOW), allocator alignment (EINVAL), no hole (ENOSPC); user_va page-offset alignment (EINVAL); pinning (EFAULT), charging (ENOMEM). IOAS_COPY and IOAS_UNMAP have their own orders (IOMMUFD-COPY-*, IOMMUFD-UNMAP-ARGS). A backend answering a later check\'s errno where an earlier check fails breaks this rule with the earlier check\'s.',
    sources: [`${IOAS}: iommufd_ioas_map`, `${PAGES}: iopt_alloc_pages`, `${IOPT}: iopt_map_user_pages, iopt_alloc_area_pages, iopt_alloc_iova, iopt_check_iova, iopt_insert_area, iopt_map_pages`],
  },
  // --- IOMMU_IOAS_UNMAP -------------------------------------------------------------------
  {
    id: 'IOMMUFD-UNMAP-ALL', group: 'UNMAP', level: 'MUST', profile: P,
    statement: 'IOAS_UNMAP with iova 0 and length 2^64 - 1 removes every area and returns the bytes removed; on an empty IOAS it succeeds with 0.',
    sources: [`${IOAS}: iommufd_ioas_unmap`, `${IOPT}: iopt_unmap_all (ENOENT becomes 0)`],
  },
  {
    id: 'IOMMUFD-UNMAP-ARGS', group: 'UNMAP', level: 'MUST', profile: P,
    statement: 'After the IOAS lookup (ENOENT comes first) and outside the unmap-all form: iova or length at least 2^64 - 1 fails with EOVERFLOW; then length 0 with EINVAL; then iova + length - 1 passing 2^64 - 1 with EOVERFLOW.',
    sources: [`${IOAS}: iommufd_ioas_unmap`, `${IOPT}: iopt_unmap_iova`],
  },
  {
    id: 'IOMMUFD-UNMAP-EMPTY', group: 'UNMAP', level: 'MUST', profile: P,
    statement: 'IOAS_UNMAP of a range that meets no area fails with ENOENT.',
    sources: [`${IOPT}: iopt_unmap_iova_range (rc starts at -ENOENT)`],
    variants: ['afb47765f923 ("iommufd: Make vfio_compat\'s unmap succeed if the range is already empty", 2025) changed only the VFIO compat container; the native ioctl still answers ENOENT.'],
  },
  {
    id: 'IOMMUFD-UNMAP-WHOLE', group: 'UNMAP', level: 'MUST', profile: P,
    statement: 'An area is removed only whole: IOAS_UNMAP whose range meets an area not wholly inside it fails with ENOENT (areas are never split by the native ioctl). Any number of whole areas, with holes between them, are removed by one range.',
    sources: [`${IOPT}: iopt_unmap_iova_range (area_first < start || area_last > last)`],
  },
  {
    id: 'IOMMUFD-UNMAP-PARTIAL', group: 'UNMAP', level: 'MUST', profile: P,
    statement: 'IOAS_UNMAP is not atomic: it walks the areas meeting the range in ascending iova order and removes each before it looks at the next, so when it fails on an area (IOMMUFD-UNMAP-WHOLE) the areas below it are already removed (unpinned, uncharged, unreachable) and the failing area and those above it stay.',
    sources: [`${IOPT}: iopt_unmap_iova_range`],
    variants: ['b23e09f99977 ("iommufd: Fix the unmapped count on the error path", 2025) also reports the bytes removed before the failure to in-kernel callers; the native ioctl writes no length back on failure in v6.12 or upstream, so nothing the suite observes changes.'],
  },
  {
    id: 'IOMMUFD-UNMAP-COUNT', group: 'UNMAP', level: 'MUST', profile: P,
    statement: 'A successful IOAS_UNMAP writes back in length the total length of the areas it removed.',
    sources: [`${IOAS}: iommufd_ioas_unmap (cmd->length = unmapped)`, `${IOPT}: iopt_unmap_iova_range`],
  },
  {
    id: 'IOMMUFD-NO-STALE', group: 'UNMAP', level: 'MUST', profile: P,
    statement: 'Once an area is removed (by UNMAP, including the areas an UNMAP removed before failing, or by DESTROY), no iova of it reaches any frame through any domain.',
    sources: [`${IOPT}: iopt_unmap_iova_range (iopt_area_unfill_domains before iopt_abort_area)`, `${PAGES}: iopt_area_unfill_domains, __iopt_area_unfill_domain ("we must not unpin something that is still DMA mapped")`],
  },
  // --- IOMMU_IOAS_COPY --------------------------------------------------------------------
  {
    id: 'IOMMUFD-COPY-FLAGS', group: 'COPY', level: 'MUST', profile: P,
    statement: 'IOAS_COPY takes MAP\'s flags: another bit fails with EOPNOTSUPP; then length, src_iova or dst_iova at least 2^64 - 1 with EOVERFLOW; then neither READABLE nor WRITEABLE with EINVAL; all before any IOAS lookup.',
    sources: [`${IOAS}: iommufd_ioas_copy`],
  },
  {
    id: 'IOMMUFD-COPY-SRC', group: 'COPY', level: 'MUST', profile: P,
    statement: 'After the source IOAS lookup: length 0 fails with EINVAL, src_iova + length - 1 passing 2^64 - 1 with EOVERFLOW, and a source range not covered by back-to-back areas (it may start and end inside areas and span several, but no hole) with ENOENT. Only then is the destination IOAS looked up (ENOENT).',
    sources: [`${IOPT}: iopt_get_pages, iopt_area_contig_init, iopt_area_contig_next`, `${IOAS}: iommufd_ioas_copy`],
  },
  {
    id: 'IOMMUFD-COPY-DST', group: 'COPY', level: 'MUST', profile: P,
    statement: 'The destination behaves as MAP from its length-alignment check on (IOMMUFD-MAP-ALIGN, -RESERVED, -OVERLAP, -ALLOC, -ORDER, -ATOMIC), the allocator\'s user_va being the source\'s user address at src_iova. The copy creates one destination area per source area it spans, back to back from the written-back iova, each checked in order for EPERM (IOMMUFD-COPY-WRITE) and its page offset; a later IOAS_UNMAP sees those areas separately (IOMMUFD-UNMAP-WHOLE). The same IOAS may be source and destination.',
    sources: [`${IOPT}: iopt_map_pages, iopt_alloc_area_pages, iopt_insert_area`],
  },
  {
    id: 'IOMMUFD-COPY-SHARE', group: 'COPY', level: 'MUST', profile: P,
    statement: 'A copy references the source\'s iopt_pages: it reaches the same frames as the source, pages already pinned are not pinned or charged again, and a page stays pinned and charged while any filled area (an area of an IOAS with a domain) of either map covers it. The source\'s user memory is not looked at again for pinned pages.',
    sources: [`${IOPT}: iopt_get_pages (kref_get)`, `${PAGES}: pfn_reader_fill_span (domains_itree first), pfn_reader_unpin, iopt_area_unfill_domain`],
  },
  {
    id: 'IOMMUFD-COPY-WRITE', group: 'COPY', level: 'MUST', profile: P,
    statement: 'A WRITEABLE copy of pages that were mapped without WRITEABLE fails with EPERM (after the destination iova is chosen or checked). A READABLE copy of writable pages is fine, and a copy of a copy inherits the original map\'s writability.',
    sources: [`${IOPT}: iopt_insert_area (IOMMU_WRITE && !pages->writable)`, `${IOPT}: iopt_map_user_pages (pages writable iff IOMMU_WRITE)`],
  },
  // --- IOVA_RANGES / ALLOW_IOVAS ----------------------------------------------------------
  {
    id: 'IOMMUFD-RANGES-REPORT', group: 'RANGES', level: 'MUST', profile: P,
    statement: 'IOAS_IOVA_RANGES reports the complement of the reserved ranges in [0, 2^64 - 1], ascending, with inclusive ends, and out_iova_alignment = the IOAS\'s iova_alignment. The allowed list does not narrow the report. An IOAS with no device attached reports [0, 2^64 - 1] and alignment 1.',
    sources: [`${IOAS}: iommufd_ioas_iova_ranges (interval_tree_for_each_span over reserved_itree only)`],
  },
  {
    id: 'IOMMUFD-ALLOW-ARGS', group: 'RANGES', level: 'MUST', profile: P,
    statement: 'After the IOAS lookup, ALLOW_IOVAS fails with EINVAL when an entry has start >= last (a one-byte range is refused too) or overlaps an earlier entry of the list; the old list is kept.',
    sources: [`${IOAS}: iommufd_ioas_allow_iovas, iommufd_ioas_load_iovas`],
  },
  {
    id: 'IOMMUFD-ALLOW-RESERVED', group: 'RANGES', level: 'MUST', profile: P,
    statement: 'ALLOW_IOVAS fails with EADDRINUSE when an entry meets a reserved range; the old list is kept.',
    sources: [`${IOPT}: iopt_set_allow_iova`],
  },
  {
    id: 'IOMMUFD-ALLOW-REPLACE', group: 'RANGES', level: 'MUST', profile: P,
    statement: 'A successful ALLOW_IOVAS replaces the whole allowed list (an empty list lifts the restriction). It restricts only automatic iova allocation (IOMMUFD-MAP-ALLOC) and later reservations (IOMMUFD-ATTACH-CONFLICT); existing areas and FIXED_IOVA maps are not checked against it.',
    sources: [`${IOPT}: iopt_set_allow_iova, iopt_alloc_iova, iopt_reserve_iova`],
  },
  // --- Devices ----------------------------------------------------------------------------
  {
    id: 'IOMMUFD-BIND', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'BIND_IOMMUFD binds an unbound device to the context (it becomes an object); binding a bound device fails with EINVAL. Every other ioctl of an unbound device\'s cdev, ATTACH_IOMMUFD_PT and DETACH_IOMMUFD_PT included, fails with EINVAL.',
    sources: [`${CDEV}: vfio_df_ioctl_bind_iommufd ("one device cannot be bound twice")`, `${VFIO_MAIN}: vfio_device_fops_unl_ioctl (!df->access_granted)`, `${DEVICE}: iommufd_device_bind`],
  },
  {
    id: 'IOMMUFD-ATTACH-RESERVE', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'While a device is attached to an IOAS its reserved regions are reserved ranges of the IOAS, and while its domain is attached, [0, aperture.start - 1] (when aperture.start > 0) and [aperture.last + 1, 2^64 - 1] (when aperture.last < 2^64 - 1) are too. A device\'s regions go when it detaches; the aperture\'s go when the last device using the domain detaches.',
    sources: [`${IOPT}: iopt_table_add_domain, iopt_table_enforce_dev_resv_regions, iopt_table_remove_domain, iopt_remove_reserved_iova`, `${DEVICE}: iommufd_hw_pagetable_attach, iommufd_hw_pagetable_detach`],
  },
  {
    id: 'IOMMUFD-ATTACH-CONFLICT', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'An attach whose new reservations (IOMMUFD-ATTACH-RESERVE) meet an existing area or an allowed range fails with EADDRINUSE and changes nothing. On a first attach the device\'s own regions are reserved before a new domain\'s aperture; on a replace into an IOAS whose domains do not take the device, a new domain is added (aperture, alignment, fill) before the device\'s regions are reserved.',
    sources: [`${IOPT}: iopt_reserve_iova (area or allowed range: -EADDRINUSE)`, `${DEVICE}: iommufd_hw_pagetable_attach, iommufd_device_do_replace, iommufd_group_do_replace_reserved_iova, iommufd_device_auto_get_domain`, `${HWPT}: iommufd_hwpt_paging_alloc (immediate_attach before iopt_table_add_domain)`],
  },
  {
    id: 'IOMMUFD-ATTACH-ALIGN', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'A new domain raises the IOAS\'s iova_alignment to the largest smallest-page (lowest bit of pgsizes) of its domains; a domain whose smallest page is above PAGE_SIZE fails the attach with EINVAL, and an existing area whose iova, length or page offset is not a multiple of the new alignment with EADDRINUSE. When a domain goes the alignment is recomputed (1 with no domain).',
    sources: [`${IOPT}: iopt_table_add_domain, iopt_check_iova_alignment, iopt_calculate_iova_alignment`],
  },
  {
    id: 'IOMMUFD-ATTACH-FILL', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'A new domain is filled with every area of the IOAS in ascending iova order, pinning and charging the pages not already pinned (IOMMUFD-MAP-UNBACKED, IOMMUFD-MAP-RLIMIT): a failure (EFAULT, ENOMEM) undoes the whole fill and leaves the IOAS, the counters and the device\'s previous attachment unchanged. A device joining a domain already attached to the IOAS fills nothing: a device takes the first domain of the IOAS (in the order they were added) that its IOMMU accepts, which the suite reads as the same page sizes, aperture and hw_info type, and gets a new one only when none does.',
    sources: [`${IOPT}: iopt_table_add_domain, iopt_fill_domain (out_unfill)`, `${PAGES}: iopt_area_fill_domain`],
  },
  {
    id: 'IOMMUFD-ATTACH-REPLACE', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'ATTACH_IOMMUFD_PT of an attached device replaces: its group moves to the new IOAS atomically (on failure it stays where it was), DMA then sees only the new IOAS, and the old IOAS loses the group\'s reservations and, with its last device, the domain (unpinning what no other domain holds). Attaching to the IOAS it is already attached to succeeds and changes nothing: the group keeps its domain and its reserved regions.',
    sources: [`${VFIO_IOMMUFD}: vfio_iommufd_physical_attach_ioas (iommufd_device_replace when attached)`, `${DEVICE}: iommufd_device_replace, iommufd_device_auto_get_domain, iommufd_device_do_replace (hwpt == igroup->hwpt: no change)`],
    variants: ['Linux v6.12 and upstream try the IOAS\'s domains in the order they were added; when one added before the group\'s own refuses the device, the error path of iommufd_device_do_replace (err_unresv: iommufd_group_remove_reserved_iova) removes the group\'s reserved regions from that domain\'s IOAS, which is the IOAS the group stays attached to: its MSI window and other regions are no longer reserved there. The suite reports that as a violation.'],
  },
  {
    id: 'IOMMUFD-ATTACH-GROUP', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'Devices of one group share their attachment: a device whose group has another device attached to a different IOAS cannot attach (EINVAL), and a replace moves every attached device of the group.',
    sources: [`${DEVICE}: iommufd_hw_pagetable_attach (igroup->hwpt != hwpt: -EINVAL), iommufd_device_do_replace`],
  },
  {
    id: 'IOMMUFD-DETACH', group: 'ATTACH', level: 'MUST', profile: P,
    statement: 'DETACH_IOMMUFD_PT of an attached device succeeds; the device then reaches nothing. The IOAS keeps its areas; when the detached device was the last one using the IOAS\'s last domain, every page its areas pinned is unpinned and uncharged (the areas become lazy again, IOMMUFD-MAP-LAZY) and pinned again, from the memory behind user_va then, at the next attach. DETACH of a bound device that is not attached succeeds and changes nothing.',
    sources: [`${CDEV}: vfio_df_ioctl_detach_pt`, `${VFIO_IOMMUFD}: vfio_iommufd_physical_detach_ioas (no-op when not attached)`, `${DEVICE}: iommufd_device_detach`, `${IOPT}: iopt_table_remove_domain, iopt_unfill_domain`],
  },
  // --- Accounting -------------------------------------------------------------------------
  {
    id: 'IOMMUFD-ACCT-USER', group: 'ACCT', level: 'MUST', profile: P,
    statement: 'In RLIMIT_MODE 0 (the default of /dev/iommu) pins are charged to the user\'s locked_vm (user_struct, not observable: VmLck stays 0) and checked against RLIMIT_MEMLOCK of the process that mapped.',
    sources: [`${PAGES}: iopt_alloc_pages (IOPT_PAGES_ACCOUNT_USER), incr_user_locked_vm, decr_user_locked_vm`],
  },
  {
    id: 'IOMMUFD-ACCT-MM', group: 'ACCT', level: 'MUST', profile: P,
    statement: 'Pages mapped while RLIMIT_MODE is 1 are charged to the process\'s mm->locked_vm (VmLck), checked against RLIMIT_MEMLOCK.',
    sources: [`${IOPT}: iopt_map_user_pages (ictx->account_mode MM)`, `${PAGES}: update_mm_locked_vm`, 'L mm/util.c: __account_locked_vm'],
  },
  {
    id: 'IOMMUFD-ACCT-CAP', group: 'ACCT', level: 'MUST', profile: P,
    statement: 'Pages mapped while the process holds CAP_IPC_LOCK are in account mode NONE whatever RLIMIT_MODE is: their pins charge no locked_vm and never fail with ENOMEM. The mode is fixed at IOAS_MAP; CAP_IPC_LOCK when the pages are later pinned (attach, copy) does not matter.',
    sources: [`${PAGES}: iopt_alloc_pages (capable(CAP_IPC_LOCK)), do_update_pinned`],
  },
  {
    id: 'IOMMUFD-ACCT-PINNED', group: 'ACCT', level: 'MUST', profile: P,
    statement: 'mm->pinned_vm (VmPin) of the process counts every pinned page of every iopt_pages, in every account mode.',
    sources: [`${PAGES}: do_update_pinned (pinned_vm)`],
  },
  {
    id: 'IOMMUFD-ACCT-EXACT', group: 'ACCT', level: 'MUST', profile: P,
    statement: 'Charges are per pinned page of each iopt_pages: a page is pinned and charged once however many filled areas and domains of its pages hold it; two IOAS_MAPs of one user range are two iopt_pages and charge twice; a copy charges only pages not yet pinned. Unpinning (unmap, destroy, last detach, close) returns exactly the charge, to the counter it was charged to.',
    sources: [`${PAGES}: pfn_reader_user_update_pinned, iopt_pages_update_pinned, update_unpinned`],
  },
  {
    id: 'IOMMUFD-OPTION-RLIMIT', group: 'ACCT', level: 'MUST', profile: P,
    statement: 'IOMMU_OPTION RLIMIT_MODE GET returns the mode (0 or 1). SET fails with EBUSY while the context holds any object (an IOAS, named or not, a bound device, a domain), checked before the value; then a value above 1 fails with EINVAL.',
    sources: [`${IOAS}: iommufd_option_rlimit_mode (xa_empty(&ictx->objects))`],
    variants: ['SET needs CAP_SYS_RESOURCE (EPERM otherwise); a backend declares the `rlimitMode` capability only when it can send it.'],
  },
  // --- DMA --------------------------------------------------------------------------------
  {
    id: 'IOMMUFD-DMA-REACH', group: 'DMA', level: 'MUST', profile: P,
    statement: 'A device attached to an IOAS reaches, at iova, the pinned frame behind the area covering iova, reading with READABLE and writing with WRITEABLE; anywhere else (no area, a reserved range, a missing permission) and for a device that is unbound or not attached, the DMA faults.',
    sources: [`${PAGES}: batch_to_domain, iopt_area_fill_domain`, `${IOAS}: conv_iommu_prot`],
  },
  // --- Host -------------------------------------------------------------------------------
  {
    id: 'IOMMUFD-HOST-ENV', group: 'HOST', level: 'MUST', profile: P,
    statement: 'The backend\'s process implements mmap(MAP_FIXED), munmap and CPU loads and stores as Linux does, inside the arena it declares; new anonymous memory reads as zero; setrlimit(RLIMIT_MEMLOCK) and the CAP_IPC_LOCK toggle succeed.',
    sources: ['L mm/mmap.c: do_mmap', 'L mm/vma.c: do_vmi_munmap'],
  },
  {
    id: 'IOMMUFD-HOST-PIN', group: 'HOST', level: 'MUST', profile: P,
    statement: 'Pages are captured when they are pinned (at MAP or COPY into an IOAS with a domain, else at the attach that fills them): munmap or a new mmap of the user range afterwards does not change what the device reaches while the pages stay pinned, and the pinned frames are not reused for new memory. Pages not pinned (lazy areas) follow the user range until pinned.',
    sources: [`${PAGES}: pfn_reader_user_pin (FOLL_LONGTERM)`, 'L mm/gup.c: pin_user_pages'],
  },
  // --- Info -------------------------------------------------------------------------------
  {
    id: 'IOMMUFD-HWINFO', group: 'INFO', level: 'MUST', profile: P,
    statement: 'IOMMU_GET_HW_INFO of a bound device returns its IOMMU\'s out_data_type (enum iommu_hw_info_type) whether or not it is attached; out_capabilities is not judged (the declaration does not give it). An unbound device has no device id in the context: ENOENT.',
    sources: [`${DEVICE}: iommufd_get_hw_info`, `${UAPI}: struct iommu_hw_info`],
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]['id'];

export const RULE_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));
