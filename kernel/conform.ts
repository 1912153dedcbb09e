// `npm run conform:kernel`: every bundled real-kernel backend (type1 on Debian's 6.12 and 7.3, type1
// through iommufd's compat layer, native iommufd on the kernel built by kernel/iommufd/, sPAPR
// on Debian's ppc64le kernel in a pseries guest), each with its expectations file when it has
// one. Other arguments go to `vfio-conform run`.
//
//   node --import tsx kernel/conform.ts [--family type1|iommufd|spapr] [--only NAME] [run options]
//
// 10 cases per property unless --runs or --duration is given (run-args.ts): `--duration SECS`
// alone runs each property for that long, the nightly run.
//
// Every kernel they boot is prepared first (kernel/vm/backend.ts --prepare-only): a cold build
// takes minutes, a download may take longer than the first request of a run waits.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FAMILIES } from '../families/index.ts';
import { tsProgramArgv } from '../families/runner.ts';
import { conformBundled } from '../harness/conform-bundled.ts';
import { takeFlag } from '../qemu/bundled.ts';
import { PPC64_RUNNER } from './ppc64/bundled.ts';
import { kernelRunArgs } from './run-args.ts';

const RUNNER = fileURLToPath(new URL('./vm/backend.ts', import.meta.url));

interface KernelBackend { name: string; family: string; runner: string; kernel: string | null }

/** The bundled backends that boot Linux in a VM, with the runner and kernel each asks for. */
function bundledKernels(): KernelBackend[] {
  return FAMILIES.flatMap((f) => f.bundled.flatMap((b) => {
    const command = b.kind === 'real' ? b.command : '';
    const runner = [RUNNER, PPC64_RUNNER].find((r) => command.includes(r));
    return runner ? [{ name: b.name, family: f.id, runner, kernel: /--kernel (\S+)/.exec(command)?.[1] ?? null }] : [];
  }));
}

function main(argv: string[]): number {
  const [families, afterFamily] = takeFlag(argv, '--family');
  const [only, rest] = takeFlag(afterFamily, '--only');
  const chosen = bundledKernels().filter((k) => (families.length === 0 || families.includes(k.family)) && (only.length === 0 || only.includes(k.name)));
  if (chosen.length === 0) {
    process.stderr.write(`conform:kernel: no bundled kernel backend matches${families.length ? ` --family ${families.join(',')}` : ''}${only.length ? ` --only ${only.join(',')}` : ''}\n`);
    return 2;
  }
  const prepares = new Map(chosen.map((k) => [`${k.runner} ${k.kernel}`, k]));
  for (const { runner, kernel } of prepares.values()) {
    const [node, ...pre] = tsProgramArgv(runner);
    const r = spawnSync(node!, [...pre, ...(kernel ? ['--kernel', kernel] : []), '--prepare-only'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) return r.status ?? 1;
  }
  return conformBundled(chosen.map((k) => k.name), kernelRunArgs(rest));
}

process.exitCode = main(process.argv.slice(2));
