// The contract between the suite and a backend under test.
//
// A backend is anything that can execute `Op`s: a simulator in TypeScript, a C program behind a
// pipe, or the real kernel in a VM. It declares what it is (`BackendInfo`) and then executes
// batches of operations, each giving a `Result`. It never sees the reference model.
import type { Backend as FamilyBackend, BackendFactory as FamilyBackendFactory, BackendInfoBase } from '../family.ts';
import type { IovaInterval, Op, Result } from './ops.ts';

/**
 * The container a backend implements: VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU, served either by
 * drivers/vfio/vfio_iommu_type1.c or by iommufd's compat layer
 * (drivers/iommu/iommufd/vfio_compat.c: `/dev/vfio/vfio` opened on a kernel built with
 * CONFIG_IOMMUFD_VFIO_CONTAINER), which answers the same ioctls with the departures its rules list.
 */
export type Profile = 'type1v2' | 'type1v1' | 'type1v2-compat' | 'type1v1-compat';
export const PROFILES: readonly Profile[] = ['type1v2', 'type1v1', 'type1v2-compat', 'type1v1-compat'];

/** Which implementation serves the container: vfio_iommu_type1.c or iommufd's vfio_compat.c. */
export type ContainerImpl = 'type1' | 'compat';

/** A profile as the two choices it makes: `iommu->v2`, and who serves the ioctls. */
export interface ProfileTraits { v2: boolean; impl: ContainerImpl }

export function profileTraits(profile: Profile): ProfileTraits {
  return { v2: profile.startsWith('type1v2'), impl: profile.endsWith('-compat') ? 'compat' : 'type1' };
}

export const isProfile = (v: unknown): v is Profile => (PROFILES as readonly unknown[]).includes(v);

/**
 * Optional abilities. A property that needs one the backend lacks is reported as skipped,
 * never as passed. Everything else in spec/type1/ops.ts is mandatory: mmap, munmap, cpuWrite,
 * map, unmap, getInfo, closeContainer, dmaRead, counters.
 */
export const CAPABILITIES = [
  'mremap', 'mprotect', 'cpuRead', 'dmaWrite', 'hugetlb', 'mmio', 'rlimit', 'capIpcLock',
  'secondProcess', 'unmapAll', 'vaddr', 'dumpMappings', 'dirtyPages', 'migrationInfo',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The IOMMU geometry a container reports (VFIO_IOMMU_GET_INFO) plus the entry limit. */
export interface Geometry {
  /** `iova_pgsizes`: bit n set means 2^n-byte IOMMU pages are supported. */
  pgsizes: bigint;
  /** Valid IOVA ranges, inclusive ends, ascending, disjoint. */
  iovaRanges: IovaInterval[];
  /** The `dma_entry_limit` module parameter: how many mappings a container may hold. */
  dmaEntryLimit: bigint;
}

export interface HostInfo {
  /** The CPU page size, PAGE_SIZE. */
  pageSize: bigint;
  /** The huge page size used for `backing: 'hugetlb'`. */
  hugePageSize: bigint;
  /**
   * Where the suite may place its mmaps, in every process: [start, start + size). Every host
   * operation the suite generates (mmap, munmap, mremap, mprotect) stays inside it.
   */
  arena: { start: bigint; size: bigint };
  /**
   * TASK_SIZE: one past the highest address a process may map. An mmap reaching above it
   * fails with ENOMEM, an mremap or munmap with EINVAL, as in Linux. Optional: when absent the
   * suite takes `DEFAULT_TASK_SIZE` or the end of the arena, whichever is higher (see
   * `taskSizeOf`), so that a backend declared before this field existed is judged as before
   * inside its arena.
   */
  taskSize?: bigint;
}

/** TASK_SIZE of Linux on x86-64 with 4-level paging: 2^47 less the top page (task_size_max()). */
export const DEFAULT_TASK_SIZE = (1n << 47n) - 4096n;

/** The TASK_SIZE the model applies to `host`: the declared one, or the default of `HostInfo.taskSize`. */
export function taskSizeOf(host: HostInfo): bigint {
  if (host.taskSize !== undefined) return host.taskSize;
  const arenaEnd = host.arena.start + host.arena.size;
  return arenaEnd > DEFAULT_TASK_SIZE ? arenaEnd : DEFAULT_TASK_SIZE;
}

export interface BackendInfo extends BackendInfoBase {
  /** "type1", or absent: type1 is the family of backends that name none. */
  family?: 'type1';
  profile: Profile;
  geometry: Geometry;
  host: HostInfo;
  capabilities: Capability[];
}

/**
 * A type1 backend (spec/family.ts). `reset` brings it back to a fresh container and fresh
 * processes with empty address spaces, unlimited RLIMIT_MEMLOCK and no CAP_IPC_LOCK.
 */
export type Backend = FamilyBackend<Op, Result, BackendInfo>;

/** What a backend module exports: `export default function create(options) {...}`. */
export type BackendFactory = FamilyBackendFactory<Backend>;

/** The optional capabilities an operation needs; a backend never receives one it lacks. */
export function capabilitiesFor(op: import('./ops.ts').Op): Capability[] {
  const needs: Capability[] = [];
  if ('proc' in op && op.proc === 1) needs.push('secondProcess');
  switch (op.op) {
    case 'mremap': case 'mprotect': case 'cpuRead': case 'dmaWrite': case 'dumpMappings':
    case 'dirtyPages': case 'migrationInfo':
      needs.push(op.op); break;
    case 'setRlimitMemlock': needs.push('rlimit'); break;
    case 'setCapIpcLock': needs.push('capIpcLock'); break;
    case 'mmap': if (op.backing !== 'anon') needs.push(op.backing); break;
    case 'map': if (op.flags & 4) needs.push('vaddr'); break;
    case 'unmap':
      if (op.flags & 2) needs.push('unmapAll');
      if (op.flags & 4) needs.push('vaddr');
      break;
  }
  return needs;
}
