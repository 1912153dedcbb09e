// A `--backend` argument checked before anything runs: a name that is neither bundled nor a
// path, malformed options, options a bundled backend refuses, or a module that is not there are
// usage errors (exit 2). What goes wrong once a backend is started is the backend's fault (exit 1).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { FAMILIES } from '../families/index.ts';
import { oneLine } from './check.ts';
import { findBundled, parseBackendSpec } from './load-backend.ts';
import { UsageError } from './suite.ts';

/** The same test as the loader's: a module path contains a slash or ends in .js, .mjs or .ts. */
const looksLikePath = (t: string): boolean => /[/\\]/.test(t) || /\.(m?[jt]s)$/.test(t);

export function checkBackendSpec(spec: string): void {
  if (spec.startsWith('exec:') || spec.startsWith('unix:')) {
    if (!spec.slice(5).trim()) throw new UsageError(`--backend ${spec}: names no ${spec.startsWith('exec:') ? 'command' : 'socket'}`);
    return;
  }
  let target: string;
  let options: Record<string, string>;
  try {
    ({ target, options } = parseBackendSpec(spec));
  } catch (err) {
    throw new UsageError(`--backend ${spec}: ${oneLine(err)}`);
  }
  if (looksLikePath(target)) {
    if (!existsSync(resolve(target))) throw new UsageError(`backend module ${target}: no such file`);
    return;
  }
  const found = findBundled(target);
  if (!found) {
    const names = FAMILIES.flatMap((f) => f.bundled.filter((b) => b.kind !== 'mutant').map((b) => b.name));
    throw new UsageError(`unknown backend "${target}" (bundled: ${names.join(', ')}; \`vfio-conform backends\` lists all; a module path must contain a "/")`);
  }
  const { bundled } = found;
  if (bundled.kind === 'real') {
    if (Object.keys(options).length) throw new UsageError(`backend ${target} takes no options`);
    return;
  }
  // A bundled simulator is an in-process object, cheap to make: making one checks its options.
  try {
    bundled.create(options);
  } catch (err) {
    throw new UsageError(`backend ${target}: ${oneLine(err)}`);
  }
}
