// Builders for hand-written iommufd op sequences, shared by the model's and the simulator's
// tests. Each of those keeps its own `map`, `mapAuto` and `copy`, whose defaults differ.
import { MAP_FLAG, type Backing, type IovaRange, type Op, type Prot } from '../../spec/iommufd/ops.ts';
import { U64_MAX } from '../../spec/u64.ts';

export { U64_MAX };
export const P = 0x1000n;
export const HUGE = 0x200000n;
/** A user buffer at the start of the arena. */
export const A = 0x7f0000000000n;
export const RW = MAP_FLAG.READABLE | MAP_FLAG.WRITEABLE;

export const mmap = (vaddr: bigint, size: bigint, prot: Prot = 'rw', backing: Backing = 'anon'): Op => ({ op: 'mmap', vaddr, size, prot, backing });
export const munmap = (vaddr: bigint, size: bigint): Op => ({ op: 'munmap', vaddr, size });
export const cpuWrite = (vaddr: bigint, token: bigint): Op => ({ op: 'cpuWrite', vaddr, token });
export const cpuRead = (vaddr: bigint): Op => ({ op: 'cpuRead', vaddr });
export const rlimit = (bytes: bigint): Op => ({ op: 'setRlimitMemlock', bytes });
export const capIpcLock = (enabled: boolean): Op => ({ op: 'setCapIpcLock', enabled });
export const alloc = (ioas = 0): Op => ({ op: 'ioasAlloc', ioas });
export const destroy = (ioas = 0): Op => ({ op: 'destroy', ioas });
export const unmap = (iova: bigint, length: bigint, ioas = 0): Op => ({ op: 'unmap', ioas, iova, length });
export const unmapAll = (ioas = 0): Op => unmap(0n, U64_MAX, ioas);
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
