// No process of an exec: backend outlives the run: not when the backend faults in any way, not
// when it ignores SIGTERM and has started helpers that share its pipes, not when the harness is
// itself terminated or quit with a second Ctrl-C. Each process started here carries a marker in
// its command line; afterwards, /proc must hold none.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { killAll, leftovers, newMarker, processesWith, until } from './fixtures/processes.ts';
import { scratch } from './support/cli.ts';

const root = new URL('..', import.meta.url).pathname;
const cliArgs = ['--import', 'tsx', 'harness/cli/main.ts'];

describe('no process of a backend outlives the run', () => {
  const marker = newMarker();
  afterEach(() => killAll(marker));
  /** A peer behind a shell that stays its parent, ignoring SIGTERM, with a helper as stubborn sharing its pipes. */
  const peer = (mode: string, extra = '') =>
    `exec:cd "${root}" && "${process.execPath}" test/fixtures/bad-peer.mjs ${mode} --stubborn --helper --marker ${marker} ${extra}`;

  test('every kind of fault: the run ends, and leaves no process behind', async () => {
    const modes = ['hang', 'close-stdout', 'crash', 'garbage', 'out-of-order', 'long', 'short', 'error', 'endless', 'noisy', 'exit-after-hello', 'bad-hello'];
    const r = spawnSync(process.execPath, [...cliArgs, 'run', '--runs', '2', '--timeout', '2', '--cases', scratch('vfio-conform-leftovers-'), ...modes.flatMap((m) => ['--backend', peer(m)])],
      { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(r.stdout).toMatch(/^vfio-conform: 0 passed, 12 failed, \d+ skipped$/m);
    expect(r.status).toBe(1);
    expect(await leftovers(marker)).toEqual([]);
  });

  for (const [how, signals] of [['terminated by SIGTERM', ['SIGTERM']], ['hung up on (SIGHUP)', ['SIGHUP']], ['quit with a second Ctrl-C', ['SIGINT', 'SIGINT']]] as const) {
    test(`the harness ${how} mid-run ends its backend's processes`, async () => {
      const dir = scratch('vfio-conform-leftovers-');
      const ready = join(dir, 'ready');
      const run = spawn(process.execPath, [...cliArgs, 'run', '--timeout', '600', '--cases', dir, '--backend', peer('hang', `--ready "${ready}"`)],
        { cwd: root, detached: true, stdio: 'ignore' });
      const exited = new Promise((resolve) => run.on('exit', resolve));
      await until(() => existsSync(ready));
      expect(processesWith(marker)).toHaveLength(4); // the run, the shell, the peer and its helper
      for (const signal of signals) {
        process.kill(-run.pid!, signal); // the terminal signals the run's whole process group
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await exited;
      expect(await leftovers(marker)).toEqual([]);
    });
  }
});
