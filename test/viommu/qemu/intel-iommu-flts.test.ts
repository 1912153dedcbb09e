// QEMU 11.1's intel-iommu in scalable mode with first-stage tables (qemu/intel-iommu.ts mode=flts).
// It starts QEMU 11.1 (building its tree on first use), so this is opt-in:
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/intel-iommu-flts.test.ts
// Checks the declaration, a hand-written case judged by the model (and where its DMAs went), that
// 7.2 refuses the mode in one line, and the family through qemu/conform.ts.
import { describe, expect, test } from 'vitest';
import { loadBackend } from '../../../harness/load-backend.ts';
import type { Op } from '../../../spec/viommu/ops.ts';
import { dma, enabled, familyRuns, fault, judged, memory, opened, RAM } from './support.ts';

const GIB = 0x40000000n;

/** Every page size, the R/W bit at a leaf and at a directory, re-attach and detach through the PASID entry. */
const FLTS_CASE: Op[] = [
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x2000n, pa: RAM + 0x5000n, perm: 'rw', page: 0x1000n },
  { op: 'map', domain: 1, iova: 0x200000n, size: 0x200000n, pa: RAM + 0x400000n, perm: 'r', page: 0x200000n },
  { op: 'map', domain: 1, iova: GIB, size: GIB, pa: RAM, perm: 'rw', page: GIB },
  { op: 'invalidate', scope: 'global' },
  dma(0, 0x1008n, 'read'),
  dma(0, 0x2010n, 'write'),
  // Refused by the walk (R/W clear), so recorded; then a read of the same leaf.
  dma(0, 0x212345n, 'write'),
  dma(0, 0x212345n, 'read'),
  dma(0, GIB + 0x123456n, 'write'),
  // No PASID entry for endpoint 1: its requests fault, recorded.
  dma(1, 0x1008n, 'write'),
  { op: 'faults' },
  // A directory made read-only: the 4 KiB leaves under it refuse writes (VIOMMU-XLATE-PERM-AND).
  { op: 'protect', domain: 1, iova: 0n, span: 0x200000n, perm: 'r' },
  { op: 'invalidate', scope: 'domain', domain: 1 },
  dma(0, 0x2010n, 'write'),
  dma(0, 0x2010n, 'read'),
  // Re-attach: the PASID entry names domain 2 (PC_INV of both domain ids, then the old one's P_IOTLB).
  { op: 'map', domain: 2, iova: 0x1000n, size: 0x1000n, pa: RAM + 0x9000n, perm: 'rw', page: 0x1000n },
  { op: 'attach', endpoint: 0, domain: 2 },
  { op: 'invalidate', scope: 'context', endpoint: 0 },
  { op: 'invalidate', scope: 'domain', domain: 1 },
  dma(0, 0x1008n, 'read'),
  { op: 'detach', endpoint: 0 },
  { op: 'invalidate', scope: 'context', endpoint: 0 },
  { op: 'invalidate', scope: 'domain', domain: 2 },
  dma(0, 0x1008n, 'read'),
  { op: 'faults' },
  // A first-stage entry cannot refuse a read: write-only is not among the declared perms.
  { op: 'map', domain: 1, iova: 0x1000n, size: 0x1000n, pa: RAM, perm: 'w', page: 0x1000n },
];

describe.skipIf(!enabled)('QEMU 11.1 intel-iommu, scalable mode with first-stage tables, over qtest', () => {
  const vtd = opened('./qemu/intel-iommu.ts:version=11.1,mode=flts');

  test('declares what the first stage can express', () => {
    expect(vtd.info.name).toBe('qemu-11.1:intel-iommu-flts');
    expect(vtd.info.profile).toBe('vtd');
    // 4 KiB and 2 MiB always; 1 GiB from CAP.FS1GP (the fs1gp property, on by default).
    expect(vtd.info.pageSizes).toEqual([0x1000n, 0x200000n, GIB]);
    expect(vtd.info.perms).toEqual(['r', 'rw']);
    expect(vtd.info.capabilities).toEqual(['domains', 'tables', 'dma', 'faults']);
    expect(vtd.info.cachingMode).toBe(false);
  });

  test('a hand-written case conforms', async () => {
    const { results, violation } = await judged(vtd.subject, FLTS_CASE);
    expect(violation).toBeNull();
    expect(results.slice(5, 11)).toEqual([memory(RAM + 0x5008n), memory(RAM + 0x6010n), fault, memory(RAM + 0x412345n), memory(RAM + 0x123456n), fault]);
    expect(results[11]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x212000n, access: 'write' }, { endpoint: 1, iova: 0x1000n, access: 'write' }] });
    expect(results.slice(14, 16)).toEqual([fault, memory(RAM + 0x6010n)]);
    expect(results[20]).toEqual(memory(RAM + 0x9008n));
    expect(results[24]).toEqual(fault);
    expect(results[25]).toEqual({ ok: true, faults: [{ endpoint: 0, iova: 0x2000n, access: 'write' }, { endpoint: 0, iova: 0x1000n, access: 'read' }] });
    expect(results.at(-1)).toEqual({ ok: false, errno: 'EINVAL' });
  }, 60_000);

  test('7.2 refuses the mode in one line', async () => {
    await expect(loadBackend('./qemu/intel-iommu.ts:version=7.2,mode=flts', 60_000)).rejects.toThrow(/mode=flts needs version=11\.1/);
  }, 60_000);
});

familyRuns('intel-iommu-flts', { walk: 'pass', stale: 'pass', context: 'pass', args: 'pass', shadow: 'skip' });
