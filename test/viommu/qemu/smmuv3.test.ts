// QEMU's SMMUv3 (stage 1) over qtest, on 7.2 and 11.1 (qemu/smmuv3/): what it declares, a hand
// case the model judges, and the family through qemu/conform.ts, whose expectations file names
// the cached leaf that ignores APTable (expectations/qemu-*:smmuv3.json), a QEMU bug.
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/smmuv3.test.ts
import { describe, expect, test } from 'vitest';
import type { Op } from '../../../spec/viommu/ops.ts';
import { dma, enabled, fail, familyRuns, fault, judged, knownRules, memory, opened } from './support.ts';

/** Guest RAM where the Arm virt machine starts. */
const RAM = 0x80000000n;

/**
 * A write through a leaf a read has cached, under a table made read-only: QEMU lets it through
 * (smmu_ptw_64_s1 caches the leaf's AP without APTable), where VIOMMU-XLATE-PERM-AND refuses it.
 * A QEMU bug, listed in expectations/qemu-*:smmuv3.json.
 */
const WRITE_THROUGH_CACHED_LEAF = dma(0, 0x2010n, 'write');

/** The SMMUv3's case: what its event queue records, the behaviour the rules name for it, and its known bug. */
const SMMU_CASE: Op[] = [
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x2000n, pa: RAM + 0x5000n, perm: 'rw', page: 0x1000n },
  { op: 'map', domain: 1, iova: 0x200000n, size: 0x200000n, pa: RAM + 0x400000n, perm: 'r', page: 0x200000n },
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
  // A write-protected table: refused on the walk, let through once a read cached the leaf.
  { op: 'protect', domain: 1, iova: 0n, span: 0x200000n, perm: 'r' },
  { op: 'invalidate', scope: 'domain', domain: 1 },
  dma(0, 0x2010n, 'write'),
  dma(0, 0x2010n, 'read'),
  WRITE_THROUGH_CACHED_LEAF,
  { op: 'detach', endpoint: 0 },
  { op: 'invalidate', scope: 'context', endpoint: 0 },
  dma(0, 0x2010n, 'read'),
  { op: 'faults' },
  // A stage-1 descriptor cannot refuse reads: write-only is not among the declared perms.
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x1000n, pa: RAM, perm: 'w', page: 0x1000n },
];

describe.skipIf(!enabled).each(['7.2', '11.1'])('QEMU %s SMMUv3 over qtest', (version) => {
  const smmu = opened(`./qemu/smmuv3/backend.ts:version=${version}`);

  test('loads and declares what the emulated SMMUv3 walks', () => {
    expect(smmu.info.name).toBe(`qemu-${version}:smmuv3`);
    expect(smmu.info.profile).toBe('smmuv3');
    expect(smmu.info.pageSizes).toEqual([0x1000n, 0x200000n, 0x40000000n]);
    expect(smmu.info.perms).toEqual(['r', 'rw']);
    expect(smmu.info.capabilities).toEqual(['domains', 'tables', 'dma', 'faults']);
  });

  test('a hand-written case: the event queue has the exact address, permission and translation faults', async () => {
    const { results } = await judged(smmu.subject, SMMU_CASE);
    expect(results.slice(4, 8)).toEqual([memory(RAM + 0x5008n), memory(RAM + 0x6010n), memory(RAM + 0x412345n), fault]);
    expect(results.slice(10, 12)).toEqual([fault, fault]);
    expect(results[12]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x212345n, access: 'write' }, { endpoint: 0, iova: 0x1008n, access: 'read' }] });
    expect(results[15]).toEqual(memory(RAM + 0x6010n));
    expect(results.slice(18, 21)).toEqual([fault, memory(RAM + 0x6010n), memory(RAM + 0x6010n)]);
    expect(results[23]).toEqual(fault);
    expect(results[24]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x2010n, access: 'write' }] });
    expect(results.at(-1)).toEqual(fail('EINVAL'));
  }, 60_000);

  test('the model finds the case conforming up to the write through the cached leaf: VIOMMU-XLATE-PERM-AND, a known QEMU bug', async () => {
    const { violation } = await judged(smmu.subject, SMMU_CASE);
    expect(violation).toMatchObject({ rule: 'VIOMMU-XLATE-PERM-AND', step: SMMU_CASE.indexOf(WRITE_THROUGH_CACHED_LEAF) });
    expect(knownRules(`qemu-${version}:smmuv3`)).toContain('VIOMMU-XLATE-PERM-AND');
  }, 60_000);

  test('without that write, the whole case conforms', async () => {
    const { violation } = await judged(smmu.subject, SMMU_CASE.filter((op) => op !== WRITE_THROUGH_CACHED_LEAF));
    expect(violation).toBeNull();
  }, 60_000);
});

familyRuns('smmuv3', { walk: 'pass', stale: 'pass', context: 'pass', args: 'pass', shadow: 'skip' });
