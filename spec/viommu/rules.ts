// The emulated-IOMMU rule index: the IOMMUMemoryRegion contract as QEMU's IOMMUs and their
// notifier consumers rely on it.
//
// IDs are stable and never renumbered. `profile` names the programming models the rule binds
// ('all', or a list). Sources cite QEMU (`Q path: function`) and, where one exists, the
// hardware or virtio specification. The shadow rules are the invariants a notifier consumer
// needs (VFIO, vhost): S = what the events told it, T = what the guest programmed.

export const GROUPS = {
  XLATE: 'translate()',
  ATTR: 'Transaction attributes and indexes',
  DMA: 'Device DMA',
  REG: 'Notifier registration',
  EVENT: 'Event delivery',
  SHADOW: 'Shadows: what a MAP|UNMAP consumer may hold',
  REPLAY: 'Replay',
  INVAL: 'Caches and invalidation (VT-d, SMMUv3)',
  VIRTIO: 'virtio-iommu requests',
  MPC: 'TrustZone MPC',
  VFIO: 'The VFIO consumer composed with a type1 container',
  OP: 'Operations',
} as const;
export type Group = keyof typeof GROUPS;

export interface Rule {
  id: string;
  group: Group;
  level: 'MUST' | 'MAY';
  profile: string;
  statement: string;
  sources: string[];
  variants?: string[];
}

const MEM = 'Q include/exec/memory.h';
const CORE = 'Q system/memory.c';
const VTD = 'Q hw/i386/intel_iommu.c';
const SMMU = 'Q hw/arm/smmuv3.c';
const SMMU_COMMON = 'Q hw/arm/smmu-common.c';
const VIRTIO = 'Q hw/virtio/virtio-iommu.c';
const MPC = 'Q hw/misc/tz-mpc.c';
const VFIO = 'Q hw/vfio/listener.c';
const VTD_SPEC = 'Intel VT-d specification';
const SMMU_SPEC = 'Arm SMMUv3 specification';
const VIRTIO_SPEC = 'virtio specification, IOMMU device';
const TABLES = 'vtd, smmuv3';

