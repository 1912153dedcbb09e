// The per-machine cache of built artifacts (QEMU trees, kernels): one root, one lock protocol.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where built artifacts are kept: VFIO_CONFORM_CACHE, else $XDG_CACHE_HOME/vfio-conform, else ~/.cache/vfio-conform. */
export function cacheDir(): string {
  return process.env.VFIO_CONFORM_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vfio-conform');
}

/**
 * Takes `lock` and returns its release. mkdir is atomic: the lock is a directory holding its
 * owner's pid. Another process holding it is waited for (up to `waitMs`, with one line on stderr
 * saying so); a dead owner's lock is taken over.
 */
export function acquireLock(lock: string, waitMs: number): () => void {
  const deadline = Date.now() + waitMs;
  let said = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch {
      const owner = ownerOf(lock);
      if (owner !== null && !alive(owner)) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`${lock} is still held by process ${owner ?? '?'} after ${Math.round(waitMs / 60_000)} minutes`);
      if (!said) { process.stderr.write(`waiting for process ${owner ?? '?'} (holds ${lock})\n`); said = true; }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
}

/** Runs `fn` holding `lock` (acquireLock). */
export function withLock<T>(lock: string, waitMs: number, fn: () => T): T {
  const release = acquireLock(lock, waitMs);
  try {
    return fn();
  } finally {
    release();
  }
}

/** The pid in the lock, or null while its owner has not written it yet. */
function ownerOf(lock: string): number | null {
  try { return Number(readFileSync(join(lock, 'pid'), 'utf8').trim()) || null; } catch { return null; }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
