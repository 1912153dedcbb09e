// The operation vocabulary shared by the reference model, the properties and every backend.
//
// Operations mirror the uAPI they stand for: `map` is VFIO_IOMMU_MAP_DMA with its raw `flags`
// word, `unmap` is VFIO_IOMMU_UNMAP_DMA, and so on, so that a backend author maps each one onto
// one ioctl or syscall. Host-memory operations act on the address space of one of the
// processes that share the container (`proc`), at fixed virtual addresses the suite chooses
// inside the arena the backend declares. Observations (`dmaRead`, `counters`, ...) are
// operations too: a test case is one flat list, which is what lets an out-of-process backend
// take a whole case in one message.
//
// All addresses, sizes and tokens are u64 and held as `bigint`; see spec/type1/wire.ts for JSON.

/** Index of a process sharing the container (a parent and its forked child). */
export type Proc = 0 | 1;

export type Prot = 'none' | 'r' | 'rw';

/** What backs a VMA: anonymous memory, hugetlbfs pages, or a PFNMAP device BAR (MMIO). */
export type Backing = 'anon' | 'hugetlb' | 'mmio';

/** uAPI flag values from include/uapi/linux/vfio.h. */
export const MAP_FLAG = { READ: 1, WRITE: 2, VADDR: 4 } as const;
export const UNMAP_FLAG = { GET_DIRTY_BITMAP: 1, ALL: 2, VADDR: 4 } as const;
export const DIRTY_FLAG = { START: 1, STOP: 2, GET_BITMAP: 4 } as const;

export type Op =
  // Host memory (the process side).
  | { op: 'mmap'; proc: Proc; vaddr: bigint; size: bigint; prot: Prot; backing: Backing }
  | { op: 'munmap'; proc: Proc; vaddr: bigint; size: bigint }
  | { op: 'mremap'; proc: Proc; vaddr: bigint; size: bigint; newVaddr: bigint; newSize: bigint }
  | { op: 'mprotect'; proc: Proc; vaddr: bigint; size: bigint; prot: Prot }
  | { op: 'cpuWrite'; proc: Proc; vaddr: bigint; token: bigint }
  | { op: 'cpuRead'; proc: Proc; vaddr: bigint }
  | { op: 'setRlimitMemlock'; proc: Proc; bytes: bigint }
  | { op: 'setCapIpcLock'; proc: Proc; enabled: boolean }
  // The container (VFIO type1 ioctls).
  | { op: 'map'; proc: Proc; flags: number; iova: bigint; vaddr: bigint; size: bigint }
  | { op: 'unmap'; proc: Proc; flags: number; iova: bigint; size: bigint }
  | { op: 'getInfo' }
  /**
   * VFIO_IOMMU_DIRTY_PAGES with the raw `flags` word and no data after it (argsz is the header's
   * size): START and STOP need none; GET_BITMAP, which needs a range and a bitmap, is sent
   * without them.
   */
  | { op: 'dirtyPages'; flags: number }
  /** GET_INFO's VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, looked up in the capability chain. */
  | { op: 'migrationInfo' }
  | { op: 'closeContainer' }
  // Observations.
  | { op: 'dmaRead'; iova: bigint }
  | { op: 'dmaWrite'; iova: bigint; token: bigint }
  | { op: 'counters' }
  | { op: 'dumpMappings' };

export type OpKind = Op['op'];
export type OpOf<K extends OpKind> = Extract<Op, { op: K }>;

import type { Errno } from '../errno.ts';
export { ERRNOS, type Errno } from '../errno.ts';

export interface Failure { ok: false; errno: Errno }

/** An IOVA range as VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE reports it: `end` is inclusive. */
export interface IovaInterval { start: bigint; end: bigint }

/** One live mapping as a backend that can dump its IOMMU state reports it. */
export interface MappingDump { iova: bigint; size: bigint; read: boolean; write: boolean }

/** The success value of each operation; failures are `Failure` for every kind. */
export interface OkValues {
  mmap: {}; munmap: {}; mremap: {}; mprotect: {};
  cpuWrite: {}; cpuRead: { token: bigint };
  setRlimitMemlock: {}; setCapIpcLock: {};
  map: {};
  /** `unmapped`: the bytes the kernel reports in `unmap.size` on return. */
  unmap: { unmapped: bigint };
  getInfo: { pgsizes: bigint; iovaRanges: IovaInterval[]; dmaAvail: bigint };
  dirtyPages: {};
  /**
   * `present`: the chain holds the MIGRATION capability; its `pgsize_bitmap` and
   * `max_dirty_bitmap_size` (bytes), both 0 when it is absent.
   */
  migrationInfo: { present: boolean; pgsizes: bigint; maxDirtyBitmapSize: bigint };
  closeContainer: {};
  /** `token`: the 64-bit token stored in the frame the device reached. */
  dmaRead: { token: bigint };
  dmaWrite: {};
  /** `lockedVm[p]`: mm->locked_vm of process p, in pages. */
  counters: { lockedVm: bigint[] };
  dumpMappings: { mappings: MappingDump[] };
}

export type ResultOf<K extends OpKind> = ({ ok: true } & OkValues[K]) | Failure;
export type Result = { [K in OpKind]: ResultOf<K> }[OpKind];

export const ok = <K extends OpKind>(values: OkValues[K]): ResultOf<K> =>
  ({ ok: true, ...values }) as ResultOf<K>;
export const fail = (errno: Errno): Failure => ({ ok: false, errno });

/** Operations that only look at state: the model's `expected` for them is an observation. */
export const OBSERVATIONS: ReadonlySet<OpKind> = new Set(['dmaRead', 'cpuRead', 'counters', 'dumpMappings', 'getInfo', 'migrationInfo']);
