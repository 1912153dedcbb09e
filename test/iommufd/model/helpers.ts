// Operations, a declaration and shorthands for the iommufd model tests.
import type { BackendInfo, Device } from '../../../spec/iommufd/backend.ts';
import { fail, MAP_FLAG, ok, type Errno, type IovaRange, type Op, type Result } from '../../../spec/iommufd/ops.ts';
import { U64_MAX } from '../../../spec/u64.ts';
import { IommufdModel } from '../../../models/iommufd/system.ts';

export const P = 0x1000n;
export const HUGE = 0x200000n;
/** Two user buffers in the arena. */
export const A = 0x7f0000000000n;
export const B = 0x7f0000100000n;
export const IOVA = 0x10000000n;
export { U64_MAX };

export const { FIXED_IOVA: FIXED, READABLE: R, WRITEABLE: W } = MAP_FLAG;
export const RW = R | W;

/** The MSI window device 0 reserves. */
export const MSI: IovaRange = { start: 0xfee00000n, last: 0xfeefffffn };

const dev = (d: Partial<Device>): Device => ({
  pgsizes: 0x40201000n, aperture: { start: 0n, last: (1n << 48n) - 1n }, reserved: [MSI], hwInfoType: 1, group: 0, ...d,
});

/**
 * Device 0: a VT-d-like device with the MSI window reserved; device 1: another group with a
 * 39-bit aperture starting at 0x100000 and no reserved region; device 2: device 0's group.
 */
export const INFO: BackendInfo = {
  name: 'test', description: 'model test declaration', family: 'iommufd', profile: 'iommufd',
  devices: [
    dev({}),
    dev({ aperture: { start: 0x100000n, last: (1n << 39n) - 1n }, reserved: [], hwInfoType: 2, group: 1 }),
    dev({ reserved: [MSI], group: 0 }),
  ],
  host: { pageSize: P, hugePageSize: HUGE, arena: { start: 0x7f0000000000n, size: 1n << 32n } },
  capabilities: ['dma', 'dmaWrite', 'cpuRead', 'mmio', 'rlimit', 'capIpcLock', 'rlimitMode', 'hwInfo', 'pinnedVm'],
};

export const fresh = (info: BackendInfo = INFO): IommufdModel => new IommufdModel(info);

/** Applies `ops` and returns each expectation's result and rule. */
export function run(m: IommufdModel, ops: readonly Op[]): { result: Result; rule: string }[] {
  return ops.map((op) => {
    const e = m.apply(op);
    return { result: e.result, rule: e.rule };
  });
}

/** Applies one op: its result and rule. */
export const at = (m: IommufdModel, op: Op): { result: Result; rule: string } => run(m, [op])[0]!;

export const err = (errno: Errno): Result => fail(errno);
export const okv = (): Result => ok<'mmap'>({});
export const iovaOk = (iova: bigint): Result => ok<'map'>({ iova });
export const unmapped = (n: bigint): Result => ok<'unmap'>({ unmapped: n });
export const token = (t: bigint): Result => ok<'dmaRead'>({ token: t });
export const counts = (lockedVm: bigint, pinnedVm: bigint): Result => ok<'counters'>({ lockedVm, pinnedVm });

export const mmap = (vaddr: bigint, size: bigint, prot: 'rw' | 'r' | 'none' = 'rw', backing: 'anon' | 'hugetlb' | 'mmio' = 'anon'): Op =>
  ({ op: 'mmap', vaddr, size, prot, backing });
export const munmap = (vaddr: bigint, size: bigint): Op => ({ op: 'munmap', vaddr, size });
export const cpuWrite = (vaddr: bigint, t: bigint): Op => ({ op: 'cpuWrite', vaddr, token: t });
export const cpuRead = (vaddr: bigint): Op => ({ op: 'cpuRead', vaddr });
export const rlimit = (bytes: bigint): Op => ({ op: 'setRlimitMemlock', bytes });
export const capIpcLock = (enabled: boolean): Op => ({ op: 'setCapIpcLock', enabled });
export const alloc = (ioas = 0): Op => ({ op: 'ioasAlloc', ioas });
export const destroy = (ioas = 0): Op => ({ op: 'destroy', ioas });
export const map = (iova: bigint, vaddr: bigint, length: bigint, flags = FIXED | RW, ioas = 0): Op =>
  ({ op: 'map', ioas, flags, iova, vaddr, length });
/** A map without FIXED_IOVA. */
export const mapAuto = (vaddr: bigint, length: bigint, flags = RW, ioas = 0): Op => ({ op: 'map', ioas, flags, iova: 0n, vaddr, length });
export const unmap = (iova: bigint, length: bigint, ioas = 0): Op => ({ op: 'unmap', ioas, iova, length });
export const copy = (dstIova: bigint, srcIova: bigint, length: bigint, flags = FIXED | RW, dstIoas = 1, srcIoas = 0): Op =>
  ({ op: 'copy', dstIoas, srcIoas, flags, dstIova, srcIova, length });
export const ranges = (ioas = 0): Op => ({ op: 'iovaRanges', ioas });
export const allow = (rs: IovaRange[], ioas = 0): Op => ({ op: 'allowIovas', ioas, ranges: rs });
export const setMode = (value: bigint): Op => ({ op: 'setRlimitMode', value });
export const getMode: Op = { op: 'getRlimitMode' };
export const bind = (dev = 0): Op => ({ op: 'bind', dev });
export const attach = (dev = 0, ioas = 0): Op => ({ op: 'attach', dev, ioas });
export const detach = (dev = 0): Op => ({ op: 'detach', dev });
export const hwInfo = (dev = 0): Op => ({ op: 'hwInfo', dev });
export const closeCtx: Op = { op: 'closeCtx' };
export const dmaRead = (iova: bigint, dev = 0): Op => ({ op: 'dmaRead', dev, iova });
export const dmaWrite = (iova: bigint, t: bigint, dev = 0): Op => ({ op: 'dmaWrite', dev, iova, token: t });
export const counters: Op = { op: 'counters' };

/** An IOAS 0 with device 0 bound and attached. */
export const attached: Op[] = [alloc(0), bind(0), attach(0, 0)];
/** CAP_IPC_LOCK dropped, so that pins are charged (IOMMUFD-ACCT-USER). */
export const uncapped: Op[] = [capIpcLock(false)];
