// The real Linux kernel as a backend: boots a Debian kernel in QEMU (TCG) with an emulated IOMMU
// and the QEMU "edu" DMA device, runs the agent (kernel/agent/) inside as the guest's init
// payload, and relays the suite's JSON-lines protocol between this process's stdin/stdout and the
// agent's virtio-serial port.
//
//   node --import tsx kernel/vm/backend.ts --iommu intel-iommu|virtio-iommu [--profile v1|v2]
//        [--cache DIR] [--accel tcg|kvm|auto] [--boot-timeout S] [--verbose] [--prepare-only]
//        [--guest-program FILE.c] [--kernel debian-6.12|debian-7.3|iommufd-legacy|iommufd-compat]
//        [--family type1|iommufd] [--guest-args ARG,...]
//
// --family picks the suite family the agent serves (agent.family= on the kernel command line):
// `type1` (default), a VFIO type1 container; `iommufd`, /dev/iommu and the edu device's VFIO
// cdev, which needs a kernel with iommufd (--kernel iommufd-legacy, the default then, or
// iommufd-compat).
//
// --kernel picks the guest kernel: `debian-6.12` (default; `stock` is another name for it) and
// `debian-7.3` are pinned Debian kernels with VFIO as modules (debian-kernel.ts);
// `iommufd-legacy` and `iommufd-compat` are the kernels kernel/iommufd/ builds (once per
// machine, cached outside --cache) with everything built in, so the initramfs loads no modules.
//
// --guest-program compiles FILE.c (static, libc only) and boots the same guest with it in place
// of the agent: it prints the guest console on stdout and exits when the guest powers off (the
// reproducers of kernel/divergences/ run this way), with the program's exit status (2 when the
// guest never said it, e.g. the program hung). --guest-args gives it arguments, joined by commas
// (none may hold a comma or a space): `@edu` stands for `--group N --device BDF` of the guest's
// edu device, `@edu-cdev` for `--cdev /dev/vfio/devices/vfioN` (kernel/vm/init.sh expands them).
//
// Everything it needs is built on first use into the cache directory (default kernel/.cache):
// Debian packages (apt-get), the pinned Debian kernel's packages, the static agent, an initramfs.
// stdout carries protocol lines only; progress goes to stderr.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureIommufdKernel } from '../iommufd/build.ts';
import { DEBIAN_KERNELS, DebianKernelError, ensureDebianKernel, type DebianKernelName } from './debian-kernel.ts';

export const PACKAGES = ['qemu-system-x86', 'busybox-static', 'cpio', 'gcc', 'libc6-dev', 'linux-libc-dev', 'kmod', 'xz-utils'];

/** The size of the agent's `mmio` BAR (a power of two): room for a case's fresh MMIO mmaps. */
const MMIO_BAR_SIZE = '1G';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KERNEL_DIR = path.resolve(HERE, '..');
const AGENT_DIR = path.join(KERNEL_DIR, 'agent');
const INIT_SH = path.join(HERE, 'init.sh');
const MKINITRAMFS = path.join(HERE, 'mkinitramfs.sh');

export const KERNELS = [...Object.keys(DEBIAN_KERNELS) as DebianKernelName[], 'iommufd-legacy', 'iommufd-compat'] as const;
type Kernel = (typeof KERNELS)[number];
/** The kernel `--kernel stock` names: the one this backend booted before it offered others. */
const STOCK: Kernel = 'debian-6.12';
const isDebian = (k: Kernel): k is DebianKernelName => k in DEBIAN_KERNELS;

export const FAMILIES = ['type1', 'iommufd'] as const;
type Family = (typeof FAMILIES)[number];

/** The options every VM runner takes: this one and kernel/ppc64/backend.ts. */
export interface RunnerOptions {
  cache: string;
  bootTimeout: number;
  memory: string;
  verbose: boolean;
  prepareOnly: boolean;
  guestProgram?: string;
  guestArgs?: string;
}

