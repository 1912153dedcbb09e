// QEMU 11.1's intel-iommu in caching mode with its vfio-user-pci client (qemu/vfio-user/): every
// DMA_MAP and DMA_UNMAP VFIO's notifier makes reaches our server, so these check the notifier
// shadow against what VFIO is really told; the family runs through qemu/conform.ts, whose
// expectations file lists the known divergences.
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/vfio-user.test.ts
import { describe, expect, test } from 'vitest';
import type { Op } from '../../../spec/viommu/ops.ts';
import { enabled, familyRuns, judged, opened, RAM } from './support.ts';

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
  const vfio = opened('qemu-11.1:intel-iommu-vfio-user');

  test('declares VFIO at endpoint 0', () => {
    expect(vfio.info).toMatchObject({ name: 'qemu-11.1:intel-iommu-vfio-user', capabilities: ['domains', 'tables', 'vfio'], vfio: { endpoint: 0, notifiers: [{ notifier: 0, start: 0n, end: 0xfedfffffn }, { notifier: 1, start: 0xfef00000n, end: (1n << 39n) - 1n }] }, cachingMode: true });
  });

  test('VFIO is told of maps, remaps, moves and detaches, and the model finds it conforming', async () => {
    const { results, violation } = await judged(vfio.subject, VFIO_CASE);
    expect(violation).toBeNull();
    const events = (i: number) => (results[i] as { events: { type: string; entry: { iova: bigint; perm: string } }[] }).events;
    // A write-only leaf is mapped read-write: VFIO cannot map write-only.
    expect(events(4).filter((e) => e.type === 'map').map((e) => [e.entry.iova, e.entry.perm])).toEqual([[0x1000n, 'rw'], [0x2000n, 'rw'], [0x200000n, 'r']]);
    expect(events(6).map((e) => e.type)).toEqual(['unmap', 'map']);
    expect(events(11).every((e) => e.type === 'unmap')).toBe(true);
  }, 60_000);

  test('a split 2 MiB leaf is unmapped a page at a time: VIOMMU-SHADOW-NO-CUT (qemu/README.md)', async () => {
    const { violation } = await judged(vfio.subject, CUT_CASE);
    expect(violation?.rule).toBe('VIOMMU-SHADOW-NO-CUT');
  }, 60_000);
});

familyRuns('intel-iommu-vfio-user', { 'vfio-shadow': 'pass', args: 'pass', walk: 'skip', shadow: 'skip' });
