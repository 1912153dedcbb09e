// The sPAPR TCE rule index: VFIO's sPAPR TCE container (v1 and v2), its memory preregistration
// and the DMA windows the platform gives it, as Linux 6.12 implements them.
//
// IDs are stable and never renumbered (spec/spapr/rule-ids.md fixes the names; rules may be added,
// never renamed). `profile` says which container type a rule binds: 'spapr-v2'
// (VFIO_SPAPR_TCE_v2_IOMMU), 'spapr-v1' (VFIO_SPAPR_TCE_IOMMU) or 'both'. Every statement was
// checked against the Linux 6.12 source; sources cite the file and function (`L path: function`).
// PAGE_SIZE is the host's (`host.pageSize`: 64 KiB on a ppc64 distribution kernel), the IOMMU page
// is the window's (`1 << page_shift`). Where the kernel departs from what a rule states, the rule
// says so in `variants` and the real backend's expectations list the departure. The order in which
// each ioctl applies its checks is in spec/spapr/README.md. spec/spapr/rules.md is generated from
// this file.
import type { RuleDoc } from '../rule-doc.ts';
import type { Profile } from './backend.ts';

export type Level = 'MUST' | 'MAY';
export type RuleProfile = Profile | 'both';

export interface Rule {
  id: string;
  group: Group;
  level: Level;
  profile: RuleProfile;
  statement: string;
  sources: string[];
  /** Kernel versions or platforms that behave differently, and how the suite treats them. */
  variants?: string[];
}

export const GROUPS = {
  SETUP: 'The container: mm binding, VFIO_IOMMU_ENABLE and VFIO_IOMMU_DISABLE',
  REG: 'VFIO_IOMMU_SPAPR_REGISTER_MEMORY and VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY',
  WINDOW: 'DMA windows: VFIO_IOMMU_SPAPR_TCE_GET_INFO, TCE_CREATE, TCE_REMOVE, the default window',
  MAP: 'VFIO_IOMMU_MAP_DMA on TCE windows',
  UNMAP: 'VFIO_IOMMU_UNMAP_DMA on TCE windows',
  CLOSE: 'Container release',
  DMA: 'What the device reaches',
  ACCT: 'locked_vm accounting',
  HOST: 'Host memory interplay',
} as const;
export type Group = keyof typeof GROUPS;

const TCE = 'L drivers/vfio/vfio_iommu_spapr_tce.c';
const API = 'L arch/powerpc/mm/book3s64/iommu_api.c';
const PPC_IOMMU = 'L arch/powerpc/kernel/iommu.c';
const PPC_IOMMU_H = 'L arch/powerpc/include/asm/iommu.h';
const PSERIES = 'L arch/powerpc/platforms/pseries/iommu.c';
const POWERNV = 'L arch/powerpc/platforms/powernv/pci-ioda.c';
const ACCOUNT = 'L mm/util.c: __account_locked_vm';

const V1 = 'spapr-v1' as const;
const V2 = 'spapr-v2' as const;
const BOTH = 'both' as const;