interface Options extends RunnerOptions {
  family: Family;
  kernel: Kernel;
  iommu: 'intel-iommu' | 'virtio-iommu';
  profile: 'v1' | 'v2';
  accel: 'tcg' | 'kvm' | 'auto';
}

const T0 = Date.now();
export const since = (t = T0): string => `${((Date.now() - t) / 1000).toFixed(1)} s`;
export function log(msg: string): void {
  process.stderr.write(`[kernel-backend +${since()}] ${msg}\n`);
}
export class Fatal extends Error {}

/** Takes one of the flags every runner shares into `o` (`val` reads its value); false for any other. */
export function takeRunnerArg(o: RunnerOptions, a: string, val: () => string): boolean {
  switch (a) {
    case '--cache': o.cache = path.resolve(val()); return true;
    case '--boot-timeout': o.bootTimeout = Number(val()); return true;
    case '--memory': o.memory = val(); return true;
    case '--verbose': o.verbose = true; return true;
    case '--prepare-only': o.prepareOnly = true; return true;
    case '--guest-program': o.guestProgram = path.resolve(val()); return true;
    case '--guest-args': o.guestArgs = guestArgsValue(val()); return true;
    default: return false;
  }
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    family: 'type1', kernel: STOCK, iommu: 'intel-iommu', profile: 'v2', cache: path.join(KERNEL_DIR, '.cache'), accel: 'tcg',
    bootTimeout: 240, verbose: false, prepareOnly: false, memory: '512M',
  };
  let kernelGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Fatal(`${a} needs a value`);
      return v;
    };
    if (a === '--iommu') {
      const v = val();
      if (v !== 'intel-iommu' && v !== 'virtio-iommu') throw new Fatal(`--iommu: intel-iommu or virtio-iommu, not ${v}`);
      o.iommu = v;
    } else if (a === '--profile') {
      const v = val().replace(/^type1/, '');
      if (v !== 'v1' && v !== 'v2') throw new Fatal(`--profile: v1 or v2, not ${v}`);
      o.profile = v;
    } else if (a === '--accel') {
      const v = val();
      if (v !== 'tcg' && v !== 'kvm' && v !== 'auto') throw new Fatal(`--accel: tcg, kvm or auto, not ${v}`);
      o.accel = v;
    } else if (a === '--kernel') {
      const v = val().replace(/^stock$/, STOCK);
      if (!(KERNELS as readonly string[]).includes(v)) throw new Fatal(`--kernel: ${KERNELS.join(', ')} (stock: ${STOCK}), not ${v}`);
      o.kernel = v as Kernel;
      kernelGiven = true;
    } else if (a === '--family') {
      const v = val();
      if (!(FAMILIES as readonly string[]).includes(v)) throw new Fatal(`--family: ${FAMILIES.join(' or ')}, not ${v}`);
      o.family = v as Family;
    } else if (!takeRunnerArg(o, a, val)) throw new Fatal(`unknown argument ${a}`);
  }
  if (o.family === 'iommufd' && !kernelGiven) o.kernel = 'iommufd-legacy';
  if (o.family === 'iommufd' && isDebian(o.kernel)) throw new Fatal(`--family iommufd: ${o.kernel} has no iommufd (Debian does not set CONFIG_IOMMUFD); use --kernel iommufd-legacy or iommufd-compat`);
  return o;
}

