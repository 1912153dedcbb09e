// `vfio-conform run` over a list of bundled backends, each with its expectations file
// (expectations/<name>.json: what that real implementation is known to break, and why) when it
// has one. The runners of real backends (qemu/conform.ts, kernel/conform.ts) pick the names.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { tsProgramArgv } from '../families/runner.ts';

const CLI = fileURLToPath(new URL('./cli/main.ts', import.meta.url));
const expectations = (name: string): string => fileURLToPath(new URL(`../expectations/${name}.json`, import.meta.url));

/** Runs the suite on `names` with `runArgs` after them; returns its exit status. */
export function conformBundled(names: readonly string[], runArgs: readonly string[]): number {
  const args = names.flatMap((n) => ['--backend', n, ...(existsSync(expectations(n)) ? ['--expect', expectations(n)] : [])]);
  const [node, ...pre] = tsProgramArgv(CLI);
  // Ctrl-C reaches the run too (one process group): it ends after the case under way and
  // writes its reports. Without a listener this process would die at once and give the shell
  // back while the run is still writing; with one, the signal waits in the event loop that
  // spawnSync blocks, and the run's own exit status is returned.
  const ignore = (): void => {};
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, ignore);
  try {
    const r = spawnSync(node!, [...pre, 'run', ...args, ...runArgs], { stdio: 'inherit' });
    return r.status ?? (r.signal ? 128 + (os.constants.signals[r.signal] ?? 0) : 1);
  } finally {
    for (const s of signals) process.off(s, ignore);
  }
}
