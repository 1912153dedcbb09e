// The workloads: generated cases, a container with N live mappings, and one huge mapping.
//
// Every workload is plain concrete ops built before any timing starts. The states of sections
// 2 and 3 are left as they were found by every timed batch (each map is undone by its unmap),
// so one state serves every repetition.
import fc from 'fast-check';
import type { Backend, BackendInfo } from '../spec/type1/backend.ts';
import type { Op, Result } from '../spec/type1/ops.ts';
import { SystemModel } from '../models/type1/system.ts';
import { sameResult } from '../harness/compare.ts';
import { expand } from '../properties/type1/expand.ts';
import { symSequence } from '../properties/type1/symbolic.ts';
import { PROPERTY_BY_ID } from '../properties/type1/catalog.ts';
import { pinsPages, vaddrShape } from '../properties/type1/shape.ts';

export const PAGE = 4096n;
const RW = 3; // MAP_FLAG.READ | MAP_FLAG.WRITE

/** `count` cases of a property, drawn with fc.sample and expanded once for `info`. */
export function generateCases(info: BackendInfo, property: string, seed: number, count: number, maxOps: number): Op[][] {
  const weights = PROPERTY_BY_ID.get(property)!.weights;
  return fc.sample(symSequence(weights, maxOps), { seed, numRuns: count }).map((syms) => expand(syms, info));
}

/** The model's answers, as the model backend of test/type1/support gives them. */
export const applyAll = (model: SystemModel, ops: readonly Op[]): Result[] => ops.map((op) => model.apply(op).result);

/** Throws unless the backend's answers are the model's (checked once, outside the timing). */
export function assertSame(what: string, ops: readonly Op[], expected: readonly Result[], actual: readonly Result[]): void {
  const i = ops.findIndex((_, k) => !actual[k] || !sameResult(expected[k]!, actual[k]!));
  if (i >= 0) throw new Error(`bench: ${what}: op #${i} ${ops[i]!.op}: model and backend disagree`);
}

/**
 * Section 4: of the plain MAP_DMA requests (VADDR updates pin nothing) in `cases`, how many
 * span two or more VMAs, and how many run from a VMA into a hole, each judged against the
 * model's address space just before the request.
 */
export function vaddrShapes(info: BackendInfo, cases: readonly Op[][]): { maps: number; vmas: number; hole: number } {
  const count = { maps: 0, vmas: 0, hole: 0 };
  for (const ops of cases) {
    const model = new SystemModel(info);
    for (const op of ops) {
      if (op.op === 'map' && pinsPages(op)) {
        count.maps++;
        const shape = vaddrShape(model.procs[op.proc]!, op.vaddr, op.size);
        if (shape !== 'single') count[shape]++;
      }
      model.apply(op);
    }
  }
  return count;
}

// ---- Section 2: N live mappings of one 4 KiB page each ----------------------------------

/** Live mapping i: iova BASE + 2i pages (a free page after each), vaddr arena + i pages. */
const POPULATED_BASE = 1n << 32n;
const iovaOf = (i: number): bigint => POPULATED_BASE + BigInt(i) * 2n * PAGE;

/** mmap N + spare pages, then map page i at iovaOf(i): the spare pages back the fresh maps. */
export function populateOps(info: BackendInfo, n: number, spare: number): Op[] {
  const arena = info.host.arena.start;
  const ops: Op[] = [{ op: 'mmap', proc: 0, vaddr: arena, size: BigInt(n + spare) * PAGE, prot: 'rw', backing: 'anon' }];
  for (let i = 0; i < n; i++) ops.push({ op: 'map', proc: 0, flags: RW, iova: iovaOf(i), vaddr: arena + BigInt(i) * PAGE, size: PAGE });
  return ops;
}

/** The same state in the model. */
export function populateModel(info: BackendInfo, ops: readonly Op[]): SystemModel {
  const model = new SystemModel(info);
  for (const op of ops) if (!model.apply(op).result.ok) throw new Error(`bench: model refused ${op.op} while populating`);
  return model;
}

export function populateBackend(backend: Backend, ops: readonly Op[]): void {
  backend.reset();
  const results = backend.execute(ops) as Result[];
  if (results.length !== ops.length || !results.every((r) => r.ok)) throw new Error('bench: backend refused an op while populating');
}

/**
 * The timed mix at N live mappings, in two batches: `pairs` maps one spare page at a free iova
 * in the middle of the populated range and unmaps it again; `probes` reads a live page (hit),
 * a free page (miss) and the counters, at pseudo-random places over the whole range.
 */
export function populatedMix(n: number, rounds: number, seed: number, info: BackendInfo): { pairs: Op[]; probes: Op[] } {
  const arena = info.host.arena.start;
  const gaps = Math.min(rounds, n - 1);
  const firstGap = Math.floor((n - 1) / 2) - Math.floor(gaps / 2);
  let x = seed >>> 0;
  const random = (below: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0; // LCG: deterministic, cheap
    return x % below;
  };
  const pairs: Op[] = [];
  const probes: Op[] = [];
  for (let j = 0; j < rounds; j++) {
    const iova = iovaOf(firstGap + (j % gaps)) + PAGE;
    pairs.push({ op: 'map', proc: 0, flags: RW, iova, vaddr: arena + BigInt(n + j) * PAGE, size: PAGE });
    pairs.push({ op: 'unmap', proc: 0, flags: 0, iova, size: PAGE });
    probes.push({ op: 'dmaRead', iova: iovaOf(random(n)) });
    probes.push({ op: 'dmaRead', iova: iovaOf(random(n)) + PAGE });
    probes.push({ op: 'counters' });
  }
  return { pairs, probes };
}

// ---- Section 3: one mapping of 4 KiB .. 2^48 bytes --------------------------------------

export const HUGE_IOVA = 1n << 48n;

/** mmap `size` bytes at `vaddr` and write a token to its first, middle and last page. */
/** Offsets of the first, middle and last page of `size` bytes (one page: all three the same). */
const probePages = (size: bigint): bigint[] => [0n, (size / 2n) & -PAGE, size - PAGE];

export function hugeSetupOps(vaddr: bigint, size: bigint): Op[] {
  const pages = probePages(size);
  return [
    { op: 'mmap', proc: 0, vaddr, size, prot: 'rw', backing: 'anon' },
    ...pages.map((off, k): Op => ({ op: 'cpuWrite', proc: 0, vaddr: vaddr + off, token: 0x1000n + BigInt(k) })),
  ];
}

/** `cycles` times: map the whole VMA, dmaRead its first, middle and last page, unmap it. */
export function hugeCycle(vaddr: bigint, size: bigint, cycles: number): Op[] {
  const ops: Op[] = [];
  for (let c = 0; c < cycles; c++) {
    ops.push({ op: 'map', proc: 0, flags: RW, iova: HUGE_IOVA, vaddr, size });
    for (const off of probePages(size)) ops.push({ op: 'dmaRead', iova: HUGE_IOVA + off });
    ops.push({ op: 'unmap', proc: 0, flags: 0, iova: HUGE_IOVA, size });
  }
  return ops;
}
