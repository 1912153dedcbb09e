// QEMU's TrustZone Memory Protection Controller (tz-mpc on mps2-an505) over qtest, on 7.2 and
// 11.1 (qemu/mpc/): what BLK_MAX and BLK_CFG report, a hand case the model judges, and the
// family through qemu/conform.ts.
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/mpc.test.ts
import { describe, expect, test } from 'vitest';
import type { Op, Result } from '../../../spec/viommu/ops.ts';
import { dma, enabled, fail, familyRuns, judged, memory, opened } from './support.ts';

const secure = (iova: bigint, access: 'read' | 'write'): Op => dma(0, iova, access, true);
const nonSecure = (iova: bigint, access: 'read' | 'write'): Op => dma(0, iova, access, false);
const blocked: Result = { ok: true, outcome: 'blocked' };

/** LUT writes and resets seen by Secure and Non-secure DMA, at block edges and the region's top. */
const MPC_CASE: Op[] = [
  secure(0x1000n, 'read'),
  nonSecure(0x1000n, 'read'),
  // Blocks 2..5 non-secure (VIOMMU-MPC-LUT, VIOMMU-ATTR-SEPARATE).
  { op: 'gate', iova: 0x800n, size: 0x1000n, ns: true },
  nonSecure(0x13ffn, 'read'),
  secure(0x13ffn, 'write'),
  nonSecure(0x1800n, 'write'),
  { op: 'gate', iova: 0x1000n, size: 0x400n, ns: false },
  nonSecure(0x1000n, 'write'),
  nonSecure(0x1400n, 'write'),
  // The MPC's reset: every block secure again (VIOMMU-MPC-RESET).
  { op: 'reset' },
  nonSecure(0x1400n, 'read'),
  secure(0x1400n, 'read'),
  { op: 'gate', iova: 0x3ffc00n, size: 0x400n, ns: true },
  nonSecure(0x3fffffn, 'read'),
  { op: 'gate', iova: 0x3ffc00n, size: 0x800n, ns: true },
  { op: 'gate', iova: 0x200n, size: 0x400n, ns: true },
  secure(0x400000n, 'read'),
];

describe.skipIf(!enabled)('QEMU 7.2 tz-mpc over qtest', () => {
  const mpc = opened('./qemu/mpc/backend.ts', 60_000);

  test('loads and declares what BLK_MAX and BLK_CFG report', () => {
    expect(mpc.info.name).toBe('qemu-7.2:mpc');
    expect(mpc.info.profile).toBe('mpc');
    expect(mpc.info.pageSizes).toEqual([0x400n]);
    expect(mpc.info.iovaBits).toBe(22);
    expect(mpc.info.capabilities).toEqual(['lut', 'dma']);
  });

  test('a hand-written case conforms: the LUT gates Non-secure DMA block by block, reset makes all secure', async () => {
    const { results, violation } = await judged(mpc.subject, MPC_CASE);
    expect(violation).toBeNull();
    expect(results.filter((r) => 'outcome' in r)).toEqual([
      memory(0x1000n), blocked, memory(0x13ffn), blocked, blocked, blocked, memory(0x1400n), blocked, memory(0x1400n), memory(0x3fffffn),
    ]);
    expect(results.slice(-3)).toEqual([fail('EINVAL'), fail('EINVAL'), fail('EINVAL')]);
  }, 60_000);
});

familyRuns('mpc', { mpc: 'pass', args: 'pass', walk: 'skip', shadow: 'skip' });
