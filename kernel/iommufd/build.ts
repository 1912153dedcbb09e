// A Linux 6.12 kernel with iommufd, built from Debian's linux-source package once per machine.
//
// No Debian kernel enables IOMMUFD, so the suite builds one: `defconfig` + `kvm_guest.config` +
// common.config + the variant's fragment, everything built in (the guest loads no modules). Two
// variants, mutually exclusive in Kconfig (drivers/iommu/iommufd/Kconfig: IOMMUFD_VFIO_CONTAINER
// depends on VFIO_CONTAINER=n):
//   legacy  VFIO's container + real type1 on /dev/vfio/vfio, iommufd on /dev/iommu
//   compat  iommufd's type1 compatibility layer on /dev/vfio/vfio
//
// Cache: <cacheDir()>/linux-<version>-iommufd-<variant>-<key>/{bzImage,config}, the key a hash
// of exactly what the kernel is built from (source package and version, variant, the text of both
// fragments, the make targets). The legacy directory also keeps its build tree: compat is built
// from a copy of it, incrementally (under a minute instead of a cold build). A build holds a
// lock; concurrent first uses wait for it.
//
//   node --import tsx kernel/iommufd/build.ts [legacy|compat ...]   # builds (or finds), prints the bzImage paths
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireLock, cacheDir } from '../../harness/machine-cache.ts';
import { missingOption } from './config-check.ts';

export const SOURCE_PACKAGE = 'linux-source-6.12';
/** Pinned: a newer Debian upload is a new cache key, never a silent rebuild with other sources. */
export const SOURCE_VERSION = '6.12.117-1~deb12u1';
export const VARIANTS = ['legacy', 'compat'] as const;
export type Variant = (typeof VARIANTS)[number];

/** What the build needs beyond a compiler (make, gcc, libc6-dev are there for the agent). */
const BUILD_PACKAGES = ['bison', 'flex', 'libelf-dev', 'libssl-dev', 'bc', 'dwarves', 'make', 'gcc', 'libc6-dev', 'xz-utils'];
const BASE_TARGETS = ['defconfig', 'kvm_guest.config'];
/** A cold build takes 15-20 min on 2 cores: a second first use waits that long. */
const LOCK_WAIT_MS = 45 * 60_000;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const fragment = (name: string): string => fs.readFileSync(path.join(HERE, `${name}.config`), 'utf8');

export interface BuiltKernel {
  variant: Variant;
  dir: string;
  bzImage: string;
  config: string;
}

/** The cache directory of a variant: named by a hash of everything the kernel is built from. */
export function kernelDir(variant: Variant): string {
  const recipe = JSON.stringify({ SOURCE_PACKAGE, SOURCE_VERSION, BASE_TARGETS, variant, common: fragment('common'), own: fragment(variant) });
  const key = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  return path.join(cacheDir(), `linux-${SOURCE_VERSION.split('-')[0]}-iommufd-${variant}-${key}`);
}

const READY = 'ready';
const TREE = 'tree';

function built(variant: Variant): BuiltKernel {
  const dir = kernelDir(variant);
  return { variant, dir, bzImage: path.join(dir, 'bzImage'), config: path.join(dir, 'config') };
}

/** The kernel of `variant`, built first if this machine has none; throws one line. */
export async function ensureIommufdKernel(variant: Variant): Promise<BuiltKernel> {
  const k = built(variant);
  if (fs.existsSync(path.join(k.dir, READY))) return k;
  // compat starts from legacy's tree: build legacy first (it is wanted anyway)
  if (variant === 'compat') await ensureIommufdKernel('legacy');
  fs.mkdirSync(cacheDir(), { recursive: true });
  const release = acquireLock(`${k.dir}.lock`, LOCK_WAIT_MS);
  try {
    if (!fs.existsSync(path.join(k.dir, READY))) await build(k);
  } finally {
    release();
  }
  return k;
}

const T0 = Date.now();
function progress(msg: string): void {
  process.stderr.write(`[iommufd-kernel +${((Date.now() - T0) / 1000).toFixed(0)} s] ${msg}\n`);
}

