// VFIO's notifiers either side of intel-iommu's interrupt window (BackendInfo.vfio.notifiers):
// the model registers each, accepts an event cropped at its notifier's edge
// (VIOMMU-EVENT-FORM's variant) and nothing else out of form, and judges a cropped MAP's
// translated address; sim-vtd:vfio=E:LOW:HIGH passes vfio-shadow.
import { describe, expect, test } from 'vitest';
import { viommu } from '../../families/viommu.ts';
import { checkCase } from '../../harness/check.ts';
import { runProperty } from '../../harness/run.ts';
import { createTableSim } from '../../backends/viommu/tables/flavours.ts';
import type { NotifierEvent, Op, Result } from '../../spec/viommu/ops.ts';

const property = viommu.properties.find((p) => p.id === 'vfio-shadow')!;
const sim = () => createTableSim('sim-vtd', [], { vfio: '0:5:6' });
const G = 0x40000000n;

const unmap = (notifier: number, iova: bigint, size: bigint): NotifierEvent =>
  ({ notifier, type: 'unmap', entry: { iova, translatedAddr: 0n, addrMask: size - 1n, perm: 'none', target: 'memory' } });
const map = (notifier: number, iova: bigint, size: bigint, pa: bigint): NotifierEvent =>
  ({ notifier, type: 'map', entry: { iova, translatedAddr: pa, addrMask: size - 1n, perm: 'rw', target: 'memory' } });

/** The case of the interrupt window found on QEMU 11.1: a 1 GiB leaf across it, then taken away. */
const ops: Op[] = [
  { op: 'attach', endpoint: 0, domain: 1 },
  { op: 'invalidate', scope: 'global' },
  { op: 'map', domain: 1, iova: 3n * G, size: G, pa: G, perm: 'rw', page: G },
  { op: 'invalidate', scope: 'domain', domain: 1 },
  { op: 'unmap', domain: 1, iova: 3n * G, size: G },
  { op: 'invalidate', scope: 'domain', domain: 1 },
];

/** A backend answering `events` to operation 3 (the MAP's invalidation) and 5 (the UNMAP's), nothing elsewhere. */
function answering(mapped: NotifierEvent[], unmapped: NotifierEvent[]) {
  const results = (o: readonly Op[]): Result[] => o.map((_, i) => ({ ok: true, events: i === 3 ? mapped : i === 5 ? unmapped : [] }));
  return { info: sim().info, reset() {}, execute: results };
}

const rule = async (mapped: NotifierEvent[], unmapped: NotifierEvent[]) => {
  const r = await checkCase({ family: viommu, backend: answering(mapped, unmapped) }, ops);
  return r.ok ? 'ok' : r.violation.rule;
};

describe('VFIO notifier sections', () => {
  test('a leaf across the window: each section gets its cropped part, with the right address', async () => {
    const ok = await rule(
      [map(5, 3n * G, 0x3ee00000n, G), map(6, 0xfef00000n, 0x1100000n, G + 0x3ef00000n)],
      [unmap(5, 3n * G, 0x3ee00000n), unmap(6, 0xfef00000n, 0x1100000n)],
    );
    expect(ok).toBe('ok');
    // The simulator answers in aligned chunks, which conform too.
    expect((await checkCase({ family: viommu, backend: sim() }, ops)).ok).toBe(true);
  });

  test('a MAP cropped at its notifier\'s start keeping the leaf\'s address is unsound', async () => {
    expect(await rule([map(5, 3n * G, 0x3ee00000n, G), map(6, 0xfef00000n, 0x1100000n, G)], [])).toBe('VIOMMU-SHADOW-SOUND');
  });

  test('an UNMAP not a power of two and not cut at an edge is out of form', async () => {
    const mapped = [map(5, 3n * G, 0x3ee00000n, G), map(6, 0xfef00000n, 0x1100000n, G + 0x3ef00000n)];
    expect(await rule(mapped, [unmap(5, 3n * G, 0x3ec00000n), unmap(5, 0xfec00000n, 0x200000n), unmap(6, 0xfef00000n, 0x1100000n)])).toBe('VIOMMU-EVENT-FORM');
  });

  test('an event reaching into the window is out of its notifier\'s range', async () => {
    expect(await rule([map(5, 0xfee00000n, 0x100000n, G + 0x3ee00000n)], [])).toBe('VIOMMU-EVENT-RANGE');
  });

  for (const seed of [1, 2]) {
    test(`sim-vtd with two sections passes vfio-shadow (seed ${seed})`, async () => {
      const outcome = await runProperty({ family: viommu, backend: sim() }, property, { seed, runs: 100, maxOps: 60 });
      expect(outcome.status, JSON.stringify(outcome.status === 'fail' ? outcome.violation : '')).toBe('pass');
    }, 120_000);
  }
});
