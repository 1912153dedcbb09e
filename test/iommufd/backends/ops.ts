// Short builders for hand-written iommufd op sequences.
import type { Backend } from '../../../spec/iommufd/backend.ts';
import { err as errOf, last as lastOn, okv as okOf, run as runOn } from '../../support/sequences.ts';
import { MAP_FLAG, type Backing, type IovaRange, type Op, type Prot, type Result } from '../../../spec/iommufd/ops.ts';

export const P = 0x1000n;
export const HUGE = 0x200000n;
export const A = 0x7f0000000000n;
export const U64_MAX = (1n << 64n) - 1n;
export const RW = MAP_FLAG.READABLE | MAP_FLAG.WRITEABLE;
export const FIXED = MAP_FLAG.FIXED_IOVA | RW;

export const mmap = (vaddr: bigint, size: bigint, prot: Prot = 'rw', backing: Backing = 'anon'): Op => ({ op: 'mmap', vaddr, size, prot, backing });
export const munmap = (vaddr: bigint, size: bigint): Op => ({ op: 'munmap', vaddr, size });
export const cpuWrite = (vaddr: bigint, token: bigint): Op => ({ op: 'cpuWrite', vaddr, token });
export const rlimit = (bytes: bigint): Op => ({ op: 'setRlimitMemlock', bytes });
export const capIpcLock = (enabled: boolean): Op => ({ op: 'setCapIpcLock', enabled });
export const alloc = (ioas = 0): Op => ({ op: 'ioasAlloc', ioas });
export const destroy = (ioas = 0): Op => ({ op: 'destroy', ioas });
/** IOAS_MAP at a FIXED iova, READABLE|WRITEABLE unless flags say otherwise. */
export const map = (iova: bigint, vaddr: bigint, length: bigint, flags: number = FIXED, ioas = 0): Op => ({ op: 'map', ioas, flags, iova, vaddr, length });
/** IOAS_MAP with the iova left to the kernel. */
export const mapAuto = (vaddr: bigint, length: bigint, ioas = 0, flags: number = RW): Op => ({ op: 'map', ioas, flags, iova: 0n, vaddr, length });
export const unmap = (iova: bigint, length: bigint, ioas = 0): Op => ({ op: 'unmap', ioas, iova, length });
export const unmapAll = (ioas = 0): Op => unmap(0n, U64_MAX, ioas);
export const copy = (dstIoas: number, dstIova: bigint, srcIoas: number, srcIova: bigint, length: bigint, flags: number = FIXED): Op =>
  ({ op: 'copy', dstIoas, srcIoas, flags, dstIova, srcIova, length });
export const ranges = (ioas = 0): Op => ({ op: 'iovaRanges', ioas });
export const allow = (list: IovaRange[], ioas = 0): Op => ({ op: 'allowIovas', ioas, ranges: list });
export const setMode = (value: bigint): Op => ({ op: 'setRlimitMode', value });
export const getMode: Op = { op: 'getRlimitMode' };
export const bind = (dev = 0): Op => ({ op: 'bind', dev });
export const attach = (dev = 0, ioas = 0): Op => ({ op: 'attach', dev, ioas });
export const detach = (dev = 0): Op => ({ op: 'detach', dev });
export const hwInfo = (dev = 0): Op => ({ op: 'hwInfo', dev });
export const closeCtx: Op = { op: 'closeCtx' };
export const dmaRead = (iova: bigint, dev = 0): Op => ({ op: 'dmaRead', dev, iova });
export const dmaWrite = (iova: bigint, token: bigint, dev = 0): Op => ({ op: 'dmaWrite', dev, iova, token });
export const counters: Op = { op: 'counters' };

/** A bound device attached to IOAS 0. */
export const attached = (dev = 0, ioas = 0): Op[] => [bind(dev), attach(dev, ioas)];

export const run = (backend: Backend, ops: readonly Op[]): Result[] => runOn(backend, ops);
export const last = (backend: Backend, ops: readonly Op[]): Result => lastOn(backend, ops);
export const okv = (values: object = {}): Result => okOf<Result>(values);
export const err = (errno: string): Result => errOf<Result>(errno);
export const pins = (lockedVm: bigint, pinnedVm: bigint): Result => okv({ lockedVm, pinnedVm });
