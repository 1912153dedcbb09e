// Short builders for hand-written op sequences.
import type { Backend } from '../../../spec/type1/backend.ts';
import type { Backing, Op, Proc, Prot, Result } from '../../../spec/type1/ops.ts';

export const P = 0x1000n;
export const HUGE = 0x200000n;
export const A = 0x7f0000000000n;
export const TOP = 1n << 64n;

export const mmap = (vaddr: bigint, size: bigint, prot: Prot = 'rw', backing: Backing = 'anon', proc: Proc = 0): Op =>
  ({ op: 'mmap', proc, vaddr, size, prot, backing });
export const munmap = (vaddr: bigint, size: bigint, proc: Proc = 0): Op => ({ op: 'munmap', proc, vaddr, size });
export const mremap = (vaddr: bigint, size: bigint, newVaddr: bigint, newSize: bigint, proc: Proc = 0): Op =>
  ({ op: 'mremap', proc, vaddr, size, newVaddr, newSize });
export const mprotect = (vaddr: bigint, size: bigint, prot: Prot, proc: Proc = 0): Op => ({ op: 'mprotect', proc, vaddr, size, prot });
export const cpuWrite = (vaddr: bigint, token: bigint, proc: Proc = 0): Op => ({ op: 'cpuWrite', proc, vaddr, token });
export const cpuRead = (vaddr: bigint, proc: Proc = 0): Op => ({ op: 'cpuRead', proc, vaddr });
export const rlimit = (bytes: bigint, proc: Proc = 0): Op => ({ op: 'setRlimitMemlock', proc, bytes });
export const capIpcLock = (enabled: boolean, proc: Proc = 0): Op => ({ op: 'setCapIpcLock', proc, enabled });
/** MAP_DMA; flags default READ|WRITE. */
export const map = (iova: bigint, vaddr: bigint, size: bigint, flags = 3, proc: Proc = 0): Op =>
  ({ op: 'map', proc, flags, iova, vaddr, size });
export const unmap = (iova: bigint, size: bigint, flags = 0, proc: Proc = 0): Op => ({ op: 'unmap', proc, flags, iova, size });
export const getInfo: Op = { op: 'getInfo' };
export const close: Op = { op: 'closeContainer' };
export const dmaRead = (iova: bigint): Op => ({ op: 'dmaRead', iova });
export const dmaWrite = (iova: bigint, token: bigint): Op => ({ op: 'dmaWrite', iova, token });
export const counters: Op = { op: 'counters' };
export const dump: Op = { op: 'dumpMappings' };

/** Run `ops` on a freshly reset backend. */
export function run(backend: Backend, ops: readonly Op[]): Result[] {
  backend.reset();
  return [...(backend.execute(ops) as readonly Result[])];
}

/** The result of the last op of `ops` on a freshly reset backend. */
export const last = (backend: Backend, ops: readonly Op[]): Result => run(backend, ops).at(-1) as Result;

export const okv = (values: object = {}): Result => ({ ok: true, ...values }) as Result;
export const err = (errno: string): Result => ({ ok: false, errno }) as Result;
