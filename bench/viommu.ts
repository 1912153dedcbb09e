// The emulated-IOMMU family's benchmark (part of `npm run bench`):
//
//   1. Checked operations per second on generated cases, per correct simulator: the model
//      alone judging recorded answers, and the whole check (reset, execute, decode, judge).
//   2. Cost per operation as live translations grow: N mappings (virtio-iommu) or N leaves
//      (intel-iommu), each shadowed by a replayed MAP|UNMAP notifier; a self-cancelling mix
//      (map, invalidate, DMA, translate, unmap, invalidate) timed on the model and the sim.
//   3. Cost per operation on one mapping of 4 KiB, 2 MiB or 1 GiB (a leaf of that size), and
//      on virtio-iommu of 4 KiB, 2^30 and 2^46 bytes: flat in bytes.
//
// Repetition 0 warms up and checks that the model accepts every timed answer; the table shows
// the median and [min..max] of the other repetitions, ratios taken within one repetition.
import fc from 'fast-check';
import { viommu } from '../families/viommu.ts';
import { checkCase, judge } from '../harness/check.ts';
import type { Backend, Model } from '../spec/family.ts';
import type { Op, Result } from '../spec/viommu/ops.ts';
import type { BackendInfo } from '../spec/viommu/backend.ts';
import { Samples, msPerCall, msPerCallAsync, renderTable, type Row } from './measure.ts';

const REPS = Number(process.env.BENCH_REPS ?? 7);
const MIN_SAMPLE_MS = 100;
const NS = [10, 1_000, 100_000];
const G = 0x1000n;
const fmt = (n: number) => n.toLocaleString('en-US');

const sim = (name: string): Backend<Op, Result, BackendInfo> => {
  const b = viommu.bundled.find((x) => x.name === name);
  if (!b || b.kind === 'real') throw new Error(`bench: no simulator ${name}`);
  return b.create({});
};

/** Applies `ops` to `model`, judging each recorded answer; throws on the first it rejects. */
function judged(model: Model, ops: readonly Op[], results: readonly Result[]): void {
  for (let i = 0; i < ops.length; i++) {
    const e = model.apply(ops[i]!);
    if (judge(e, results[i]!)) throw new Error(`bench: the model rejects ${viommu.formatOp(ops[i]!)} -> ${viommu.formatResult(results[i]!)}`);
    model.observe?.(ops[i]!, results[i]!);
  }
}

// ---- 1. generated cases ---------------------------------------------------------------------
const SIMS = viommu.bundled.filter((b) => b.kind === 'correct').map((b) => b.name);
const generated = SIMS.map((name) => {
  const backend = sim(name);
  const cases = viommu.properties
    .filter((p) => p.requires.every((c) => (backend.info.capabilities as string[]).includes(c)) && (!p.profiles || p.profiles.includes(backend.info.profile)))
    .flatMap((p) => fc.sample(p.cases(backend.info, 60), { numRuns: 40, seed: 1 }));
  const recorded = cases.map((ops) => {
    backend.reset();
    return backend.execute(ops) as Result[];
  });
  return { name, backend, cases, recorded, ops: cases.reduce((n, c) => n + c.length, 0) };
});

// ---- 2 and 3. populated states and self-cancelling mixes --------------------------------------
type Scenario = { backend: Backend<Op, Result, BackendInfo>; setup: Op[]; mix: Op[] };

/** A MAP|UNMAP notifier over [0, 2^bits), replayed: every change below is shadowed. */
const notifier = (bits: bigint): Op[] => [
  { op: 'register', notifier: 1, endpoint: 0, flags: 3, start: 0n, end: (1n << bits) - 1n, index: 0 },
  { op: 'replay', notifier: 1 },
];
const probes = (iova: bigint): Op[] => [
  { op: 'dma', endpoint: 0, iova, access: 'read', secure: true },
  { op: 'translate', endpoint: 0, index: 0, iova, flag: 'none' },
];

function virtioScenario(n: number, size = G): Scenario {
  const setup: Op[] = [{ op: 'attach', endpoint: 0, domain: 0 }, ...notifier(48n)];
  for (let i = 0n; i < BigInt(n); i++) setup.push({ op: 'map', domain: 0, iova: i * 2n * G, size: G, pa: (1n << 32n) + i * G, perm: 'rw', page: G });
  const far = 1n << 46n;
  const mix: Op[] = [
    { op: 'map', domain: 0, iova: far, size, pa: far, perm: 'rw', page: G }, ...probes(far + size / 2n),
    { op: 'unmap', domain: 0, iova: far, size }, ...probes(far),
  ];
  return { backend: sim('sim-virtio-iommu'), setup, mix };
}

