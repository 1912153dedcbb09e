// QEMU 11.1's virtio-iommu with its vfio-user-pci client behind it (qemu/vfio-user/virtio.ts):
// VFIO's one notifier hears every MAP and UNMAP request at once, and ATTACH and DETACH move the
// endpoint's mappings. It starts QEMU, so this is opt-in:
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/vfio-user-virtio.test.ts
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { firstViolation, type Subject } from '../../../harness/check.ts';
import { loadBackend } from '../../../harness/load-backend.ts';
import { runProperty } from '../../../harness/run.ts';
import { viommu } from '../../../families/viommu.ts';
import type { BackendInfo } from '../../../spec/viommu/backend.ts';
import type { NotifierEvent, Op, Result } from '../../../spec/viommu/ops.ts';
import { familyRuns } from './support.ts';

const enabled = process.env.VFIO_CONFORM_QEMU === '1';
const RAM = 0x40000000n;

/** Maps, a write-only map, a move to an empty domain, a move back, an unmap and a detach. */
const CASE: Op[] = [
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x3000n, pa: RAM + 0x5000n, perm: 'rw', page: 0x1000n },
  { op: 'map', domain: 1, iova: 0x200000n, size: 0x1000n, pa: RAM, perm: 'w', page: 0x1000n },
  { op: 'attach', endpoint: 0, domain: 2 },
  { op: 'map', domain: 2, iova: 0x10000n, size: 0x1000n, pa: RAM, perm: 'r', page: 0x1000n },
  { op: 'unmap', domain: 2, iova: 0x10000n, size: 0x2000n },
  { op: 'map', domain: 2, iova: 0x20000n, size: 0x1000n, pa: RAM, perm: 'rw', page: 0x1000n },
  { op: 'detach', endpoint: 0 },
];

const shape = (events: NotifierEvent[]) => events.map((e) => `${e.type} ${e.entry.iova.toString(16)}+${(e.entry.addrMask + 1n).toString(16)}${e.type === 'map' ? ` ${e.entry.perm}` : ''}`);

describe.skipIf(!enabled)('QEMU 11.1 virtio-iommu with its vfio-user-pci client', () => {
  let subject: Subject;
  beforeAll(async () => { subject = await loadBackend('qemu-11.1:virtio-iommu-vfio-user', 120_000); }, 120_000);
  afterAll(async () => { await subject?.backend.dispose?.(); });

  const run = async (ops: Op[]): Promise<Result[]> => {
    await subject.backend.reset();
    const wire = await subject.backend.execute(ops);
    return wire.map((r, i) => viommu.decodeResult(ops[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
  };

  test('declares VFIO at endpoint 0 with one notifier over the input range', () => {
    const info = subject.backend.info as BackendInfo;
    expect(info).toMatchObject({ name: 'qemu-11.1:virtio-iommu-vfio-user', profile: 'virtio-iommu', capabilities: ['domains', 'vfio'], unattached: 'fault' });
    expect(info.vfio).toEqual({ endpoint: 0, notifiers: [{ notifier: 0, start: 0n, end: (1n << BigInt(info.iovaBits)) - 1n }] });
  });

  test('VFIO is told of each request at once, and the model finds it conforming', async () => {
    const results = await run(CASE);
    expect(firstViolation(viommu as never, subject.backend.info, CASE, results)).toBeNull();
    const events = (i: number) => shape((results[i] as { events: NotifierEvent[] }).events);
    // [0x1000, 0x4000) in naturally aligned chunks; a write-only mapping as VFIO maps it (rw).
    expect(events(1)).toEqual(['map 1000+1000 rw', 'map 2000+2000 rw']);
    expect(events(2)).toEqual(['map 200000+1000 rw']);
    // Moving to an empty domain takes the old domain's mappings away.
    expect(events(3).every((e) => e.startsWith('unmap'))).toBe(true);
    expect(events(3).length).toBeGreaterThan(0);
    expect(events(4)).toEqual(['map 10000+1000 r']);
    expect(events(5)).toEqual(['unmap 10000+1000']);
    expect(events(7).every((e) => e.startsWith('unmap'))).toBe(true);
  }, 60_000);

  test('a lost UNMAP of a detach is caught: the answer the model judges is QEMU\'s', async () => {
    const results = await run(CASE);
    const lossy = results.map((r, i) => (i === 7 ? { ok: true, events: [] } : r)) as Result[];
    expect(firstViolation(viommu as never, subject.backend.info, CASE, lossy)?.rule).toMatch(/^VIOMMU-SHADOW-SOUND$/);
  }, 60_000);

  test('vfio-shadow and virtio pass (seed 1, 10 cases)', async () => {
    for (const id of ['vfio-shadow', 'virtio']) {
      const outcome = await runProperty(subject, viommu.properties.find((p) => p.id === id)!, { seed: 1, runs: 10, maxOps: 40 });
      expect(outcome.status, JSON.stringify(outcome.status === 'fail' ? outcome.violation : '')).toBe('pass');
    }
  }, 120_000);
});

familyRuns('virtio-iommu-vfio-user', { 'vfio-shadow': 'pass', virtio: 'pass', args: 'pass', walk: 'skip' });
