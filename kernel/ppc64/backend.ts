// The sPAPR TCE family on a real kernel: boots Debian's ppc64le Linux 6.12 in a pseries guest
// under qemu-system-ppc64 (TCG), one QEMU edu device per PCI host bridge (each PHB is one
// partitionable endpoint, so each edu is a group of its own and a container of the suite), the
// agent's virtio-serial port on PHB 0, and relays the suite's protocol like kernel/vm/backend.ts.
//
//   node --import tsx kernel/ppc64/backend.ts [--profile v2|v1] [--containers N] [--phbs N]
//        [--cache DIR] [--boot-timeout S] [--memory 1G] [--verbose] [--prepare-only]
//        [--guest-program FILE.c] [--guest-args ARG,...]
//
// --guest-program cross-compiles FILE.c (static, libc only) and boots the same guest with it in
// place of the agent, as kernel/vm/backend.ts does: the console on stdout, the program's exit
// status as this one's (2 when the guest never said it). --guest-args gives it arguments, joined
// by commas: `@groups` stands for `--group N` of each edu device in PHB order (init.sh expands
// it), so that container i of a reproducer gets the group of PHB i+1.
//
// --phbs: the edu devices (one per PHB) the guest gets, the containers' and spares (default 8).
// pseries refuses every TCE_CREATE on a PHB whose DDW creation the hypervisor once refused, for
// the life of the guest (kernel/agent/spapr.h: phb_taint); a case then uses spare PHBs.
//
// First use: the cross compiler and qemu-system-ppc are installed with apt-get when missing;
// the pinned ppc64el packages come from Debian's archive through an apt configuration of our own
// (lists and state under <cache>/ppc64/apt: the system's apt state is not touched), keyed by
// their pinned versions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePackages, Fatal, log, relayAgent, run, runMain, runPayload, sha, since, takeRunnerArg, type RunnerOptions } from '../vm/backend.ts';

/** Pinned: CONFIG_VFIO_IOMMU_SPAPR_TCE=m, CONFIG_SPAPR_TCE_IOMMU=y, CONFIG_PPC_4K_PAGES=y
 *  (checked after extraction). */
export const KERNEL_VERSION = '6.12.117+deb12-powerpc64le';
const GUEST_PACKAGES = [
  { name: `linux-image-${KERNEL_VERSION}`, version: '6.12.117-1~deb12u1' },
  { name: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1' },
];
const HOST_PACKAGES = ['qemu-system-ppc', 'gcc-powerpc64le-linux-gnu', 'libc6-dev-ppc64el-cross', 'cpio', 'kmod'];
const CC = 'powerpc64le-linux-gnu-gcc';
const CFLAGS = ['-O2', '-static', '-std=c11', '-Wall'];
const MODULES = 'vfio vfio_iommu_spapr_tce vfio-pci-core vfio-pci';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AGENT_DIR = path.join(HERE, '..', 'agent');
/** The ppc agent: its own files (spapr*) and the shared JSON, logging and host-memory parts. */
const AGENT_SHARED = ['json.c', 'json.h', 'util.c', 'util.h', 'host.c', 'host.h', 'config.h', 'mmio.h', 'edu.h'];

interface Options extends RunnerOptions {
  profile: 'v1' | 'v2';
  containers: number;
  phbs: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    profile: 'v2', containers: 2, phbs: 8, cache: path.resolve(HERE, '..', '.cache'), bootTimeout: 400, memory: '1G',
    verbose: false, prepareOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Fatal(`${a} needs a value`);
      return v;
    };
    if (a === '--profile') {
      const v = val().replace(/^spapr-/, '');
      if (v !== 'v1' && v !== 'v2') throw new Fatal(`--profile: v1 or v2, not ${v}`);
      o.profile = v;
    } else if (a === '--containers') {
      o.containers = Number(val());
      if (!Number.isInteger(o.containers) || o.containers < 1 || o.containers > 4) throw new Fatal('--containers: 1 to 4');
    } else if (a === '--phbs') {
      o.phbs = Number(val());
      if (!Number.isInteger(o.phbs) || o.phbs < 1 || o.phbs > 16) throw new Fatal('--phbs: 1 to 16');
    } else if (!takeRunnerArg(o, a, val)) throw new Fatal(`unknown argument ${a}`);
  }
  if (o.phbs < o.containers) throw new Fatal(`--phbs ${o.phbs}: fewer than the ${o.containers} containers`);
  return o;
}

