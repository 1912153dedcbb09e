// npm run bench:isolation: what running a backend module in a process of its own costs.
//
// The same generated cases, checked (execute, decode, model, compare) on sim-type1 in the
// suite's process, as bundled simulators run, and on the same simulator given as a module path,
// which the suite serves from a child process over the protocol. Sides alternate; the ratio is
// taken per repetition between values measured in that same repetition. The start of the child
// (node, tsx, the module and its factory, the hello) is timed apart: it is paid once per backend.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkCase } from '../harness/check.ts';
import { loadBackend } from '../harness/load-backend.ts';
import type { BackendInfo } from '../spec/type1/backend.ts';
import { Samples, msPerCallAsync, renderTable, type Row } from './measure.ts';
import { generateCases } from './workloads.ts';

const REPS = 5;
const MIN_SAMPLE_MS = 500;
const CASES = { property: 'lifecycle', seed: 1, count: 200, maxOps: 40 };
const MODULE = new URL('./sim-module.ts', import.meta.url).pathname;
const fmt = (n: number) => n.toLocaleString('en-US');

const inProcess = await loadBackend('sim-type1');
const starts: number[] = [];
let served = null as Awaited<ReturnType<typeof loadBackend>> | null;
for (let i = 0; i < 3; i++) {
  await served?.backend.dispose?.();
  const t0 = performance.now();
  served = await loadBackend(MODULE, 60_000);
  starts.push(performance.now() - t0);
}
const cases = generateCases(inProcess.backend.info as BackendInfo, CASES.property, CASES.seed, CASES.count, CASES.maxOps);
const caseOps = cases.reduce((n, ops) => n + ops.length, 0);

const samples = new Samples();
const sides = [
  ['in-process', inProcess],
  ['served', served!],
] as const;
for (let rep = 0; rep <= REPS; rep++) {
  for (const [key, subject] of rep % 2 ? [...sides].reverse() : sides) {
    const ms = await msPerCallAsync(async () => {
      for (const ops of cases) if (!(await checkCase(subject, ops)).ok) throw new Error(`bench: ${key} sim-type1 failed a case`);
    }, MIN_SAMPLE_MS);
    samples.add(rep, key, caseOps / (ms / 1000));
  }
}
await served!.backend.dispose?.();

const rows: Row[] = [
  { label: 'a sim-type1 in-process (bundled name): checkCase', unit: 'ops/s', values: samples.get('in-process') },
  { label: 'b sim-type1 as a module path, served from a child process: checkCase', unit: 'ops/s', values: samples.get('served') },
  { label: 'ratio (a)/(b) of ops/s: how many times slower served is', unit: '×', values: samples.ratio('in-process', 'served') },
];
console.log(`# vfio-conform: cost of serving a backend module from its own process
node ${process.version}, ${process.platform} ${process.arch}, ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}
property ${CASES.property}, fc.sample seed ${CASES.seed}, ${CASES.count} cases, maxOps ${CASES.maxOps}: ${fmt(caseOps)} concrete ops per sample pass
repetitions: ${REPS} measured + 1 warm-up; a sample repeats all the cases until ${MIN_SAMPLE_MS} ms have passed; sides alternate
start of the served module (spawn, tsx, load, factory, hello), once per backend per run: ${starts.map((ms) => `${Math.round(ms)} ms`).join(', ')}
`);
console.log(renderTable(rows));