// ------------------------------------------------------------------ artifacts

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Fatal(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Fatal(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || r.stdout || '').trim().split('\n').slice(-15).join('\n')}`);
  }
  return r.stdout;
}

function missingPackages(packages: string[]): string[] {
  return packages.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

/** Installs those of `packages` that are missing (apt-get; as root). */
export function ensurePackages(packages: string[] = PACKAGES): void {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  const t = Date.now();
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  log(`installed packages in ${since(t)}`);
}

export const sha = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
};

const CFLAGS = ['-O2', '-static', '-std=c11', '-Wall'];

/** Compiles `sources` (C files; `headers` are what they include) into the cache, keyed by the
 *  compiler flags and the name and content of every file the build reads. */
function ensureBinary(cache: string, name: string, sources: string[], headers: string[]): string {
  const files = [...sources, ...headers].sort();
  const key = sha(CFLAGS.join(' '), ...files.flatMap((f) => [`\0${path.basename(f)}\0`, fs.readFileSync(f)]));
  const out = path.join(cache, `${name}-${key}`);
  if (fs.existsSync(out)) return out;
  log(`building ${name} (gcc ${CFLAGS.join(' ')})`);
  run('gcc', [...CFLAGS, '-o', `${out}.tmp`, ...sources]);
  fs.renameSync(`${out}.tmp`, out);
  return out;
}

/** The agent: every .c file of kernel/agent, and its headers, but the ppc64 agent's own
 *  (spapr*, kernel/ppc64/backend.ts). */
function ensureAgent(cache: string): string {
  const all = fs.readdirSync(AGENT_DIR).sort().filter((f) => !f.startsWith('spapr')).map((f) => path.join(AGENT_DIR, f));
  const sources = all.filter((f) => f.endsWith('.c'));
  if (sources.length === 0) throw new Fatal(`no C sources in ${AGENT_DIR}`);
  return ensureBinary(cache, 'agent', sources, all.filter((f) => f.endsWith('.h')));
}

/** The guest kernel and the module tree for the initramfs (null: a kernel with VFIO built in). */
async function ensureGuestKernel(o: Options): Promise<{ vmlinuz: string; moddir: string | null; label: string }> {
  if (isDebian(o.kernel)) {
    try {
      const k = ensureDebianKernel(o.kernel, o.cache, log);
      return { vmlinuz: k.vmlinuz, moddir: k.moddir, label: k.release };
    } catch (e) {
      throw e instanceof DebianKernelError ? new Fatal(e.message) : e;
    }
  }
  const variant = o.kernel === 'iommufd-legacy' ? 'legacy' : 'compat';
  // the first use builds it (about 10 min): run --prepare-only before a suite that waits on us
  const k = await ensureIommufdKernel(variant).catch((e: unknown) => { throw new Fatal(e instanceof Error ? e.message : String(e)); });
  return { vmlinuz: k.bzImage, moddir: null, label: `${o.kernel} (${path.basename(k.dir)})` };
}

function ensureInitramfs(cache: string, moddir: string | null, agent: string): string {
  const key = sha(moddir ?? 'no modules', fs.readFileSync(agent), fs.readFileSync(INIT_SH), fs.readFileSync(MKINITRAMFS));
  const out = path.join(cache, `initrd-${key}.cpio.gz`);
  if (fs.existsSync(out)) return out;
  log(`building the initramfs${moddir === null ? ' (no modules)' : ''}`);
  run('bash', [MKINITRAMFS, moddir ?? 'none', agent, out]);
  return out;
}

// ------------------------------------------------------------------ QEMU

/** KVM is used only when asked for, or with --accel auto when it looks like real VMX/SVM KVM. */
function kvmLooksUsable(): boolean {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return false;
  }
  if (fs.existsSync('/sys/module/kvm_pvm')) return false; // PVM: runs only PVM guest kernels
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo);
}

function qemuArgs(o: Options, accel: 'tcg' | 'kvm', vmlinuz: string, initrd: string, sock: string): string[] {
  const intel = o.iommu === 'intel-iommu';
  const append = ['console=ttyS0', 'panic=-1', 'quiet', 'loglevel=3', 'iommu=strict', `agent.iommu=${o.iommu}`, `agent.kernel=${o.kernel}`, `agent.family=${o.family}`, 'agent.poll=100000'];
  if (intel) append.push('intel_iommu=on');
  else append.push('vfio_iommu_type1.allow_unsafe_interrupts=1');
  // virtio-iommu has no interrupt remapping: iommufd refuses to bind a device without this
  // (drivers/iommu/iommufd/device.c: iommufd_device_bind), which its type1 compat layer goes through too
  if (!intel && !isDebian(o.kernel)) append.push('iommufd.allow_unsafe_interrupts=1');
  if (o.profile === 'v1') append.push('agent.profile=v1');
  if (o.guestArgs !== undefined) append.push(`guest.args=${o.guestArgs}`);
  const args = [
    '-machine', intel && accel === 'kvm' ? 'q35,kernel-irqchip=split' : 'q35',
    '-accel', accel, '-m', o.memory, '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', 'stdio', '-monitor', 'none',
  ];
  // The edu DMA timer is 100 ms of virtual time: with icount and sleep=off the virtual clock
  // jumps to the deadline while the guest sleeps, so a DMA takes about 1 ms of wall time.
  if (accel === 'tcg') args.push('-icount', 'shift=0,sleep=off');
  // the IOMMU must come before the other PCI devices
  args.push('-device', intel ? 'intel-iommu,intremap=on,aw-bits=48' : 'virtio-iommu-pci');
  args.push('-device', 'edu,dma_mask=0xffffffffffffffff');
  // `mmio` memory for the agent: RAM behind BAR2 of an ivshmem device, mapped through VFIO
  // (host memory is used only for the pages the guest touches)
  args.push('-object', `memory-backend-memfd,id=mmio,size=${MMIO_BAR_SIZE},share=on`, '-device', 'ivshmem-plain,memdev=mmio');
  args.push(
    '-device', 'virtio-serial-pci',
    '-chardev', `socket,id=agent,path=${sock},server=on,wait=off`,
    '-device', 'virtserialport,chardev=agent,name=vfio-conform',
  );
  args.push('-kernel', vmlinuz, '-initrd', initrd, '-append', append.join(' '));
  return args;
}

// ------------------------------------------------------------------ main

/** --guest-program: boot a guest whose /init runs the program in place of the agent, console on
 *  stdout, until it powers off (its /init does once the program exits); the exit status is the
 *  program's, 2 when the guest never said it. `args` gets the agent port's (unused) socket. */
export async function runPayload(qemu: string, args: (sock: string) => string[], bootTimeout: number): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-kernel-'));
  const p = spawn('setpriv', ['--pdeathsig', 'KILL', qemu, ...args(path.join(tmp, 'agent.sock'))], { stdio: ['ignore', 'pipe', 'inherit'] });
  // init.sh logs the payload's exit status before it powers off
  let status: number | null = null;
  let pending = '';
  p.stdout!.on('data', (d: Buffer) => {
    const text = d.toString('utf8').replace(/\r\n/g, '\n');
    process.stdout.write(text);
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const m = /^init: agent exited with (\d+)/.exec(line);
      if (m) status = Number(m[1]);
    }
  });
  const timer = setTimeout(() => { log(`no power-off within ${bootTimeout} s: stopping QEMU`); p.kill('SIGKILL'); }, bootTimeout * 1000);
  const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`QEMU exited (${code}); the program's exit status: ${status ?? 'never printed'}`);
  process.exitCode = status ?? 2;
}

