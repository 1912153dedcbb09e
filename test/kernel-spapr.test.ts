// The sPAPR family on a real kernel (kernel/ppc64/): Debian's ppc64le Linux 6.12 in a pseries
// guest under TCG, so it is opt-in:
//   VFIO_SPAPR_TEST=1 npx vitest run test/kernel-spapr.test.ts
// (the first run downloads the pinned ppc64el packages; about 20 s per boot alone). Per IOMMU
// type: the suite with --runs 2 and the backend's expectations must complete without a backend
// fault; and the agent's own answers through the protocol, among them the 6.12 bugs the
// expectations list, each as a reproducer.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KernelPeer } from './support/kernel-peer.ts';

const root = new URL('..', import.meta.url).pathname;
const enabled = process.env.VFIO_SPAPR_TEST === '1';
const RUNNER = 'kernel/ppc64/backend.ts';
const hx = (n: bigint): string => '0x' + n.toString(16);
const PAGE = 0x1000n;
/** locked_vm of the default window's table: 8 bytes a 4 KiB TCE over dma32 (spapr_tce_get_table_size). */
const tablePages = (dma32Size: bigint): bigint => ((dma32Size >> 12n) * 8n) / PAGE;

function runSuite(name: string, runs: number): Promise<{ code: number | null; out: string }> {
  const cases = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-spapr-test-'));
  const expect_ = path.join(root, 'expectations', `${name}.json`);
  const args = ['--import', 'tsx', 'harness/cli/main.ts', 'run', '--runs', String(runs), '--timeout', '300', '--cases', cases,
    '--backend', name, ...(fs.existsSync(expect_) ? ['--expect', expect_] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => { fs.rmSync(cases, { recursive: true, force: true }); resolve({ code, out }); }));
}

/** One guest for a describe block: booted and greeted before its tests, said bye to after. */
function session(profile: 'v2' | 'v1'): { peer: KernelPeer; info: Record<string, any>; arena: bigint } {
  const s = {} as { peer: KernelPeer; info: Record<string, any>; arena: bigint };
  beforeAll(async () => {
    s.peer = new KernelPeer(['--profile', profile], RUNNER);
    const hello = await s.peer.request({ type: 'hello', protocol: 2, suite: 'kernel-spapr.test' });
    expect(hello.type, s.peer.stderr).toBe('hello');
    s.info = hello.info;
    s.arena = BigInt(s.info.host.arena.start);
  }, 600_000);
  afterAll(async () => {
    await s.peer.request({ type: 'bye' });
    s.peer.close();
    expect(await s.peer.exited()).toBe(0);
  });
  return s;
}

for (const profile of ['v2', 'v1'] as const) {
  describe.skipIf(!enabled)(`linux-spapr-${profile}@pseries: the suite completes`, () => {
    test('run --runs 2 with its expectations: closing line, exit 0 or 1, no backend fault', async () => {
      const r = await runSuite(`linux-spapr-${profile}@pseries`, 2);
      expect(r.out, r.out).toMatch(/^vfio-conform: \d+ passed, \d+ failed, \d+ skipped$/m);
      expect([0, 1], r.out).toContain(r.code);
      expect(r.out, r.out).not.toMatch(/^\s*ERROR\s/m);
    }, 1_800_000);
  });
}

