// The operations of the emulated-IOMMU family and their results.
//
// A backend is an emulated IOMMU behind QEMU's IOMMUMemoryRegion contract
// (include/exec/memory.h): an intel-iommu, an SMMUv3, a virtio-iommu or a TrustZone MPC. The
// operations are abstract enough that each maps them onto its own programming model:
//
// - `map`, `unmap`, `protect`: guest page-table writes on a VT-d or SMMUv3 (nothing reaches
//   the IOMMU until `invalidate`), MAP and UNMAP requests on a virtio-iommu (acted on at once);
// - `invalidate`: VT-d IOTLB and context-cache invalidations, SMMUv3 TLBI and CFGI commands;
// - `attach`, `detach`: context entries, STEs, virtio-iommu ATTACH and DETACH;
// - `gate`, `reset`: the MPC's LUT writes and its reset;
// - `dma`, `translate`: a device's access with its transaction attributes, and the region's
//   `translate(addr, flag, iommu_idx)`; `faults`: the fault records the IOMMU keeps;
// - `register`, `unregister`, `replay`: IOMMU notifiers, and every event they receive comes
//   back in the result of the operation during which it was delivered, in delivery order.
//
// Every address and size is a bigint. Ranges are [iova, iova + size); notifier ranges, as in
// QEMU, are [start, end] with an inclusive end.
import type { Errno } from '../errno.ts';

export { ERRNOS, type Errno } from '../errno.ts';

/** IOMMUAccessFlags: IOMMU_NONE, IOMMU_RO, IOMMU_WO, IOMMU_RW. */
export type Perm = 'none' | 'r' | 'w' | 'rw';
export const PERMS: readonly Perm[] = ['none', 'r', 'w', 'rw'];

/** Where a translation leads: the downstream memory, or (the MPC) the blocked address space. */
export type Target = 'memory' | 'blocked';

/** IOMMUNotifierFlag bits, as in QEMU. */
export const NOTIFIER_UNMAP = 1;
export const NOTIFIER_MAP = 2;
export const NOTIFIER_DEVIOTLB = 4;
export const NOTIFIER_ALL = NOTIFIER_UNMAP | NOTIFIER_MAP | NOTIFIER_DEVIOTLB;

export type InvalidateScope =
  /** VT-d page-selective IOTLB invalidation, SMMUv3 TLBI by VA range: [iova, iova + size) of one domain. */
  | { scope: 'range'; domain: number; iova: bigint; size: bigint }
  /** VT-d domain-selective IOTLB invalidation, SMMUv3 TLBI by ASID / VMID. */
  | { scope: 'domain'; domain: number }
  /** VT-d context-cache invalidation, SMMUv3 CFGI_STE: one endpoint's binding to its domain. */
  | { scope: 'context'; endpoint: number }
  /** VT-d global invalidation of the context cache and the IOTLB, SMMUv3 CFGI_ALL + TLBI_NSNH_ALL. */
  | { scope: 'global' };

export type Op =
  /** Bind `endpoint` (a requester / stream id) to `domain`, replacing any binding it had. */
  | { op: 'attach'; endpoint: number; domain: number }
  | { op: 'detach'; endpoint: number }
  /**
   * Translate [iova, iova + size) to [pa, pa + size) with `perm`. On page tables: leaves of
   * `page` bytes (one of the declared page sizes; iova, pa and size aligned to it) replacing
   * whatever was there; a larger leaf the range cuts is split first, keeping its other
   * translations. On a virtio-iommu: one MAP request; `page` is the granule.
   */
  | { op: 'map'; domain: number; iova: bigint; size: bigint; pa: bigint; perm: Perm; page: bigint }
  | { op: 'unmap'; domain: number; iova: bigint; size: bigint }
  /**
   * Page tables only: the permissions of the directory entry spanning `span` bytes at `iova`
   * (a table one level above the leaves it holds). A leaf of `span` bytes or more covering it
   * is split first, keeping its translations.
   */
  | { op: 'protect'; domain: number; iova: bigint; span: bigint; perm: Perm }
  | ({ op: 'invalidate' } & InvalidateScope)
  /** The MPC: the LUT bits of the blocks in [iova, iova + size) set to non-secure (`ns`) or secure. */
  | { op: 'gate'; iova: bigint; size: bigint; ns: boolean }
  /** The MPC's reset: every block secure again. */
  | { op: 'reset' }
  /** A device access of one byte at `iova`, issued secure or non-secure. */
  | { op: 'dma'; endpoint: number; iova: bigint; access: 'read' | 'write'; secure: boolean }
  | { op: 'translate'; endpoint: number; index: number; iova: bigint; flag: Perm }
  /**
   * The fault records the IOMMU logged since the last `faults`, oldest first: VT-d's fault
   * recording registers, SMMUv3's event queue, virtio-iommu's fault events.
   */
  | { op: 'faults' }
  /** `memory_region_register_iommu_notifier` on the region of `endpoint`: flags, [start, end], iommu_idx. */
  | { op: 'register'; notifier: number; endpoint: number; flags: number; start: bigint; end: bigint; index: number }
  | { op: 'unregister'; notifier: number }
  | { op: 'replay'; notifier: number };

export type OpKind = Op['op'];

/** IOMMUTLBEntry: covers [iova, iova + addrMask]. */
export interface TlbEntry {
  iova: bigint;
  translatedAddr: bigint;
  addrMask: bigint;
  perm: Perm;
  target: Target;
}

/** One IOMMUTLBEvent delivered to one notifier. */
export interface NotifierEvent {
  notifier: number;
  type: 'map' | 'unmap' | 'deviotlb';
  entry: TlbEntry;
}

export type Failure = { ok: false; errno: Errno };
/** The answer to an operation that may change translations: the events it delivered. */
export type Notified = { ok: true; events: NotifierEvent[] };
/** Where a DMA went: a byte of memory, the blocked space (the MPC's RAZ/WI), or a fault. */
export type DmaOutcome = { ok: true; outcome: 'memory'; addr: bigint } | { ok: true; outcome: 'blocked' } | { ok: true; outcome: 'fault' };
export type Translated = { ok: true; entry: TlbEntry };
/** One fault record: which endpoint, at which address, doing what. */
export interface FaultRecord { endpoint: number; iova: bigint; access: 'read' | 'write' }
export type Faults = { ok: true; faults: FaultRecord[] };

export type Result = Failure | Notified | DmaOutcome | Translated | Faults;

/** The result shape each operation answers with on success. */
export const SHAPE: Readonly<Record<OpKind, 'events' | 'dma' | 'entry' | 'faults'>> = {
  attach: 'events', detach: 'events', map: 'events', unmap: 'events', protect: 'events',
  invalidate: 'events', gate: 'events', reset: 'events', register: 'events', unregister: 'events',
  replay: 'events', dma: 'dma', translate: 'entry', faults: 'faults',
};

export const permAllows = (perm: Perm, access: 'read' | 'write'): boolean =>
  access === 'read' ? perm === 'r' || perm === 'rw' : perm === 'w' || perm === 'rw';

/** The intersection of two permissions (a walk ANDs them level by level). */
export function permAnd(a: Perm, b: Perm): Perm {
  const r = permAllows(a, 'read') && permAllows(b, 'read');
  const w = permAllows(a, 'write') && permAllows(b, 'write');
  return r ? (w ? 'rw' : 'r') : (w ? 'w' : 'none');
}

export const permWithin = (inner: Perm, outer: Perm): boolean => permAnd(inner, outer) === inner;
