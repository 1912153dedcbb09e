// The pinned Debian kernels the real-kernel backend boots (--kernel debian-6.12|debian-7.3):
// fetched once from Debian's archive into the cache directory, under a name derived from the
// pinned packages, so a new pin is a new directory and never a stale one.
//
// 6.12 comes from the host's own bookworm sources. 7.3 comes from trixie-backports through a
// private APT configuration (APT_CONFIG) kept in the cache: the host's APT state is not touched,
// and from trixie on the kernel is split into linux-binary (vmlinuz), linux-base (config) and
// linux-modules, installed under usr/lib/modules/<release>.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DebianKernel {
  /** `uname -r` of the kernel. */
  release: string;
  /** The Debian suite to fetch from through a private APT configuration; null: the host's sources. */
  suite: string | null;
  /** Package names, each with its pinned version (null: the name pins it, as 6.12's does). */
  packages: { name: string; version: string | null }[];
}

const V73 = '7.3.4+deb13-cloud-amd64';
const V73_DEB = '7.3.4-1~bpo13+1';

/** Both have INTEL_IOMMU=y and VIRTIO_CONSOLE=y, VIRTIO_IOMMU and VFIO_IOMMU_TYPE1 as modules
 *  (checked after extraction, REQUIRED_CONFIG) and no IOMMUFD. */
export const DEBIAN_KERNELS = {
  'debian-6.12': { release: '6.12.117+deb12-cloud-amd64', suite: null, packages: [{ name: 'linux-image-6.12.117+deb12-cloud-amd64', version: null }] },
  'debian-7.3': {
    release: V73, suite: 'trixie-backports',
    packages: ['binary', 'base', 'modules'].map((p) => ({ name: `linux-${p}-${V73}`, version: V73_DEB })),
  },
} satisfies Record<string, DebianKernel>;
export type DebianKernelName = keyof typeof DEBIAN_KERNELS;

const MIRROR = 'http://deb.debian.org/debian';
const REQUIRED_CONFIG = ['CONFIG_INTEL_IOMMU=y', 'CONFIG_VIRTIO_IOMMU=[my]', 'CONFIG_VFIO_IOMMU_TYPE1=[my]', 'CONFIG_VIRTIO_CONSOLE=[my]'];

export class DebianKernelError extends Error {}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new DebianKernelError(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stderr || r.stdout || '').trim().split('\n').slice(-10).join('\n')}`);
  }
}

/** An APT configuration of its own for `suite` under `dir`: sources, lists, status and archives. */
function privateApt(dir: string, suite: string): NodeJS.ProcessEnv {
  for (const d of ['lists/partial', 'archives/partial']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'sources.list'), `deb ${MIRROR} ${suite} main\n`);
  if (!fs.existsSync(path.join(dir, 'status'))) fs.writeFileSync(path.join(dir, 'status'), '');
  fs.writeFileSync(path.join(dir, 'apt.conf'), [
    `Dir::Etc::SourceList "${dir}/sources.list";`,
    'Dir::Etc::SourceParts "/nonexistent";',
    `Dir::State::Lists "${dir}/lists";`,
    `Dir::State::status "${dir}/status";`,
    `Dir::Cache "${dir}";`,
    'APT::Architecture "amd64";',
    // as root, apt drops to _apt for downloads, which may not write into the cache
    'APT::Sandbox::User "root";',
    '',
  ].join('\n'));
  return { ...process.env, APT_CONFIG: path.join(dir, 'apt.conf') };
}

/** Downloads the pinned packages into `into`; one `apt-get update` when the lists are stale. */
function download(k: DebianKernel, cache: string, into: string): void {
  const env = k.suite ? privateApt(path.join(cache, `apt-${k.suite}`), k.suite) : process.env;
  const specs = k.packages.map((p) => (p.version ? `${p.name}=${p.version}` : p.name));
  const get = () => spawnSync('apt-get', ['download', '-qq', ...specs], { cwd: into, env, encoding: 'utf8' });
  // apt-get download writes to the current directory; without the private sandbox setting
  // (the host's 6.12) it warns as root that _apt cannot write there, which is harmless
  fs.chmodSync(into, 0o777);
  let r = get();
  if (r.status !== 0) {
    run('apt-get', ['update', '-qq'], { env });
    r = get();
    if (r.status !== 0) throw new DebianKernelError(`apt-get download ${specs.join(' ')} failed:\n${r.stderr}`);
  }
}

/** The extracted kernel of `name` under `cache`, fetched on first use: its vmlinuz and module tree
 *  (depmod run: the packages ship no modules.dep). `log` reports progress. */
export function ensureDebianKernel(name: DebianKernelName, cache: string, log: (msg: string) => void): { vmlinuz: string; moddir: string; release: string } {
  const k: DebianKernel = DEBIAN_KERNELS[name];
  const key = createHash('sha256').update(JSON.stringify(k)).digest('hex').slice(0, 12);
  const dir = path.join(cache, `kernel-${k.release}-${key}`);
  // bookworm's packages put the kernel in boot/ and the modules in lib/modules; trixie's (merged
  // /usr) put everything under usr/lib/modules/<release>
  const usr = k.suite !== null;
  const root = usr ? path.join(dir, 'usr') : dir;
  const moddir = path.join(root, 'lib', 'modules', k.release);
  const vmlinuz = usr ? path.join(moddir, 'vmlinuz') : path.join(dir, 'boot', `vmlinuz-${k.release}`);
  const config = usr ? path.join(moddir, 'config') : path.join(dir, 'boot', `config-${k.release}`);
  const stamp = path.join(dir, '.complete');
  if (fs.existsSync(stamp)) return { vmlinuz, moddir, release: k.release };
  const t = Date.now();
  log(`downloading Linux ${k.release} (${k.packages.map((p) => p.name).join(', ')}; pinned)`);
  const dl = fs.mkdtempSync(path.join(cache, 'download-'));
  try {
    download(k, cache, dl);
    const debs = fs.readdirSync(dl).filter((f) => f.endsWith('.deb')).sort();
    if (debs.length !== k.packages.length) throw new DebianKernelError(`apt-get download gave ${debs.length} packages, not ${k.packages.length}`);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const deb of debs) run('dpkg', ['-x', path.join(dl, deb), dir]);
    run('depmod', ['-b', root, k.release]);
    const text = fs.readFileSync(config, 'utf8');
    for (const opt of REQUIRED_CONFIG) {
      if (!new RegExp(`^${opt}$`, 'm').test(text)) throw new DebianKernelError(`Linux ${k.release} lacks ${opt}`);
    }
    if (!fs.existsSync(vmlinuz)) throw new DebianKernelError(`the packages of Linux ${k.release} have no ${path.relative(dir, vmlinuz)}`);
    fs.writeFileSync(stamp, `${debs.join('\n')}\n`);
    log(`Linux ${k.release} ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  } finally {
    fs.rmSync(dl, { recursive: true, force: true });
  }
  return { vmlinuz, moddir, release: k.release };
}