export const RULES: Rule[] = [
  // --- translate() -----------------------------------------------------------------------
  {
    id: 'VIOMMU-XLATE-ENTRY', group: 'XLATE', level: 'MUST', profile: 'all',
    statement: 'translate(addr, flag, iommu_idx) returns an entry that contains addr; addr_mask is 2^k-1 and both iova and translated_addr are aligned to addr_mask+1. perm NONE means no translation.',
    sources: [`${MEM}: IOMMUTLBEntry, IOMMUMemoryRegionClass.translate`],
  },
  {
    id: 'VIOMMU-XLATE-TABLES', group: 'XLATE', level: 'MUST', profile: 'all',
    statement: 'The entry is what the guest programmed for addr in iommu_idx: the translated address, target and permissions of the leaf (or mapping, or MPC block), or a power-of-two part of it; perm NONE where nothing is mapped. With flag NONE the walk reports the real permissions and raises no fault.',
    sources: [`${MEM}: IOMMUMemoryRegionClass.translate`, `${VTD}: vtd_iommu_translate, vtd_do_iommu_translate`, `${SMMU}: smmuv3_translate`, `${VIRTIO}: virtio_iommu_translate`, `${MPC}: tz_mpc_translate`],
  },
  {
    id: 'VIOMMU-XLATE-PERM-AND', group: 'XLATE', level: 'MUST', profile: TABLES,
    statement: 'Read and write permissions are ANDed across the levels of the walk: a directory entry without write makes every leaf below it read-only.',
    sources: [`${VTD}: vtd_iova_to_slpte, vtd_page_walk_level`, `${SMMU_COMMON}: smmu_ptw_64_s1 (APTable)`, `${VTD_SPEC} (second-level translation: permissions of every level)`, `${SMMU_SPEC} (hierarchical permissions)`],
  },
  {
    id: 'VIOMMU-XLATE-LARGE', group: 'XLATE', level: 'MUST', profile: TABLES,
    statement: 'A large-page leaf (2 MiB, 1 GiB) translates every address in it linearly; splitting it into smaller leaves with the same translations changes no translation.',
    sources: [`${VTD}: vtd_iova_to_slpte, vtd_slpt_level_page_mask`, `${SMMU_COMMON}: smmu_ptw_64_s1`],
  },
  // --- attributes -----------------------------------------------------------------------
  {
    id: 'VIOMMU-ATTR-INDEX', group: 'ATTR', level: 'MUST', profile: 'all',
    statement: 'A transaction\'s attributes select the index whose translations it uses (attrs_to_index); with one index the result depends only on the address. On the MPC, secure (and unspecified) transactions use index 0, non-secure ones index 1.',
    sources: [`${MEM}: attrs_to_index, num_indexes`, `${MPC}: tz_mpc_attrs_to_index`],
  },
  {
    id: 'VIOMMU-ATTR-SEPARATE', group: 'ATTR', level: 'MUST', profile: 'mpc',
    statement: 'Each index has its own translations: the same address leads to memory for one index and to the blocked space for the other, as the block\'s LUT bit says.',
    sources: [`${MPC}: tz_mpc_translate`],
  },
  // --- DMA --------------------------------------------------------------------------------
  {
    id: 'VIOMMU-DMA-TRANSLATE', group: 'DMA', level: 'MUST', profile: 'all',
    statement: 'A device access reaches the byte the tables give for its index, or the blocked space, or faults where nothing is mapped or the permission is missing; before the invalidation that covers a change it may use the old translation (VIOMMU-INVAL-STALE). Nothing else.',
    sources: [`${VTD}: vtd_do_iommu_translate`, `${SMMU}: smmuv3_translate`, `${VIRTIO}: virtio_iommu_translate`, `${MPC}: tz_mpc_translate`],
  },
  {
    id: 'VIOMMU-DMA-UNATTACHED', group: 'DMA', level: 'MUST', profile: 'vtd, smmuv3, virtio-iommu',
    statement: 'An endpoint bound to no domain faults, or passes untranslated when the IOMMU declares bypass.',
    sources: [`${VTD}: vtd_dev_to_context_entry`, `${SMMU}: smmuv3_decode_config`, `${VIRTIO}: virtio_iommu_translate (boot-bypass)`],
  },
  {
    id: 'VIOMMU-DMA-FAULT-RECORD', group: 'DMA', level: 'MUST', profile: 'vtd, smmuv3, virtio-iommu',
    statement: 'Each fault record names a DMA that faulted since the records were last read: its endpoint, an address in the same granule and its access. A DMA that found no translation at all is recorded; one refused for its permission may go unrecorded. One DMA may leave several records.',
    sources: [`${VTD}: vtd_report_fault, vtd_record_frcd`, `${SMMU}: smmuv3_record_event`, `${VIRTIO}: virtio_iommu_report_fault`],
    variants: [
      'intel-iommu (QEMU 7.2; 11.1 in scalable mode with first-stage tables too, measured over qtest) does not record a write refused by the permissions of an IOTLB entry a read cached (vtd_do_iommu_translate answers an IOTLB hit without vtd_report_fault); after an IOTLB flush the same write is recorded.',
      'smmuv3: an endpoint with no domain has an aborting STE (STE.Config 0b000, what a driver writes), and an abort records no event (Arm SMMUv3 specification, STE.Config; QEMU 7.2 and 11.1 smmuv3_translate, SMMU_TRANS_ABORT): its DMA faults unrecorded.',
    ],
  },
  // --- registration -----------------------------------------------------------------------
  {
    id: 'VIOMMU-REG-ARGS', group: 'REG', level: 'MUST', profile: 'all',
    statement: 'A notifier has flags among MAP, UNMAP and DEVIOTLB_UNMAP (not none), start <= end inside the region, and 0 <= iommu_idx < num_indexes, on a known endpoint; otherwise registration fails with EINVAL. A notifier id in use fails with EEXIST; unregister or replay of an unknown one with ENOENT.',
    sources: [`${CORE}: memory_region_register_iommu_notifier`, `${MEM}: iommu_notifier_init`],
  },
  {
    id: 'VIOMMU-REG-VETO-MAP', group: 'REG', level: 'MUST', profile: 'all',
    statement: 'An IOMMU that cannot shadow refuses MAP notifiers (EINVAL) and registers nothing: intel-iommu without caching-mode, SMMUv3. One that declares MAP notifiers accepts them.',
    sources: [`${VTD}: vtd_iommu_notify_flag_changed`, `${SMMU}: smmuv3_notify_flag_changed`, `${CORE}: memory_region_register_iommu_notifier`],
  },
  {
    id: 'VIOMMU-REG-VETO-DEVIOTLB', group: 'REG', level: 'MUST', profile: 'all',
    statement: 'DEVIOTLB_UNMAP notifiers are refused (EINVAL) without a device IOTLB.',
    sources: [`${VTD}: vtd_iommu_notify_flag_changed (09adb0e021207b60)`],
  },
  {
    id: 'VIOMMU-REG-QUIET', group: 'REG', level: 'MUST', profile: 'all',
    statement: 'Registering and unregistering deliver no event: a consumer asks for the present translations with replay.',
    sources: [`${CORE}: memory_region_register_iommu_notifier, memory_region_unregister_iommu_notifier`, `${VFIO}: vfio_listener_region_add`],
  },
  // --- delivery ---------------------------------------------------------------------------
  {
    id: 'VIOMMU-EVENT-FORM', group: 'EVENT', level: 'MUST', profile: 'all',
    statement: 'Every event\'s entry has addr_mask 2^k-1 with iova and translated_addr aligned to addr_mask+1; an UNMAP carries perm NONE and a MAP a permission. A MAP covers one leaf (page-table entry, virtio-iommu mapping, MPC block) or a naturally aligned part of one. virtio-iommu splits its notifications into naturally aligned power-of-two chunks for this.',
    sources: [`${CORE}: memory_region_notify_iommu_one`, `${VIRTIO}: virtio_iommu_notify_map_unmap (dma_aligned_pow2_mask)`],
    variants: ['QEMU 11.1 (system/memory.c: memory_region_notify_iommu_one) crops every event to the notifier\'s [start, end] where older versions asserted MAP and UNMAP events inside it: an aligned entry reaching past a notifier\'s edge arrives as its part inside, which need not be a power of two. VFIO registers one notifier per IOMMU section (hw/vfio/listener.c: vfio_listener_region_add), and intel-iommu overlays its interrupt window 0xfee00000-0xfeefffff, so a page walk\'s UNMAP of a leaf across the window reaches VFIO as [leaf start, 0xfee00000) and [0xfef00000, leaf end). The model accepts exactly that shape: the smallest aligned block holding the entry, cropped to the notifier, is the entry. The translated address is not moved with the iova (tmp.translated_addr is left as is): a MAP cropped at a notifier\'s start is judged by VIOMMU-SHADOW-SOUND.'],
  },
  {
    id: 'VIOMMU-EVENT-RANGE', group: 'EVENT', level: 'MUST', profile: 'all',
    statement: 'MAP and UNMAP events lie inside the notifier\'s [start, end]: QEMU asserts it, so an event straddling the range crashes the VMM.',
    sources: [`${CORE}: memory_region_notify_iommu_one`, 'Q commit 1804857f19f6'],
  },
  {
    id: 'VIOMMU-EVENT-FLAGS', group: 'EVENT', level: 'MUST', profile: 'all',
    statement: 'A notifier receives only the event types it registered for, and only while it is registered.',
    sources: [`${CORE}: memory_region_notify_iommu_one`],
  },
  {
    id: 'VIOMMU-EVENT-INDEX', group: 'EVENT', level: 'MUST', profile: 'mpc',
    statement: 'Events about index j reach only notifiers registered for index j: a consumer that needs several views registers one notifier per index.',
    sources: [`${CORE}: memory_region_notify_iommu`, `${MPC}: tz_mpc_iommu_notify`],
  },
  // --- shadows ----------------------------------------------------------------------------
  {
    id: 'VIOMMU-SHADOW-SOUND', group: 'SHADOW', level: 'MUST', profile: 'all',
    statement: 'After every operation a MAP|UNMAP notifier\'s shadow holds nothing the guest does not allow for its index: each shadowed page has the translated address and target of the tables, with no more permission. Where the guest changed a translation and has not invalidated it yet, the old one may remain.',
    sources: [`${MEM}: IOMMU_NOTIFIER_IOTLB_EVENTS (accurate shadow)`, `${VFIO}: vfio_iommu_map_notify`],
  },
  {
    id: 'VIOMMU-SHADOW-COMPLETE', group: 'SHADOW', level: 'MUST', profile: 'all',
    statement: 'Once replayed, a MAP|UNMAP notifier\'s shadow holds every translation the guest has made visible in its range (the VT-d caching-mode contract): a device behind VFIO reaches all the guest allows.',
    sources: [`${VTD}: vtd_iotlb_page_invalidate_notify, vtd_sync_shadow_page_table_range`, `${MEM}: IOMMU_NOTIFIER_IOTLB_EVENTS`],
  },
  {
    id: 'VIOMMU-SHADOW-NO-DUP', group: 'SHADOW', level: 'MUST', profile: 'all',
    statement: 'No MAP for a page the shadow already holds: a changed translation arrives as UNMAP then MAP. A host backend refuses the duplicate with EEXIST and VFIO only logs it, keeping the old, stale entry.',
    sources: [`${MEM}: memory_region_notify_iommu (UNMAP then MAP)`, `${VTD}: vtd_page_walk_one`],
  },
  {
    id: 'VIOMMU-SHADOW-NO-CUT', group: 'SHADOW', level: 'MUST', profile: 'all',
    statement: 'An UNMAP may cover unmapped space but never part of a shadowed entry: type1v2 refuses a bisecting unmap with EINVAL and iommufd with ENOENT, leaving the whole old entry mapped.',
    sources: [`${VIRTIO}: virtio_iommu_notify_map_unmap`, 'L drivers/vfio/vfio_iommu_type1.c: vfio_dma_do_unmap'],
    variants: ['intel-iommu (QEMU 11.1, hw/i386/intel_iommu.c: vtd_page_walk_one) breaks it: when a shadowed 2 MiB leaf has been split into 4 KiB leaves and a page-selective invalidation covers one of them, the walk finds the old 2 MiB entry in the address space\'s IOVA tree and sends an UNMAP of the 4 KiB page only (then a MAP of the page, or nothing if it was unmapped). A type1 container refuses that UNMAP and keeps the whole 2 MiB: the model still flags it, with VIOMMU-VFIO-HOST. The VT-d specification (6.5.2.3, the IOTLB invalidate descriptor) lets the invalidation cover part of a large page; the walk, not the hardware, cuts.'],
  },
  {
    id: 'VIOMMU-SHADOW-NO-LOSS', group: 'SHADOW', level: 'MUST', profile: 'all',
    statement: 'No UNMAP of a shadowed entry whose translation is still valid and unchanged within one leaf: a device may be DMA-ing through it.',
    sources: [`${VTD}: vtd_page_walk_one (63b88968f1)`],
    variants: ['intel-iommu (QEMU 11.1, hw/i386/intel_iommu.c: vtd_context_global_invalidate) answers a global context-cache invalidation with vtd_address_space_refresh_all, which UNMAPs every notifier\'s whole range (vtd_address_space_unmap_all), then vtd_iommu_replay_all MAPs the present translations again: VFIO drops and re-creates every host mapping, valid ones included. The VT-d specification (6.5.2.1) only has the context cache invalidated; the model lets a vtd global invalidation UNMAP what it then MAPs again (the shadow is still judged complete afterwards).',
      'virtio-iommu: ATTACH of an endpoint to the domain it is already in detaches it first (virtio_iommu_attach, read in the source; not observable over qtest), so its notifiers get UNMAPs of the domain\'s valid mappings and then MAPs of them again. The virtio specification says nothing of an ATTACH to the same domain; the suite allows the UNMAPs there.'],
  },
  {
    id: 'VIOMMU-SHADOW-UNMAP-COVER', group: 'SHADOW', level: 'MUST', profile: 'all',
    statement: 'An UNMAP-only notifier (vhost\'s IOTLB) receives, in the operation that makes a removal or change visible, UNMAPs covering every page whose translation was removed or changed. They may be larger.',
    sources: [`${MEM}: IOMMUNotifierFlag (UNMAP-only notifiers may get over-sized invalidations)`, `${VTD}: vtd_iotlb_page_invalidate_notify`, `${SMMU}: smmuv3_notify_iova, smmuv3_inv_notifiers_iova`],
  },
  // --- replay -----------------------------------------------------------------------------
  {
    id: 'VIOMMU-REPLAY-ALL', group: 'REPLAY', level: 'MUST', profile: 'all',
    statement: 'replay MAPs every present translation in the notifier\'s range for its index; it may re-send an entry the shadow holds identically, never a different one over it.',
    sources: [`${MEM}: replay ("full semantics of memory_region_iommu_replay")`, `${CORE}: memory_region_iommu_replay`, `${VTD}: vtd_iommu_replay`, `${VIRTIO}: virtio_iommu_replay`],
  },
  {
    id: 'VIOMMU-REPLAY-NO-UNMAP', group: 'REPLAY', level: 'MUST', profile: 'all',
    statement: 'replay sends no UNMAP of a valid, unchanged entry: earlier intel-iommu unmapped everything first, pulling mappings from under in-flight DMA.',
    sources: [`${VTD}: vtd_iommu_replay ("intel_iommu: Fix a potential issue in VFIO dirty page sync")`],
  },
  // --- invalidation -----------------------------------------------------------------------
  {
    id: 'VIOMMU-INVAL-STALE', group: 'INVAL', level: 'MUST', profile: TABLES,
    statement: 'Until the invalidation that covers a change, DMA and translate may still use any translation the page had since its last invalidation; after it, only the new one. Without caching mode a not-present entry is never cached: a new mapping is used at once.',
    sources: [`${VTD}: vtd_lookup_iotlb, vtd_iotlb_page_invalidate`, `${SMMU_COMMON}: smmu_iotlb_lookup`, `${SMMU}: smmuv3_range_inval`, `${VTD_SPEC} (caching mode)`],
    variants: ['With caching mode (VT-d CM=1) a not-present entry may be cached too: a DMA to a new mapping may fault until it is invalidated.'],
  },
  {
    id: 'VIOMMU-INVAL-RANGE', group: 'INVAL', level: 'MUST', profile: TABLES,
    statement: 'A range invalidation of a domain covers at least [iova, iova+size) (VT-d page-selective with its address mask, SMMUv3 TLBI by VA with TG, SCALE, NUM, TTL): stale translations there end and notifiers of endpoints in the domain are brought up to date there.',
    sources: [`${VTD}: vtd_iotlb_page_invalidate, vtd_iotlb_page_invalidate_notify`, `${SMMU}: smmuv3_range_inval, smmuv3_inv_notifiers_iova`, `${SMMU_SPEC} (range invalidation: TG, SCALE, NUM, TTL)`],
  },
  {
    id: 'VIOMMU-INVAL-DOMAIN', group: 'INVAL', level: 'MUST', profile: TABLES,
    statement: 'A domain invalidation (VT-d domain-selective, SMMUv3 TLBI by ASID or VMID) covers the whole domain; a global one every domain and every endpoint\'s binding.',
    sources: [`${VTD}: vtd_iotlb_domain_invalidate, vtd_iotlb_global_invalidate`, `${SMMU}: smmuv3_cmdq_consume (TLBI_NH_ASID, TLBI_NH_ALL)`],
  },
  {
    id: 'VIOMMU-INVAL-CONTEXT', group: 'INVAL', level: 'MUST', profile: TABLES,
    statement: 'An endpoint\'s new binding takes effect, at the latest, at its context invalidation (VT-d context cache, SMMUv3 CFGI_STE); its notifiers are then brought up to date: a detached endpoint\'s shadows are emptied.',
    sources: [`${VTD}: vtd_context_device_invalidate, vtd_address_space_sync, vtd_address_space_unmap, vtd_do_iommu_translate`, `${SMMU}: smmuv3_cmdq_consume (CFGI_STE)`, `${VTD_SPEC} (after a context-cache invalidation software invalidates the IOTLB)`],
    variants: ['intel-iommu tags its IOTLB by source id and looks it up before the context: the old domain\'s translations may still be used by the endpoint until a domain-selective or global IOTLB invalidation of that domain (QEMU 7.2, measured over qtest). The VT-d specification has software follow the context-cache invalidation with an IOTLB invalidation, so the suite allows it on vtd.'],
  },
  // --- virtio-iommu -----------------------------------------------------------------------
  {
    id: 'VIOMMU-VIRTIO-RANGE', group: 'VIRTIO', level: 'MUST', profile: 'virtio-iommu',
    statement: 'A mapping translates exactly [virt_start, virt_end]: the byte before its start is not translated by it, nor is the byte after its end.',
    sources: [`${VIRTIO}: virtio_iommu_translate`, `${VIRTIO_SPEC} (MAP request: VA in [virt_start, virt_end]; a range mapped without F_WRITE MUST NOT be written)`],
  },
  {
    id: 'VIOMMU-VIRTIO-MAP', group: 'VIRTIO', level: 'MUST', profile: 'virtio-iommu',
    statement: 'MAP of a range overlapping a mapping fails with S_INVAL (EINVAL), into a domain no endpoint is attached to with S_NOENT (ENOENT); a mapping is used at once, there is no cache to invalidate.',
    sources: [`${VIRTIO}: virtio_iommu_map`, VIRTIO_SPEC],
  },
  {
    id: 'VIOMMU-VIRTIO-UNMAP', group: 'VIRTIO', level: 'MUST', profile: 'virtio-iommu',
    statement: 'UNMAP removes the mappings wholly inside its range; one it only partly covers fails the request with S_RANGE (ERANGE) and stays.',
    sources: [`${VIRTIO}: virtio_iommu_unmap`, VIRTIO_SPEC],
    variants: ['Which mappings wholly inside the range QEMU removes before answering S_RANGE depends on the order it walks its tree. A failed operation here changes nothing and notifies nothing, so the model expects none removed; the suite generates no request that mixes the two.'],
  },
  {
    id: 'VIOMMU-VIRTIO-ATTACH', group: 'VIRTIO', level: 'MUST', profile: 'virtio-iommu',
    statement: 'ATTACH replays the domain\'s mappings to the endpoint\'s notifiers and DETACH unmaps them; a domain lives while an endpoint is attached to it and dies, with its mappings, with the last one. ATTACH first detaches the endpoint, even from the domain it names again: the last endpoint re-attached to its own domain finds it empty. DETACH of an endpoint not attached fails with EINVAL, or with ENOENT when the device has not met it (no ATTACH since the reset).',
    sources: [`${VIRTIO}: virtio_iommu_attach, virtio_iommu_detach, virtio_iommu_get_endpoint, virtio_iommu_put_domain`, `${VIRTIO_SPEC} (DETACH: an endpoint that does not exist answers S_NOENT; after its last endpoint is detached a domain ceases to exist)`],
    variants: ['QEMU 11.1 forgets an endpoint when it is detached (measured over qtest): a DETACH of an endpoint detached before answers S_NOENT where 7.2 answers S_INVAL. The specification makes S_INVAL there a MAY, so both are allowed.'],
  },
  // --- MPC --------------------------------------------------------------------------------
  {
    id: 'VIOMMU-MPC-LUT', group: 'MPC', level: 'MUST', profile: 'mpc',
    statement: 'Each block translates to itself in memory, read-write, for the index its LUT bit names (non-secure when set) and to the blocked space for the other; a LUT write notifies, per changed block and per index, an UNMAP then a MAP with the new target.',
    sources: [`${MPC}: tz_mpc_translate, tz_mpc_iommu_notify`],
  },
  {
    id: 'VIOMMU-MPC-RESET', group: 'MPC', level: 'MUST', profile: 'mpc',
    statement: 'Reset makes every block secure again, without notifying: the consumers are reset with the machine, so shadows start again from the reset translations.',
    sources: [`${MPC}: tz_mpc_reset`],
  },
  // --- the VFIO consumer --------------------------------------------------------------------
  {
    id: 'VIOMMU-VFIO-HOST', group: 'VFIO', level: 'MUST', profile: 'all',
    statement: 'With VFIO\'s consumer turning a MAP|UNMAP notifier\'s events into type1 map and unmap (failures only logged), the host container holds exactly the translations the shadow may hold, and its locked_vm counts exactly their pages: a duplicate MAP (EEXIST) or a bisecting UNMAP (EINVAL) leaves a stale host mapping.',
    sources: [`${VFIO}: vfio_iommu_map_notify, vfio_listener_region_add`, 'L drivers/vfio/vfio_iommu_type1.c: vfio_dma_do_map, vfio_dma_do_unmap'],
  },
  // --- operations -------------------------------------------------------------------------
  {
    id: 'VIOMMU-OP-ARGS', group: 'OP', level: 'MUST', profile: 'all',
    statement: 'An operation outside the declared geometry (endpoint, domain, address width, page size, alignment, permission NONE on map, a permission the declared `perms` lack on map or protect) fails with EINVAL and changes nothing.',
    sources: [`${VTD}: vtd_iotlb_page_invalidate (address mask)`, `${VIRTIO}: virtio_iommu_map`],
  },
];

export type RuleId = (typeof RULES)[number]['id'];
