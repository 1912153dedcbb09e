// `npm run conform:kernel`: every bundled real-kernel backend (type1 on Debian's kernel, type1
// through iommufd's compat layer, native iommufd on the kernel built by kernel/iommufd/, sPAPR
// on Debian's ppc64le kernel in a pseries guest), each with its expectations file when it has
// one. Other arguments go to `vfio-conform run`.
//
//   node --import tsx kernel/conform.ts [--family type1|iommufd|spapr] [--only NAME] [run options]
//
// The built kernels are prepared first (kernel/vm/backend.ts --prepare-only): a cold build
// takes minutes, longer than the first request of a run may wait.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FAMILIES } from '../families/index.ts';
import { tsProgramArgv } from '../families/runner.ts';
import { conformBundled } from '../harness/conform-bundled.ts';
import { takeFlag } from '../qemu/bundled.ts';
import { PPC64_RUNNER } from './ppc64/bundled.ts';

const RUNNER = fileURLToPath(new URL('./vm/backend.ts', import.meta.url));

/** The bundled backends that boot Linux in a VM, with the kernel each asks the runner for. */
function bundledKernels(): { name: string; family: string; kernel: string }[] {
  return FAMILIES.flatMap((f) => f.bundled.flatMap((b) =>
    b.kind === 'real' && (b.command.includes(RUNNER) || b.command.includes(PPC64_RUNNER))
      ? [{ name: b.name, family: f.id, kernel: /--kernel (\S+)/.exec(b.command)?.[1] ?? 'stock' }]
      : []));
}

function main(argv: string[]): number {
  const [families, afterFamily] = takeFlag(argv, '--family');
  const [only, rest] = takeFlag(afterFamily, '--only');
  const chosen = bundledKernels().filter((k) => (families.length === 0 || families.includes(k.family)) && (only.length === 0 || only.includes(k.name)));
  if (chosen.length === 0) {
    process.stderr.write(`conform:kernel: no bundled kernel backend matches${families.length ? ` --family ${families.join(',')}` : ''}${only.length ? ` --only ${only.join(',')}` : ''}\n`);
    return 2;
  }
  const [node, ...pre] = tsProgramArgv(RUNNER);
  for (const kernel of new Set(chosen.map((k) => k.kernel).filter((k) => k !== 'stock'))) {
    const r = spawnSync(node!, [...pre, '--kernel', kernel, '--prepare-only'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) return r.status ?? 1;
  }
  return conformBundled(chosen.map((k) => k.name), rest);
}

process.exitCode = main(process.argv.slice(2));