async function build(k: BuiltKernel): Promise<void> {
  if (process.arch !== 'x64') throw new Error(`the iommufd kernel is built for x86_64; this host is ${process.arch}`);
  ensureBuildPackages();
  const staging = `${k.dir}.building`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const tree = path.join(staging, TREE);
  const legacyTree = path.join(built('legacy').dir, TREE);
  const t = Date.now();
  if (k.variant === 'compat' && fs.existsSync(path.join(legacyTree, '.config'))) {
    progress(`compat: copying the legacy build tree (incremental build)`);
    run('cp', ['-a', legacyTree, tree]);
  } else {
    unpackSource(staging, tree);
  }
  configure(tree, k.variant);
  const jobs = String(os.availableParallelism());
  progress(`${k.variant}: make -j${jobs} bzImage (a cold build takes 15-20 min on 2 cores)`);
  await make(tree, ['-j', jobs, 'bzImage']);
  fs.copyFileSync(path.join(tree, 'arch/x86/boot/bzImage'), path.join(staging, 'bzImage'));
  fs.copyFileSync(path.join(tree, '.config'), path.join(staging, 'config'));
  // only legacy's tree is kept (compat's incremental build starts from it)
  if (k.variant !== 'legacy') fs.rmSync(tree, { recursive: true, force: true });
  fs.writeFileSync(path.join(staging, READY), `${SOURCE_PACKAGE} ${SOURCE_VERSION} ${k.variant}\n`);
  fs.rmSync(k.dir, { recursive: true, force: true });
  fs.renameSync(staging, k.dir);
  progress(`${k.variant}: ${k.bzImage} ready in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

function unpackSource(staging: string, tree: string): void {
  progress(`downloading ${SOURCE_PACKAGE}=${SOURCE_VERSION}`);
  const dl = path.join(staging, 'download');
  fs.mkdirSync(dl);
  fs.chmodSync(dl, 0o777); // apt-get download as root drops to _apt for the fetch
  const get = (): boolean => spawnSync('apt-get', ['download', '-qq', `${SOURCE_PACKAGE}=${SOURCE_VERSION}`], { cwd: dl, stdio: 'ignore' }).status === 0;
  if (!get()) {
    run('apt-get', ['update', '-qq']);
    if (!get()) throw new Error(`apt-get download ${SOURCE_PACKAGE}=${SOURCE_VERSION} failed (is bookworm's main in the apt sources?)`);
  }
  const deb = fs.readdirSync(dl).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${SOURCE_PACKAGE} produced no .deb`);
  progress(`unpacking ${deb}`);
  run('dpkg-deb', ['-x', path.join(dl, deb), dl]);
  const tarball = path.join(dl, 'usr/src', `${SOURCE_PACKAGE}.tar.xz`);
  run('tar', ['-xJf', tarball, '-C', staging]);
  fs.renameSync(path.join(staging, SOURCE_PACKAGE), tree);
  fs.rmSync(dl, { recursive: true, force: true });
}

/** defconfig + kvm_guest.config (or legacy's config, for an incremental compat build), then the
 *  fragments merged (scripts/kconfig/merge_config.sh), then olddefconfig; every required option
 *  checked in the result. */
function configure(tree: string, variant: Variant): void {
  if (!fs.existsSync(path.join(tree, '.config')) || variant === 'legacy') runIn(tree, 'make', [...BASE_TARGETS]);
  const frags = ['common', variant].map((n) => {
    const f = path.join(tree, `vfio-conform-${n}.config`);
    fs.writeFileSync(f, fragment(n));
    return f;
  });
  runIn(tree, 'scripts/kconfig/merge_config.sh', ['-m', '.config', ...frags]);
  runIn(tree, 'make', ['olddefconfig']);
  const missing = missingOption(fs.readFileSync(path.join(tree, '.config'), 'utf8'), fragment('common'), fragment(variant));
  if (missing) throw new Error(`the ${variant} kernel's .config ${missing}`);
}

function ensureBuildPackages(): void {
  const missing = BUILD_PACKAGES.filter((p) => !spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed'));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`building the iommufd kernel needs ${missing.join(' ')}: apt-get install them, or run once as root`);
  progress(`installing ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `status ${r.status}`}`);
}

function runIn(cwd: string, cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `status ${r.status}`}`);
}

/** make, niced, asynchronous (progress stays alive), its last lines kept for the error. */
function make(cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('nice', ['-n', '10', 'make', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let lines = 0;
    const keep = (d: Buffer): void => {
      for (const l of d.toString('utf8').split('\n')) {
        if (!l.trim()) continue;
        tail.push(l);
        if (tail.length > 20) tail.shift();
        if (++lines % 1000 === 0) progress(`make: ${lines} lines, at ${l.trim().slice(0, 80)}`);
      }
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    p.on('error', reject);
    p.on('exit', (code) => code === 0 ? resolve() : reject(new Error(`make ${args.join(' ')} failed (${code}): ${tail.filter((l) => /error/i.test(l)).pop() ?? tail.pop() ?? ''}`)));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const asked = process.argv.slice(2);
  for (const v of asked) if (!(VARIANTS as readonly string[]).includes(v)) { process.stderr.write(`build.ts: variants are ${VARIANTS.join(', ')}, not ${v}\n`); process.exit(2); }
  (async () => {
    for (const v of (asked.length ? asked : VARIANTS) as Variant[]) process.stdout.write(`${(await ensureIommufdKernel(v)).bzImage}\n`);
  })().catch((e: unknown) => { process.stderr.write(`build.ts: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
}
