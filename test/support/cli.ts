// Running the command line from tests: to completion, or as a process a test can signal.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const root = new URL('../..', import.meta.url).pathname;
const ENTRY = ['--import', 'tsx', 'harness/cli/main.ts'];

export interface Ran { status: number | null; signal: string | null; stdout: string; stderr: string }

export function cli(args: readonly string[], options: { timeout?: number } = {}): Ran {
  const r = spawnSync(process.execPath, [...ENTRY, ...args], { cwd: root, encoding: 'utf8', timeout: options.timeout ?? 240_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A command line under way: its output so far, a way to wait for a line, and its end. */
export class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly waiters: (() => void)[] = [];
  readonly done: Promise<Ran>;

  constructor(args: readonly string[], stdio: { stdout?: 'closed'; stderr?: 'closed' } = {}) {
    this.child = spawn(process.execPath, [...ENTRY, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // A closed end: the reader went away before the command wrote anything, as `| head` does.
    if (stdio.stdout === 'closed') this.child.stdout!.destroy();
    else this.child.stdout!.on('data', (d: Buffer) => { this.stdout += d.toString(); this.wake(); });
    if (stdio.stderr === 'closed') this.child.stderr!.destroy();
    else this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); this.wake(); });
    this.done = new Promise((resolve) => this.child.on('close', (status, signal) => resolve({ status, signal, stdout: this.stdout, stderr: this.stderr })));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once stderr matches `pattern` (rejects if the command ends first). */
  async stderrMatches(pattern: RegExp): Promise<void> {
    let ended = false;
    void this.done.then(() => { ended = true; this.wake(); });
    while (!pattern.test(this.stderr)) {
      if (ended) throw new Error(`the command ended before its stderr matched ${pattern}:\n${this.stderr}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** A fresh directory under the test run's temporary directory, removed after the file's tests. */
const made: string[] = [];
afterAll(() => { for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true }); });
export function scratch(prefix = 'vfio-conform-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export const noStackTrace = (text: string): boolean => !/^\s+at /m.test(text);
