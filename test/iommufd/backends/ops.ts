// Short builders for hand-written iommufd op sequences.
import type { Backend } from '../../../spec/iommufd/backend.ts';
import { err as errOf, last as lastOn, okv as okOf, run as runOn } from '../../support/sequences.ts';
import { MAP_FLAG, type Op, type Result } from '../../../spec/iommufd/ops.ts';
import { attach, bind, RW } from '../ops.ts';

export * from '../ops.ts';

export const FIXED = MAP_FLAG.FIXED_IOVA | RW;

/** IOAS_MAP at a FIXED iova, READABLE|WRITEABLE unless flags say otherwise. */
export const map = (iova: bigint, vaddr: bigint, length: bigint, flags: number = FIXED, ioas = 0): Op => ({ op: 'map', ioas, flags, iova, vaddr, length });
/** IOAS_MAP with the iova left to the kernel. */
export const mapAuto = (vaddr: bigint, length: bigint, ioas = 0, flags: number = RW): Op => ({ op: 'map', ioas, flags, iova: 0n, vaddr, length });
export const copy = (dstIoas: number, dstIova: bigint, srcIoas: number, srcIova: bigint, length: bigint, flags: number = FIXED): Op =>
  ({ op: 'copy', dstIoas, srcIoas, flags, dstIova, srcIova, length });

/** A bound device attached to IOAS 0. */
export const attached = (dev = 0, ioas = 0): Op[] => [bind(dev), attach(dev, ioas)];

export const run = (backend: Backend, ops: readonly Op[]): Result[] => runOn(backend, ops);
export const last = (backend: Backend, ops: readonly Op[]): Result => lastOn(backend, ops);
export const okv = (values: object = {}): Result => okOf<Result>(values);
export const err = (errno: string): Result => errOf<Result>(errno);
export const pins = (lockedVm: bigint, pinnedVm: bigint): Result => okv({ lockedVm, pinnedVm });
