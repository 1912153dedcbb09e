// What the container's device reaches: DMA by bus address through the TCE windows, to the page
// each valid TCE was mapped from, as its direction allows (SPAPR-DMA-REACH).
import type { Expectation } from '../../spec/family.ts';
import { fail, MAP_FLAG, ok, type OpOf, type Result } from '../../spec/spapr/ops.ts';
import type { RuleId } from '../../spec/spapr/rules.ts';
import { PAGE_SIZE, type FrameStore } from '../host.ts';
import type { Container } from './container.ts';
import type { Mm } from './mm.ts';
import type { Window } from './window.ts';

type Exp = Expectation<Result>;
type Translation = NonNullable<ReturnType<Window['translate']>>;

/** The model's state a DMA looks at, and the rule of the last change to what it reaches. */
export interface DeviceView {
  containers: readonly Container[];
  mms: readonly Mm[];
  frames: FrameStore;
  reach: RuleId;
  /** The backend tells a TCE fault from a read (the `faultSignal` capability). */
  faultSignal: boolean;
}

const translate = (v: DeviceView, ct: number, iova: bigint): Translation | null =>
  v.containers[ct]!.windowAt(iova)?.translate(iova) ?? null;

/**
 * The rule a wrong frame breaks: SPAPR-REG-SNAPSHOT when the process now maps another page at
 * the user address the TCE was mapped from, which the device must not follow.
 */
function reachRule(v: DeviceView, ct: number, t: Translation): RuleId {
  const mm = v.containers[ct]!.mm;
  if (!t.registered || mm === null) return v.reach;
  const now = v.mms[mm]!.proc.lookup(t.ua, PAGE_SIZE).runs[0];
  return now && now.object === t.object && now.pgoff === t.page ? v.reach : 'SPAPR-REG-SNAPSHOT';
}

function faulted(v: DeviceView, kind: 'dmaRead' | 'dmaWrite'): Exp {
  if (v.faultSignal) return { result: fail('EFAULT'), rule: v.reach };
  // Without the capability a faulting read answers what the device got, zeros; a write, success.
  return { result: kind === 'dmaRead' ? ok<'dmaRead'>({ token: 0n }) : ok<'dmaWrite'>({}), rule: v.reach };
}

export function dmaRead(v: DeviceView, op: OpOf<'dmaRead'>): Exp {
  const t = translate(v, op.ct, op.iova);
  if (!t || (t.dir & MAP_FLAG.READ) === 0) return faulted(v, 'dmaRead');
  return { result: ok<'dmaRead'>({ token: v.frames.read(t.object, t.page) }), rule: reachRule(v, op.ct, t) };
}

export function dmaWrite(v: DeviceView, op: OpOf<'dmaWrite'>): Exp {
  const t = translate(v, op.ct, op.iova);
  if (!t || (t.dir & MAP_FLAG.WRITE) === 0) return faulted(v, 'dmaWrite');
  v.frames.write(t.object, t.page, op.token);
  return { result: ok<'dmaWrite'>({}), rule: reachRule(v, op.ct, t) };
}
