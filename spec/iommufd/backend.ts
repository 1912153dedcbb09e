// What an iommufd backend declares: its devices, the domains their IOMMU gives them, and the
// host the context's process lives on. The model derives every reserved range and the IOAS's
// iova alignment from this declaration (IOMMUFD-ATTACH-* rules), so a backend with an unusual
// but valid geometry is judged by its own.
import type { Backend as FamilyBackend, BackendFactory as FamilyBackendFactory, BackendInfoBase } from '../family.ts';
import type { HostInfo } from '../type1/backend.ts';
import type { IovaRange, Op, Result } from './ops.ts';

export type { HostInfo } from '../type1/backend.ts';

/** One profile today: the native /dev/iommu interface. */
export type Profile = 'iommufd';
export const PROFILES: readonly Profile[] = ['iommufd'];

/**
 * Optional abilities; everything else in ops.ts is mandatory. `dma`: dmaRead (a device that can
 * be told to DMA). `dmaWrite`, `cpuRead`: those ops. `mmio`: mmap with backing 'mmio' (a
 * PFNMAP BAR). `rlimit`: setRlimitMemlock. `capIpcLock`: setCapIpcLock. `rlimitMode`: set and
 * get IOMMU_OPTION_RLIMIT_MODE (needs CAP_SYS_RESOURCE). `hwInfo`: IOMMU_GET_HW_INFO.
 * `pinnedVm`: `counters` reports mm->pinned_vm (otherwise it is not judged).
 */
export const CAPABILITIES = ['dma', 'dmaWrite', 'cpuRead', 'mmio', 'rlimit', 'capIpcLock', 'rlimitMode', 'hwInfo', 'pinnedVm'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** A device and the automatic domain its IOMMU allocates for it at attach. */
export interface Device {
  /** The domain's pgsize_bitmap: bit n set means 2^n-byte pages; its lowest bit is the iova alignment it imposes. */
  pgsizes: bigint;
  /** The domain's aperture (geometry.aperture_start .. aperture_end). */
  aperture: IovaRange;
  /** The device's reserved regions (iommu_get_resv_regions: MSI windows, RMRRs), ascending, disjoint. */
  reserved: IovaRange[];
  /** IOMMU_GET_HW_INFO's out_data_type (enum iommu_hw_info_type: 0 none, 1 intel-vtd, 2 arm-smmuv3). */
  hwInfoType: number;
  /** Devices with the same group share one domain when attached to one IOAS; `group` names it. */
  group: number;
}

export interface BackendInfo extends BackendInfoBase {
  family: 'iommufd';
  profile: Profile;
  devices: Device[];
  host: HostInfo;
  capabilities: Capability[];
}

/**
 * An iommufd backend (spec/family.ts). `reset` brings it back to a fresh context: no object,
 * every device's cdev open and unbound, an empty address space, unlimited RLIMIT_MEMLOCK,
 * CAP_IPC_LOCK held, RLIMIT_MODE 0 (per user).
 */
export type Backend = FamilyBackend<Op, Result, BackendInfo>;
export type BackendFactory = FamilyBackendFactory<Backend>;

/** The optional capabilities an operation needs; a backend never receives one it lacks. */
export function capabilitiesFor(op: Op): Capability[] {
  switch (op.op) {
    case 'dmaRead': return ['dma'];
    case 'dmaWrite': return ['dma', 'dmaWrite'];
    case 'cpuRead': return ['cpuRead'];
    case 'mmap': return op.backing === 'mmio' ? ['mmio'] : [];
    case 'setRlimitMemlock': return ['rlimit'];
    case 'setCapIpcLock': return ['capIpcLock'];
    case 'setRlimitMode': case 'getRlimitMode': return ['rlimitMode'];
    case 'hwInfo': return ['hwInfo'];
    default: return [];
  }
}