/** An apt configuration for ppc64el packages of bookworm (and its security updates, where the
 *  pinned kernel is), with its own lists and state. */
function aptConfig(dir: string): string {
  const conf = path.join(dir, 'apt.conf');
  if (fs.existsSync(conf)) return conf;
  for (const d of ['lists/partial', 'archives/partial', 'etc']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  fs.writeFileSync(path.join(dir, 'etc', 'sources.list'), [
    `deb [signed-by=${keyring}] http://deb.debian.org/debian bookworm main`,
    `deb [signed-by=${keyring}] http://deb.debian.org/debian-security bookworm-security main`, ''].join('\n'));
  fs.writeFileSync(path.join(dir, 'status'), '');
  fs.writeFileSync(`${conf}.tmp`, [
    'APT::Architecture "ppc64el";', 'APT::Architectures { "ppc64el"; };',
    `Dir::State "${dir}";`, `Dir::State::Lists "${dir}/lists";`, `Dir::State::status "${dir}/status";`,
    `Dir::Cache "${dir}";`, `Dir::Etc::SourceList "${dir}/etc/sources.list";`, `Dir::Etc::SourceParts "${dir}/etc";`, ''].join('\n'));
  fs.renameSync(`${conf}.tmp`, conf);
  return conf;
}

/** The pinned guest packages, extracted into one tree keyed by their versions. */
function ensureGuestTree(cache: string): string {
  const root = path.join(cache, 'ppc64');
  const tree = path.join(root, `guest-${sha(...GUEST_PACKAGES.map((p) => `${p.name}=${p.version}`))}`);
  if (fs.existsSync(path.join(tree, '.complete'))) return tree;
  const t = Date.now();
  fs.mkdirSync(root, { recursive: true });
  const env = { ...process.env, APT_CONFIG: aptConfig(path.join(root, 'apt')) };
  const dl = fs.mkdtempSync(path.join(root, 'download-'));
  try {
    fs.chmodSync(dl, 0o777); // apt-get download drops to _apt when it can
    log(`downloading ${GUEST_PACKAGES.map((p) => p.name).join(', ')} (ppc64el, pinned)`);
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['download', '-qq', ...GUEST_PACKAGES.map((p) => `${p.name}=${p.version}`)], { cwd: dl, env });
    fs.rmSync(tree, { recursive: true, force: true });
    for (const deb of fs.readdirSync(dl).filter((f) => f.endsWith('.deb'))) run('dpkg', ['-x', path.join(dl, deb), tree]);
    run('depmod', ['-b', tree, KERNEL_VERSION]); // the .deb ships no modules.dep
    const config = fs.readFileSync(path.join(tree, 'boot', `config-${KERNEL_VERSION}`), 'utf8');
    for (const opt of ['CONFIG_VFIO_IOMMU_SPAPR_TCE=[my]', 'CONFIG_SPAPR_TCE_IOMMU=y', 'CONFIG_PPC_4K_PAGES=y', 'CONFIG_VIRTIO_CONSOLE=[my]']) {
      if (!new RegExp(`^${opt}$`, 'm').test(config)) throw new Fatal(`linux-image-${KERNEL_VERSION} lacks ${opt}`);
    }
    fs.writeFileSync(path.join(tree, '.complete'), '');
    log(`guest packages ready in ${since(t)}`);
  } finally {
    fs.rmSync(dl, { recursive: true, force: true });
  }
  return tree;
}

/** A static ppc64le binary of `files`' C sources, cached by their contents. */
function ensureBinary(cache: string, name: string, files: string[]): string {
  const key = sha(CC, CFLAGS.join(' '), ...files.flatMap((f) => [`\0${path.basename(f)}\0`, fs.readFileSync(f)]));
  const out = path.join(cache, 'ppc64', `${name}-${key}`);
  if (fs.existsSync(out)) return out;
  log(`building ${name} (${CC} ${CFLAGS.join(' ')})`);
  run(CC, [...CFLAGS, '-o', `${out}.tmp`, ...files.filter((f) => f.endsWith('.c'))]);
  fs.renameSync(`${out}.tmp`, out);
  return out;
}

