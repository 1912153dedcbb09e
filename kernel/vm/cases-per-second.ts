// Cases per second of the kernel suite, the figure the kernel backend's speed is judged by:
//   node --import tsx kernel/vm/cases-per-second.ts [--base REV] [--rounds N] [--runs N]
//        [--backend NAME] [--seed N]
// Runs `vfio-conform run --backend NAME --runs N --seed N` (default linux-type1@intel-iommu,
// 5 runs per property, seed 1) `--rounds` times (default 2) and prints one JSON line per run
// and a summary. Cases per second count from the backend's `hello` to the end of the run, so
// the boot (the same for any agent) is left out; the boot is given on its own.
//
// With --base REV the same runs are made in a checkout of REV too (a git worktree in a temp
// directory, removed at the end), alternately with this one, so both meet the same load; the
// summary gives both medians and their ratio. The host's load average is part of every line:
// on a shared host wall-clock figures mean something only side by side; cases per second of
// QEMU's own CPU time (the guest does all the kernel's work) hold under load.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, findQemu } from './qemu-cpu.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  checkout: string; cases: number; casesPerS: number; bootS: number; wallS: number; load: number[]; summary: string;
  /** QEMU's own CPU time from `hello` to the end of the run: the cost that holds on a loaded host */
  qemuCpuS: number | null; casesPerQemuCpuS: number | null;
}

/** One suite run in `dir`: its cases, the time from spawn to `hello` and from there to the end. */
async function measure(dir: string, label: string, backend: string, runs: number, seed: number): Promise<Run> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-cases-per-s-'));
  const events = path.join(tmp, 'events.jsonl');
  const load = os.loadavg().map((l) => +l.toFixed(2));
  const t0 = performance.now();
  let ready: number | null = null;
  let qemu: number | null = null;
  let cpuAtReady: number | null = null;
  let cpuLast: number | null = null;
  // the events file is appended to as things happen: the `backend` event is the peer's hello;
  // QEMU's CPU time is sampled until it exits (its last sample is within 100 ms of the end)
  const watch = setInterval(() => {
    if (ready === null && fs.existsSync(events) && fs.readFileSync(events, 'utf8').includes('"event":"backend"')) {
      ready = performance.now();
      qemu = findQemu(child.pid!);
      cpuAtReady = qemu === null ? null : cpuMs(qemu);
    }
    if (qemu !== null) cpuLast = cpuMs(qemu) ?? cpuLast;
  }, 100);
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'run', '--backend', backend, '--runs', String(runs),
    '--seed', String(seed), '--timeout', '300', '--events', events, '--cases', path.join(tmp, 'cases')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const end = performance.now();
  clearInterval(watch);
  const lines = fs.existsSync(events) ? fs.readFileSync(events, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  fs.rmSync(tmp, { recursive: true, force: true });
  const summary = /^vfio-conform: .*$/m.exec(out)?.[0] ?? `no summary (exit ${code})`;
  if (ready === null || (code !== 0 && code !== 1)) throw new Error(`${label}: the run did not complete: ${summary}\n${out}`);
  const cases = lines.filter((e) => e.event === 'property' && typeof e.runs === 'number').reduce((n, e) => n + e.runs, 0);
  const qemuCpuS = cpuAtReady === null || cpuLast === null ? null : (cpuLast - cpuAtReady) / 1000;
  return {
    checkout: label, cases, casesPerS: +(cases / ((end - ready) / 1000)).toFixed(3),
    bootS: +((ready - t0) / 1000).toFixed(1), wallS: +((end - t0) / 1000).toFixed(1), load, summary,
    qemuCpuS, casesPerQemuCpuS: qemuCpuS ? +(cases / qemuCpuS).toFixed(3) : null,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A checkout of `rev` beside this one, sharing its node_modules and kernel cache (the agent
 * binary and initramfs are cached under a hash of their sources, so sharing is safe). */
function checkoutOf(rev: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-base-'));
  const git = (...a: string[]) => {
    const r = spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  };
  git('worktree', 'add', '--detach', dir, rev);
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(ROOT, 'kernel/.cache'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'kernel/.cache'), path.join(dir, 'kernel/.cache'));
  return { dir, remove: () => git('worktree', 'remove', '--force', dir) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { base: { type: 'string' }, rounds: { type: 'string' }, runs: { type: 'string' }, backend: { type: 'string' }, seed: { type: 'string' } },
  });
  const rounds = Number(values.rounds ?? 2);
  const runs = Number(values.runs ?? 5);
  const seed = Number(values.seed ?? 1);
  const backend = values.backend ?? 'linux-type1@intel-iommu';
  const base = values.base === undefined ? null : checkoutOf(values.base);
  const results: Run[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      for (const [dir, label] of base ? [[base.dir, 'base'], [ROOT, 'this']] : [[ROOT, 'this']]) {
        const r = await measure(dir!, label!, backend, runs, seed);
        results.push(r);
        console.log(JSON.stringify(r));
      }
    }
  } finally {
    base?.remove();
  }
  const med = (label: string, k: 'casesPerS' | 'casesPerQemuCpuS') => +median(results.filter((r) => r.checkout === label).map((r) => r[k] ?? NaN)).toFixed(3);
  const summary: Record<string, unknown> = { backend, runs, seed, rounds, thisCasesPerS: med('this', 'casesPerS'), thisCasesPerQemuCpuS: med('this', 'casesPerQemuCpuS') };
  if (base) {
    Object.assign(summary, {
      base: values.base, baseCasesPerS: med('base', 'casesPerS'), baseCasesPerQemuCpuS: med('base', 'casesPerQemuCpuS'),
      ratio: +(med('this', 'casesPerS') / med('base', 'casesPerS')).toFixed(2),
      ratioPerQemuCpuS: +(med('this', 'casesPerQemuCpuS') / med('base', 'casesPerQemuCpuS')).toFixed(2),
    });
  }
  console.log(JSON.stringify(summary));
}

await main();
