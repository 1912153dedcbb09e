// Declarations and op shorthands for the sPAPR model and property tests.
import type { BackendInfo, ContainerGeometry, Profile } from '../../spec/spapr/backend.ts';
import { MAP_FLAG, type Op, type Proc } from '../../spec/spapr/ops.ts';

export const P = 0x1000n;
export const HUGE = 0x200000n;
export const ARENA = 0x7f0000000000n;
/** The pseries dynamic window's bus address, as the real guest places it. */
export const DDW_START = 0x800000000000000n;
export const { READ: R, WRITE: W } = MAP_FLAG;
export const RW = R | W;

/** A 16 MiB 32-bit window: its pseries table is 16 MiB >> 9 = 32 KiB, 8 pages of locked_vm. */
export const DMA32 = 0x1000000n;
export const DEFAULT_TABLE_PAGES = 8n;

export const pseries = (): ContainerGeometry => ({
  dma32: { start: 0n, size: DMA32 },
  ddw: { pgsizes: 0x1000n | 0x10000n | 0x200000n | 0x1000000n, maxDynamicWindows: 2, levels: 1 },
  windowStarts: [DDW_START, DDW_START],
  tableSizing: 'pseries',
});

export const powernv = (): ContainerGeometry => ({
  dma32: { start: 0n, size: DMA32 },
  ddw: { pgsizes: 0x1000n | 0x10000n | 0x1000000n, maxDynamicWindows: 2, levels: 5 },
  windowStarts: [0n, 1n << 59n],
  tableSizing: 'powernv',
});

export function info(profile: Profile, geometry: () => ContainerGeometry = pseries, containers = 2): BackendInfo {
  return {
    name: 'test', description: 'model test declaration', family: 'spapr', profile,
    containers: Array.from({ length: containers }, geometry),
    host: { pageSize: P, hugePageSize: HUGE, arena: { start: ARENA, size: 1n << 32n } },
    capabilities: ['dma', 'dmaWrite', 'faultSignal', 'cpuRead', 'mremap', 'hugetlb', 'rlimit', 'capIpcLock', 'secondProcess'],
  };
}

export const mmap = (vaddr: bigint, size: bigint, extra: Partial<Extract<Op, { op: 'mmap' }>> = {}): Op =>
  ({ op: 'mmap', proc: 0, vaddr, size, prot: 'rw', backing: 'anon', ...extra });
export const munmap = (vaddr: bigint, size: bigint, proc: Proc = 0): Op => ({ op: 'munmap', proc, vaddr, size });
export const reg = (vaddr: bigint, size: bigint, ct = 0, proc: Proc = 0, flags = 0): Op => ({ op: 'register', proc, ct, flags, vaddr, size });
export const unreg = (vaddr: bigint, size: bigint, ct = 0, proc: Proc = 0, flags = 0): Op => ({ op: 'unregister', proc, ct, flags, vaddr, size });
export const map = (iova: bigint, vaddr: bigint, size: bigint, flags = RW, ct = 0, proc: Proc = 0): Op => ({ op: 'map', proc, ct, flags, iova, vaddr, size });
export const unmap = (iova: bigint, size: bigint, ct = 0, flags = 0, proc: Proc = 0): Op => ({ op: 'unmap', proc, ct, flags, iova, size });
export const create = (pageShift: number, windowSize: bigint, levels = 1, ct = 0, flags = 0, proc: Proc = 0): Op =>
  ({ op: 'create', proc, ct, flags, pageShift, windowSize, levels });
export const remove = (startAddr: bigint, ct = 0, flags = 0, proc: Proc = 0): Op => ({ op: 'remove', proc, ct, flags, startAddr });
export const enable = (ct = 0, proc: Proc = 0): Op => ({ op: 'enable', proc, ct });
export const disable = (ct = 0, proc: Proc = 0): Op => ({ op: 'disable', proc, ct });
export const cpuWrite = (vaddr: bigint, token: bigint, proc: Proc = 0): Op => ({ op: 'cpuWrite', proc, vaddr, token });
export const dmaRead = (iova: bigint, ct = 0): Op => ({ op: 'dmaRead', ct, iova });
export const dmaWrite = (iova: bigint, token: bigint, ct = 0): Op => ({ op: 'dmaWrite', ct, iova, token });
export const rlimit = (bytes: bigint, proc: Proc = 0): Op => ({ op: 'setRlimitMemlock', proc, bytes });
export const counters: Op = { op: 'counters' };
