// npm run bench:kernel-cache: what asking for a built iommufd kernel (kernel/iommufd/) costs once
// it is in the machine's cache, the price every kernel-backend start and CI's kernel-build job
// pay. A cold build (10-20 min) cannot be repeated here: kernel/README.md records it. A variant
// not built yet is reported n/a, never built by the benchmark.
//   - lookup: ensureIommufdKernel in this process (hash the recipe, stat the ready file);
//   - prepare: `kernel/vm/backend.ts --kernel iommufd-<variant> --prepare-only` as a process
//     (node and tsx start, packages checked, agent and initramfs found in the cache).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureIommufdKernel, kernelDir, VARIANTS } from '../kernel/iommufd/build.ts';
import { Samples, msPerCallAsync, renderTable, type Row } from './measure.ts';

const REPS = 4; // repetition 0 is the warm-up
const BACKEND = new URL('../kernel/vm/backend.ts', import.meta.url).pathname;

const samples = new Samples();
const built = VARIANTS.filter((v) => fs.existsSync(path.join(kernelDir(v), 'ready')));
for (let rep = 0; rep <= REPS; rep++) {
  for (const v of built) {
    samples.add(rep, `lookup ${v}`, 1000 * await msPerCallAsync(async () => { await ensureIommufdKernel(v); }, 200));
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', BACKEND, '--kernel', `iommufd-${v}`, '--prepare-only'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`prepare ${v} failed: ${r.stderr.trim().split('\n').pop()}`);
    samples.add(rep, `prepare ${v}`, (performance.now() - t) / 1000);
  }
}
const rows: Row[] = VARIANTS.flatMap((v): Row[] => built.includes(v)
  ? [{ label: `lookup, ${v} (cached)`, unit: 'µs/op', values: samples.get(`lookup ${v}`) },
     { label: `backend --prepare-only, ${v} (cached)`, unit: 's', values: samples.get(`prepare ${v}`) }]
  : [{ label: `${v}`, unit: 's', values: null, note: 'not built: node --import tsx kernel/iommufd/build.ts' }]);
console.log(renderTable(rows));
