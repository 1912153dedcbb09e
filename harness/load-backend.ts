// Turning a `--backend` argument into a backend and its family.
//
//   sim-type1                        a bundled backend of any family
//   sim-type1:dmaEntryLimit=64       ... with options
//   ./my-backend.ts[:key=value,...]  a module whose default export is a BackendFactory
//   exec:COMMAND                     a process speaking spec/protocol.md on stdio
//   unix:PATH                        the same protocol on a Unix socket
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend, BackendFactory, BundledBackend, Family } from '../spec/family.ts';
import { DEFAULT_FAMILY, FAMILIES, findFamily } from '../families/index.ts';
import { oneLine, type Subject } from './check.ts';
import { describeLoadError } from './load-error.ts';
import { execBackend, StreamFault, unixBackend, type StreamOptions } from './stream-backend.ts';

export class BackendLoadError extends Error {}

export function parseBackendSpec(spec: string): { target: string; options: Record<string, string> } {
  const colon = spec.search(/:(?=[A-Za-z_][\w-]*=)/);
  const target = colon < 0 ? spec : spec.slice(0, colon);
  const options: Record<string, string> = {};
  if (colon >= 0) {
    for (const pair of spec.slice(colon + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new BackendLoadError(`backend option "${pair}" is not key=value`);
      options[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return { target, options };
}

const looksLikePath = (t: string): boolean => /[/\\]/.test(t) || /\.(m?[jt]s)$/.test(t);

export const DEFAULT_TIMEOUT_MS = 30_000;

/** A bundled backend of any family, by name. */
export function findBundled(name: string): { family: Family; bundled: BundledBackend } | undefined {
  for (const family of FAMILIES) {
    const bundled = family.bundled.find((b) => b.name === name);
    if (bundled) return { family, bundled };
  }
  return undefined;
}

export async function loadBackend(spec: string, timeoutMs?: number): Promise<Subject> {
  if (spec.startsWith('exec:') || spec.startsWith('unix:')) return loadStream(spec, timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const { target, options } = parseBackendSpec(spec);
  if (looksLikePath(target)) return loadModule(target, options, spec);
  const found = findBundled(target);
  if (!found) {
    const names = FAMILIES.flatMap((f) => f.bundled.filter((b) => b.kind !== 'mutant').map((b) => b.name));
    throw new BackendLoadError(`unknown backend "${target}" (bundled: ${names.join(', ')}; \`vfio-conform backends\` lists all; a module path must contain a "/")`);
  }
  const { family, bundled } = found;
  if (bundled.kind === 'real') {
    if (Object.keys(options).length) throw new BackendLoadError(`backend ${target} takes no options`);
    return loadStream(`exec:${bundled.command}`, timeoutMs ?? bundled.timeoutMs);
  }
  let backend: Backend;
  try {
    backend = bundled.create(options);
  } catch (err) {
    throw new BackendLoadError(`backend ${target}: ${oneLine(err)}`);
  }
  return validated(family, backend, spec);
}

async function loadStream(spec: string, timeoutMs: number): Promise<Subject> {
  let family: Family | undefined;
  const options: StreamOptions = {
    timeoutMs,
    decodeHello(id, info) {
      family = findFamily(id);
      if (!family) throw new Error(`unknown family ${JSON.stringify(id)} (known: ${FAMILIES.map((f) => f.id).join(', ')})`);
      return family.decodeInfo(info, 'hello.info');
    },
    encodeOp: (op) => family!.encodeOp(op),
  };
  try {
    const backend = await (spec.startsWith('exec:') ? execBackend(spec.slice(5), options) : unixBackend(spec.slice(5), options));
    return validated(family!, backend, spec);
  } catch (err) {
    if (err instanceof StreamFault) throw new BackendLoadError(`backend ${spec}: ${err.message}`);
    throw err;
  }
}

async function loadModule(target: string, options: Record<string, string>, spec: string): Promise<Subject> {
  const path = resolve(target);
  if (!existsSync(path)) throw new BackendLoadError(`backend module ${target}: no such file`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    throw new BackendLoadError(`backend module ${target} failed to load: ${describeLoadError(err, path)}`);
  }
  const factory = defaultExport(mod);
  if (!factory) throw new BackendLoadError(`backend module ${target} has no default export function (a BackendFactory)`);
  let backend: Backend;
  try {
    backend = await factory(options);
  } catch (err) {
    throw new BackendLoadError(`backend module ${target}: factory threw: ${describeLoadError(err, path)}`);
  }
  const id = (backend?.info as { family?: unknown } | undefined)?.family ?? DEFAULT_FAMILY;
  const family = typeof id === 'string' ? findFamily(id) : undefined;
  if (!family) throw new BackendLoadError(`backend ${spec}: unknown family ${JSON.stringify(id)} (known: ${FAMILIES.map((f) => f.id).join(', ')})`);
  return validated(family, backend, spec);
}

/**
 * The factory, whatever the module's format: `export default`, `module.exports = create`, or
 * CommonJS compiled from ESM (`exports.default = create`, seen from import() as default.default).
 */
function defaultExport(mod: { default?: unknown }): BackendFactory | null {
  const d = mod.default;
  if (typeof d === 'function') return d as BackendFactory;
  const inner = (d as { default?: unknown } | null | undefined)?.default;
  return typeof inner === 'function' ? (inner as BackendFactory) : null;
}

function validated(family: Family, backend: Backend, spec: string): Subject {
  const bad = (what: string) => new BackendLoadError(`backend ${spec}: ${what}`);
  if (!backend?.info || typeof backend.info !== 'object') throw bad('has no "info"');
  if (typeof backend.execute !== 'function' || typeof backend.reset !== 'function') throw bad('lacks execute() or reset()');
  const { name, description } = backend.info;
  if (typeof name !== 'string' || !name || typeof description !== 'string') throw bad('info needs a "name" and a "description"');
  const problem = family.checkInfo(backend.info);
  if (problem) throw bad(problem);
  return { family, backend };
}
