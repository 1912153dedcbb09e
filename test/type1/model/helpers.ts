// Short builders for the hand-written unit tests of the reference model (models/type1/system.ts).
//
// Every test builds a fresh `SystemModel`, feeds it an explicit list of ops and compares the
// whole `Expectation` it returns ({result, rule, accept?, alsoBroken?, covers?}) with `toEqual`,
// so a missing or extra `accept` / `alsoBroken` fails the test too.
import type { Profile } from '../../../spec/type1/backend.ts';
import type { Backing, Errno, Op, OpOf, Proc, Prot, Result } from '../../../spec/type1/ops.ts';
import { MAP_FLAG, UNMAP_FLAG } from '../../../spec/type1/ops.ts';
import { SystemModel } from '../../../models/type1/system.ts';
import { testInfo } from '../support/info.ts';

/** The CPU page and the smallest IOMMU page of `testInfo`. */
export const P = 4096n;
export const HUGE = 0x200000n;
/** 2^64: a range [iova, TOP) ends exactly at 2^64 - 1. */
export const TOP = 1n << 64n;
export const U64_MAX = TOP - 1n;
/** Start of the arena of `testInfo`: where the tests mmap. */
export const A = 0x7f0000000000n;
/** A second area of the arena, far from A. */
export const B = A + 0x10000000n;
/** An ordinary iova inside the first valid IOVA range. */
export const IOVA = 0x100000n;
/** The first valid IOVA range is [0, RANGE1_END]; the second starts at RANGE2_START. */
export const RANGE1_END = 0xfedfffffn;
export const GAP = 0xfee00000n;
export const RANGE2_START = 0xfef00000n;

export const R = MAP_FLAG.READ;
export const W = MAP_FLAG.WRITE;
export const RW = MAP_FLAG.READ | MAP_FLAG.WRITE;
export const SET_VADDR = MAP_FLAG.VADDR;
export const DIRTY = UNMAP_FLAG.GET_DIRTY_BITMAP;
export const ALL = UNMAP_FLAG.ALL;
export const INVALIDATE = UNMAP_FLAG.VADDR;

export const fresh = (profile: Profile = 'type1v2'): SystemModel => new SystemModel(testInfo(profile));

// --- ops ---------------------------------------------------------------------------------------
export const mmap = (vaddr: bigint, size: bigint, prot: Prot = 'rw', backing: Backing = 'anon', proc: Proc = 0): OpOf<'mmap'> =>
  ({ op: 'mmap', proc, vaddr, size, prot, backing });
export const munmap = (vaddr: bigint, size: bigint, proc: Proc = 0): OpOf<'munmap'> => ({ op: 'munmap', proc, vaddr, size });
export const mremap = (vaddr: bigint, size: bigint, newVaddr: bigint, newSize: bigint, proc: Proc = 0): OpOf<'mremap'> =>
  ({ op: 'mremap', proc, vaddr, size, newVaddr, newSize });
export const mprotect = (vaddr: bigint, size: bigint, prot: Prot, proc: Proc = 0): OpOf<'mprotect'> =>
  ({ op: 'mprotect', proc, vaddr, size, prot });
export const cpuWrite = (vaddr: bigint, token: bigint, proc: Proc = 0): OpOf<'cpuWrite'> => ({ op: 'cpuWrite', proc, vaddr, token });
export const cpuRead = (vaddr: bigint, proc: Proc = 0): OpOf<'cpuRead'> => ({ op: 'cpuRead', proc, vaddr });
export const rlimit = (bytes: bigint, proc: Proc = 0): OpOf<'setRlimitMemlock'> => ({ op: 'setRlimitMemlock', proc, bytes });
export const capIpcLock = (enabled: boolean, proc: Proc = 0): OpOf<'setCapIpcLock'> => ({ op: 'setCapIpcLock', proc, enabled });
/** VFIO_IOMMU_MAP_DMA; flags default READ|WRITE. */
export const map = (iova: bigint, vaddr: bigint, size: bigint, flags: number = RW, proc: Proc = 0): OpOf<'map'> =>
  ({ op: 'map', proc, flags, iova, vaddr, size });
/** VFIO_IOMMU_UNMAP_DMA; flags default 0. */
export const unmap = (iova: bigint, size: bigint, flags = 0, proc: Proc = 0): OpOf<'unmap'> => ({ op: 'unmap', proc, flags, iova, size });
export const getInfo: OpOf<'getInfo'> = { op: 'getInfo' };
export const closeContainer: OpOf<'closeContainer'> = { op: 'closeContainer' };
export const dmaRead = (iova: bigint): OpOf<'dmaRead'> => ({ op: 'dmaRead', iova });
export const dmaWrite = (iova: bigint, token: bigint): OpOf<'dmaWrite'> => ({ op: 'dmaWrite', iova, token });
export const counters: OpOf<'counters'> = { op: 'counters' };
export const dumpMappings: OpOf<'dumpMappings'> = { op: 'dumpMappings' };

// --- results and expectations ------------------------------------------------------------------
export const okv = (values: object = {}): Result => ({ ok: true, ...values }) as Result;
export const err = (errno: Errno): Result => ({ ok: false, errno });

/** Observation results. */
export const token = (t: bigint): Result => okv({ token: t });
export const locked = (p0: bigint, p1: bigint): Result => okv({ lockedVm: [p0, p1] });
export const unmapped = (bytes: bigint): Result => okv({ unmapped: bytes });
export const mapping = (iova: bigint, size: bigint, read = true, write = true) => ({ iova, size, read, write });
export const mappings = (...list: ReturnType<typeof mapping>[]): Result => okv({ mappings: list });

/** dmaAvail as getInfo reports it; the rest of getInfo is checked in info.test.ts. */
export function dmaAvail(m: SystemModel): bigint {
  const e = m.apply(getInfo);
  if (!e.result.ok || !('dmaAvail' in e.result)) throw new Error(`getInfo failed: ${JSON.stringify(e.result, big)}`);
  return e.result.dmaAvail;
}

/**
 * Apply ops that set the scene and must all succeed. A failure here is a broken test, not a
 * finding, so it throws with the op that failed.
 */
export function setup(m: SystemModel, ops: readonly Op[]): void {
  for (const op of ops) {
    const e = m.apply(op);
    if (!e.result.ok) throw new Error(`setup op failed: ${JSON.stringify(op, big)} -> ${JSON.stringify(e, big)}`);
  }
}

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);
