// What an sPAPR TCE backend declares: its containers (one group and one device each), the DMA
// windows its platform gives them, and the host its processes live on. The model derives every
// window, table charge and alignment from this declaration (SPAPR-* rules), so a backend on
// another platform or with another window layout is judged by its own.
import type { Backend as FamilyBackend, BackendFactory as FamilyBackendFactory, BackendInfoBase } from '../family.ts';
import type { HostInfo } from '../type1/backend.ts';
import type { DdwInfo, Op, Result } from './ops.ts';

export type { HostInfo } from '../type1/backend.ts';

/** VFIO_SPAPR_TCE_v2_IOMMU (preregistration, dynamic windows) or VFIO_SPAPR_TCE_IOMMU. */
export type Profile = 'spapr-v2' | 'spapr-v1';
export const PROFILES: readonly Profile[] = ['spapr-v2', 'spapr-v1'];
export const isProfile = (v: unknown): v is Profile => (PROFILES as readonly unknown[]).includes(v);

/**
 * Optional abilities; everything else in ops.ts is mandatory. `dma`: dmaRead. `dmaWrite`,
 * `cpuRead`, `mremap`: those ops. `faultSignal`: a DMA through an invalid or wrong-direction TCE
 * is answered EFAULT (without it a faulting read answers what the device got, a faulting write
 * answers success, and the model judges both by their effect). `hugetlb`: mmap with backing
 * 'hugetlb'. `rlimit`: setRlimitMemlock. `capIpcLock`: setCapIpcLock. `secondProcess`: proc 1.
 */
export const CAPABILITIES = ['dma', 'dmaWrite', 'faultSignal', 'cpuRead', 'mremap', 'hugetlb', 'rlimit', 'capIpcLock', 'secondProcess'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * How the platform sizes a window's TCE table (iommu_table_group_ops.get_table_size), which is
 * what TCE_CREATE charges to locked_vm (SPAPR-WINDOW-CHARGE): `pseries`
 * (arch/powerpc/platforms/pseries/iommu.c: spapr_tce_get_table_size) or `powernv`
 * (arch/powerpc/platforms/powernv/pci-ioda.c: pnv_pci_ioda2_get_table_size).
 */
export type TableSizing = 'pseries' | 'powernv';

/** One container, its group's table_group as the platform describes it. */
export interface ContainerGeometry {
  /** tce32_start and tce32_size: the default window (4 KiB TCEs, one level, slot 0). */
  dma32: { start: bigint; size: bigint };
  /** Dynamic DMA windows (v2 only; absent: the platform cannot create windows). */
  ddw?: DdwInfo;
  /** The bus address of a window TCE_CREATE makes in slot i (it_offset << it_page_shift). */
  windowStarts: bigint[];
  tableSizing: TableSizing;
}

export interface BackendInfo extends BackendInfoBase {
  family: 'spapr';
  profile: Profile;
  containers: ContainerGeometry[];
  host: HostInfo;
  capabilities: Capability[];
}

/**
 * An sPAPR backend (spec/family.ts). `reset` brings it back to fresh containers: each with its
 * group set and VFIO_SET_IOMMU done for the profile, not bound to any mm, no registration, no
 * window created (the default window pending on v2), every process's address space empty,
 * unlimited RLIMIT_MEMLOCK, CAP_IPC_LOCK not held.
 */
export type Backend = FamilyBackend<Op, Result, BackendInfo>;
export type BackendFactory = FamilyBackendFactory<Backend>;

/** The optional capabilities an operation needs; a backend never receives one it lacks. */
export function capabilitiesFor(op: Op): Capability[] {
  const own: Capability[] = [];
  if ('proc' in op && op.proc === 1) own.push('secondProcess');
  switch (op.op) {
    case 'dmaRead': return [...own, 'dma'];
    case 'dmaWrite': return [...own, 'dma', 'dmaWrite'];
    case 'cpuRead': return [...own, 'cpuRead'];
    case 'mremap': return [...own, 'mremap'];
    case 'mmap': return op.backing === 'hugetlb' ? [...own, 'hugetlb'] : own;
    case 'setRlimitMemlock': return [...own, 'rlimit'];
    case 'setCapIpcLock': return [...own, 'capIpcLock'];
    default: return own;
  }
}