export const RULES = [
  // --- The container ----------------------------------------------------------------------
  {
    id: 'SPAPR-MM-BIND', group: 'SETUP', level: 'MUST', profile: BOTH,
    statement: 'A container is bound to the mm of the first process that issues REGISTER_MEMORY, TCE_CREATE or TCE_REMOVE (bound before any of their own checks, so a call that then fails still binds) or a v1 ENABLE that gets past its EBUSY, ENODEV and EPERM checks. GET_INFO, MAP, UNMAP, UNREGISTER and DISABLE never bind. Once bound, every ioctl but CHECK_EXTENSION from another mm fails with EPERM before any other check, and changes nothing.',
    sources: [`${TCE}: tce_iommu_mm_set, tce_iommu_ioctl ("container->mm != current->mm")`, `${TCE}: tce_iommu_enable`],
  },
  {
    id: 'SPAPR-V1-ENABLE', group: 'SETUP', level: 'MUST', profile: V1,
    statement: 'v1 VFIO_IOMMU_ENABLE of an enabled container fails with EBUSY. Otherwise it binds the mm and charges tce32_size / PAGE_SIZE pages (the whole 32-bit window, whatever is mapped later) to its locked_vm; over RLIMIT_MEMLOCK without CAP_IPC_LOCK it fails with ENOMEM, leaving the container disabled and locked_vm unchanged (the mm stays bound). Success enables MAP and UNMAP.',
    sources: [`${TCE}: tce_iommu_enable`, ACCOUNT],
  },
  {
    id: 'SPAPR-V1-DISABLE', group: 'SETUP', level: 'MUST', profile: V1,
    statement: 'v1 VFIO_IOMMU_DISABLE always returns 0. On an enabled container it returns the ENABLE charge and disables it; on a disabled one it does nothing. The TCEs stay valid (the device still reaches them) until an UNMAP after a new ENABLE, or release; MAP and UNMAP fail with EPERM until ENABLE, which charges again.',
    sources: [`${TCE}: tce_iommu_disable, tce_iommu_ioctl (VFIO_IOMMU_DISABLE)`],
  },
  {
    id: 'SPAPR-V1-NO-V2-OPS', group: 'SETUP', level: 'MUST', profile: V1,
    statement: 'A v1 container does not handle REGISTER_MEMORY, UNREGISTER_MEMORY, TCE_CREATE or TCE_REMOVE: they fail with ENOTTY (after the mm check of SPAPR-MM-BIND) and change nothing, not even the mm binding.',
    sources: [`${TCE}: tce_iommu_ioctl ("if (!container->v2) break;")`],
  },
  {
    id: 'SPAPR-V2-NO-ENABLE', group: 'SETUP', level: 'MUST', profile: V2,
    statement: 'A v2 container does not handle VFIO_IOMMU_ENABLE or VFIO_IOMMU_DISABLE: they fail with ENOTTY (after the mm check) and change nothing. A v2 container is enabled by its first successful REGISTER_MEMORY (SPAPR-REG-ENABLES).',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_ENABLE, VFIO_IOMMU_DISABLE)`],
  },
  // --- Preregistration --------------------------------------------------------------------
  {
    id: 'SPAPR-REG-CHECKS', group: 'REG', level: 'MUST', profile: V2,
    statement: 'REGISTER_MEMORY binds the mm (SPAPR-MM-BIND), then fails with EINVAL when flags is not 0, then when vaddr or size is not a multiple of PAGE_SIZE or vaddr + size wraps past 2^64. A size of 0 that passes these fails too and changes nothing (an empty region is never registered).',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_SPAPR_REGISTER_MEMORY), tce_iommu_register_pages`, `${API}: mm_iommu_do_alloc`],
    variants: ['Linux 6.12 has no size check: a size of 0 reaches vzalloc(0), which warns and returns NULL, so the answer is ENOMEM (after a kernel WARN). The suite accepts EINVAL or ENOMEM; a real backend may refuse to send it.'],
  },
  {
    id: 'SPAPR-REG-CHARGE', group: 'REG', level: 'MUST', profile: V2,
    statement: 'A REGISTER that creates a new region charges size / PAGE_SIZE pages to the mm\'s locked_vm before pinning anything: over RLIMIT_MEMLOCK without CAP_IPC_LOCK it fails with ENOMEM, before the pin (SPAPR-REG-FAULT) and overlap (SPAPR-REG-OVERLAP) checks. Any later failure unpins what was pinned and returns the charge: a failed REGISTER leaves locked_vm and the registrations as they were.',
    sources: [`${API}: mm_iommu_do_alloc (account_locked_vm first, unlock_exit)`, ACCOUNT],
  },
  {
    id: 'SPAPR-REG-FAULT', group: 'REG', level: 'MUST', profile: V2,
    statement: 'REGISTER pins every page of [vaddr, vaddr + size) for write (FOLL_WRITE | FOLL_LONGTERM): when a page is not mapped, is read-only or PROT_NONE, the REGISTER fails with EFAULT, and nothing stays pinned or charged. The pin comes before the overlap check, so EFAULT wins over EINVAL.',
    sources: [`${API}: mm_iommu_do_alloc (pin_user_pages, free_exit)`],
    variants: ['Linux 6.12 answers EFAULT only when the first page of a pinning chunk fails; when some pages were pinned before the one that fails, mm_iommu_do_alloc returns pin_user_pages\' positive count, which the ioctl passes back as its return value: the caller sees a non-negative return although nothing was registered (the pin and charge are unwound). The suite expects EFAULT; the real backend\'s expectations list the positive return.'],
  },
  {
    id: 'SPAPR-REG-BUSY', group: 'REG', level: 'MUST', profile: V2,
    statement: 'REGISTER of exactly the (vaddr, size) of a region this container already holds fails with EBUSY and changes nothing.',
    sources: [`${TCE}: tce_iommu_register_pages`, `${API}: mm_iommu_get`],
  },
  {
    id: 'SPAPR-REG-SHARED', group: 'REG', level: 'MUST', profile: V2,
    statement: 'REGISTER of exactly the (vaddr, size) of a region of the mm that this container does not hold (another container of the same mm registered it) joins that region: it succeeds with no new charge and no new pin, whatever the memory at vaddr is now, and the region stays until every container holding it has let it go (SPAPR-UNREG-RELEASE).',
    sources: [`${TCE}: tce_iommu_register_pages`, `${API}: mm_iommu_get (exact ua and entries, ++used)`],
  },
  {
    id: 'SPAPR-REG-OVERLAP', group: 'REG', level: 'MUST', profile: V2,
    statement: 'REGISTER of a new region that overlaps any byte of a different region of the mm (not the identical vaddr and size) fails with EINVAL, after the charge and the pin, both unwound. Adjacent regions do not overlap.',
    sources: [`${API}: mm_iommu_do_alloc ("Overlap?")`],
  },
  {
    id: 'SPAPR-REG-PAGESHIFT', group: 'REG', level: 'MUST', profile: V2,
    statement: 'A new region gets a page shift, the largest IOMMU page a MAP may take from it (SPAPR-MAP-PREREG): PAGE_SHIFT when its first page is not a hugetlb page; otherwise the smallest of __ffs(vaddr | size) (the natural alignment of the range) and the huge page shift of each hugetlb page in it. Transparent huge pages count as PAGE_SHIFT. Pages that are not hugetlb pages after a first hugetlb page do not lower the shift (the loop keeps the last huge shift): a MAP of a large IOMMU page over one of them is refused by SPAPR-MAP-PAGE-SIZE instead.',
    sources: [`${API}: mm_iommu_do_alloc (mem->pageshift, PageHuge)`],
  },
  {
    id: 'SPAPR-REG-ENABLES', group: 'REG', level: 'MUST', profile: V2,
    statement: 'The first successful REGISTER (new or joined) enables the v2 container for MAP and UNMAP for the rest of its life; an UNREGISTER of every region does not disable it. Before it, MAP and UNMAP fail with EPERM (SPAPR-MAP-ENABLED).',
    sources: [`${TCE}: tce_iommu_register_pages ("container->enabled = true")`],
  },
  {
    id: 'SPAPR-REG-SNAPSHOT', group: 'REG', level: 'MUST', profile: V2,
    statement: 'A region\'s translations are the pages pinned at the REGISTER that created it, never the process\'s page tables again: after munmap, mremap or a new mmap of registered memory, a MAP of an address inside the old (vaddr, size) maps the page pinned there at REGISTER (the device and the CPU may then see different memory), and a MAP of a moved range\'s new address fails with EINVAL until that range is registered (which pins and charges its pages again). The pinned pages are never freed or reused while the region holds them.',
    sources: [`${API}: mm_iommu_do_alloc (hpas[]), mm_iommu_ua_to_hpa, mm_iommu_lookup`],
  },
  {
    id: 'SPAPR-UNREG-CHECKS', group: 'REG', level: 'MUST', profile: V2,
    statement: 'UNREGISTER_MEMORY on a container not bound to an mm fails with EPERM; then flags other than 0 fail with EINVAL; then a vaddr or size not a multiple of PAGE_SIZE fails with EINVAL. None of these changes anything.',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY), tce_iommu_unregister_pages`],
  },
  {
    id: 'SPAPR-UNREG-ENOENT', group: 'REG', level: 'MUST', profile: V2,
    statement: 'UNREGISTER fails with ENOENT and changes nothing when the mm has no region of exactly this (vaddr, size), or has one that this container does not hold.',
    sources: [`${TCE}: tce_iommu_unregister_pages`, `${API}: mm_iommu_get`],
  },
  {
    id: 'SPAPR-UNREG-RELEASE', group: 'REG', level: 'MUST', profile: V2,
    statement: 'UNREGISTER of a region this container holds and no TCE points into returns 0 and the container lets it go. When no other container holds it, the region is gone: its pages are unpinned, its size / PAGE_SIZE pages are returned to locked_vm, a MAP inside it fails (SPAPR-MAP-PREREG) and an identical or overlapping REGISTER makes a new region. When another container still holds it, nothing else changes.',
    sources: [`${TCE}: tce_iommu_unregister_pages, tce_iommu_prereg_free`, `${API}: mm_iommu_put, mm_iommu_release, mm_iommu_unpin`],
  },
  {
    id: 'SPAPR-UNREG-MAPPED', group: 'REG', level: 'MUST', profile: V2,
    statement: 'UNREGISTER of a region that valid TCEs still point into (in any container), by the last container holding it, fails with EBUSY and changes nothing: the container keeps the region, which stays pinned, charged and mappable, and a later UNREGISTER after the TCEs are cleared releases it. An UNREGISTER by a container while another still holds the region succeeds as in SPAPR-UNREG-RELEASE, mapped or not.',
    sources: [`${API}: mm_iommu_put ("Are there still mappings?" -> -EBUSY)`, `${TCE}: tce_iommu_unregister_pages, tce_iommu_prereg_free`],
    variants: ['Linux 6.12 (since v5.0, when tce_iommu_unregister_pages began looking the region up with mm_iommu_get, which takes a reference) returns 0: the reference taken by the lookup keeps the inner mm_iommu_put from seeing the last user, and the final mm_iommu_put\'s EBUSY is ignored. The container lets the region go, but the region stays in the mm with one orphan reference: pinned, charged, reachable by the device through its TCEs and mappable by MAP from any container of the mm; a second UNREGISTER fails with ENOENT; an identical REGISTER joins it; clearing its TCEs, UNREGISTER or release never frees it, so its charge stays until the mm exits. Linux 4.14, whose lookup (mm_iommu_find) took no reference, answered EBUSY. The suite expects EBUSY; the real backend\'s expectations list the 0 as a kernel bug.'],
  },
  // --- Windows ----------------------------------------------------------------------------
  {
    id: 'SPAPR-INFO', group: 'WINDOW', level: 'MUST', profile: BOTH,
    statement: 'TCE_GET_INFO returns dma32_window_start and dma32_window_size, the platform\'s 32-bit window (tce32_start, tce32_size), whatever windows exist. On v2 with dynamic windows (max_dynamic_windows_supported not 0) flags is VFIO_IOMMU_SPAPR_INFO_DDW and ddw holds pgsizes, max_dynamic_windows_supported and levels (the platform\'s max_levels); on v1, or without dynamic windows, flags is 0 and ddw is zeros. It binds no mm and creates no window.',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_SPAPR_TCE_GET_INFO)`],
  },
  {
    id: 'SPAPR-DEFAULT-WINDOW', group: 'WINDOW', level: 'MUST', profile: BOTH,
    statement: 'When the group is attached the default window is pending: the first MAP or UNMAP (v1 after ENABLE, v2 after the first REGISTER; after their flags checks and before the window lookup) or TCE_CREATE (after its flags check, before its own checks) creates it in slot 0: 4 KiB IOMMU pages, one level, tce32_size bytes, at tce32_start, its table charged as any (SPAPR-WINDOW-CHARGE). The window stays even when the ioctl that created it then fails. When creating it fails (ENOMEM over the limit), the ioctl fails with that errno and it stays pending. TCE_REMOVE of start_addr 0 while it is pending returns 0 and only cancels it: no window is created later unless TCE_CREATE makes one.',
    sources: [`${TCE}: tce_iommu_attach_group (def_window_pending), tce_iommu_create_default_window, tce_iommu_ioctl (MAP_DMA, UNMAP_DMA, TCE_CREATE, TCE_REMOVE)`],
    variants: ['v1 charges the default window\'s table as v2 does, on top of ENABLE\'s charge: its locked_vm after the first MAP or UNMAP is tce32_size / PAGE_SIZE plus the table\'s pages.'],
  },
  {
    id: 'SPAPR-CREATE-CHECKS', group: 'WINDOW', level: 'MUST', profile: V2,
    statement: 'TCE_CREATE binds the mm, then fails with EINVAL when flags is not 0, then creates the pending default window (SPAPR-DEFAULT-WINDOW), then fails with ENOSPC when both slots (IOMMU_TABLE_GROUP_MAX_TABLES, 2) hold a window, then with EINVAL when page_shift is not in the platform\'s pgsizes, then with EINVAL when the platform sizes the table at 0 bytes (an invalid geometry: SPAPR-WINDOW-CHARGE), then charges the table (ENOMEM), then the platform creates the window (SPAPR-CREATE-PSERIES). A failure before the charge leaves no new window and no new charge.',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_SPAPR_TCE_CREATE), tce_iommu_create_window, tce_iommu_find_free_table, tce_iommu_create_table`],
  },
  {
    id: 'SPAPR-WINDOW-CHARGE', group: 'WINDOW', level: 'MUST', profile: BOTH,
    statement: 'Creating a window charges floor(table_size / PAGE_SIZE) pages to the mm\'s locked_vm before the platform creates the table, where table_size is the platform\'s get_table_size(page_shift, window_size, levels): pseries window_size >> (page_shift - 3) (8 bytes a TCE; 0xffffffff for levels above 1), powernv the IODA2 multi-level size counting the hardware table and its userspace copy (0 for levels 0 or above 5, or a window_size not a power of two). Over RLIMIT_MEMLOCK without CAP_IPC_LOCK the creation fails with ENOMEM and nothing changes. TCE_REMOVE and release return exactly the window\'s charge (it_allocated_size, the same figure).',
    sources: [`${TCE}: tce_iommu_create_table, tce_iommu_free_table`, `${PSERIES}: spapr_tce_get_table_size, spapr_tce_create_table (it_allocated_size)`, `${POWERNV}: pnv_pci_ioda2_get_table_size, pnv_pci_ioda2_create_table_userspace`, ACCOUNT],
    variants: ['Linux 6.12 keeps the charge when the platform\'s create_table fails after it (tce_iommu_create_table does not uncharge): such a TCE_CREATE fails but locked_vm stays raised by the table\'s pages until the mm exits. The suite expects no change; the real backend\'s expectations list the kept charge.'],
  },
  {
    id: 'SPAPR-CREATE-START', group: 'WINDOW', level: 'MUST', profile: V2,
    statement: 'A successful TCE_CREATE takes the lowest free slot and returns in start_addr the bus address the platform gives a window in that slot (the declaration\'s windowStarts; the default-shaped window in slot 0, 4 KiB pages and window_size at most tce32_size, starts at tce32_start on pseries). The window covers [start_addr, start_addr + window_size) with TCEs of 1 << page_shift bytes, all empty.',
    sources: [`${TCE}: tce_iommu_create_window ("start_addr = tbl->it_offset << tbl->it_page_shift")`, `${PSERIES}: spapr_tce_create_table`, `${POWERNV}: pnv_pci_ioda2_create_table`],
  },
  {
    id: 'SPAPR-CREATE-PSERIES', group: 'WINDOW', level: 'MUST', profile: V2,
    statement: 'On the pseries platform (tableSizing pseries), after the charge: a window_size that is not a power of two or levels above 1 fails with EINVAL; in slot 0 a request that is not default-shaped (4 KiB pages, window_size at most tce32_size) fails with EPERM while a dynamic window exists, and so does a default-shaped one while a dynamic window exists and the default window is gone; a dynamic window the hypervisor cannot give (more dynamic windows than it offers, a window smaller than its page) fails with ENODEV; a window needing more TCEs than the hypervisor\'s largest free block fails with EINVAL.',
    sources: [`${PSERIES}: spapr_tce_create_table, is_default_window_request, spapr_tce_set_window`],
    variants: ['Linux 6.12 adds the device to failed_ddw_pdn_list when the hypervisor refuses a dynamic window (the ENODEV cases): every later dynamic window on that device fails with ENODEV until the guest reboots, across container release. A real backend must not send requests that reach the hypervisor\'s refusal, or must declare that the device can create no more dynamic windows afterwards.',
      'Linux 6.12 may answer EINVAL, not ENODEV, to a dynamic window smaller than its page: spapr_tce_create_table compares the hypervisor\'s largest_available_block with 1ULL << (len - page_shift), where len = order_base_2(window_size) is below page_shift, a shift by a negative count (undefined behaviour in C). The ppc64le build answers with its "Retry with smaller window size" -EINVAL before create_ddw, and leaves the device out of failed_ddw_pdn_list. Which errno comes back depends on the undefined shift and on the hypervisor\'s state. The suite expects ENODEV; the real backend\'s expectations list the EINVAL as a kernel bug.'],
  },
  {
    id: 'SPAPR-REMOVE', group: 'WINDOW', level: 'MUST', profile: V2,
    statement: 'TCE_REMOVE binds the mm, then fails with EINVAL when flags is not 0; then with start_addr 0 and the default window pending it only cancels it (SPAPR-DEFAULT-WINDOW); otherwise it fails with EINVAL when no window contains start_addr (any address inside a window names it), and else clears every TCE of that window (releasing each page as UNMAP does), frees its table, returns its charge and frees its slot. The device reaches nothing through it afterwards.',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_SPAPR_TCE_REMOVE), tce_iommu_remove_window, tce_iommu_find_table`],
  },
  // --- MAP --------------------------------------------------------------------------------
  {
    id: 'SPAPR-MAP-ENABLED', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'MAP and UNMAP on a container that is not enabled (v1: no ENABLE, or DISABLE since; v2: no successful REGISTER yet) fail with EPERM, the first check after the mm check, and change nothing (no default window is created).',
    sources: [`${TCE}: tce_iommu_ioctl (MAP_DMA, UNMAP_DMA: "if (!container->enabled)")`],
  },
  {
    id: 'SPAPR-MAP-FLAGS', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'MAP with a flag bit other than READ (1) and WRITE (2) fails with EINVAL before the default window is created. MAP with neither READ nor WRITE fails with EINVAL too, but only after the default window, the window lookup (SPAPR-MAP-WINDOW) and the size and vaddr alignment (SPAPR-MAP-ALIGN).',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_MAP_DMA)`],
  },
  {
    id: 'SPAPR-MAP-WINDOW', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'MAP or UNMAP whose iova lies in no window (iova >> page_shift outside [it_offset, it_offset + it_size) for every window) fails with ENXIO and changes nothing but the default window\'s creation. Only the first IOMMU page of the range decides which window.',
    sources: [`${TCE}: tce_iommu_find_table, tce_iommu_ioctl (MAP_DMA, UNMAP_DMA)`],
  },
  {
    id: 'SPAPR-MAP-ALIGN', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'MAP fails with EINVAL when size or vaddr is not a multiple of the window\'s IOMMU page (checked before the direction), or iova is not (checked after it). A size of 0 that passes the checks maps nothing and returns 0.',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_MAP_DMA)`, `${PPC_IOMMU}: iommu_tce_check_ioba, iommu_tce_check_gpa`, `${PPC_IOMMU_H}: iommu_tce_put_param_check`],
    variants: ['Linux 6.12 returns 1, not -EINVAL, for a MAP whose iova is not a multiple of the IOMMU page: iommu_tce_put_param_check (arch/powerpc/include/asm/iommu.h) is the || of iommu_tce_check_ioba and iommu_tce_check_gpa, so their -EINVAL becomes the int 1, and tce_iommu_ioctl returns "ret" as is. Nothing is mapped, but a caller that tests for a negative return sees success. The size and vaddr checks, made in tce_iommu_ioctl itself, do return -EINVAL. The suite expects EINVAL; the real backend\'s expectations list the 1 as a kernel bug.'],
  },
  {
    id: 'SPAPR-MAP-WINDOW-END', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'MAP whose range [iova, iova + size) does not end inside the window its iova is in fails with EINVAL and changes nothing.',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_MAP_DMA: iommu_tce_put_param_check)`, `${PPC_IOMMU}: iommu_tce_check_ioba`, 'L arch/powerpc/include/asm/iommu.h: iommu_tce_put_param_check (npages 1)'],
    variants: [
      'Linux 6.12 checks only the range\'s first IOMMU page (iommu_tce_put_param_check passes npages 1): a MAP past the window end writes TCEs past the table, and on v2 past the userspace view of the table, which can oops the kernel. The real backend refuses to send such a v2 MAP and answers it as the checks before the build would; the simulators follow the rule.',
      'On pseries, v1 (no userspace view) reaches the hypervisor with the first entry past the window: H_GET_TCE refuses it with H_PARAMETER (-4; QEMU hw/ppc/spapr_iommu.c: get_tce_emu), tce_exchange_pseries (arch/powerpc/platforms/pseries/iommu.c) returns that status as is and tce_iommu_build returns it as the ioctl\'s -errno: the MAP fails with EINTR after clearing the TCEs it set (SPAPR-MAP-ATOMIC). A kernel bug (a hypervisor status taken for an errno); the suite expects EINVAL, the real v1 backend\'s expectations list the EINTR.',
    ],
  },
  {
    id: 'SPAPR-MAP-PREREG', group: 'MAP', level: 'MUST', profile: V2,
    statement: 'v2 MAP takes each IOMMU page [vaddr + k * pagesize, vaddr + (k + 1) * pagesize) from a registered region of the mm (any container\'s) that contains all of it: a range may run across adjacent regions as long as no IOMMU page straddles two. When an IOMMU page lies in no one region, or the window\'s page shift is above that region\'s (SPAPR-REG-PAGESHIFT), the MAP fails with EINVAL (SPAPR-MAP-ATOMIC). It pins and charges nothing: the pages are the region\'s (SPAPR-REG-SNAPSHOT).',
    sources: [`${TCE}: tce_iommu_build_v2, tce_iommu_prereg_ua_to_hpa`, `${API}: mm_iommu_lookup, mm_iommu_ua_to_hpa, mm_iommu_mapped_inc`],
  },
  {
    id: 'SPAPR-MAP-PAGE-SIZE', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'MAP fails with EPERM (SPAPR-MAP-ATOMIC) when the host page behind an IOMMU page (its compound page: a hugetlb or transparent huge page counts whole) is smaller than the IOMMU page, so the device could reach memory beyond it.',
    sources: [`${TCE}: tce_page_is_contained, tce_iommu_build, tce_iommu_build_v2`],
  },
  {
    id: 'SPAPR-MAP-V1-PIN', group: 'MAP', level: 'MUST', profile: V1,
    statement: 'v1 MAP pins the host page behind each IOMMU page at the time of the MAP (for write only when the TCE lets the device write): a page that is not mapped or PROT_NONE, or read-only under a WRITE map, fails the MAP with EFAULT (SPAPR-MAP-ATOMIC). It charges nothing (ENABLE charged the window); the page stays pinned until its TCE is cleared or replaced.',
    sources: [`${TCE}: tce_iommu_use_page, tce_iommu_build`],
    variants: ['Linux 6.12 pins every page for write: tce_iommu_use_page takes the direction from the page-aligned vaddr (iommu_tce_direction of a value without TCE bits is DMA_NONE), so a READ-only MAP of read-only memory fails with EFAULT. The suite expects success; the real backend\'s expectations list the EFAULT.'],
  },
  {
    id: 'SPAPR-MAP-OVERWRITE', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'MAP over valid TCEs replaces them (never EEXIST): each old TCE\'s page is released (v1 unpinned; v2 the region it was mapped from loses that mapping, so it may be unregistered once none is left) and the device reaches the new page with the new direction.',
    sources: [`${TCE}: tce_iommu_build, tce_iommu_build_v2 ("if (dirtmp != DMA_NONE)"), tce_iommu_unuse_page, tce_iommu_unuse_page_v2`, `${PPC_IOMMU}: iommu_tce_xchg_no_kill`],
  },
  {
    id: 'SPAPR-MAP-ATOMIC', group: 'MAP', level: 'MUST', profile: BOTH,
    statement: 'A MAP that fails at an IOMMU page (EINVAL, EPERM, EFAULT) clears the TCEs it had set before it, releasing their pages; TCEs from that page on are untouched, and no charge changes. Its one exception: TCEs of the range that were valid before the MAP and were replaced before the failing page are not restored: they end empty, their old pages released.',
    sources: [`${TCE}: tce_iommu_build, tce_iommu_build_v2 ("if (ret) tce_iommu_clear(container, tbl, entry, i)")`],
    variants: ['In v2 a region being released concurrently (mm_iommu_mapped_inc failing) stops the MAP with a partial success; it needs two threads and the suite does not generate it.'],
  },
  // --- UNMAP ------------------------------------------------------------------------------
  {
    id: 'SPAPR-UNMAP-CHECKS', group: 'UNMAP', level: 'MUST', profile: BOTH,
    statement: 'UNMAP fails with EINVAL when flags is not 0 (before the default window is created); after the window lookup (SPAPR-MAP-WINDOW) with EINVAL when size is not a multiple of the window\'s IOMMU page, then when iova is not, or [iova, iova + size) does not end inside the window. None of these changes a TCE.',
    sources: [`${TCE}: tce_iommu_ioctl (VFIO_IOMMU_UNMAP_DMA)`, `${PPC_IOMMU}: iommu_tce_check_ioba`, `${PPC_IOMMU_H}: iommu_tce_clear_param_check`],
    variants: ['Linux 6.12 returns 1, not -EINVAL, for an UNMAP whose iova is not a multiple of the IOMMU page or whose range runs past the window\'s end: iommu_tce_clear_param_check (arch/powerpc/include/asm/iommu.h) is the || of iommu_tce_check_ioba and the TCE value, so the -EINVAL becomes the int 1, and tce_iommu_ioctl returns "ret" as is. Nothing is cleared, but a caller that tests for a negative return sees success. The flags and size checks, made in tce_iommu_ioctl itself, do return -EINVAL. The suite expects EINVAL; the real backend\'s expectations list the 1 as a kernel bug.'],
  },
  {
    id: 'SPAPR-UNMAP-CLEAR', group: 'UNMAP', level: 'MUST', profile: BOTH,
    statement: 'UNMAP clears every TCE of [iova, iova + size), valid or empty, releasing each valid one\'s page (v1 unpinned, v2 the region\'s mapping dropped), and returns 0: empty entries are no error and nothing is reported back. A size of 0 clears nothing and returns 0.',
    sources: [`${TCE}: tce_iommu_clear, tce_iommu_unuse_page, tce_iommu_unuse_page_v2`, `${API}: mm_iommu_mapped_dec`],
  },
  // --- Release ----------------------------------------------------------------------------
  {
    id: 'SPAPR-CLOSE-RELEASE', group: 'CLOSE', level: 'MUST', profile: BOTH,
    statement: 'Closing the container (with its group) clears every TCE of every window, releasing their pages, frees every table and returns its charge, lets go of every region the container holds (each released as by UNREGISTER when no other container holds it and no TCE of another container of the mm still maps it; a region still so mapped stays in the mm, pinned and charged, held by no container, until the mm exits, since release cannot fail), returns v1\'s ENABLE charge and unbinds the mm. The fresh container opened in its place is not bound, not enabled, has no window and its default window pending. The processes\' memory, regions other containers hold, RLIMIT_MEMLOCK and CAP_IPC_LOCK are unchanged.',
    sources: [`${TCE}: tce_iommu_release, tce_iommu_detach_group, tce_iommu_release_ownership, tce_iommu_free_table, tce_iommu_prereg_free, tce_iommu_disable`, `${API}: mm_iommu_put (EBUSY restores the last reference)`],
  },
  // --- DMA --------------------------------------------------------------------------------
  {
    id: 'SPAPR-DMA-REACH', group: 'DMA', level: 'MUST', profile: BOTH,
    statement: 'The device reaches bus address a exactly when a lies in a window whose TCE for a is valid: it reaches the same offset in the page that TCE was mapped from (v1: pinned at MAP; v2: the region\'s page pinned at REGISTER), reading when the TCE was mapped with READ and writing when with WRITE. Everywhere else (no window, an empty TCE, a cleared or removed window, a missing direction) the access faults. Registration alone gives the device nothing.',
    sources: [`${TCE}: tce_iommu_build, tce_iommu_build_v2`, `${PPC_IOMMU}: iommu_tce_direction, iommu_direction_to_tce_perm`],
  },
  // --- Accounting -------------------------------------------------------------------------
  {
    id: 'SPAPR-ACCT-EXACT', group: 'ACCT', level: 'MUST', profile: BOTH,
    statement: 'After every step, each mm\'s locked_vm is the sum, over the containers bound to it, of v1\'s ENABLE charge while enabled and the charge of each window\'s table, plus size / PAGE_SIZE for each region of the mm (once, however many containers hold it). MAP, UNMAP and DMA change no counter; nothing is ever charged to an mm other than the container\'s.',
    sources: [`${TCE}: tce_iommu_enable, tce_iommu_create_table, tce_iommu_free_table`, `${API}: mm_iommu_do_alloc, mm_iommu_put`, ACCOUNT],
  },
  // --- Host -------------------------------------------------------------------------------
  {
    id: 'SPAPR-HOST-ENV', group: 'HOST', level: 'MUST', profile: BOTH,
    statement: 'The backend\'s processes implement mmap(MAP_FIXED), munmap, mremap and CPU loads and stores as Linux does, inside the arena they declare; new anonymous memory reads as zero; setrlimit(RLIMIT_MEMLOCK) and the CAP_IPC_LOCK toggle succeed. Pages a region or a v1 TCE pins stay with the device when the process unmaps or moves its memory (SPAPR-REG-SNAPSHOT).',
    sources: ['L mm/mmap.c: do_mmap', 'L mm/vma.c: do_vmi_munmap', 'L mm/mremap.c: do_mremap'],
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]['id'];

export const RULE_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

/** Whether `rule` binds a container of `profile`. */
export const ruleBinds = (rule: Rule, profile: Profile): boolean =>
  rule.profile === 'both' || rule.profile === profile;

/**
 * The rules page, spec/spapr/rules.md, as the family renders it (renderRuleDoc) with the
 * properties that check each rule.
 */
export const ruleDoc = (properties: RuleDoc['properties']): RuleDoc => ({
  title: 'sPAPR TCE: the rules',
  intro: [
    'Generated from `spec/spapr/rules.ts` by `npm run spec`; do not edit by hand.',
    '',
    'Each rule has a stable ID, a level (MUST or MAY), the container types it binds (`spapr-v2`,',
    '`spapr-v1` or both), the Linux 6.12 source it was read from (`L` = the Linux kernel tree), and',
    'the properties that check it. A variant says where Linux 6.12 or a platform departs from the',
    'rule and how the suite treats it. What each operation does is in `spec/spapr/operations.md`;',
    'the order of each ioctl\'s checks in `spec/spapr/README.md`.',
  ],
  rules: RULES, groups: GROUPS, properties,
  profileLabel: (p) => (p === 'both' ? 'spapr-v2 and spapr-v1' : p),
});
