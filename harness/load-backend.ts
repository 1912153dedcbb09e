// Turning a `--backend` argument into a backend and its family.
//
//   sim-type1                        a bundled backend of any family
//   sim-type1:dmaEntryLimit=64       ... with options
//   ./my-backend.ts[:key=value,...]  a module whose default export is a BackendFactory
//   exec:COMMAND                     a process speaking spec/protocol.md on stdio
//   unix:PATH                        the same protocol on a Unix socket
//
// A backend module is user code: it runs in a process of its own, `vfio-conform serve`, so that
// a promise that never settles or a loop that never ends is a request that times out (`--timeout`)
// and a process that is killed, never a run that stops. Bundled simulators run in-process.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Backend, BackendFactory, BundledBackend, Family, FamilyOp, FamilyResult } from '../spec/family.ts';
import { DEFAULT_FAMILY, FAMILIES, findFamily } from '../families/index.ts';
import { oneLine, type Subject } from './check.ts';
import { describeLoadError, displayPath } from './load-error.ts';
import { execBackend, StreamFault, unixBackend, type StreamBackendHandle, type StreamOptions } from './stream-backend.ts';

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

/**
 * Whether `spec` names a bundled simulator or mutant, the only backends a case file may name by
 * itself: anything else (a module, a process, a real kernel) starts code and is given on purpose.
 */
export function isBundledSimulator(spec: string): boolean {
  const found = findBundled(parseBackendSpec(spec).target);
  return found !== undefined && found.bundled.kind !== 'real';
}

/** A bundled backend of any family, by name. */
export function findBundled(name: string): { family: Family; bundled: BundledBackend } | undefined {
  for (const family of FAMILIES) {
    const bundled = family.bundled.find((b) => b.name === name);
    if (bundled) return { family, bundled };
  }
  return undefined;
}

export interface LoadOptions {
  /**
   * 'isolated' (the default): a backend module runs in a child process behind the protocol;
   * 'in-process': it is imported here (what `serve` does on the other side of that pipe).
   */
  modules?: 'isolated' | 'in-process';
}

export async function loadBackend(spec: string, timeoutMs?: number, { modules = 'isolated' }: LoadOptions = {}): Promise<Subject> {
  if (spec.startsWith('exec:') || spec.startsWith('unix:')) return loadStream(spec, timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const { target, options } = parseBackendSpec(spec);
  if (looksLikePath(target)) {
    if (!existsSync(resolve(target))) throw new BackendLoadError(`backend module ${target}: no such file`);
    return modules === 'in-process' ? loadModule(target, options, spec) : loadServedModule(target, spec, timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }
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

async function loadStream(spec: string, timeoutMs: number, name = spec): Promise<Subject> {
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
    const stream = await (spec.startsWith('exec:') ? execBackend(spec.slice(5), options) : unixBackend(spec.slice(5), options));
    // Its results are raw wire values: check.ts decodes each one with the family's schema.
    return validated(family!, stream as unknown as Backend, name);
  } catch (err) {
    if (err instanceof StreamFault) throw new BackendLoadError(`backend ${name}: ${err.message}`);
    throw err;
  }
}

async function loadModule(target: string, options: Record<string, string>, spec: string): Promise<Subject> {
  const path = resolve(target);
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

/** The command line of this suite: the same bin, whether run from a checkout or node_modules. */
const BIN = fileURLToPath(new URL('../bin/vfio-conform.mjs', import.meta.url));
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The prefix an error reply gets from the stream client (spec/protocol.md: "error" replies). */
const ERROR_REPLY = /^(?:backend reported an error|refused every protocol the suite speaks \([\d, ]+\)): /;
/** The served child also says why on stderr, which the stream client quotes: once is enough. */
const LAST_WORDS = / \(its last words on stderr: .*\)$/;

/**
 * A backend module in a child process: `vfio-conform serve` loads it there and speaks the
 * protocol. The child runs in the same directory, so the spec it gets is the one the user wrote
 * and its messages name the module as the user did. A module that cannot be loaded makes the
 * child answer the hello with an error saying why.
 */
async function loadServedModule(target: string, spec: string, timeoutMs: number): Promise<Subject> {
  const command = `exec ${shellQuote(process.execPath)} ${shellQuote(BIN)} serve --backend ${shellQuote(spec)}`;
  let subject: Subject;
  try {
    subject = await loadStream(`exec:${command}`, timeoutMs, spec);
  } catch (err) {
    if (!(err instanceof BackendLoadError)) throw err;
    const reason = err.message.slice(`backend ${spec}: `.length);
    if (ERROR_REPLY.test(reason)) throw new BackendLoadError(reason.replace(ERROR_REPLY, '').replace(LAST_WORDS, ''));
    throw new BackendLoadError(`backend module ${target}: ${reason}`);
  }
  return { family: subject.family, backend: new ServedModule(subject.backend as StreamBackendHandle, displayPath(resolve(target))) };
}

/**
 * What the suite sees of a served module: batches sent one at a time, so that a fault knows how
 * many operations the module was given (the case file holds those and no more), and the module's
 * own exceptions reported as thrown, as they would be in-process.
 */
class ServedModule implements Backend {
  constructor(private readonly inner: StreamBackendHandle, private readonly where: string) {}

  get info(): Backend['info'] {
    return this.inner.info;
  }

  async reset(): Promise<void> {
    try {
      await this.inner.reset();
    } catch (err) {
      throw this.fault(err, 0);
    }
  }

  /** Raw wire results, one per operation: the stream client batches, checks each batch's count and says how many were sent. */
  async execute(ops: readonly FamilyOp[]): Promise<FamilyResult[]> {
    try {
      return (await this.inner.execute(ops)) as FamilyResult[];
    } catch (err) {
      throw this.fault(err, (err as { sent?: number }).sent ?? ops.length);
    }
  }

  dispose(): Promise<void> {
    return this.inner.dispose!() as Promise<void>;
  }

  /** A fault carrying how many operations were sent; an error reply is the module's own throw. */
  private fault(err: unknown, sent: number): Error {
    const message = oneLine(err);
    const thrown = err instanceof StreamFault && ERROR_REPLY.test(message);
    const fault = thrown ? new Error(message.replace(ERROR_REPLY, '')) : (err as Error);
    if (!thrown && err instanceof StreamFault && /^no reply to /.test(message)) {
      fault.message = `${message}: module ${this.where} is stuck (a promise that never settles, a loop that never ends) or slower than --timeout`;
    }
    return Object.assign(fault, { sent });
  }
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
