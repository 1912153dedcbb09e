// From a symbolic sequence to the concrete, self-checking case a backend executes.
//
// Every state-changing step is followed by its checks: `counters` (exact accounting), DMA
// probes over the ranges it touched (translation, no stale page, no partial state), and
// `dumpMappings` where the backend can dump. The case ends with teardown: a sweep of every
// point ever probed, closing the container, and checks that nothing is left mapped, pinned or
// charged. The result is plain ops: it no longer depends on the generators.
import type { BackendInfo } from '../../spec/type1/backend.ts';
import { OBSERVATIONS, type Op } from '../../spec/type1/ops.ts';
import { SystemModel } from '../../models/type1/system.ts';
import { ProbePlanner } from './probes.ts';
import { Resolver } from './resolve.ts';
import type { SymOp } from './symbolic.ts';

export function expand(syms: readonly SymOp[], info: BackendInfo): Op[] {
  const model = new SystemModel(info);
  const resolver = new Resolver(model, info);
  const planner = new ProbePlanner(model);
  const dump = info.capabilities.includes('dumpMappings');
  const ops: Op[] = [];
  const run = (op: Op): void => {
    model.apply(op);
    ops.push(op);
  };
  const step = (op: Op): void => {
    const touched = planner.touched(op);
    run(op);
    if (OBSERVATIONS.has(op.op) || op.op === 'setRlimitMemlock' || op.op === 'setCapIpcLock') return;
    run({ op: 'counters' });
    for (const probe of planner.probe(touched)) run(probe);
    if (dump) run({ op: 'dumpMappings' });
  };
  for (const sym of syms) for (const op of resolver.resolve(sym)) step(op);

  for (const probe of planner.sweep()) run(probe);
  step({ op: 'closeContainer' });
  for (const probe of planner.sweep()) run(probe);
  run({ op: 'getInfo' });
  return ops;
}
