// npm run bench: the cost of checked operations, and how it scales with mappings and bytes.
//
//   1. Throughput of checked operations on generated cases: the model alone, and the model
//      with sim-type1 (checkCase: execute, decode, model, compare), side by side.
//   2. Cost per operation at N live mappings, model and sim separately.
//   3. Cost per operation on one mapping of 4 KiB, 2^39 and 2^48 bytes.
//   4. Per property, the share of generated MAP_DMA requests whose vaddr range spans two or
//      more VMAs or runs into a hole (counted, not timed).
//
// Repetition 0 warms up and also checks that sim and model agree on every timed batch; the
// table shows the median and [min..max] of the other repetitions. Ratios are taken per
// repetition between values measured in that same repetition.
import os from 'node:os';
import { findBundled } from '../backends/type1/index.ts';
import { type1 } from '../families/type1.ts';
import { checkCase } from '../harness/check.ts';
import { SystemModel } from '../models/type1/system.ts';
import type { Backend } from '../spec/type1/backend.ts';
import type { Op, Result } from '../spec/type1/ops.ts';
import { Samples, msPerCall, msPerCallAsync, renderTable, type Row } from './measure.ts';
import {
  HUGE_IOVA, PAGE, applyAll, assertSame, generateCases, hugeCycle, hugeSetupOps, populateBackend, populateModel,
  populateOps, populatedMix, vaddrShapes,
} from './workloads.ts';
import { PROPERTIES } from '../properties/type1/catalog.ts';

const REPS = 9;
const MIN_SAMPLE_MS = 100; // a sample repeats its batch until this much time has passed
const CASES = { property: 'lifecycle', seed: 1, count: 200, maxOps: 40 };
const NS = [10, 1_000, 100_000];
const ROUNDS = 200; // section 2: K = 5 * ROUNDS ops per state
const PROBE_SEED = 7;
const CYCLES = 200; // section 3: 5 ops per cycle
const ENTRY_LIMIT = '200000';

const sim = (options: Record<string, string> = {}) => findBundled('sim-type1')!.create(options);
const fmt = (n: number | bigint) => n.toLocaleString('en-US');
const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

// ---- Setup (untimed) -------------------------------------------------------------------
const checked = sim();
const info = checked.info;
const cases = generateCases(info, CASES.property, CASES.seed, CASES.count, CASES.maxOps);
const caseOps = cases.reduce((n, ops) => n + ops.length, 0);

const states = NS.map((n) => {
  const backend = sim({ dmaEntryLimit: ENTRY_LIMIT });
  const ops = populateOps(backend.info, n, ROUNDS);
  populateBackend(backend, ops);
  return { n, backend, model: populateModel(backend.info, ops), ...populatedMix(n, ROUNDS, PROBE_SEED, backend.info) };
});
const K = states[0]!.pairs.length + states[0]!.probes.length;

const arena = info.host.arena;
const HUGE = [
  { name: '4 KiB', size: PAGE },
  { name: '2^39 B', size: 1n << 39n },
  { name: '2^48 B', size: 1n << 48n },
].map((h) => {
  // A VMA the arena cannot hold goes right above it, at an address aligned to its size.
  const vaddr = h.size <= arena.size ? arena.start : h.size;
  const setup = hugeSetupOps(vaddr, h.size);
  const model = new SystemModel(info);
  const backend = sim();
  const refused = (subject: string, results: readonly Result[]) => {
    const i = results.findIndex((r) => !r.ok);
    const r = results[i];
    return r && !r.ok ? `${subject} refuses ${setup[i]!.op} of ${h.name} at vaddr 0x${vaddr.toString(16)}: ${r.errno}` : null;
  };
  return {
    ...h, vaddr, model, backend, cycle: hugeCycle(vaddr, h.size, CYCLES),
    modelRefused: refused('model', applyAll(model, setup)),
    simRefused: refused('sim', backend.execute(setup) as Result[]),
  };
});