function ensureAgent(cache: string): string {
  const files = fs.readdirSync(AGENT_DIR).filter((f) => f.startsWith('spapr') || AGENT_SHARED.includes(f)).sort()
    .map((f) => path.join(AGENT_DIR, f));
  return ensureBinary(cache, 'agent', files);
}

function ensureInitramfs(cache: string, tree: string, agent: string): string {
  const init = path.join(HERE, 'init.sh');
  const mk = path.join(HERE, '..', 'vm', 'mkinitramfs.sh');
  const key = sha(KERNEL_VERSION, MODULES, fs.readFileSync(agent), fs.readFileSync(init), fs.readFileSync(mk));
  const out = path.join(cache, 'ppc64', `initrd-${key}.cpio.gz`);
  if (fs.existsSync(out)) return out;
  log('building the initramfs');
  run('bash', [mk, path.join(tree, 'lib', 'modules', KERNEL_VERSION), agent, out], {
    env: { ...process.env, BUSYBOX: path.join(tree, 'bin', 'busybox'), INIT: init, MODULES, REQUIRED: 'vfio_iommu_spapr_tce' },
  });
  return out;
}

/** PHB 0 (the machine's own) carries the agent's port; PHB i (1..phbs) one edu device. */
function qemuArgs(o: Options, vmlinux: string, initrd: string, sock: string): string[] {
  const append = ['console=hvc0', 'panic=-1', 'quiet', 'loglevel=3', `agent.profile=${o.profile}`, `agent.containers=${o.containers}`];
  if (o.guestArgs !== undefined) append.push(`guest.args=${o.guestArgs}`);
  const args = [
    '-machine', 'pseries,x-vof=on', '-accel', 'tcg', '-m', o.memory, '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-serial', 'stdio', '-monitor', 'none',
  ];
  for (let i = 1; i <= o.phbs; i++) {
    args.push('-device', `spapr-pci-host-bridge,index=${i},id=phb${i}`, '-device', `edu,bus=phb${i}.0,dma_mask=0xffffffffffffffff`);
  }
  args.push(
    '-device', 'virtio-serial-pci,bus=pci.0',
    '-chardev', `socket,id=agent,path=${sock},server=on,wait=off`,
    '-device', 'virtserialport,chardev=agent,name=vfio-conform',
  );
  args.push('-kernel', vmlinux, '-initrd', initrd, '-append', append.join(' '));
  return args;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(path.join(o.cache, 'ppc64'), { recursive: true });
  ensurePackages(HOST_PACKAGES);
  const tree = ensureGuestTree(o.cache);
  const agent = o.guestProgram ? ensureBinary(o.cache, `guest-${path.basename(o.guestProgram, '.c')}`, [o.guestProgram]) : ensureAgent(o.cache);
  const initrd = ensureInitramfs(o.cache, tree, agent);
  log('artifacts ready');
  if (o.prepareOnly) return;
  const vmlinux = path.join(tree, 'boot', `vmlinux-${KERNEL_VERSION}`);
  if (o.guestProgram) {
    log(`booting pseries (tcg, kernel ${KERNEL_VERSION}) with ${path.basename(o.guestProgram)} as the payload`);
    return runPayload('qemu-system-ppc64', (sock) => qemuArgs(o, vmlinux, initrd, sock), o.bootTimeout);
  }
  return relayAgent({
    cache: o.cache, logName: `spapr-${o.profile}`, bootTimeout: o.bootTimeout, verbose: o.verbose,
    qemu: 'qemu-system-ppc64', args: (sock) => qemuArgs(o, vmlinux, initrd, sock),
    what: `pseries tcg, sPAPR ${o.profile}, ${o.containers} containers on ${o.phbs} PHBs, kernel ${KERNEL_VERSION}`,
  });
}

runMain(main);