describe.skipIf(!enabled)('kernel agent, sPAPR v2 (linux-spapr-v2@pseries)', () => {
  const s = session('v2');

  test('SPAPR-INFO: hello declares what TCE_GET_INFO reports for each container', async () => {
    expect(s.info).toMatchObject({ family: 'spapr', profile: 'spapr-v2' });
    expect(s.info.containers).toHaveLength(2);
    expect((await s.peer.request({ type: 'reset' })).type).toBe('reset');
    const r = await s.peer.execute([{ op: 'getInfo', proc: 0, ct: 0 }, { op: 'getInfo', proc: 0, ct: 1 }]);
    for (const [i, g] of r.entries()) {
      const c = s.info.containers[i];
      expect(g).toMatchObject({ ok: true, dma32WindowStart: c.dma32.start, dma32WindowSize: c.dma32.size });
      expect(g.ddw).toEqual(c.ddw);
      expect(BigInt(c.ddw.pgsizes) & PAGE).toBe(PAGE);
      expect(c.tableSizing).toBe('pseries');
    }
    expect((await s.peer.request({ type: 'hello', protocol: 1, suite: 'kernel-spapr.test' })).type).toBe('error');
  });

  test('SPAPR-UNREG-MAPPED (6.12 bug): UNREGISTER of a mapped region answers 0, a second ENOENT, the pages stay charged', async () => {
    expect((await s.peer.request({ type: 'reset' })).type).toBe('reset');
    const table = tablePages(BigInt(s.info.containers[0].dma32.size));
    const region = { proc: 0, ct: 0, flags: 0, vaddr: hx(s.arena), size: '0x10000' };
    const r = await s.peer.execute([
      { op: 'mmap', proc: 0, vaddr: hx(s.arena), size: '0x10000', prot: 'rw', backing: 'anon' },
      { op: 'register', ...region },
      { op: 'map', proc: 0, ct: 0, flags: 3, iova: '0x0', vaddr: hx(s.arena), size: '0x1000' },
      { op: 'counters' },
      { op: 'unregister', ...region },
      { op: 'unregister', ...region },
      { op: 'unmap', proc: 0, ct: 0, flags: 0, iova: '0x0', size: '0x1000' },
      { op: 'counters' },
    ]);
    expect(r[1]).toEqual({ ok: true });
    expect(r[2]).toEqual({ ok: true });
    expect(BigInt(r[3]!.lockedVm[0])).toBe(16n + table);
    expect(r[4]).toEqual({ ok: true }); // the rule wants EBUSY
    expect(r[5]).toEqual({ ok: false, errno: 'ENOENT' });
    expect(BigInt(r[7]!.lockedVm[0])).toBe(16n + table); // the orphan region keeps its charge
  });

  test('SPAPR-MAP-WINDOW-END: a MAP past the window end is answered EINVAL without the kernel, with the default window created as the kernel would', async () => {
    expect((await s.peer.request({ type: 'reset' })).type).toBe('reset');
    const c = s.info.containers[0];
    const end = BigInt(c.dma32.start) + BigInt(c.dma32.size);
    const r = await s.peer.execute([
      { op: 'mmap', proc: 0, vaddr: hx(s.arena), size: '0x2000', prot: 'rw', backing: 'anon' },
      { op: 'register', proc: 0, ct: 0, flags: 0, vaddr: hx(s.arena), size: '0x2000' },
      { op: 'map', proc: 0, ct: 0, flags: 3, iova: hx(end - PAGE), vaddr: hx(s.arena), size: '0x2000' },
      { op: 'counters' },
      { op: 'map', proc: 0, ct: 0, flags: 3, iova: hx(end - PAGE), vaddr: hx(s.arena), size: '0x1000' },
    ]);
    expect(r[2]).toEqual({ ok: false, errno: 'EINVAL' });
    expect(BigInt(r[3]!.lockedVm[0])).toBe(2n + tablePages(BigInt(c.dma32.size)));
    expect(r[4]).toEqual({ ok: true }); // the guest lives on
  });

  test('SPAPR-DMA-REACH: the device reads and writes the pages its valid TCEs point at, nothing elsewhere; the DMA scratch leaves locked_vm alone even at RLIMIT_MEMLOCK 0', async () => {
    expect((await s.peer.request({ type: 'reset' })).type).toBe('reset');
    const a = s.arena;
    const r = await s.peer.execute([
      { op: 'mmap', proc: 0, vaddr: hx(a), size: '0x4000', prot: 'rw', backing: 'anon' },
      { op: 'cpuWrite', proc: 0, vaddr: hx(a), token: '0x1122334455667788' },
      { op: 'dmaRead', ct: 0, iova: '0x0' }, // nothing mapped yet
      { op: 'register', proc: 0, ct: 0, flags: 0, vaddr: hx(a), size: '0x4000' },
      { op: 'map', proc: 0, ct: 0, flags: 3, iova: '0x0', vaddr: hx(a), size: '0x2000' },
      { op: 'map', proc: 0, ct: 0, flags: 1, iova: '0x3000', vaddr: hx(a + 0x3000n), size: '0x1000' },
      { op: 'setRlimitMemlock', proc: 0, bytes: '0x0' },
      { op: 'counters' },
      { op: 'dmaRead', ct: 0, iova: '0x0' },
      { op: 'dmaWrite', ct: 0, iova: '0x1008', token: '0xabcdef' },
      { op: 'cpuRead', proc: 0, vaddr: hx(a + 0x1008n) },
      { op: 'dmaWrite', ct: 0, iova: '0x3000', token: '0x77' }, // a READ TCE: the device may not write
      { op: 'cpuRead', proc: 0, vaddr: hx(a + 0x3000n) },
      { op: 'dmaRead', ct: 0, iova: '0x2000' }, // an empty TCE
      { op: 'dmaRead', ct: 1, iova: '0x0' }, // another container's device
      { op: 'counters' },
    ]);
    expect(r.every((x) => x.ok), JSON.stringify(r)).toBe(true);
    expect(r[2]!.token).toBe('0x0');
    expect(r[8]!.token).toBe('0x1122334455667788');
    expect(r[10]!.token).toBe('0xabcdef');
    expect(r[12]!.token).toBe('0x0');
    expect(r[13]!.token).toBe('0x0');
    expect(r[14]!.token).toBe('0x0');
    expect(r[15]).toEqual(r[7]);
  });

  test('SPAPR-CREATE-PSERIES (6.12, an undefined shift): a window smaller than its page answers EINVAL and leaves the PHB able to create windows', async () => {
    expect((await s.peer.request({ type: 'reset' })).type).toBe('reset');
    const r = await s.peer.execute([
      { op: 'create', proc: 0, ct: 0, flags: 0, pageShift: 12, windowSize: '0x800', levels: 1 },
      { op: 'create', proc: 0, ct: 0, flags: 0, pageShift: 12, windowSize: '0x100000', levels: 1 },
    ]);
    expect(r[0]).toEqual({ ok: false, errno: 'EINVAL' }); // the rule wants ENODEV
    expect(r[1]).toEqual({ ok: true, startAddr: s.info.containers[0].windowStarts[1] });
  });

  test('reset: a fresh mm and fresh containers (nothing charged, MAP before REGISTER is EPERM)', async () => {
    expect((await s.peer.request({ type: 'reset' })).type).toBe('reset');
    const r = await s.peer.execute([
      { op: 'counters' },
      { op: 'mmap', proc: 0, vaddr: hx(s.arena), size: '0x1000', prot: 'rw', backing: 'anon' },
      { op: 'map', proc: 0, ct: 1, flags: 3, iova: '0x0', vaddr: hx(s.arena), size: '0x1000' },
    ]);
    expect(r[0]).toEqual({ ok: true, lockedVm: ['0x0'] });
    expect(r[2]).toEqual({ ok: false, errno: 'EPERM' });
  });
});

