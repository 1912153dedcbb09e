// Where a run writes: checked before anything runs, and written so a reader never sees half a file.
import { mkdirSync, mkdtempSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './suite.ts';

/** The deepest existing directory on the way to `path`, or a UsageError saying what is in the way. */
function existingAncestor(path: string, flag: string, shown: string): string {
  let dir = resolve(path);
  for (;;) {
    try {
      if (statSync(dir).isDirectory()) return dir;
      throw new UsageError(`${flag} ${shown}: ${dir} is not a directory`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(dir) !== dir) {
        dir = dirname(dir);
        continue;
      }
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${flag} ${shown}: cannot use ${dir} (${code ?? 'error'})`);
    }
  }
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left',
  ENOENT: 'it takes no new files', EDQUOT: 'over quota',
};

/** Fails unless entries can be created in the directory `dir`. */
function probe(dir: string, flag: string, shown: string): void {
  let made: string;
  try {
    made = mkdtempSync(join(dir, '.vfio-conform-probe-'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`${flag} ${shown}: cannot create files in ${dir} (${WHY[code] ?? code})`);
  }
  rmdirSync(made);
}

/**
 * Checks that `path` can be written as a file (its directory made when missing): it is not a
 * directory, nothing on the way is a file, and the place takes new files.
 */
export function checkOutputFile(path: string, flag: string): void {
  const full = resolve(path);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    // Not there yet: the usual case.
  }
  if (isDir) throw new UsageError(`${flag} ${path}: is a directory`);
  const ancestor = existingAncestor(dirname(full), flag, path);
  probe(ancestor, flag, path);
  try {
    mkdirSync(dirname(full), { recursive: true });
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot create ${dirname(full)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  probe(dirname(full), flag, path);
}

/** Checks that files can be written under the directory `path`, which is made only when needed. */
export function checkOutputDir(path: string, flag: string): void {
  const ancestor = existingAncestor(path, flag, path);
  probe(ancestor, flag, path);
}

/** Checks several outputs at once: each must be writable, and no two may be the same file. */
export function checkOutputs(files: readonly (readonly [flag: string, path: string | undefined])[], dirs: readonly (readonly [flag: string, path: string])[] = []): void {
  const seen = new Map<string, string>();
  for (const [flag, path] of files) {
    if (path === undefined) continue;
    const key = resolve(path);
    const other = seen.get(key);
    if (other) throw new UsageError(`${flag} ${path}: ${other} writes the same file`);
    seen.set(key, flag);
    checkOutputFile(path, flag);
  }
  for (const [flag, path] of dirs) checkOutputDir(path, flag);
}

/**
 * Writes `text` to a temporary file next to `path` and renames it into place: a reader sees
 * the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // It was never made.
    }
    throw err;
  }
}
