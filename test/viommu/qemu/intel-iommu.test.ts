// QEMU's intel-iommu (VT-d) over qtest, on 7.2 and 11.1 (qemu/intel-iommu.ts): what it declares,
// a hand case the model judges, and the family through qemu/conform.ts in both caching modes.
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/intel-iommu.test.ts
import { describe, expect, test } from 'vitest';
import type { Op } from '../../../spec/viommu/ops.ts';
import { dma, enabled, fail, familyRuns, fault, judged, memory, opened, RAM } from './support.ts';

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
  const vtd = opened(`./qemu/intel-iommu.ts:version=${version}`);

  test('loads and declares what the emulated VT-d reports', () => {
    expect(vtd.subject.family.id).toBe('viommu');
    expect(vtd.info.name).toBe(`qemu-${version}:intel-iommu`);
    expect(vtd.info.pageSizes).toEqual([0x1000n, 0x200000n, 0x40000000n]);
    expect(vtd.info.capabilities).toEqual(['domains', 'tables', 'dma', 'faults']);
  });

  test('a hand-written case conforms: translations go where the tables say, faults are recorded', async () => {
    const { results, violation } = await judged(vtd.subject, HAND_CASE);
    expect(violation).toBeNull();
    expect(results[4]).toEqual(memory(RAM + 0x5008n));
    expect(results[5]).toEqual(memory(RAM + 0x6010n));
    expect(results[6]).toEqual(memory(RAM + 0x412345n));
    expect(results[10]).toEqual(fault);
    expect(results[12]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x1000n, access: 'read' }, { endpoint: 1, iova: 0x1000n, access: 'write' }] });
    expect(results[15]).toEqual(fault);
    expect(results[19]).toEqual(fault);
    expect(results[20]).toEqual(memory(RAM + 0x401000n));
    expect(results.at(-1)).toEqual(fail('EINVAL'));
  }, 60_000);
});

familyRuns('intel-iommu', { walk: 'pass', stale: 'pass', context: 'pass', args: 'pass', shadow: 'skip' });
familyRuns('intel-iommu-cm', { walk: 'pass', stale: 'pass', context: 'pass', args: 'pass', shadow: 'skip' });
