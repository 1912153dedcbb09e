// The sPAPR TCE family's operation vocabulary: VFIO's sPAPR TCE container
// (drivers/vfio/vfio_iommu_spapr_tce.c, VFIO_SPAPR_TCE_IOMMU and VFIO_SPAPR_TCE_v2_IOMMU), its
// memory preregistration (arch/powerpc/mm/book3s64/iommu_api.c), and the host memory of the
// processes that share the container fd.
//
// Containers are 0 .. containers-1 as the backend declares them; each already holds one group
// (one device) and has had VFIO_SET_IOMMU with the profile's type when a case starts. `proc` 1 is
// a second process (a forked child, another mm) holding the same container fds: the container is
// bound to the mm of its first REGISTER_MEMORY / ENABLE / TCE_CREATE / TCE_REMOVE, and every
// later ioctl from another mm fails (SPAPR-MM-BIND).
//
// Operations mirror one ioctl or syscall each and carry the uAPI's raw `flags` word. All
// addresses, sizes and tokens are u64 and held as `bigint`.
import type { Backing, Proc, Prot } from '../type1/ops.ts';
import type { Errno } from '../errno.ts';

export type { Backing, Proc, Prot } from '../type1/ops.ts';
export { ERRNOS, type Errno } from '../errno.ts';

/** A container: 0 .. containers-1 of the backend's declaration. */
export type ContainerIndex = number;

/** VFIO_DMA_MAP_FLAG_READ / _WRITE: the TCE's direction (R: to device, W: from device). */
export const MAP_FLAG = { READ: 1, WRITE: 2 } as const;

/** VFIO_IOMMU_SPAPR_INFO_DDW in vfio_iommu_spapr_tce_info.flags. */
export const INFO_FLAG_DDW = 1;

export type Op =
  // Host memory of process `proc`.
  | { op: 'mmap'; proc: Proc; vaddr: bigint; size: bigint; prot: Prot; backing: Backing }
  | { op: 'munmap'; proc: Proc; vaddr: bigint; size: bigint }
  | { op: 'mremap'; proc: Proc; vaddr: bigint; size: bigint; newVaddr: bigint; newSize: bigint }
  | { op: 'cpuWrite'; proc: Proc; vaddr: bigint; token: bigint }
  | { op: 'cpuRead'; proc: Proc; vaddr: bigint }
  | { op: 'setRlimitMemlock'; proc: Proc; bytes: bigint }
  | { op: 'setCapIpcLock'; proc: Proc; enabled: boolean }
  // v1: VFIO_IOMMU_ENABLE, VFIO_IOMMU_DISABLE (on v2 they are not handled: ENOTTY).
  | { op: 'enable'; proc: Proc; ct: ContainerIndex }
  | { op: 'disable'; proc: Proc; ct: ContainerIndex }
  // v2: VFIO_IOMMU_SPAPR_REGISTER_MEMORY, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY.
  | { op: 'register'; proc: Proc; ct: ContainerIndex; flags: number; vaddr: bigint; size: bigint }
  | { op: 'unregister'; proc: Proc; ct: ContainerIndex; flags: number; vaddr: bigint; size: bigint }
  // VFIO_IOMMU_SPAPR_TCE_GET_INFO, VFIO_IOMMU_SPAPR_TCE_CREATE, VFIO_IOMMU_SPAPR_TCE_REMOVE.
  | { op: 'getInfo'; proc: Proc; ct: ContainerIndex }
  | { op: 'create'; proc: Proc; ct: ContainerIndex; flags: number; pageShift: number; windowSize: bigint; levels: number }
  | { op: 'remove'; proc: Proc; ct: ContainerIndex; flags: number; startAddr: bigint }
  // VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA on the container's TCE windows.
  | { op: 'map'; proc: Proc; ct: ContainerIndex; flags: number; iova: bigint; vaddr: bigint; size: bigint }
  | { op: 'unmap'; proc: Proc; ct: ContainerIndex; flags: number; iova: bigint; size: bigint }
  // Closes the container (and its group and device fds) in every process and opens fresh ones
  // with VFIO_SET_IOMMU again: release clears every TCE, frees the tables and puts the
  // container's registrations (SPAPR-CLOSE-RELEASE).
  | { op: 'closeContainer'; ct: ContainerIndex }
  // Observations: the container's device DMAs by bus address through its TCE windows; the
  // processes' counters.
  | { op: 'dmaRead'; ct: ContainerIndex; iova: bigint }
  | { op: 'dmaWrite'; ct: ContainerIndex; iova: bigint; token: bigint }
  | { op: 'counters' };

export type OpKind = Op['op'];
export type OpOf<K extends OpKind> = Extract<Op, { op: K }>;

export interface Failure { ok: false; errno: Errno }

/** struct vfio_iommu_spapr_tce_ddw_info. */
export interface DdwInfo { pgsizes: bigint; maxDynamicWindows: number; levels: number }

/** The success value of each operation; failures are `Failure` for every kind. */
export interface OkValues {
  mmap: {}; munmap: {}; mremap: {}; cpuWrite: {}; cpuRead: { token: bigint };
  setRlimitMemlock: {}; setCapIpcLock: {};
  enable: {}; disable: {};
  register: {}; unregister: {};
  /** struct vfio_iommu_spapr_tce_info: the 32-bit window, and `ddw` when flags has INFO_FLAG_DDW. */
  getInfo: { dma32WindowStart: bigint; dma32WindowSize: bigint; ddw?: DdwInfo };
  /** `startAddr`: the bus address the platform gave the new window. */
  create: { startAddr: bigint };
  remove: {};
  map: {};
  unmap: {};
  closeContainer: {};
  /**
   * `token`: the 64-bit value the device read. A backend without the `faultSignal` capability
   * cannot tell a TCE fault from a read: it answers the bytes the device got (zeros on QEMU).
   */
  dmaRead: { token: bigint };
  dmaWrite: {};
  /** `lockedVm[p]`: mm->locked_vm of process p, in pages (VmLck). */
  counters: { lockedVm: bigint[] };
}

export type ResultOf<K extends OpKind> = ({ ok: true } & OkValues[K]) | Failure;
export type Result = { [K in OpKind]: ResultOf<K> }[OpKind];

export const ok = <K extends OpKind>(values: OkValues[K]): ResultOf<K> =>
  ({ ok: true, ...values }) as ResultOf<K>;
export const fail = (errno: Errno): Failure => ({ ok: false, errno });

/** Operations that only look at state. */
export const OBSERVATIONS: ReadonlySet<OpKind> = new Set(['cpuRead', 'getInfo', 'dmaRead', 'counters']);
