// Operations, a declaration and shorthands for the iommufd model tests.
import type { BackendInfo, Device } from '../../../spec/iommufd/backend.ts';
import { fail, MAP_FLAG, ok, type Errno, type IovaRange, type Op, type Result } from '../../../spec/iommufd/ops.ts';
import { IommufdModel } from '../../../models/iommufd/system.ts';
import { alloc, attach, bind, capIpcLock, HUGE, P } from '../ops.ts';

export * from '../ops.ts';

/** A second user buffer in the arena (A is the first). */
export const B = 0x7f0000100000n;
export const IOVA = 0x10000000n;

export const { FIXED_IOVA: FIXED, READABLE: R, WRITEABLE: W } = MAP_FLAG;
const RW = R | W;

/** The MSI window device 0 reserves. */
export const MSI: IovaRange = { start: 0xfee00000n, last: 0xfeefffffn };

const dev = (d: Partial<Device>): Device => ({
  pgsizes: 0x40201000n, aperture: { start: 0n, last: (1n << 48n) - 1n }, reserved: [MSI], hwInfoType: 1, group: 0, ...d,
});

/** The MSI window device 1 reserves. */
export const MSI1: IovaRange = { start: 0x8000000n, last: 0x80fffffn };

/**
 * Device 0: a VT-d-like device with the MSI window reserved; device 1: another group behind
 * another kind of IOMMU, with a 39-bit aperture starting at 0x100000 and its own MSI window;
 * device 2: device 0's group; device 3: another group behind device 0's kind of IOMMU, with no
 * reserved region.
 */
export const INFO: BackendInfo = {
  name: 'test', description: 'model test declaration', family: 'iommufd', profile: 'iommufd',
  devices: [
    dev({}),
    dev({ pgsizes: 0xfffffffffffff000n, aperture: { start: 0x100000n, last: (1n << 39n) - 1n }, reserved: [MSI1], hwInfoType: 2, group: 1 }),
    dev({ reserved: [MSI], group: 0 }),
    dev({ reserved: [], group: 3 }),
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

export const map = (iova: bigint, vaddr: bigint, length: bigint, flags = FIXED | RW, ioas = 0): Op =>
  ({ op: 'map', ioas, flags, iova, vaddr, length });
/** A map without FIXED_IOVA. */
export const mapAuto = (vaddr: bigint, length: bigint, flags = RW, ioas = 0): Op => ({ op: 'map', ioas, flags, iova: 0n, vaddr, length });
export const copy = (dstIova: bigint, srcIova: bigint, length: bigint, flags = FIXED | RW, dstIoas = 1, srcIoas = 0): Op =>
  ({ op: 'copy', dstIoas, srcIoas, flags, dstIova, srcIova, length });

/** An IOAS 0 with device 0 bound and attached. */
export const attached: Op[] = [alloc(0), bind(0), attach(0, 0)];
/** CAP_IPC_LOCK dropped, so that pins are charged (IOMMUFD-ACCT-USER). */
export const uncapped: Op[] = [capIpcLock(false)];
