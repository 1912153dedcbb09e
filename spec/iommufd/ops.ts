// The iommufd family's operation vocabulary: the IOAS uAPI of include/uapi/linux/iommufd.h, the
// VFIO device cdev's iommufd ioctls, and the host memory of the one process that owns the
// iommufd context.
//
// Objects are named by the suite, not by the kernel: `ioas` is a small handle the suite chooses
// at IOMMU_IOAS_ALLOC and the backend keeps the kernel's id behind it. A handle that names no
// live IOAS (never allocated, or destroyed) must reach the kernel as an id that names no object
// (0 does: iommufd never allocates it), so that the kernel's own lookup answers. Devices are
// 0 .. devices-1 as the backend declares them; each has its cdev open from the start and is bound
// to the context by `bind`.
//
// Operations mirror one ioctl or syscall each and carry the uAPI's raw `flags` word. All
// addresses, lengths and tokens are u64 and held as `bigint`.
import type { Backing, Prot } from '../type1/ops.ts';
import type { Errno } from '../errno.ts';

export type { Backing, Prot } from '../type1/ops.ts';
export { ERRNOS, type Errno } from '../errno.ts';

/** The suite's name for an IOAS: 0 .. MAX_IOAS-1. */
export type IoasHandle = number;
export const MAX_IOAS = 4;

/** A device: 0 .. devices-1 of the backend's declaration. */
export type DeviceIndex = number;

/** IOMMU_IOAS_MAP_* and IOMMU_IOAS_COPY flag bits (include/uapi/linux/iommufd.h). */
export const MAP_FLAG = { FIXED_IOVA: 1, WRITEABLE: 2, READABLE: 4 } as const;

/** An IOVA range with an inclusive last byte, as struct iommu_iova_range. */
export interface IovaRange { start: bigint; last: bigint }

export type Op =
  // Host memory of the process that owns the context.
  | { op: 'mmap'; vaddr: bigint; size: bigint; prot: Prot; backing: Backing }
  | { op: 'munmap'; vaddr: bigint; size: bigint }
  | { op: 'cpuWrite'; vaddr: bigint; token: bigint }
  | { op: 'cpuRead'; vaddr: bigint }
  | { op: 'setRlimitMemlock'; bytes: bigint }
  | { op: 'setCapIpcLock'; enabled: boolean }
  // Objects: IOMMU_IOAS_ALLOC, IOMMU_DESTROY.
  | { op: 'ioasAlloc'; ioas: IoasHandle }
  | { op: 'destroy'; ioas: IoasHandle }
  // The IOAS: IOMMU_IOAS_MAP, IOMMU_IOAS_UNMAP, IOMMU_IOAS_COPY, IOMMU_IOAS_IOVA_RANGES,
  // IOMMU_IOAS_ALLOW_IOVAS. `iova` of map and `dstIova` of copy are inputs only with FIXED_IOVA.
  | { op: 'map'; ioas: IoasHandle; flags: number; iova: bigint; vaddr: bigint; length: bigint }
  | { op: 'unmap'; ioas: IoasHandle; iova: bigint; length: bigint }
  | { op: 'copy'; dstIoas: IoasHandle; srcIoas: IoasHandle; flags: number; dstIova: bigint; srcIova: bigint; length: bigint }
  | { op: 'iovaRanges'; ioas: IoasHandle }
  | { op: 'allowIovas'; ioas: IoasHandle; ranges: IovaRange[] }
  // IOMMU_OPTION: IOMMU_OPTION_RLIMIT_MODE, SET and GET (object_id 0).
  | { op: 'setRlimitMode'; value: bigint }
  | { op: 'getRlimitMode' }
  // The device cdev: VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT (with an IOAS id:
  // an automatic domain; on an attached device it replaces), VFIO_DEVICE_DETACH_IOMMUFD_PT,
  // IOMMU_GET_HW_INFO.
  | { op: 'bind'; dev: DeviceIndex }
  | { op: 'attach'; dev: DeviceIndex; ioas: IoasHandle }
  | { op: 'detach'; dev: DeviceIndex }
  | { op: 'hwInfo'; dev: DeviceIndex }
  // Closes every device fd and the iommufd, then opens fresh ones: no object is left, every pin
  // and charge is returned, and devices are unbound.
  | { op: 'closeCtx' }
  // Observations: the device's DMA through whatever its attached domain holds; the process's
  // counters.
  | { op: 'dmaRead'; dev: DeviceIndex; iova: bigint }
  | { op: 'dmaWrite'; dev: DeviceIndex; iova: bigint; token: bigint }
  | { op: 'counters' };

export type OpKind = Op['op'];
export type OpOf<K extends OpKind> = Extract<Op, { op: K }>;

export interface Failure { ok: false; errno: Errno }

/** The success value of each operation; failures are `Failure` for every kind. */
export interface OkValues {
  mmap: {}; munmap: {}; cpuWrite: {}; cpuRead: { token: bigint };
  setRlimitMemlock: {}; setCapIpcLock: {};
  ioasAlloc: {}; destroy: {};
  /** `iova`: the iova the kernel wrote back (the fixed one, or the one it allocated). */
  map: { iova: bigint };
  /** `unmapped`: the bytes the kernel wrote back in `length`. */
  unmap: { unmapped: bigint };
  copy: { iova: bigint };
  /** Every allowed, unreserved range, ascending, and out_iova_alignment. */
  iovaRanges: { ranges: IovaRange[]; alignment: bigint };
  allowIovas: {};
  setRlimitMode: {}; getRlimitMode: { value: bigint };
  bind: {}; attach: {}; detach: {};
  /** out_data_type (enum iommu_hw_info_type) and out_capabilities. */
  hwInfo: { dataType: number; capabilities: bigint };
  closeCtx: {};
  dmaRead: { token: bigint };
  dmaWrite: {};
  /** mm->locked_vm and mm->pinned_vm of the process, in pages (VmLck, VmPin). */
  counters: { lockedVm: bigint; pinnedVm: bigint };
}

export type ResultOf<K extends OpKind> = ({ ok: true } & OkValues[K]) | Failure;
export type Result = { [K in OpKind]: ResultOf<K> }[OpKind];

export const ok = <K extends OpKind>(values: OkValues[K]): ResultOf<K> =>
  ({ ok: true, ...values }) as ResultOf<K>;
export const fail = (errno: Errno): Failure => ({ ok: false, errno });

/** Operations that only look at state. */
export const OBSERVATIONS: ReadonlySet<OpKind> = new Set(['cpuRead', 'iovaRanges', 'getRlimitMode', 'hwInfo', 'dmaRead', 'counters']);
