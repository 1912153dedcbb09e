// QEMU's real IOMMUs over qtest (qemu/): intel-iommu, SMMUv3, virtio-iommu and the TrustZone MPC, on QEMU 7.2
// and 11.1. They start QEMU (and build 11.1's tree on first use), so this is opt-in:
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu.test.ts
// Checks that each module backend loads out of process, that hand-written cases are judged
// conforming by the model, that the family runs against each with every property passing
// (qemu/README.md says what QEMU does differently and how the rules name it), and that the two
// versions answer the same cases alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { firstViolation, type Subject } from '../../harness/check.ts';
import { loadBackend } from '../../harness/load-backend.ts';
import { viommu } from '../../families/viommu.ts';
import type { Op, Result } from '../../spec/viommu/ops.ts';

const root = new URL('../..', import.meta.url).pathname;
const enabled = process.env.VFIO_CONFORM_QEMU === '1';
const RAM = 0x40000000n;

const dma = (endpoint: number, iova: bigint, access: 'read' | 'write'): Op => ({ op: 'dma', endpoint, iova, access, secure: false });

/** Every operation the adapter has, with a stale read the contract allows and faults QEMU must record. */
const HAND_CASE: Op[] = [
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x2000n, pa: RAM + 0x5000n, perm: 'rw', page: 0x1000n },
  { op: 'map', domain: 1, iova: 0x200000n, size: 0x200000n, pa: RAM + 0x400000n, perm: 'r', page: 0x200000n },
  { op: 'invalidate', scope: 'global' },
  dma(0, 0x1008n, 'read'),
  dma(0, 0x2010n, 'write'),
  dma(0, 0x212345n, 'read'),
  // Unmapped without an invalidation: the old translation may still be used (VIOMMU-INVAL-STALE).
  { op: 'unmap', domain: 1, iova: 0x1000n, size: 0x1000n },
  dma(0, 0x1008n, 'read'),
  { op: 'invalidate', scope: 'range', domain: 1, iova: 0x1000n, size: 0x1000n },
  dma(0, 0x1008n, 'read'),
  dma(1, 0x1008n, 'write'),
  { op: 'faults' },
  // A directory made read-only: the 4 KiB leaves under it refuse writes (VIOMMU-XLATE-PERM-AND).
  { op: 'protect', domain: 1, iova: 0n, span: 0x200000n, perm: 'r' },
  { op: 'invalidate', scope: 'domain', domain: 1 },
  dma(0, 0x2010n, 'write'),
  dma(0, 0x2010n, 'read'),
  { op: 'unmap', domain: 1, iova: 0x200000n, size: 0x1000n },
  { op: 'invalidate', scope: 'range', domain: 1, iova: 0x200000n, size: 0x200000n },
  dma(0, 0x200000n, 'read'),
  dma(0, 0x201000n, 'read'),
  { op: 'faults' },
  { op: 'map', domain: 9, iova: 0n, size: 0x1000n, pa: RAM, perm: 'rw', page: 0x1000n },
];

describe.skipIf(!enabled).each(['7.2', '11.1'])('QEMU %s intel-iommu over qtest', (version) => {
  let subject: Subject;
  beforeAll(async () => { subject = await loadBackend(`./qemu/intel-iommu.ts:version=${version}`, 120_000); }, 120_000);
  afterAll(async () => { await subject?.backend.dispose?.(); });

  test('loads and declares what the emulated VT-d reports', () => {
    const info = subject.backend.info as import('../../spec/viommu/backend.ts').BackendInfo;
    expect(subject.family.id).toBe('viommu');
    expect(info.name).toBe(`qemu-${version}:intel-iommu`);
    expect(info.pageSizes).toEqual([0x1000n, 0x200000n, 0x40000000n]);
    expect(info.capabilities).toEqual(['domains', 'tables', 'dma', 'faults']);
  });

  test('a hand-written case conforms', async () => {
    await subject.backend.reset();
    const wire = await subject.backend.execute(HAND_CASE);
    const results = wire.map((r, i) => viommu.decodeResult(HAND_CASE[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
    expect(firstViolation(viommu as never, subject.backend.info, HAND_CASE, results)).toBeNull();
    // The translations went where the tables said, and faults were recorded.
    expect(results[4]).toEqual({ ok: true, outcome: 'memory', addr: RAM + 0x5008n });
    expect(results[5]).toEqual({ ok: true, outcome: 'memory', addr: RAM + 0x6010n });
    expect(results[6]).toEqual({ ok: true, outcome: 'memory', addr: RAM + 0x412345n });
    expect(results[10]).toEqual({ ok: true, outcome: 'fault' });
    expect(results[12]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x1000n, access: 'read' }, { endpoint: 1, iova: 0x1000n, access: 'write' }] });
    expect(results[15]).toEqual({ ok: true, outcome: 'fault' });
    expect(results[19]).toEqual({ ok: true, outcome: 'fault' });
    expect(results[20]).toEqual({ ok: true, outcome: 'memory', addr: RAM + 0x401000n });
    expect(results.at(-1)).toEqual({ ok: false, errno: 'EINVAL' });
  }, 60_000);
});