const SHAPES = { seed: 1, count: 200, maxOps: 40 };
const shapes = PROPERTIES.map((p) => ({ property: p.id, ...vaddrShapes(info, generateCases(info, p.id, SHAPES.seed, SHAPES.count, SHAPES.maxOps)) }));

// ---- Measurement -----------------------------------------------------------------------
const samples = new Samples();

/** µs per op of `ops` on the model and on the backend; on the warm-up, checks they agree. */
function timeBoth(rep: number, what: string, model: SystemModel, backend: Backend, ops: Op[]): [number, number] {
  let expected: Result[] = [];
  let actual: Result[] = [];
  const model_ = msPerCall(() => { expected = applyAll(model, ops); }, MIN_SAMPLE_MS);
  const sim_ = msPerCall(() => { actual = backend.execute(ops) as Result[]; }, MIN_SAMPLE_MS);
  if (rep === 0) assertSame(what, ops, expected, actual);
  return [(model_ * 1000) / ops.length, (sim_ * 1000) / ops.length];
}

for (let rep = 0; rep <= REPS; rep++) {
  // 1. Alternate which side goes first, so that neither always pays the other's garbage.
  const sides = [
    ['1a', () => msPerCall(() => { for (const ops of cases) applyAll(new SystemModel(info), ops); }, MIN_SAMPLE_MS)],
    ['1b', () => msPerCallAsync(async () => {
      for (const ops of cases) if (!(await checkCase({ family: type1, backend: checked }, ops)).ok) throw new Error('bench: sim-type1 failed a case');
    }, MIN_SAMPLE_MS)],
  ] as const;
  for (const [key, run] of rep % 2 ? [...sides].reverse() : sides) samples.add(rep, key, caseOps / ((await run()) / 1000));

  // 2. The mix is its two batches, weighted by their sizes.
  for (const s of states) {
    const pairs = timeBoth(rep, `pairs at N=${s.n}`, s.model, s.backend, s.pairs);
    const probes = timeBoth(rep, `probes at N=${s.n}`, s.model, s.backend, s.probes);
    (['model', 'sim'] as const).forEach((who, i) => {
      samples.add(rep, `2 ${who} mix ${s.n}`, (pairs[i]! * s.pairs.length + probes[i]! * s.probes.length) / K);
      samples.add(rep, `2 ${who} pairs ${s.n}`, pairs[i]!);
      samples.add(rep, `2 ${who} probes ${s.n}`, probes[i]!);
    });
  }

  // 3.
  for (const h of HUGE) {
    const perOp = (fn: () => void) => (msPerCall(fn, MIN_SAMPLE_MS) * 1000) / h.cycle.length;
    if (h.modelRefused === null) samples.add(rep, `3 model ${h.name}`, perOp(() => applyAll(h.model, h.cycle)));
    if (h.simRefused === null) samples.add(rep, `3 sim ${h.name}`, perOp(() => h.backend.execute(h.cycle)));
    if (rep === 0 && h.modelRefused === null && h.simRefused === null) {
      assertSame(`cycle of ${h.name}`, h.cycle, applyAll(h.model, h.cycle), h.backend.execute(h.cycle) as Result[]);
    }
  }
}

