// QEMU 11.1's intel-iommu with its vfio-user-pci client: VFIO's two notifiers either side of the
// interrupt window. An invalidation across the window reaches them as UNMAPs cropped at its
// edges, which the model accepts (VIOMMU-EVENT-FORM's variant); a MAP cropped at the upper
// notifier's start keeps the leaf's address, which it flags (expectations/, qemu/README.md).
// It starts QEMU, so this is opt-in:
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/vfio-user-window.test.ts
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { firstViolation, type Subject } from '../../../harness/check.ts';
import { loadBackend } from '../../../harness/load-backend.ts';
import { viommu } from '../../../families/viommu.ts';
import type { BackendInfo } from '../../../spec/viommu/backend.ts';
import type { NotifierEvent, Op, Result } from '../../../spec/viommu/ops.ts';

const enabled = process.env.VFIO_CONFORM_QEMU === '1';
const G = 0x40000000n;

/** 2 MiB leaves below 3 GiB and above it, then the 1 GiB directory at 3 GiB emptied. */
const ACROSS: Op[] = [
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'map', domain: 1, iova: 0xbfc00000n, size: 0xe00000n, pa: G, perm: 'rw', page: 0x200000n },
  { op: 'invalidate', scope: 'range', domain: 1, iova: 0xbfc00000n, size: 0xe00000n },
  { op: 'protect', domain: 1, iova: 3n * G, span: G, perm: 'none' },
  { op: 'invalidate', scope: 'range', domain: 1, iova: 3n * G, size: G },
];

/** A 2 MiB leaf over the window's first half and the upper notifier's first MiB. */
const CROPPED_MAP: Op[] = [
  { op: 'attach', endpoint: 0, domain: 0 },
  { op: 'map', domain: 0, iova: 0xfee00000n, size: 0x200000n, pa: G, perm: 'rw', page: 0x200000n },
  { op: 'invalidate', scope: 'range', domain: 0, iova: 0xfee00000n, size: 0x200000n },
];

const shape = (events: NotifierEvent[]) => events.map((e) => `n${e.notifier} ${e.type} ${e.entry.iova.toString(16)}+${(e.entry.addrMask + 1n).toString(16)}`);

describe.skipIf(!enabled)('QEMU 11.1 intel-iommu, VFIO\'s notifiers either side of the interrupt window', () => {
  let subject: Subject;
  beforeAll(async () => { subject = await loadBackend('qemu-11.1:intel-iommu-vfio-user', 120_000); }, 120_000);
  afterAll(async () => { await subject?.backend.dispose?.(); });

  const run = async (ops: Op[]): Promise<Result[]> => {
    await subject.backend.reset();
    const wire = await subject.backend.execute(ops);
    return wire.map((r, i) => viommu.decodeResult(ops[i]!, r, `result ${i}`, subject.backend.info as never)) as Result[];
  };

  test('declares two notifiers around 0xfee00000-0xfeefffff', () => {
    expect((subject.backend.info as BackendInfo).vfio).toEqual({ endpoint: 0, notifiers: [
      { notifier: 0, start: 0n, end: 0xfedfffffn }, { notifier: 1, start: 0xfef00000n, end: (1n << 39n) - 1n },
    ] });
  });

  test('an invalidation across the window arrives cropped at its edges, and conforms', async () => {
    const results = await run(ACROSS);
    expect(shape((results[4] as { events: NotifierEvent[] }).events).sort()).toEqual(['n0 unmap c0000000+3ee00000', 'n1 unmap fef00000+1100000']);
    expect(firstViolation(viommu as never, subject.backend.info, ACROSS, results)).toBeNull();
  }, 60_000);

  test('a MAP cropped at the upper notifier\'s start keeps the leaf\'s address: VIOMMU-SHADOW-SOUND', async () => {
    const results = await run(CROPPED_MAP);
    const [map] = (results[2] as { events: NotifierEvent[] }).events;
    expect(map).toMatchObject({ notifier: 1, type: 'map', entry: { iova: 0xfef00000n, addrMask: 0xfffffn, translatedAddr: G } });
    expect(firstViolation(viommu as never, subject.backend.info, CROPPED_MAP, results)?.rule).toBe('VIOMMU-SHADOW-SOUND');
  }, 60_000);
});