/** --guest-args: words joined by commas, none holding a space or a quote (kernel command line). */
export function guestArgsValue(v: string): string {
  if (!/^[A-Za-z0-9_@./:=+,-]+$/.test(v)) throw new Fatal(`--guest-args: words joined by commas, without spaces or quotes, not ${JSON.stringify(v)}`);
  return v;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.cache, { recursive: true });
  ensurePackages();
  const { vmlinuz, moddir, label } = await ensureGuestKernel(o);
  const agent = o.guestProgram
    ? ensureBinary(o.cache, `guest-${path.basename(o.guestProgram, '.c')}`, [o.guestProgram], [])
    : ensureAgent(o.cache);
  const initrd = ensureInitramfs(o.cache, moddir, agent);
  log(`artifacts ready (${path.relative(process.cwd(), o.cache) || o.cache})`);
  if (o.prepareOnly) return;

  let accel: 'tcg' | 'kvm' = o.accel === 'kvm' ? 'kvm' : 'tcg';
  if (o.accel === 'auto') accel = kvmLooksUsable() ? 'kvm' : 'tcg';
  if (o.guestProgram) {
    log(`booting QEMU (${accel}, ${o.iommu}, kernel ${label}) with ${path.basename(o.guestProgram)} as the payload`);
    return runPayload('qemu-system-x86_64', (sock) => qemuArgs(o, accel, vmlinuz, initrd, sock), o.bootTimeout);
  }

  return relayAgent({
    cache: o.cache, logName: `${o.family}-${o.kernel}-${o.iommu}-${o.profile}`, bootTimeout: o.bootTimeout, verbose: o.verbose,
    qemu: 'qemu-system-x86_64', args: (sock) => qemuArgs(o, accel, vmlinuz, initrd, sock),
    what: `${accel}${accel === 'tcg' ? ', icount' : ''}, ${o.iommu}, family ${o.family}${o.family === 'type1' ? `, profile ${o.profile}` : ''}, kernel ${label}`,
  });
}