const SMMU_RAM = 0x80000000n;

/** The SMMUv3's case: what its event queue records, and the two behaviours the rules name for it. */
const SMMU_CASE: Op[] = [
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x2000n, pa: SMMU_RAM + 0x5000n, perm: 'rw', page: 0x1000n },
  { op: 'map', domain: 1, iova: 0x200000n, size: 0x200000n, pa: SMMU_RAM + 0x400000n, perm: 'r', page: 0x200000n },
  { op: 'invalidate', scope: 'global' },
  dma(0, 0x1008n, 'read'),
  dma(0, 0x2010n, 'write'),
  dma(0, 0x212345n, 'read'),
  dma(0, 0x212345n, 'write'),
  { op: 'unmap', domain: 1, iova: 0x1000n, size: 0x1000n },
  { op: 'invalidate', scope: 'range', domain: 1, iova: 0x1000n, size: 0x1000n },
  dma(0, 0x1008n, 'read'),
  // No domain: the STE aborts, and an abort records nothing (VIOMMU-DMA-FAULT-RECORD's variant).
  dma(1, 0x1008n, 'write'),
  { op: 'faults' },
  { op: 'attach', endpoint: 1, domain: 1 },
  { op: 'invalidate', scope: 'context', endpoint: 1 },
  dma(1, 0x2010n, 'read'),
  // A write-protected table: refused on the walk, allowed once a read cached the leaf (VIOMMU-XLATE-PERM-AND's variant).
  { op: 'protect', domain: 1, iova: 0n, span: 0x200000n, perm: 'r' },
  { op: 'invalidate', scope: 'domain', domain: 1 },
  dma(0, 0x2010n, 'write'),
  dma(0, 0x2010n, 'read'),
  dma(0, 0x2010n, 'write'),
  { op: 'detach', endpoint: 0 },
  { op: 'invalidate', scope: 'context', endpoint: 0 },
  dma(0, 0x2010n, 'read'),
  { op: 'faults' },
  // A stage-1 descriptor cannot refuse reads: write-only is not among the declared perms.
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x1000n, pa: SMMU_RAM, perm: 'w', page: 0x1000n },
];

describe.skipIf(!enabled).each(['7.2', '11.1'])('QEMU %s SMMUv3 over qtest', (version) => {
  let subject: Subject;
  beforeAll(async () => { subject = await loadBackend(`./qemu/smmuv3/backend.ts:version=${version}`, 120_000); }, 120_000);
  afterAll(async () => { await subject?.backend.dispose?.(); });

  test('loads and declares what the emulated SMMUv3 walks', () => {
    const info = subject.backend.info as import('../../spec/viommu/backend.ts').BackendInfo;
    expect(info.name).toBe(`qemu-${version}:smmuv3`);
    expect(info.profile).toBe('smmuv3');
    expect(info.pageSizes).toEqual([0x1000n, 0x200000n, 0x40000000n]);
    expect(info.perms).toEqual(['r', 'rw']);
    expect(info.capabilities).toEqual(['domains', 'tables', 'dma', 'faults']);
  });

  test('a hand-written case conforms', async () => {
    await subject.backend.reset();
    const wire = await subject.backend.execute(SMMU_CASE);
    const results = wire.map((r, i) => viommu.decodeResult(SMMU_CASE[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
    expect(firstViolation(viommu as never, subject.backend.info, SMMU_CASE, results)).toBeNull();
    const memory = (addr: bigint) => ({ ok: true, outcome: 'memory', addr });
    const fault = { ok: true, outcome: 'fault' };
    expect(results.slice(4, 8)).toEqual([memory(SMMU_RAM + 0x5008n), memory(SMMU_RAM + 0x6010n), memory(SMMU_RAM + 0x412345n), fault]);
    expect(results.slice(10, 12)).toEqual([fault, fault]);
    // The event queue has the exact address, a permission fault and a translation fault.
    expect(results[12]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x212345n, access: 'write' }, { endpoint: 0, iova: 0x1008n, access: 'read' }] });
    expect(results[15]).toEqual(memory(SMMU_RAM + 0x6010n));
    expect(results.slice(18, 21)).toEqual([fault, memory(SMMU_RAM + 0x6010n), memory(SMMU_RAM + 0x6010n)]);
    expect(results[23]).toEqual(fault);
    expect(results[24]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x2010n, access: 'write' }] });
    expect(results.at(-1)).toEqual({ ok: false, errno: 'EINVAL' });
  }, 60_000);
});

