// From a symbolic sequence to the concrete, self-checking case a backend executes.
//
// Each symbolic step is resolved against what the tracker believes, each concrete op is applied
// to the oracle (the reference model) and its expected answer updates the tracker. Every
// state-changing op is followed by `counters` and by DMA probes over what it touched. The case
// ends with a sweep of every probed point, closing the context, `counters` (nothing pinned or
// charged is left: IOMMUFD-OBJ-CLOSE) and the sweep again. The result is plain ops.
import { capabilitiesFor, type BackendInfo } from '../../spec/iommufd/backend.ts';
import { OBSERVATIONS, type Op, type Result } from '../../spec/iommufd/ops.ts';
import { layoutOf } from './layout.ts';
import { ProbePlanner } from './probes.ts';
import { Resolver } from './resolve.ts';
import type { SymOp } from './symbolic.ts';
import { Tracker } from './tracker.ts';

/** What expansion needs of the reference model: the answer it expects to each op, in order. */
export interface Oracle { apply(op: Op): { result: Result } }

/** Host-state ops that change no iova: counters after them would say nothing new. */
const QUIET = new Set<Op['op']>(['cpuWrite', 'setRlimitMemlock', 'setCapIpcLock', 'setRlimitMode', 'mmap']);

export function expand(syms: readonly SymOp[], info: BackendInfo, oracle: Oracle): Op[] {
  const layout = layoutOf(info);
  const tracker = new Tracker(layout.devices);
  const resolver = new Resolver(layout, tracker);
  const planner = new ProbePlanner(layout, tracker);
  const caps = new Set<string>(info.capabilities);
  const ops: Op[] = [];
  const run = (op: Op): void => {
    if (!capabilitiesFor(op).every((c) => caps.has(c))) return;
    const { result } = oracle.apply(op);
    tracker.apply(op, result, resolver.slotOf);
    ops.push(op);
  };
  const step = (op: Op): void => {
    if (!capabilitiesFor(op).every((c) => caps.has(c))) return;
    const touched = planner.touched(op);
    run(op);
    if (OBSERVATIONS.has(op.op) || QUIET.has(op.op)) return;
    run({ op: 'counters' });
    for (const probe of planner.probe(touched)) run(probe);
  };
  for (const sym of syms) for (const op of resolver.resolve(sym)) step(op);

  for (const probe of planner.sweep()) run(probe);
  step({ op: 'closeCtx' });
  for (const probe of planner.sweep()) run(probe);
  return ops;
}