function vtdScenario(n: number, page = G): Scenario {
  const setup: Op[] = [{ op: 'attach', endpoint: 0, domain: 0 }, { op: 'invalidate', scope: 'global' }, ...notifier(39n)];
  for (let i = 0n; i < BigInt(n); i++) setup.push({ op: 'map', domain: 0, iova: i * 2n * G, size: G, pa: (1n << 32n) + i * G, perm: 'rw', page: G });
  setup.push({ op: 'invalidate', scope: 'domain', domain: 0 });
  const far = 1n << 38n;
  const mix: Op[] = [
    { op: 'map', domain: 0, iova: far, size: page, pa: far, perm: 'rw', page },
    { op: 'invalidate', scope: 'range', domain: 0, iova: far, size: page }, ...probes(far + page / 2n),
    { op: 'unmap', domain: 0, iova: far, size: page },
    { op: 'invalidate', scope: 'range', domain: 0, iova: far, size: page }, ...probes(far),
  ];
  return { backend: sim('sim-vtd'), setup, mix };
}

/** A backend and a model brought to the scenario's state, and the mix's recorded answers. */
function prepare(s: Scenario) {
  s.backend.reset();
  const setupResults = s.backend.execute(s.setup) as Result[];
  const model = viommu.model(s.backend.info);
  judged(model, s.setup, setupResults);
  const results = s.backend.execute(s.mix) as Result[];
  judged(model, s.mix, results);
  return { ...s, model, results };
}

const scaling = NS.flatMap((n) => [
  { key: `virtio ${n}`, label: `virtio-iommu, N=${fmt(n)} mappings`, state: prepare(virtioScenario(n)) },
  { key: `vtd ${n}`, label: `intel-iommu, N=${fmt(n)} leaves`, state: prepare(vtdScenario(n)) },
]);
const BYTES = [
  { key: 'vtd 4K', label: 'intel-iommu, a 4 KiB leaf', state: prepare(vtdScenario(10, G)) },
  { key: 'vtd 2M', label: 'intel-iommu, a 2 MiB leaf', state: prepare(vtdScenario(10, 0x200000n)) },
  { key: 'vtd 1G', label: 'intel-iommu, a 1 GiB leaf', state: prepare(vtdScenario(10, 0x40000000n)) },
  { key: 'virtio 4K', label: 'virtio-iommu, 4 KiB', state: prepare(virtioScenario(10, G)) },
  { key: 'virtio 2^30', label: 'virtio-iommu, 2^30 B', state: prepare(virtioScenario(10, 1n << 30n)) },
  { key: 'virtio 2^46', label: 'virtio-iommu, 2^46 B', state: prepare(virtioScenario(10, 1n << 46n)) },
];

// ---- timing ---------------------------------------------------------------------------------
const samples = new Samples();
for (let rep = 0; rep < REPS; rep++) {
  for (const g of generated) {
    samples.add(rep, `1 model ${g.name}`, g.ops / msPerCall(() => g.cases.forEach((ops, i) => judged(viommu.model(g.backend.info), ops, g.recorded[i]!)), MIN_SAMPLE_MS) * 1000);
    samples.add(rep, `1 check ${g.name}`, g.ops / await msPerCallAsync(async () => {
      for (const ops of g.cases) if (!(await checkCase({ family: viommu, backend: g.backend }, ops)).ok) throw new Error(`bench: ${g.name} fails a case`);
    }, MIN_SAMPLE_MS) * 1000);
  }
  for (const { key, state } of [...scaling, ...BYTES]) {
    const perOp = (fn: () => void) => (msPerCall(fn, MIN_SAMPLE_MS) * 1000) / state.mix.length;
    samples.add(rep, `model ${key}`, perOp(() => judged(state.model, state.mix, state.results)));
    samples.add(rep, `sim ${key}`, perOp(() => { state.backend.execute(state.mix); }));
  }
}

const rows: Row[] = [];
for (const g of generated) {
  rows.push({ label: `1 ${g.name}: model judging recorded answers`, unit: 'ops/s', values: samples.get(`1 model ${g.name}`), note: `${g.cases.length} cases, ${fmt(g.ops)} ops` });
  rows.push({ label: `1 ${g.name}: whole check (execute + judge)`, unit: 'ops/s', values: samples.get(`1 check ${g.name}`) });
}
for (const who of ['model', 'sim']) {
  for (const { key, label } of scaling) rows.push({ label: `2 ${who}, ${label}`, unit: 'µs/op', values: samples.get(`${who} ${key}`) });
  for (const kind of ['virtio', 'vtd']) {
    rows.push({ label: `2 ${who}, ${kind}: ratio 100k/10`, unit: '×', values: samples.ratio(`${who} ${kind} 100000`, `${who} ${kind} 10`), note: '10,000× the translations' });
  }
  for (const { key, label } of BYTES) rows.push({ label: `3 ${who}, ${label}`, unit: 'µs/op', values: samples.get(`${who} ${key}`) });
  rows.push({ label: `3 ${who}: ratio 1 GiB / 4 KiB leaf`, unit: '×', values: samples.ratio(`${who} vtd 1G`, `${who} vtd 4K`) });
  rows.push({ label: `3 ${who}: ratio 2^46 / 4 KiB virtio mapping`, unit: '×', values: samples.ratio(`${who} virtio 2^46`, `${who} virtio 4K`) });
}
console.log(`viommu: ${REPS - 1} repetitions of at least ${MIN_SAMPLE_MS} ms each, node ${process.version}`);
console.log(renderTable(rows));
