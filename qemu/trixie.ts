// QEMU 11.1 from Debian trixie-backports, for a Debian 12 host that cannot install it.
//
// A minimal trixie tree (debootstrap) with the backported QEMU packages is built once per
// machine and kept in the cache directory under a name derived from the recipe below, so a
// change of recipe builds a new tree and never reuses a stale one. QEMU then runs from the
// tree through the tree's own dynamic loader and libraries: no chroot, no mounts, and every
// path (sockets, firmware images) is the host's.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, withLock } from '../harness/machine-cache.ts';

const MIRROR = 'http://deb.debian.org/debian';
const SUITE = 'trixie';
const PACKAGES = ['qemu-system-x86', 'qemu-system-arm'];
/** The upstream version the tree must hold: backports moving on is a new recipe, not a silent upgrade. */
export const TRIXIE_QEMU = '11.1';

const RECIPE = JSON.stringify({ MIRROR, SUITE, from: `${SUITE}-backports`, PACKAGES, TRIXIE_QEMU });
const KEY = createHash('sha256').update(RECIPE).digest('hex').slice(0, 12);
const READY = 'vfio-conform-ready';

/** The tree's root, built first if this machine has none; throws one line. */
export function trixieTree(): string {
  const root = join(cacheDir(), `qemu-${TRIXIE_QEMU}-${SUITE}-${KEY}`);
  if (existsSync(join(root, READY))) return root;
  build(root);
  return root;
}

/** The argv prefix that runs `/usr/bin/<program>` of the tree with the tree's libraries and data. */
export function treeCommand(root: string, program: string): string[] {
  const lib = (p: string) => join(root, p);
  return [
    'env', `QEMU_MODULE_DIR=${lib('usr/lib/x86_64-linux-gnu/qemu')}`,
    lib('lib64/ld-linux-x86-64.so.2'), '--library-path', `${lib('usr/lib/x86_64-linux-gnu')}:${lib('lib/x86_64-linux-gnu')}`,
    lib(`usr/bin/${program}`), '-L', lib('usr/share/qemu'), '-L', lib('usr/share/seabios'),
  ];
}

function build(root: string): void {
  if (process.arch !== 'x64') throw new Error(`QEMU ${TRIXIE_QEMU} runs from a Debian amd64 tree; this host is ${process.arch}`);
  if (process.getuid?.() !== 0) throw new Error(`QEMU ${TRIXIE_QEMU} is built into ${root} on first use, which needs root (debootstrap): run once as root`);
  mkdirSync(cacheDir(), { recursive: true });
  withLock(`${root}.lock`, LOCK_WAIT_MS, () => {
    if (existsSync(join(root, READY))) return;
    const t0 = performance.now();
    process.stderr.write(`qemu: building a Debian ${SUITE} tree with QEMU ${TRIXIE_QEMU} from ${SUITE}-backports (once per machine, about a minute)\n`);
    if (!existsSync('/usr/sbin/debootstrap')) run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'debootstrap'], 'installing debootstrap');
    const staging = `${root}.building`;
    rmSync(staging, { recursive: true, force: true });
    run('debootstrap', ['--variant=minbase', SUITE, staging, MIRROR], `debootstrap ${SUITE}`);
    writeFileSync(join(staging, 'etc/apt/sources.list.d/backports.list'), `deb ${MIRROR} ${SUITE}-backports main\n`);
    run('chroot', [staging, 'apt-get', 'update', '-qq'], 'apt-get update in the tree');
    run('chroot', [staging, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', '-t', `${SUITE}-backports`, ...PACKAGES], `installing ${PACKAGES.join(' ')}`);
    run('chroot', [staging, 'apt-get', 'clean'], 'apt-get clean');
    rmSync(join(staging, 'var/lib/apt/lists'), { recursive: true, force: true });
    const version = installedVersion(staging);
    if (!version.startsWith(`${TRIXIE_QEMU}.`)) throw new Error(`${SUITE}-backports now has QEMU ${version}, not ${TRIXIE_QEMU}.x: the suite's recipe (qemu/trixie.ts) needs updating`);
    writeFileSync(join(staging, READY), `${RECIPE}\nQEMU ${version}\n`);
    rmSync(root, { recursive: true, force: true });
    renameSync(staging, root);
    process.stderr.write(`qemu: QEMU ${version} ready in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  });
}

function installedVersion(root: string): string {
  const [program, ...args] = treeCommand(root, 'qemu-system-x86_64');
  const r = spawnSync(program!, [...args, '--version'], { encoding: 'utf8' });
  const m = /version (\d+\.\d+\.\d+)/.exec(r.stdout ?? '');
  if (!m) throw new Error(`the tree's qemu-system-x86_64 does not run: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`);
  return m[1]!;
}

const LOCK_WAIT_MS = 15 * 60_000;

function run(program: string, args: string[], what: string): void {
  const r = spawnSync(program, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed: ${(r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `status ${r.status}`}`);
}
