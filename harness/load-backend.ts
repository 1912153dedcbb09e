// Turning a `--backend` argument into a Backend.
//
//   sim-type1                        a bundled backend
//   sim-type1:dmaEntryLimit=64       ... with options
//   ./my-backend.ts[:key=value,...]  a module whose default export is a BackendFactory
//   exec:COMMAND                     a process speaking spec/protocol.md on stdio
//   unix:PATH                        the same protocol on a Unix socket
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CAPABILITIES, type Backend, type BackendFactory, type BackendInfo } from '../spec/type1/backend.ts';
import type { Op } from '../spec/type1/ops.ts';
import { encodeOp } from '../spec/type1/wire.ts';
import { decodeInfo } from '../spec/protocol.ts';
import { BUNDLED, findBundled } from '../backends/type1/index.ts';
import { oneLine } from './check.ts';
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

/**
 * The real Linux kernel in a QEMU guest (kernel/README.md), one name per emulated IOMMU. They
 * are out-of-process backends whose first request waits for the VM to boot, hence the timeout.
 */
export const KERNEL_BACKENDS: Readonly<Record<string, { args: string; description: string }>> = {
  'linux-type1@intel-iommu': { args: '--iommu intel-iommu', description: 'Linux 6.12 (Debian) VFIO_TYPE1v2_IOMMU in a QEMU guest with intel-iommu and the edu device' },
  'linux-type1@virtio-iommu': { args: '--iommu virtio-iommu', description: 'Linux 6.12 (Debian) VFIO_TYPE1v2_IOMMU in a QEMU guest with virtio-iommu and the edu device' },
  'linux-type1-v1@intel-iommu': { args: '--iommu intel-iommu --profile v1', description: 'Linux 6.12 (Debian) VFIO_TYPE1_IOMMU in a QEMU guest with intel-iommu and the edu device' },
};
const KERNEL_TIMEOUT_MS = 300_000;
const KERNEL_BACKEND_SCRIPT = fileURLToPath(new URL('../kernel/vm/backend.ts', import.meta.url));

export async function loadBackend(spec: string, timeoutMs?: number): Promise<Backend> {
  const kernel = KERNEL_BACKENDS[spec];
  if (kernel) {
    const command = `"${process.execPath}" --import tsx "${KERNEL_BACKEND_SCRIPT}" ${kernel.args}`;
    return loadBackend(`exec:${command}`, timeoutMs ?? KERNEL_TIMEOUT_MS);
  }
  timeoutMs ??= DEFAULT_TIMEOUT_MS;
  if (spec.startsWith('exec:') || spec.startsWith('unix:')) {
    const stream: StreamOptions<Op, BackendInfo> = {
      timeoutMs,
      encodeOp,
      decodeHello: (family, info) => {
        if (family !== 'type1') throw new Error(`hello.family: the suite checks type1, not ${JSON.stringify(family)}`);
        return decodeInfo(info, 'hello.info');
      },
    };
    let backend: Backend;
    try {
      const handle = await (spec.startsWith('exec:') ? execBackend(spec.slice(5), stream) : unixBackend(spec.slice(5), stream));
      backend = handle as unknown as Backend; // execute() gives raw wire results: check.ts decodes each one
    } catch (err) {
      if (err instanceof StreamFault) throw new BackendLoadError(`backend ${spec}: ${err.message}`);
      throw err;
    }
    validateInfo(backend, spec);
    return backend;
  }
  const { target, options } = parseBackendSpec(spec);
  let backend: Backend;
  if (!looksLikePath(target)) {
    const bundled = findBundled(target);
    if (!bundled) {
      const names = [...BUNDLED.filter((b) => b.kind === 'correct').map((b) => b.name), ...Object.keys(KERNEL_BACKENDS)];
      throw new BackendLoadError(`unknown backend "${target}" (bundled: ${names.join(', ')}; \`vfio-conform backends\` lists all; a module path must contain a "/")`);
    }
    try {
      backend = bundled.create(options);
    } catch (err) {
      throw new BackendLoadError(`backend ${target}: ${oneLine(err)}`);
    }
  } else {
    backend = await loadModule(target, options);
  }
  validateInfo(backend, spec);
  return backend;
}

async function loadModule(target: string, options: Record<string, string>): Promise<Backend> {
  const path = resolve(target);
  if (!existsSync(path)) throw new BackendLoadError(`backend module ${target}: no such file`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    throw new BackendLoadError(`backend module ${target} failed to load: ${oneLine(err)}`);
  }
  if (typeof mod.default !== 'function') throw new BackendLoadError(`backend module ${target} has no default export function (a BackendFactory)`);
  try {
    return await (mod.default as BackendFactory)(options);
  } catch (err) {
    throw new BackendLoadError(`backend module ${target}: factory threw: ${oneLine(err)}`);
  }
}

function validateInfo(backend: Backend, spec: string): void {
  const info = backend?.info;
  const bad = (what: string) => new BackendLoadError(`backend ${spec}: ${what}`);
  if (!info || typeof info !== 'object') throw bad('has no "info"');
  if (typeof backend.execute !== 'function' || typeof backend.reset !== 'function') throw bad('lacks execute() or reset()');
  if (info.profile !== 'type1v2' && info.profile !== 'type1v1') throw bad(`unknown profile ${JSON.stringify(info.profile)}`);
  const g = info.geometry;
  if (!g || typeof g.pgsizes !== 'bigint' || g.pgsizes <= 0n) throw bad('geometry.pgsizes must be a positive bigint');
  if (typeof g.dmaEntryLimit !== 'bigint' || g.dmaEntryLimit < 0n) throw bad('geometry.dmaEntryLimit must be a bigint');
  if (!Array.isArray(g.iovaRanges) || g.iovaRanges.some((r) => typeof r.start !== 'bigint' || typeof r.end !== 'bigint' || r.end < r.start)) {
    throw bad('geometry.iovaRanges must be [{start, end}] bigints with start <= end');
  }
  const h = info.host;
  if (!h || h.pageSize !== 4096n || typeof h.hugePageSize !== 'bigint' || typeof h.arena?.start !== 'bigint' || typeof h.arena?.size !== 'bigint') {
    throw bad('host must give pageSize 4096n, hugePageSize and arena {start, size} as bigints');
  }
  const unknown = (info.capabilities ?? []).filter((c) => !(CAPABILITIES as readonly string[]).includes(c));
  if (!Array.isArray(info.capabilities) || unknown.length) throw bad(`unknown capabilities ${unknown.join(', ')}`);
}