describe.skipIf(!enabled)('QEMU 7.2: the family runs', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'qemu-conform-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('both caching modes: every property the backend can run passes', () => {
    const json = join(dir, 'report.json');
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', 'harness/cli/main.ts', 'run', '--backend', 'qemu-7.2:intel-iommu', '--backend', 'qemu-7.2:intel-iommu-cm',
      '--runs', '10', '--cases', join(dir, 'cases'), '--json', json,
    ], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    const report = JSON.parse(readFileSync(json, 'utf8')) as { backends: { backend: string; error: unknown; properties: { property: string; status: string }[] }[] };
    expect(report.backends.map((b) => b.backend)).toEqual(['qemu-7.2:intel-iommu', 'qemu-7.2:intel-iommu-cm']);
    for (const b of report.backends) {
      expect(b.error, `${b.backend}: ${r.stderr.slice(-2000)}`).toBeNull();
      const statuses = Object.fromEntries(b.properties.map((p) => [p.property, p.status]));
      expect(statuses, `${b.backend}: ${r.stderr.slice(-2000)}`).toMatchObject({ walk: 'pass', stale: 'pass', context: 'pass', args: 'pass', shadow: 'skip' });
    }
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
  }, 600_000);

  test('SMMUv3: every property the backend can run passes', () => {
    const json = join(dir, 'smmuv3.json');
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', 'harness/cli/main.ts', 'run', '--backend', 'qemu-7.2:smmuv3', '--runs', '10', '--cases', join(dir, 'cases'), '--json', json,
    ], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    const report = JSON.parse(readFileSync(json, 'utf8')) as { backends: { backend: string; error: unknown; properties: { property: string; status: string }[] }[] };
    const [b] = report.backends;
    expect(b!.error, r.stderr.slice(-2000)).toBeNull();
    const statuses = Object.fromEntries(b!.properties.map((p) => [p.property, p.status]));
    expect(statuses, r.stderr.slice(-2000)).toMatchObject({ walk: 'pass', stale: 'pass', context: 'pass', args: 'pass', shadow: 'skip' });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
  }, 600_000);
});

const mpcDma = (iova: bigint, access: 'read' | 'write', secure: boolean): Op => ({ op: 'dma', endpoint: 0, iova, access, secure });

/** LUT writes and resets seen by Secure and Non-secure DMA, at block edges and the region's top. */
const MPC_CASE: Op[] = [
  mpcDma(0x1000n, 'read', true),
  mpcDma(0x1000n, 'read', false),
  // Blocks 2..5 non-secure (VIOMMU-MPC-LUT, VIOMMU-ATTR-SEPARATE).
  { op: 'gate', iova: 0x800n, size: 0x1000n, ns: true },
  mpcDma(0x13ffn, 'read', false),
  mpcDma(0x13ffn, 'write', true),
  mpcDma(0x1800n, 'write', false),
  { op: 'gate', iova: 0x1000n, size: 0x400n, ns: false },
  mpcDma(0x1000n, 'write', false),
  mpcDma(0x1400n, 'write', false),
  // The MPC's reset: every block secure again (VIOMMU-MPC-RESET).
  { op: 'reset' },
  mpcDma(0x1400n, 'read', false),
  mpcDma(0x1400n, 'read', true),
  { op: 'gate', iova: 0x3ffc00n, size: 0x400n, ns: true },
  mpcDma(0x3fffffn, 'read', false),
  { op: 'gate', iova: 0x3ffc00n, size: 0x800n, ns: true },
  { op: 'gate', iova: 0x200n, size: 0x400n, ns: true },
  mpcDma(0x400000n, 'read', true),
];

