// From a symbolic sequence to the concrete, self-checking case a backend executes.
//
// A prelude sets the property's scene (memory registered or the v1 container enabled), each
// symbolic step is resolved against the reference model's state, and each concrete op is
// applied to the model. Every state-changing op is followed by `counters` (SPAPR-ACCT-EXACT)
// and by DMA probes at the edges of what it touched; the case ends with a sweep of every probed
// point, every container closed, `counters` (nothing left pinned or charged) and the sweep again.
import { SpaprModel } from '../../models/spapr/system.ts';
import { capabilitiesFor, type BackendInfo } from '../../spec/spapr/backend.ts';
import { OBSERVATIONS, type Op } from '../../spec/spapr/ops.ts';
import { layoutOf, type Layout } from './layout.ts';
import { Resolver } from './resolve.ts';
import type { SymOp } from './symbolic.ts';

/** How a property's cases begin. */
export interface Prelude {
  /** v2: anonymous memory in slot 0 (and hugetlb in slot 1) registered in container 0; v1: ENABLE. */
  ready: boolean;
  /** Start with CAP_IPC_LOCK dropped, so that RLIMIT_MEMLOCK applies. */
  noCap?: boolean;
}

/** Probed points kept for the final sweeps: enough to see every window's edges. */
const MAX_PROBES = 24;

/** Host steps that change no translation and no counter. */
const QUIET = new Set<Op['op']>(['mmap', 'cpuWrite', 'setRlimitMemlock', 'setCapIpcLock']);

function preludeOps(L: Layout, prelude: Prelude): Op[] {
  const ops: Op[] = [];
  if (prelude.noCap) for (let p = 0; p < L.procs; p++) ops.push({ op: 'setCapIpcLock', proc: p as 0 | 1, enabled: false });
  if (!prelude.ready) return ops;
  const anon = L.slotSize / 2n;
  ops.push({ op: 'mmap', proc: 0, vaddr: L.slotBase(0), size: anon, prot: 'rw', backing: 'anon' });
  ops.push({ op: 'cpuWrite', proc: 0, vaddr: L.slotBase(0), token: 0xa11cen });
  if (!L.v2) return [...ops, { op: 'enable', proc: 0, ct: 0 }];
  ops.push({ op: 'register', proc: 0, ct: 0, flags: 0, vaddr: L.slotBase(0), size: anon });
  if (L.caps.has('hugetlb') && L.slots > 1) {
    ops.push({ op: 'mmap', proc: 0, vaddr: L.slotBase(1), size: 2n * L.huge, prot: 'rw', backing: 'hugetlb' });
    ops.push({ op: 'register', proc: 0, ct: 0, flags: 0, vaddr: L.slotBase(1), size: 2n * L.huge });
  }
  return ops;
}

/** The iovas worth reading after `op`: the first and last page of what it touched and the page after. */
function touched(op: Op): { ct: number; iovas: bigint[] } | null {
  if (op.op !== 'map' && op.op !== 'unmap') return null;
  const last = op.size > 0x1000n ? op.iova + op.size - 0x1000n : op.iova;
  return { ct: op.ct, iovas: [op.iova, last, op.iova + op.size].filter((i) => i % 0x1000n === 0n && i < 1n << 64n) };
}

export function expand(syms: readonly SymOp[], info: BackendInfo, prelude: Prelude): Op[] {
  const L = layoutOf(info);
  const model = new SpaprModel(info);
  const resolver = new Resolver(L, model);
  const ops: Op[] = [];
  const probes: { ct: number; iova: bigint }[] = [];
  const run = (op: Op): void => {
    if (!capabilitiesFor(op).every((c) => L.caps.has(c))) return;
    model.apply(op);
    ops.push(op);
  };
  const sweep = (ct?: number): void => {
    for (const p of probes) if (ct === undefined || p.ct === ct) run({ op: 'dmaRead', ct: p.ct, iova: p.iova });
  };
  const step = (op: Op): void => {
    if (!capabilitiesFor(op).every((c) => L.caps.has(c))) return;
    run(op);
    if (OBSERVATIONS.has(op.op) || QUIET.has(op.op)) return;
    run({ op: 'counters' });
    const t = touched(op);
    for (const iova of t?.iovas ?? []) {
      run({ op: 'dmaRead', ct: t!.ct, iova });
      if (probes.length < MAX_PROBES && !probes.some((p) => p.ct === t!.ct && p.iova === iova)) probes.push({ ct: t!.ct, iova });
    }
    if (op.op === 'remove' || op.op === 'closeContainer') sweep(op.ct);
    if (op.op === 'unregister' || op.op === 'munmap' || op.op === 'mremap') sweep();
  };
  for (const op of preludeOps(L, prelude)) step(op);
  for (const sym of syms) {
    const op = resolver.resolve(sym);
    if (op) step(op);
  }
  sweep();
  for (let ct = 0; ct < L.containers; ct++) step({ op: 'closeContainer', ct });
  sweep();
  return ops;
}