// ---- Report ----------------------------------------------------------------------------
const rows: Row[] = [
  { label: `1a model alone: SystemModel.apply over ${CASES.count} cases`, unit: 'ops/s', values: samples.get('1a') },
  { label: '1b model + sim-type1: checkCase (execute, decode, model, compare)', unit: 'ops/s', values: samples.get('1b') },
  { label: '1 ratio (b)/(a) of ops/s', unit: '×', values: samples.ratio('1b', '1a') },
];
const parts = [['mix', `mix of K=${fmt(K)}`], ['pairs', 'map+unmap pairs'], ['probes', 'dmaRead hit/miss + counters']] as const;
for (const who of ['model', 'sim'] as const) {
  for (const [part, name] of parts) {
    for (const n of NS) rows.push({ label: `2 ${who} ${name}, N=${fmt(n)}`, unit: 'µs/op', values: samples.get(`2 ${who} ${part} ${n}`) });
    const hi = NS[NS.length - 1]!;
    for (const lo of NS.slice(0, -1)) {
      rows.push({ label: `2 ${who} ${name}: ratio ${label(hi)}/${label(lo)}`, unit: '×', values: samples.ratio(`2 ${who} ${part} ${hi}`, `2 ${who} ${part} ${lo}`), note: `${fmt(hi / lo)}× the mappings` });
    }
  }
}
for (const who of ['model', 'sim'] as const) {
  const refusal = (h: (typeof HUGE)[number]) => (who === 'model' ? h.modelRefused : h.simRefused);
  const values = (h: (typeof HUGE)[number]) => (refusal(h) === null ? samples.get(`3 ${who} ${h.name}`) : null);
  const inArena = HUGE.filter((h) => h.vaddr === arena.start).at(-1)!;
  for (const h of HUGE) {
    const where = h.vaddr === arena.start ? '' : `VMA at 0x${h.vaddr.toString(16)}, outside the arena`;
    const note = refusal(h) === null ? where : `${refusal(h)}; the largest mapping the arena allows is the ${inArena.name} row`;
    rows.push({ label: `3 ${who}, one mapping of ${h.name}`, unit: 'µs/op', values: values(h), note });
  }
  const base = HUGE[0]!;
  for (const h of HUGE.slice(1)) {
    const ok = values(h) !== null && values(base) !== null;
    rows.push({ label: `3 ${who}: ratio ${h.name} / ${base.name}`, unit: '×', values: ok ? samples.ratio(`3 ${who} ${h.name}`, `3 ${who} ${base.name}`) : null });
  }
}

for (const s of shapes) {
  const pct = (n: number) => (100 * n) / s.maps;
  rows.push({
    label: `4 ${s.property}: MAP_DMA requests spanning 2+ VMAs or a hole`, unit: '%', values: s.maps ? [pct(s.vmas + s.hole)] : null,
    note: s.maps ? `of ${fmt(s.maps)} requests: ${pct(s.vmas).toFixed(1)}% across VMAs, ${pct(s.hole).toFixed(1)}% into a hole` : 'no MAP_DMA request',
  });
}

console.log(`# vfio-conform benchmark
node ${process.version}, V8 ${process.versions.v8}, ${process.platform} ${process.arch}, ${os.availableParallelism()} CPUs
repetitions: ${REPS} measured + 1 warm-up (discarded; it also checks sim == model on every timed batch of 2 and 3);
   a sample repeats its batch until ${MIN_SAMPLE_MS} ms have passed; ratios are per repetition
1. property ${CASES.property}, fc.sample seed ${CASES.seed}, ${CASES.count} cases, maxOps ${CASES.maxOps}, expanded once: ${fmt(caseOps)} concrete ops; sim-type1 defaults
2. N = ${NS.map(fmt).join(', ')} live mappings of 4 KiB (one mmap, sim-type1 dmaEntryLimit ${ENTRY_LIMIT}; built untimed, through SystemModel.apply and Backend.execute)
   K = ${fmt(K)} ops per state: ${ROUNDS} map+unmap pairs at free iovas mid-range + ${ROUNDS} x (dmaRead hit, dmaRead miss, counters), LCG seed ${PROBE_SEED}
3. one mapping at iova 0x${HUGE_IOVA.toString(16)}: ${CYCLES} x (map, dmaRead first/middle/last page, unmap) = ${fmt(CYCLES * 5)} ops, sim-type1 defaults; arena 2^${arena.size.toString(2).length - 1} B at 0x${arena.start.toString(16)}
4. per property, fc.sample seed ${SHAPES.seed}, ${SHAPES.count} cases, maxOps ${SHAPES.maxOps}, sim-type1 defaults: plain MAP_DMA requests (VADDR updates
   excluded) whose vaddr range, in the model's address space just before the request, spans two or more VMAs (a
   different backing or protection, or another hugetlb or PFNMAP object) or runs from a VMA into a hole; counted, not timed
`);
console.log(renderTable(rows));
