// What the observations see: a device's DMA through the domain of the IOAS it is attached to,
// and the process's counters, each judged by the rule of the last change that moved it.
import type { Expectation } from '../../spec/family.ts';
import { fail, ok, type Errno, type OpOf, type Result } from '../../spec/iommufd/ops.ts';
import type { RuleId } from '../../spec/iommufd/rules.ts';
import { PAGE_SIZE, type FrameStore } from '../host.ts';
import type { Area } from './ioas.ts';
import type { Context } from './state.ts';

export type Exp = Expectation<Result> & { laterErrnos?: readonly Errno[] };

/** The rules an observation breaks, set by the last operation that changed what it sees. */
export interface Blame {
  /** A device reaching the wrong frame. */
  reach: RuleId;
  /** A device faulting where it should reach a frame. */
  missing: RuleId;
  /** A device reaching a frame where it should fault. */
  fault: RuleId;
  acct: RuleId;
  ranges: RuleId;
}

export const uniform = (rule: RuleId): Blame => ({ reach: rule, missing: rule, fault: rule, acct: rule, ranges: rule });
export const INITIAL: Blame = { ...uniform('IOMMUFD-DMA-REACH'), acct: 'IOMMUFD-ACCT-EXACT', ranges: 'IOMMUFD-RANGES-REPORT' };

/** The area and page a device's DMA at `iova` reaches, if it is attached and an area covers it. */
function translate(ctx: Context, dev: number, iova: bigint): { area: Area; frame: { object: number; page: bigint } } | null {
  const state = ctx.devices[dev]!;
  const area = state.bound && state.ioas ? state.ioas.areas.containing(iova) : undefined;
  const frame = area?.pages.frameAt((area.startByte + (iova - area.iova)) / PAGE_SIZE);
  return area && frame ? { area, frame } : null;
}

export function dmaRead(ctx: Context, frames: FrameStore, blame: Blame, op: OpOf<'dmaRead'>): Exp {
  const t = translate(ctx, op.dev, op.iova);
  if (!t) return { result: fail('EFAULT'), rule: blame.fault };
  const result = ok<'dmaRead'>({ token: frames.read(t.frame.object, t.frame.page) });
  // Whether an IOMMU can express a write-only entry depends on the hardware.
  if (!t.area.read) return { result: fail('EFAULT'), accept: [result], rule: 'IOMMUFD-DMA-REACH' };
  return { result, rule: blame.reach };
}

export function dmaWrite(ctx: Context, frames: FrameStore, blame: Blame, op: OpOf<'dmaWrite'>): Exp {
  const t = translate(ctx, op.dev, op.iova);
  if (!t || !t.area.write) return { result: fail('EFAULT'), rule: t ? 'IOMMUFD-DMA-REACH' : blame.fault };
  frames.write(t.frame.object, t.frame.page, op.token);
  return { result: ok<'dmaWrite'>({}), rule: blame.reach };
}

export function counters(ctx: Context, blame: Blame): Exp {
  const result = ok<'counters'>({ lockedVm: ctx.charged('mm'), pinnedVm: ctx.pinnedVm() });
  if (ctx.info.capabilities.includes('pinnedVm')) return { result, rule: blame.acct };
  const lockedVm = ctx.charged('mm');
  return {
    result, rule: blame.acct,
    // Without the `pinnedVm` capability only VmLck is judged.
    judge: (actual) => (actual.ok && (actual as { lockedVm: bigint }).lockedVm === lockedVm ? null : { rule: blame.acct, why: 'locked_vm differs' }),
  };
}

/**
 * Which accounting rule wrong counters break: with the pins right and VmLck wrong, the rule
 * of the account mode that charges elsewhere; otherwise the last change's.
 */
export function countersRule(ctx: Context, blame: Blame, exp: Result, actual: Result): RuleId {
  const e = exp as { lockedVm: bigint; pinnedVm: bigint };
  const a = actual as { lockedVm: bigint; pinnedVm: bigint };
  if (e.pinnedVm === a.pinnedVm && e.lockedVm !== a.lockedVm) {
    if (a.lockedVm < e.lockedVm) return 'IOMMUFD-ACCT-MM';
    if (ctx.charged('user') > 0n) return 'IOMMUFD-ACCT-USER';
    if (ctx.charged('none') > 0n) return 'IOMMUFD-ACCT-CAP';
  }
  if (blame.acct === 'IOMMUFD-ACCT-EXACT' && e.lockedVm === a.lockedVm) return 'IOMMUFD-ACCT-PINNED';
  return blame.acct;
}
