// What an emulated-IOMMU backend declares: its programming model and its geometry.
import type { Backend as FamilyBackend, BackendFactory as FamilyBackendFactory, BackendInfoBase } from '../family.ts';
import { PERMS, type Op, type Perm, type Result } from './ops.ts';

/**
 * The programming model: `vtd` and `smmuv3` have guest page tables and caches that lag until
 * invalidated; `virtio-iommu` acts on MAP and UNMAP requests at once; `mpc` has a LUT of
 * secure / non-secure blocks and two indexes.
 */
export type Profile = 'vtd' | 'smmuv3' | 'virtio-iommu' | 'mpc';
export const PROFILES: readonly Profile[] = ['vtd', 'smmuv3', 'virtio-iommu', 'mpc'];

/**
 * Optional abilities. `domains`: attach, detach, map, unmap. `tables`: protect, invalidate.
 * `lut`: gate, reset. `notifiers`: register, unregister, replay. `dma`, `translate`, `faults`:
 * the ops of those names. A real IOMMU driven over qtest has no `translate` and no `notifiers`.
 * `vfio`: QEMU's own VFIO device is one of the endpoints and its notifier's events are answered
 * (BackendInfo.vfio); no operation needs it.
 */
export const CAPABILITIES = ['domains', 'tables', 'lut', 'notifiers', 'dma', 'translate', 'faults', 'vfio'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface BackendInfo extends BackendInfoBase {
  family: 'viommu';
  profile: Profile;
  capabilities: Capability[];
  /** Input addresses are below 2^iovaBits (the MPC: its region is [0, 2^iovaBits)). */
  iovaBits: number;
  /**
   * Page tables: the leaf sizes, ascending, a prefix of 4 KiB, 2 MiB, 1 GiB. virtio-iommu: the
   * one granule. The MPC: the one block size.
   */
  pageSizes: bigint[];
  /** num_indexes: 1, or 2 for the MPC (0 secure, 1 non-secure). */
  indexes: number;
  /** Endpoints are 0 .. endpoints-1; the MPC has one region, endpoint 0. */
  endpoints: number;
  /** Domains are 0 .. domains-1. */
  domains: number;
  /** VT-d caching mode: not-present entries may be cached, and MAP notifiers can be served. */
  cachingMode: boolean;
  /** Whether MAP notifiers are accepted (notify_flag_changed does not veto them). */
  mapNotifiers: boolean;
  /** Whether DEVIOTLB_UNMAP notifiers are accepted. */
  deviceIotlb: boolean;
  /** What an endpoint bound to no domain does with DMA: it faults, or passes untranslated. */
  unattached: 'fault' | 'bypass';
  /**
   * Optional, page tables: the permissions an entry can carry, a map's leaves and a protect's
   * directories (an Arm stage-1 descriptor cannot refuse a read: 'r' and 'rw'). A map or
   * protect with another fails with EINVAL (VIOMMU-OP-ARGS). Absent: all four.
   */
  perms?: Perm[];
  /**
   * Optional: where translated addresses may point, [start, start + size) (a real machine's
   * guest RAM, where a DMA can be seen). Absent: anywhere below 2^64.
   */
  ram?: { start: bigint; size: bigint };
  /**
   * Optional, with the `vfio` capability: QEMU's own VFIO device sits at `endpoint`. Before the
   * case began VFIO registered one MAP|UNMAP notifier per IOMMU section of the device's address
   * space, index 0, each over its section's [start, end] (end inclusive), and replayed them while
   * nothing was mapped (hw/vfio/listener.c: vfio_listener_region_add). One section spans the
   * whole input space unless the IOMMU overlays part of it: intel-iommu's interrupt window
   * 0xfee00000-0xfeefffff leaves two, and a translation inside the window reaches no notifier.
   * Every operation answers, as events of those notifier ids, what VFIO was told. A MAP's perm is
   * what VFIO mapped: `rw` when the entry allows write, else `r` (vfio_iommu_map_notify).
   */
  vfio?: { endpoint: number; notifiers: VfioNotifier[] };
}

/** One of VFIO's notifiers: its id and the section it covers, [start, end] with end inclusive. */
export interface VfioNotifier { notifier: number; start: bigint; end: bigint }

export type Backend = FamilyBackend<Op, Result, BackendInfo>;
export type BackendFactory = FamilyBackendFactory<Backend>;

export const PAGE_4K = 0x1000n;
/** Entries per table in 4 KiB-granule page tables (VT-d second level, SMMUv3 AArch64 LPAE). */
export const TABLE_ENTRIES = 512n;

/** Whether an entry of `info`'s tables can carry `perm` (its `perms`; all when absent). */
export const permExpressible = (info: Pick<BackendInfo, 'perms'>, perm: Perm): boolean => info.perms?.includes(perm) ?? true;

/** The spans of the directory entries `protect` may name: 2 MiB, 1 GiB, ... below 2^iovaBits. */
export function tableSpans(info: Pick<BackendInfo, 'iovaBits' | 'pageSizes'>): bigint[] {
  const spans: bigint[] = [];
  for (let span = info.pageSizes[0]! * TABLE_ENTRIES; span < 1n << BigInt(info.iovaBits); span *= TABLE_ENTRIES) spans.push(span);
  return spans;
}

export function capabilitiesFor(op: Op): Capability[] {
  switch (op.op) {
    case 'attach': case 'detach': case 'map': case 'unmap': return ['domains'];
    case 'protect': case 'invalidate': return ['tables'];
    case 'gate': case 'reset': return ['lut'];
    case 'register': case 'unregister': case 'replay': return ['notifiers'];
    case 'dma': return ['dma'];
    case 'translate': return ['translate'];
    case 'faults': return ['faults'];
  }
}

/** The most blocks an MPC may declare: its LUT words times 32 (tz-mpc's BLK_MAX is far below). */
export const MPC_MAX_BLOCKS = 1n << 20n;

const isPow2 = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;
const LEVELS = [PAGE_4K, PAGE_4K * TABLE_ENTRIES, PAGE_4K * TABLE_ENTRIES * TABLE_ENTRIES];

/** VFIO's notifiers: at least one, distinct ids, sections ascending, disjoint, inside [0, top). */
function vfioNotifiersWrong(notifiers: readonly VfioNotifier[], top: bigint): string | null {
  if (notifiers.length === 0) return 'vfio.notifiers must name at least one notifier';
  let after = 0n;
  for (const { notifier, start, end } of notifiers) {
    if (!Number.isInteger(notifier) || notifier < 0 || notifier > 2 ** 31 - 1) return 'vfio.notifiers: an id must be in 0..2^31-1';
    if (notifiers.filter((n) => n.notifier === notifier).length > 1) return `vfio.notifiers: id ${notifier} is used twice`;
    if (start < after || start > end || end >= top) return 'vfio.notifiers: sections must be ascending, disjoint and inside [0, 2^iovaBits)';
    after = end + 1n;
  }
  return null;
}

/** What is wrong with a declaration beyond its field types, or null. */
export function checkGeometry(info: BackendInfo): string | null {
  const { profile, pageSizes } = info;
  if (!Number.isInteger(info.iovaBits) || info.iovaBits < 12 || info.iovaBits > 64) return 'iovaBits must be an integer in 12..64';
  if (pageSizes.length === 0 || !pageSizes.every(isPow2)) return 'pageSizes must be powers of two';
  if (!Number.isInteger(info.endpoints) || info.endpoints < 1 || info.endpoints > 64) return 'endpoints must be in 1..64';
  if (!Number.isInteger(info.domains) || info.domains < 1 || info.domains > 64) return 'domains must be in 1..64';
  const top = 1n << BigInt(info.iovaBits);
  if (profile === 'vtd' || profile === 'smmuv3') {
    if (!pageSizes.every((s, i) => s === LEVELS[i])) return 'pageSizes of page tables must be a prefix of 0x1000, 0x200000, 0x40000000';
    if (pageSizes[pageSizes.length - 1]! >= top) return 'pageSizes must be below 2^iovaBits';
  } else if (pageSizes.length !== 1 || pageSizes[0]! < 4n || pageSizes[0]! >= top) {
    return `pageSizes of ${profile} must be one granule below 2^iovaBits`;
  }
  if (profile === 'mpc' && (info.indexes !== 2 || info.endpoints !== 1 || info.domains !== 1)) return 'an mpc has indexes 2, endpoints 1, domains 1';
  // Every block is one entry of a replay: an MPC's LUT has thousands of blocks, not billions.
  if (profile === 'mpc' && top / pageSizes[0]! > MPC_MAX_BLOCKS) return `an mpc has at most ${MPC_MAX_BLOCKS} blocks (2^iovaBits / block size)`;
  if (profile !== 'mpc' && info.indexes !== 1) return `${profile} has one index`;
  if (info.ram && (info.ram.size === 0n || info.ram.start % PAGE_4K !== 0n || info.ram.size % PAGE_4K !== 0n || info.ram.start + info.ram.size > 1n << 64n)) {
    return 'ram must be a non-empty range of whole 4 KiB pages below 2^64';
  }
  if (info.perms && (!info.perms.includes('rw') || !info.perms.every((p) => PERMS.includes(p)))) return 'perms must be permissions and include rw';
  if (info.perms && profile !== 'vtd' && profile !== 'smmuv3') return 'perms is a page-table setting (vtd, smmuv3)';
  if (info.capabilities.includes('vfio') !== (info.vfio !== undefined)) return 'the vfio capability and the vfio field come together';
  if (info.vfio) {
    if (!Number.isInteger(info.vfio.endpoint) || info.vfio.endpoint < 0 || info.vfio.endpoint >= info.endpoints) return 'vfio.endpoint must be a declared endpoint';
    const wrong = vfioNotifiersWrong(info.vfio.notifiers, top);
    if (wrong) return wrong;
    // VFIO cannot start without a MAP notifier, and cannot map sub-page MPC blocks.
    if (!info.mapNotifiers || profile === 'mpc') return 'vfio needs mapNotifiers and a profile other than mpc';
  }
  if (profile !== 'vtd' && info.cachingMode) return 'cachingMode is a vtd setting';
  if (profile === 'vtd' && info.mapNotifiers && !info.cachingMode) return 'vtd serves MAP notifiers only in caching mode';
  return null;
}
