// The differential run between QEMU versions: for every IOMMU bundled on both 7.2 and 11.1,
// `vfio-conform diff` of the two on the same generated cases. Extra arguments (--runs, --seed,
// --cases ...) go to every diff. Exit status: the worst of the diffs (0 no difference, 1 a
// difference or a fault, 2 bad usage).
//
//   node --import tsx qemu/diff-versions.ts [--runs N] [--seed N] [--only IOMMU]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundledQemu, takeFlag } from './bundled.ts';
import { tsProgramArgv } from '../families/runner.ts';

const CLI = fileURLToPath(new URL('../harness/cli/main.ts', import.meta.url));
const [OLD, NEW] = ['7.2', '11.1'];

function pairs(only: string | undefined): [string, string][] {
  const bundled = bundledQemu();
  const on = (version: string) => new Map(bundled.filter((b) => b.version === version).map((b) => [b.iommu, b.name]));
  const [old, now] = [on(OLD), on(NEW)];
  return [...old].filter(([iommu]) => now.has(iommu) && (only === undefined || iommu === only)).map(([iommu, name]) => [name, now.get(iommu)!]);
}

function main(argv: string[]): number {
  const [onlys, rest] = takeFlag(argv, '--only');
  const only = onlys.at(-1);
  const todo = pairs(only);
  if (todo.length === 0) {
    process.stderr.write(`diff-versions: no IOMMU is bundled for both QEMU ${OLD} and ${NEW}${only ? ` named ${only}` : ''}\n`);
    return 2;
  }
  let worst = 0;
  for (const [a, b] of todo) {
    const [node, ...pre] = tsProgramArgv(CLI);
    const r = spawnSync(node!, [...pre, 'diff', '--backend', a, '--backend', b, ...rest], { stdio: 'inherit' });
    const status = r.status ?? 1;
    if (status === 2) return 2;
    worst = Math.max(worst, status);
  }
  return worst;
}

process.exitCode = main(process.argv.slice(2));
