// The real-kernel backend (kernel/): boots a Debian kernel under QEMU, so it is opt-in:
//   VFIO_KERNEL_TEST=1 npx vitest run test/kernel.test.ts
// (first run downloads the pinned kernel package and needs root for apt-get; ~20 s per boot).
// Per IOMMU: the suite with --runs 2 must complete (closing line, exit status 0 or 1, no ERROR
// property: the backend never faulted; divergences of the kernel are allowed), and a few direct
// protocol checks, including a crashing case process.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KernelPeer } from './support/kernel-peer.ts';

const root = new URL('..', import.meta.url).pathname;
const enabled = process.env.VFIO_KERNEL_TEST === '1';

function runSuite(iommu: string, runs: number): Promise<{ code: number | null; stdout: string; stderr: string; cases: string }> {
  const cases = fs.mkdtempSync(path.join(os.tmpdir(), `vfio-kernel-test-${iommu}-`));
  const args = ['--import', 'tsx', 'harness/cli/main.ts', 'run', '--runs', String(runs), '--timeout', '180', '--cases', cases,
    '--backend', `exec:node --import tsx kernel/vm/backend.ts --iommu ${iommu}`];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr, cases })));
}

for (const iommu of ['intel-iommu', 'virtio-iommu']) {
  describe.skipIf(!enabled)(`kernel backend, ${iommu}: the suite completes`, () => {
    test('run --runs 2: closing line, exit 0 or 1, no backend fault', async () => {
      const r = await runSuite(iommu, 2);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.stdout, out).toMatch(/^vfio-conform: \d+ passed, \d+ failed, \d+ skipped$/m);
      expect([0, 1], out).toContain(r.code);
      expect(out, out).not.toMatch(/^\s*ERROR\s/m);
      expect(out, out).toMatch(/^\s*(PASS|FAIL)\s+lifecycle\s/m); // every property ran, up to the last one
      fs.rmSync(r.cases, { recursive: true, force: true });
    }, 900_000);
  });

  describe.skipIf(!enabled)(`kernel backend, ${iommu}`, () => {
    let peer: KernelPeer;
    let info: Record<string, any>;
    beforeAll(async () => {
      peer = new KernelPeer(['--iommu', iommu]);
      const hello = await peer.request({ type: 'hello', protocol: 1, suite: 'kernel.test' });
      expect(hello.type, peer.stderr).toBe('hello');
      info = hello.info;
    }, 300_000);
    afterAll(async () => {
      await peer.request({ type: 'bye' });
      peer.close();
      expect(await peer.exited()).toBe(0);
    });

    test('hello reports the geometry the kernel gives, minus the scratch IOVA', () => {
      expect(info.profile).toBe('type1v2');
      expect(info.geometry.dmaEntryLimit).toBe('0xffff');
      const ranges = info.geometry.iovaRanges.map((r: any) => [BigInt(r.start), BigInt(r.end)]);
      expect(ranges[0]).toEqual([0n, 0xfedfffffn]);
      const top = iommu === 'intel-iommu' ? (1n << 48n) - 1n : (1n << 64n) - 1n;
      expect(ranges.at(-1)![1]).toBe(top);
      expect(info.capabilities).not.toContain('secondProcess');
    });

    test('hello in protocol version 2 adds the family, version 1 stays as it was, other versions are refused', async () => {
      const v2 = await peer.request({ type: 'hello', protocol: 2, suite: 'kernel.test' });
      expect(Object.keys(v2)).toEqual(['id', 'type', 'protocol', 'family', 'info']);
      expect(v2).toMatchObject({ type: 'hello', protocol: 2, family: 'type1' });
      expect(v2.info).toEqual(info);
      expect(await peer.request({ type: 'hello', protocol: 3, suite: 'kernel.test' })).toMatchObject({ type: 'error' });
      const v1 = await peer.request({ type: 'hello', protocol: 1, suite: 'kernel.test' });
      expect(Object.keys(v1)).toEqual(['id', 'type', 'protocol', 'info']);
      expect(v1.info).toEqual(info);
    });

    /** A new case with two anonymous pages at the arena's start, the first holding 0xabc. */
    const newCaseWithToken = async (): Promise<{ arena: bigint; hx: (n: bigint) => string; ops: Record<string, unknown>[] }> => {
      await peer.request({ type: 'reset' });
      const arena = BigInt(info.host.arena.start);
      const hx = (n: bigint) => '0x' + n.toString(16);
      return { arena, hx, ops: [
        { op: 'mmap', proc: 0, vaddr: hx(arena), size: '0x2000', prot: 'rw', backing: 'anon' },
        { op: 'cpuWrite', proc: 0, vaddr: hx(arena), token: '0xabc' },
      ] };
    };

    test('map, DMA through the IOMMU, unmap, and the fault after it', async () => {
      const { arena, hx, ops } = await newCaseWithToken();
      const r = await peer.execute([
        ...ops,
        { op: 'map', proc: 0, flags: 1, iova: '0x100000', vaddr: hx(arena), size: '0x2000' },
        { op: 'counters' },
        { op: 'dmaRead', iova: '0x100000' },
        { op: 'dmaWrite', iova: '0x101000', token: '0x1' }, // read-only mapping: blocked
        { op: 'unmap', proc: 0, flags: 0, iova: '0x100000', size: '0x2000' },
        { op: 'dmaRead', iova: '0x100000' },
        { op: 'counters' },
      ]);
      expect(r).toEqual([
        { ok: true }, { ok: true }, { ok: true }, { ok: true, lockedVm: ['0x2'] },
        { ok: true, token: '0xabc' }, { ok: false, errno: 'EFAULT' },
        { ok: true, unmapped: '0x2000' }, { ok: false, errno: 'EFAULT' }, { ok: true, lockedVm: ['0x0'] },
      ]);
    });

    test('a run of DMAs in one batch: each direction is checked on a read-only mapping, whatever came before', async () => {
      const { arena, hx, ops } = await newCaseWithToken();
      // The scratch stays mapped for the run; the IOMMU's cached translation of a read must not
      // let the next write through (no fault record), nor the other way round.
      const r = await peer.execute([
        ...ops,
        { op: 'map', proc: 0, flags: 1, iova: '0x100000', vaddr: hx(arena), size: '0x1000' },
        { op: 'map', proc: 0, flags: 3, iova: '0x200000', vaddr: hx(arena + 0x1000n), size: '0x1000' },
        { op: 'dmaRead', iova: '0x100000' },
        { op: 'dmaWrite', iova: '0x100000', token: '0x1' },
        { op: 'dmaRead', iova: '0x100008' },
        { op: 'dmaWrite', iova: '0x100ff8', token: '0x2' },
        { op: 'dmaWrite', iova: '0x200000', token: '0x55' },
        { op: 'dmaRead', iova: '0x200000' },
        { op: 'dmaRead', iova: '0x100000' },
        { op: 'dmaWrite', iova: '0x100000', token: '0x3' },
        { op: 'cpuRead', proc: 0, vaddr: hx(arena) },
        { op: 'getInfo' },
      ]);
      expect(r).toEqual([
        { ok: true }, { ok: true }, { ok: true }, { ok: true },
        { ok: true, token: '0xabc' }, { ok: false, errno: 'EFAULT' },
        { ok: true, token: '0x0' }, { ok: false, errno: 'EFAULT' },
        { ok: true }, { ok: true, token: '0x55' },
        { ok: true, token: '0xabc' }, { ok: false, errno: 'EFAULT' },
        { ok: true, token: '0xabc' },
        // the scratch is the agent's, unmapped after the run: only the suite's two mappings count
        expect.objectContaining({ ok: true, dmaAvail: '0xfffd' }),
      ]);
      // more reads in a batch than the edu buffer has sentinel slots (510): every one is seen
      const reads = await peer.execute([
        ...Array.from({ length: 520 }, () => ({ op: 'dmaRead', iova: '0x200000' })),
        { op: 'dmaRead', iova: '0x300000' },
      ]);
      expect(reads.slice(0, 520).filter((x: any) => x.token !== '0x55')).toEqual([]);
      expect(reads[520]).toEqual({ ok: false, errno: 'EFAULT' });
    });

    test('mmio: a VFIO device BAR mapped PFNMAP: tokens stick, the device reaches them, nothing is charged', async () => {
      expect(info.capabilities).toContain('mmio');
      await peer.request({ type: 'reset' });
      const arena = BigInt(info.host.arena.start);
      const hx = (n: bigint) => '0x' + n.toString(16);
      const at = (page: bigint) => hx(arena + page * 0x1000n);
      const r = await peer.execute([
        { op: 'mmap', proc: 0, vaddr: at(0n), size: '0x2000', prot: 'rw', backing: 'mmio' },
        { op: 'cpuRead', proc: 0, vaddr: at(0n) }, // fresh: token 0
        { op: 'cpuWrite', proc: 0, vaddr: at(1n), token: '0xabc' },
        { op: 'map', proc: 0, flags: 3, iova: '0x100000', vaddr: at(0n), size: '0x2000' },
        { op: 'counters' }, // T1-ACCT-MMIO
        { op: 'dmaRead', iova: '0x101000' },
        { op: 'dmaWrite', iova: '0x100000', token: '0x77' },
        { op: 'cpuRead', proc: 0, vaddr: at(0n) },
        { op: 'unmap', proc: 0, flags: 0, iova: '0x100000', size: '0x2000' },
        { op: 'mprotect', proc: 0, vaddr: at(0n), size: '0x2000', prot: 'none' },
        { op: 'cpuRead', proc: 0, vaddr: at(0n) },
        { op: 'map', proc: 0, flags: 1, iova: '0x100000', vaddr: at(0n), size: '0x2000' }, // T1-MAP-UNBACKED: touched
        { op: 'map', proc: 0, flags: 3, iova: '0x200000', vaddr: at(0n), size: '0x1000' },
        { op: 'mremap', proc: 0, vaddr: at(0n), size: '0x2000', newVaddr: at(256n), newSize: '0x3000' }, // cannot grow
        { op: 'mmap', proc: 0, vaddr: at(16n), size: '0x1000', prot: 'r', backing: 'mmio' },
        { op: 'cpuWrite', proc: 0, vaddr: at(16n), token: '0x1' },
        { op: 'mprotect', proc: 0, vaddr: at(16n), size: '0x1000', prot: 'none' },
        { op: 'map', proc: 0, flags: 1, iova: '0x300000', vaddr: at(16n), size: '0x1000' }, // never touched
        { op: 'counters' },
      ]);
      expect(r).toEqual([
        { ok: true }, { ok: true, token: '0x0' }, { ok: true }, { ok: true }, { ok: true, lockedVm: ['0x0'] },
        { ok: true, token: '0xabc' }, { ok: true }, { ok: true, token: '0x77' }, { ok: true, unmapped: '0x2000' }, { ok: true },
        { ok: false, errno: 'EFAULT' }, { ok: true }, { ok: false, errno: 'EFAULT' }, { ok: false, errno: 'EFAULT' },
        { ok: true }, { ok: false, errno: 'EFAULT' }, { ok: true }, { ok: false, errno: 'EFAULT' }, { ok: true, lockedVm: ['0x0'] },
      ]);
      await peer.request({ type: 'reset' }); // a new case: fresh, zeroed BAR pages
      expect(await peer.execute([
        { op: 'mmap', proc: 0, vaddr: at(0n), size: '0x2000', prot: 'rw', backing: 'mmio' },
        { op: 'cpuRead', proc: 0, vaddr: at(1n) },
      ])).toEqual([{ ok: true }, { ok: true, token: '0x0' }]);
    });

    test('each case runs in a fresh process: a crash is an error reply, and reset recovers', async () => {
      await peer.request({ type: 'reset' });
      const arena = BigInt(info.host.arena.start);
      const hx = (n: bigint) => '0x' + n.toString(16);
      const r = await peer.execute([
        { op: 'mmap', proc: 0, vaddr: hx(arena), size: '0x1000', prot: 'rw', backing: 'anon' },
        { op: 'map', proc: 0, flags: 3, iova: '0x100000', vaddr: hx(arena), size: '0x1000' },
        { op: 'counters' },
      ]);
      expect(r[2]).toEqual({ ok: true, lockedVm: ['0x1'] });
      const crash = await peer.request({ type: 'execute', ops: [{ op: 'agentCrash' }] }); // test hook of the agent
      expect(crash.type).toBe('error');
      expect(crash.message).toMatch(/case process died.*signal 11/);
      const after = await peer.request({ type: 'execute', ops: [{ op: 'counters' }] });
      expect(after.type).toBe('error'); // no silent new case in the middle of one
      expect((await peer.request({ type: 'reset' })).type).toBe('reset');
      expect(await peer.execute([{ op: 'counters' }, { op: 'getInfo' }])).toMatchObject([
        { ok: true, lockedVm: ['0x0'] }, { ok: true, dmaAvail: '0xffff' },
      ]);
    });
  });
}