/** A guest whose agent serves the suite on a virtio-serial port: how to boot it. */
export interface RelayOptions {
  cache: string;
  /** the console log's name in <cache>/logs, before the pid */
  logName: string;
  bootTimeout: number;
  verbose: boolean;
  qemu: string;
  /** QEMU's arguments, the agent's port a server socket at `sock` */
  args: (sock: string) => string[];
  /** for the progress line */
  what: string;
}

/** Boots the guest and relays the protocol between stdin/stdout and the agent's port until the
 *  suite says bye or closes stdin. */
export async function relayAgent(r: RelayOptions): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-kernel-'));
  const sock = path.join(tmp, 'agent.sock');
  const logDir = path.join(r.cache, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const consoleLog = path.join(logDir, `${r.logName}-${process.pid}.log`);
  const consoleOut = fs.openSync(consoleLog, 'w');
  const consoleTail: string[] = [];

  let qemu: ChildProcess | undefined;
  let byeSent = false;
  let exiting = false;
  const cleanup = (code: number, why?: string): never => {
    if (!exiting) {
      exiting = true;
      if (why) log(why);
      if (qemu && qemu.exitCode === null && qemu.signalCode === null) {
        try { qemu.kill('SIGKILL'); } catch { /* gone */ }
      }
      try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* ignore */ }
      // keep the console log of failed runs only
      if (code === 0) try { fs.rmSync(consoleLog, { force: true }); } catch { /* ignore */ }
    }
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGPIPE'] as const) {
    process.on(sig, () => cleanup(1, `${sig}: stopping QEMU`));
  }
  process.on('exit', () => {
    if (qemu && qemu.exitCode === null && qemu.signalCode === null) try { qemu.kill('SIGKILL'); } catch { /* gone */ }
  });

  const boot = (): ChildProcess => {
    const args = r.args(sock);
    fs.writeSync(consoleOut, `# ${r.qemu} ${args.join(' ')}\n`);
    log(`booting QEMU (${r.what})`);
    // setpriv --pdeathsig: QEMU dies with us even if we are SIGKILLed
    const p = spawn('setpriv', ['--pdeathsig', 'KILL', r.qemu, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer): void => {
      fs.writeSync(consoleOut, d);
      for (const line of d.toString('utf8').split(/\r?\n/)) {
        if (!line.trim()) continue;
        consoleTail.push(line);
        if (consoleTail.length > 30) consoleTail.shift();
        if (r.verbose) process.stderr.write(`  guest| ${line}\n`);
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    return p;
  };
  const bootStart = Date.now();
  qemu = boot();

  // stdin is buffered until the agent is ready
  const pending: Buffer[] = [];
  let sockConn: net.Socket | undefined;
  let ready = false;
  let stdinEnded = false;
  let stdinBuf = '';
  process.stdin.on('data', (d: Buffer) => {
    stdinBuf += d.toString('utf8');
    let nl: number;
    while ((nl = stdinBuf.indexOf('\n')) >= 0) {
      const line = stdinBuf.slice(0, nl);
      stdinBuf = stdinBuf.slice(nl + 1);
      if (/"type"\s*:\s*"bye"/.test(line)) byeSent = true;
    }
    if (ready && sockConn) sockConn.write(d);
    else pending.push(d);
  });
  // the suite closed our stdin: once everything buffered went out, give the agent a moment (it
  // powers off after bye; without bye, replies to the last requests may still be on their way)
  const finish = (): void => {
    setTimeout(() => cleanup(0, byeSent ? undefined : 'stdin closed: stopping QEMU'), byeSent ? 3000 : 1000).unref();
  };
  process.stdin.on('end', () => {
    stdinEnded = true;
    if (ready) finish();
  });

  const onQemuExit = (p: ChildProcess): void => {
    p.on('exit', (code, signal) => {
      if (exiting) return;
      if (byeSent || stdinEnded) cleanup(0);
      cleanup(1, `QEMU exited (${signal ?? code}) ${ready ? 'while serving' : 'before the agent was ready'}; console log ${consoleLog}:\n${consoleTail.slice(-15).join('\n')}`);
    });
  };
  onQemuExit(qemu);

  const bootTimer = setTimeout(() => {
    if (!ready) cleanup(1, `boot timeout: the agent did not answer within ${r.bootTimeout} s; console log ${consoleLog}:\n${consoleTail.slice(-15).join('\n')}`);
  }, r.bootTimeout * 1000);

  // connect to the QEMU chardev socket (it appears shortly after launch)
  const connect = (): Promise<net.Socket> => new Promise((resolve) => {
    const attempt = (): void => {
      const s = net.createConnection(sock);
      s.once('connect', () => resolve(s));
      s.once('error', () => { s.destroy(); setTimeout(attempt, 50); });
    };
    attempt();
  });
  sockConn = await connect();
  // the agent answers "#sync" with "#ready" once it serves; bytes written before the guest opens
  // the port wait in the socket (QEMU does not read a virtserialport the guest has not opened)
  sockConn.write('#sync\n');
  let head = '';
  const onHead = (d: Buffer): void => {
    head += d.toString('utf8');
    const nl = head.indexOf('\n');
    if (nl < 0) return;
    const first = head.slice(0, nl);
    const rest = head.slice(nl + 1);
    if (!first.startsWith('#ready')) {
      cleanup(1, `unexpected first line from the agent: ${first.slice(0, 200)}`);
    }
    sockConn!.off('data', onHead);
    ready = true;
    clearTimeout(bootTimer);
    log(`ready in ${since(bootStart)} (boot) / ${since()} (total)`);
    if (rest) process.stdout.write(rest);
    sockConn!.on('data', (x: Buffer) => { process.stdout.write(x); });
    for (const b of pending) sockConn!.write(b);
    pending.length = 0;
    if (stdinEnded) finish();
  };
  sockConn.on('data', onHead);
  sockConn.on('close', () => {
    if (exiting) return;
    if (byeSent) {
      // give QEMU a moment to power off by itself
      setTimeout(() => cleanup(0), 2000).unref();
      return;
    }
    cleanup(1, `the agent's channel closed; console log ${consoleLog}:\n${consoleTail.slice(-15).join('\n')}`);
  });
  sockConn.on('error', (e) => { if (!exiting && !byeSent) cleanup(1, `channel error: ${e.message}`); });
}

/** Runs `main` as the program: a Fatal is one line on stderr, exit 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    log(e instanceof Fatal ? e.message : `internal error: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  });
}

// imported by kernel/ppc64/backend.ts for its helpers: run only as the program
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runMain(main);