describe.skipIf(!enabled)('QEMU 7.2 tz-mpc over qtest', () => {
  let subject: Subject;
  beforeAll(async () => { subject = await loadBackend('./qemu/mpc/backend.ts', 60_000); }, 60_000);
  afterAll(async () => { await subject?.backend.dispose?.(); });

  test('loads and declares what BLK_MAX and BLK_CFG report', () => {
    const info = subject.backend.info as import('../../spec/viommu/backend.ts').BackendInfo;
    expect(info.name).toBe('qemu-7.2:mpc');
    expect(info.profile).toBe('mpc');
    expect(info.pageSizes).toEqual([0x400n]);
    expect(info.iovaBits).toBe(22);
    expect(info.capabilities).toEqual(['lut', 'dma']);
  });

  test('a hand-written case conforms', async () => {
    await subject.backend.reset();
    const wire = await subject.backend.execute(MPC_CASE);
    const results = wire.map((r, i) => viommu.decodeResult(MPC_CASE[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
    expect(firstViolation(viommu as never, subject.backend.info, MPC_CASE, results)).toBeNull();
    const memory = (addr: bigint): Result => ({ ok: true, outcome: 'memory', addr });
    const blocked: Result = { ok: true, outcome: 'blocked' };
    expect(results.filter((r) => 'outcome' in r)).toEqual([
      memory(0x1000n), blocked, memory(0x13ffn), blocked, blocked, blocked, memory(0x1400n), blocked, memory(0x1400n), memory(0x3fffffn),
    ]);
    expect(results.slice(-3)).toEqual([{ ok: false, errno: 'EINVAL' }, { ok: false, errno: 'EINVAL' }, { ok: false, errno: 'EINVAL' }]);
  }, 60_000);

  test('the family runs: mpc and args pass, the rest is skipped for want of capabilities', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qemu-mpc-'));
    try {
      const json = join(dir, 'report.json');
      const r = spawnSync(process.execPath, [
        '--import', 'tsx', 'harness/cli/main.ts', 'run', '--backend', 'qemu-7.2:mpc', '--runs', '10', '--cases', join(dir, 'cases'), '--json', json,
      ], { cwd: root, encoding: 'utf8', timeout: 600_000 });
      const report = JSON.parse(readFileSync(json, 'utf8')) as { backends: { backend: string; error: unknown; properties: { property: string; status: string }[] }[] };
      const [b] = report.backends;
      expect(b!.error, r.stderr.slice(-2000)).toBeNull();
      const statuses = Object.fromEntries(b!.properties.map((p) => [p.property, p.status]));
      expect(statuses, r.stderr.slice(-2000)).toMatchObject({ mpc: 'pass', args: 'pass', walk: 'skip', shadow: 'skip' });
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

/** virtio-iommu's requests, their statuses, and what QEMU does that the rules name (qemu/README.md). */
const VIRTIO_CASE: Op[] = [
  { op: 'detach', endpoint: 0 },
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x2000n, pa: RAM + 0x5000n, perm: 'rw', page: 0x1000n },
  { op: 'map', domain: 1, iova: 0x3000n, size: 0x1000n, pa: RAM + 0x9000n, perm: 'r', page: 0x1000n },
  dma(0, 0x1008n, 'read'),
  dma(0, 0x2010n, 'write'),
  dma(0, 0x3010n, 'write'),
  dma(1, 0x1000n, 'read'),
  dma(0, 0x8000n, 'read'),
  { op: 'faults' },
  // VIOMMU-DMA-TRANSLATE's variant: the byte before a mapping goes through it.
  dma(0, 0xfffn, 'write'),
  { op: 'map', domain: 1, iova: 0x2000n, size: 0x1000n, pa: RAM, perm: 'rw', page: 0x1000n },
  { op: 'unmap', domain: 1, iova: 0x1000n, size: 0x1000n },
  { op: 'map', domain: 2, iova: 0n, size: 0x1000n, pa: RAM, perm: 'rw', page: 0x1000n },
  // Attached again to its own domain: with another endpoint there the mappings stay, alone they go.
  { op: 'attach', endpoint: 1, domain: 1 },
  { op: 'attach', endpoint: 0, domain: 1 },
  dma(0, 0x1008n, 'read'),
  { op: 'detach', endpoint: 1 },
  { op: 'attach', endpoint: 0, domain: 1 },
  dma(0, 0x1008n, 'read'),
  { op: 'detach', endpoint: 0 },
  { op: 'detach', endpoint: 0 },
  { op: 'map', domain: 1, iova: 0n, size: 0x1000n, pa: RAM, perm: 'rw', page: 0x1000n },
];

describe.skipIf(!enabled)('QEMU 7.2 virtio-iommu over qtest', () => {
  let subject: Subject;
  beforeAll(async () => { subject = await loadBackend('./qemu/virtio-iommu/backend.ts', 60_000); }, 60_000);
  afterAll(async () => { await subject?.backend.dispose?.(); });

  test('loads and declares what the device configuration reports', () => {
    const info = subject.backend.info as import('../../spec/viommu/backend.ts').BackendInfo;
    expect(info).toMatchObject({ name: 'qemu-7.2:virtio-iommu', profile: 'virtio-iommu', pageSizes: [0x1000n], iovaBits: 63, unattached: 'fault', endpoints: 2 });
    expect(info.capabilities).toEqual(['domains', 'dma', 'faults']);
  });

  test('a hand-written case conforms', async () => {
    await subject.backend.reset();
    const wire = await subject.backend.execute(VIRTIO_CASE);
    const results = wire.map((r, i) => viommu.decodeResult(VIRTIO_CASE[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
    expect(firstViolation(viommu as never, subject.backend.info, VIRTIO_CASE, results)).toBeNull();
    const fail = (errno: string) => ({ ok: false, errno });
    const memory = (addr: bigint) => ({ ok: true, outcome: 'memory', addr });
    const fault = { ok: true, outcome: 'fault' };
    expect(results[0]).toEqual(fail('ENOENT'));
    expect(results.slice(4, 9)).toEqual([memory(RAM + 0x5008n), memory(RAM + 0x6010n), fault, fault, fault]);
    expect(results[9]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x3010n, access: 'write' }, { endpoint: 1, iova: 0x1000n, access: 'read' }, { endpoint: 0, iova: 0x8000n, access: 'read' }] });
    expect(results[10]).toEqual(memory(RAM + 0x4fffn));
    expect(results.slice(11, 14)).toEqual([fail('EINVAL'), fail('ERANGE'), fail('ENOENT')]);
    expect(results[16]).toEqual(memory(RAM + 0x5008n));
    expect(results[19]).toEqual(fault);
    expect(results.slice(21)).toEqual([fail('EINVAL'), fail('ENOENT')]);
  }, 60_000);
});

describe.skipIf(!enabled)('QEMU 7.2 and 11.1 virtio-iommu: the family runs', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'qemu-conform-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every property the backend can run passes', () => {
    const json = join(dir, 'report.json');
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', 'harness/cli/main.ts', 'run', '--backend', 'qemu-7.2:virtio-iommu', '--backend', 'qemu-11.1:virtio-iommu-bypass',
      '--runs', '10', '--cases', join(dir, 'cases'), '--json', json,
    ], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    const report = JSON.parse(readFileSync(json, 'utf8')) as { backends: { backend: string; error: unknown; properties: { property: string; status: string }[] }[] };
    expect(report.backends.map((b) => b.backend)).toEqual(['qemu-7.2:virtio-iommu', 'qemu-11.1:virtio-iommu-bypass']);
    for (const b of report.backends) {
      expect(b.error, `${b.backend}: ${r.stderr.slice(-2000)}`).toBeNull();
      const statuses = Object.fromEntries(b.properties.map((p) => [p.property, p.status]));
      expect(statuses, `${b.backend}: ${r.stderr.slice(-2000)}`).toMatchObject({ walk: 'pass', context: 'pass', virtio: 'pass', args: 'pass', stale: 'skip', shadow: 'skip' });
    }
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
  }, 600_000);
});

describe.skipIf(!enabled)('QEMU 7.2 against 11.1', () => {
  test('intel-iommu: the same cases get the same answers', () => {
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', 'harness/cli/main.ts', 'diff', '--backend', 'qemu-7.2:intel-iommu-cm', '--backend', 'qemu-11.1:intel-iommu-cm', '--runs', '10',
    ], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    expect(r.stdout).toMatch(/0 properties differ/);
    expect(r.status, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
  }, 600_000);
  test('tz-mpc: the same cases get the same answers', () => {
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', 'harness/cli/main.ts', 'diff', '--backend', 'qemu-7.2:mpc', '--backend', 'qemu-11.1:mpc', '--runs', '10',
    ], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    expect(r.stdout).toMatch(/0 properties differ/);
    expect(r.status, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
  }, 600_000);

  test('SMMUv3: the same cases get the same answers', () => {
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', 'harness/cli/main.ts', 'diff', '--backend', 'qemu-7.2:smmuv3', '--backend', 'qemu-11.1:smmuv3', '--runs', '10',
    ], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    expect(r.stdout).toMatch(/0 properties differ/);
    expect(r.status, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
  }, 600_000);
});

/** Maps, a remap, a move to another domain and a detach, each made visible: what VFIO is told. */
const VFIO_CASE: Op[] = [
  { op: 'attach', endpoint: 0, domain: 0 },
  { op: 'invalidate', scope: 'context', endpoint: 0 },
  { op: 'map', domain: 0, iova: 0x1000n, size: 0x2000n, pa: RAM + 0x5000n, perm: 'w', page: 0x1000n },
  { op: 'map', domain: 0, iova: 0x200000n, size: 0x200000n, pa: RAM + 0x400000n, perm: 'r', page: 0x200000n },
  { op: 'invalidate', scope: 'domain', domain: 0 },
  { op: 'map', domain: 0, iova: 0x1000n, size: 0x1000n, pa: RAM + 0x9000n, perm: 'rw', page: 0x1000n },
  { op: 'invalidate', scope: 'range', domain: 0, iova: 0x1000n, size: 0x1000n },
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x1000n, pa: RAM, perm: 'r', page: 0x1000n },
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'invalidate', scope: 'context', endpoint: 0 },
  { op: 'detach', endpoint: 0 },
  { op: 'invalidate', scope: 'context', endpoint: 0 },
];

/** QEMU 11.1 answers a split 2 MiB leaf's page-selective invalidation with an UNMAP of one page of the 2 MiB VFIO holds. */
const CUT_CASE: Op[] = [
  { op: 'attach', endpoint: 0, domain: 0 },
  { op: 'map', domain: 0, iova: 0n, size: 0x200000n, pa: RAM, perm: 'rw', page: 0x200000n },
  { op: 'invalidate', scope: 'range', domain: 0, iova: 0n, size: 0x200000n },
  { op: 'map', domain: 0, iova: 0n, size: 0x1000n, pa: RAM, perm: 'rw', page: 0x1000n },
  { op: 'invalidate', scope: 'range', domain: 0, iova: 0n, size: 0x1000n },
];

describe.skipIf(!enabled)('QEMU 11.1 intel-iommu with its vfio-user-pci client', () => {
  let subject: Subject;
  beforeAll(async () => { subject = await loadBackend('qemu-11.1:intel-iommu-vfio-user', 120_000); }, 120_000);
  afterAll(async () => { await subject?.backend.dispose?.(); });

  const run = async (ops: Op[]): Promise<Result[]> => {
    await subject.backend.reset();
    const wire = await subject.backend.execute(ops);
    return wire.map((r, i) => viommu.decodeResult(ops[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
  };

  test('declares VFIO at endpoint 0', () => {
    const info = subject.backend.info as import('../../spec/viommu/backend.ts').BackendInfo;
    expect(info).toMatchObject({ name: 'qemu-11.1:intel-iommu-vfio-user', capabilities: ['domains', 'tables', 'vfio'], vfio: { endpoint: 0, notifier: 0 }, cachingMode: true });
  });

  test('VFIO is told of maps, remaps, moves and detaches, and the model finds it conforming', async () => {
    const results = await run(VFIO_CASE);
    expect(firstViolation(viommu as never, subject.backend.info, VFIO_CASE, results)).toBeNull();
    const events = (i: number) => (results[i] as { events: { type: string; entry: { iova: bigint; perm: string } }[] }).events;
    // A write-only leaf is mapped read-write: VFIO cannot map write-only.
    expect(events(4).filter((e) => e.type === 'map').map((e) => [e.entry.iova, e.entry.perm])).toEqual([[0x1000n, 'rw'], [0x2000n, 'rw'], [0x200000n, 'r']]);
    expect(events(6).map((e) => e.type)).toEqual(['unmap', 'map']);
    expect(events(11).every((e) => e.type === 'unmap')).toBe(true);
  }, 60_000);

  test('a split 2 MiB leaf is unmapped a page at a time: VIOMMU-SHADOW-NO-CUT (qemu/README.md)', async () => {
    const results = await run(CUT_CASE);
    expect(firstViolation(viommu as never, subject.backend.info, CUT_CASE, results)?.rule).toBe('VIOMMU-SHADOW-NO-CUT');
  }, 60_000);
});