describe.skipIf(!enabled)('kernel agent, sPAPR v1 (linux-spapr-v1@pseries)', () => {
  const s = session('v1');

  test('SPAPR-V1-ENABLE and SPAPR-MAP-V1-PIN (6.12 bug): ENABLE charges the 32-bit window; a READ MAP of read-only memory fails EFAULT', async () => {
    expect(s.info).toMatchObject({ family: 'spapr', profile: 'spapr-v1' });
    expect(s.info.containers[0].ddw).toBeUndefined();
    expect((await s.peer.request({ type: 'reset' })).type).toBe('reset');
    const dma32 = BigInt(s.info.containers[0].dma32.size);
    const r = await s.peer.execute([
      { op: 'enable', proc: 0, ct: 0 },
      { op: 'counters' },
      { op: 'mmap', proc: 0, vaddr: hx(s.arena), size: '0x1000', prot: 'r', backing: 'anon' },
      { op: 'map', proc: 0, ct: 0, flags: 1, iova: '0x0', vaddr: hx(s.arena), size: '0x1000' },
      { op: 'register', proc: 0, ct: 0, flags: 0, vaddr: hx(s.arena), size: '0x1000' },
    ]);
    expect(r[0]).toEqual({ ok: true });
    expect(BigInt(r[1]!.lockedVm[0])).toBe(dma32 / PAGE);
    expect(r[3]).toEqual({ ok: false, errno: 'EFAULT' }); // the rule wants success: READ needs no write pin
    expect(r[4]).toEqual({ ok: false, errno: 'ENOTTY' });
  });
});
