// VFIO's own notifier (BackendInfo.vfio): the model starts every case with it registered and
// judges its events through what VFIO maps; sim-vtd declares it with vfio=ENDPOINT:NOTIFIER,
// passes vfio-shadow, and the mutant that leaves the shadow behind on a move is caught.
import { describe, expect, test } from 'vitest';
import { viommu } from '../../families/viommu.ts';
import { runProperty } from '../../harness/run.ts';
import { checkCase } from '../../harness/check.ts';
import { createTableSim } from '../../backends/viommu/tables/flavours.ts';
import type { Op } from '../../spec/viommu/ops.ts';

const property = viommu.properties.find((p) => p.id === 'vfio-shadow')!;
const sim = (vfio = '0:5') => createTableSim('sim-vtd', [], { vfio });

describe('vfio-shadow', () => {
  test('sim-vtd declares vfio only when asked, and checkInfo accepts it', () => {
    expect(createTableSim('sim-vtd', [], {}).info.vfio).toBeUndefined();
    const info = sim('1:5').info;
    expect(info.vfio).toEqual({ endpoint: 1, notifiers: [{ notifier: 5, start: 0n, end: (1n << BigInt(info.iovaBits)) - 1n }] });
    // Two ids: two sections either side of VT-d's interrupt window, as behind intel-iommu.
    expect(sim('0:5:6').info.vfio!.notifiers).toEqual([{ notifier: 5, start: 0n, end: 0xfedfffffn }, { notifier: 6, start: 0xfef00000n, end: (1n << BigInt(info.iovaBits)) - 1n }]);
    expect(viommu.checkInfo(sim('0:5:6').info)).toBeNull();
    expect(info.capabilities).toContain('vfio');
    expect(viommu.checkInfo(info)).toBeNull();
    expect(() => createTableSim('sim-vtd', [], { vfio: 'x' })).toThrow(/ENDPOINT:NOTIFIER or ENDPOINT:LOW:HIGH/);
    expect(() => createTableSim('sim-vtd-nocm', [], { vfio: '0:0' })).toThrow(/vfio needs mapNotifiers/);
  });

  test('is skipped without the capability', async () => {
    const outcome = await runProperty({ family: viommu, backend: createTableSim('sim-vtd', [], {}) }, property, { seed: 1, runs: 5, maxOps: 20 });
    expect(outcome.status).toBe('skip');
  });

  for (const seed of [1, 2]) {
    test(`sim-vtd with vfio passes (seed ${seed})`, async () => {
      const outcome = await runProperty({ family: viommu, backend: sim() }, property, { seed, runs: 100, maxOps: 60 });
      expect(outcome.status, JSON.stringify(outcome.status === 'fail' ? outcome.violation : '')).toBe('pass');
    }, 120_000);
  }

  test('the implicit notifier is there from the start: its MAPs are judged, perm as VFIO mapped it', async () => {
    const ops: Op[] = [
      { op: 'attach', endpoint: 0, domain: 1 },
      { op: 'invalidate', scope: 'global' },
      { op: 'map', domain: 1, iova: 0x200000n, size: 0x1000n, pa: 0x5000n, perm: 'w', page: 0x1000n },
      { op: 'invalidate', scope: 'domain', domain: 1 },
    ];
    const results = await sim().execute(ops);
    expect(results[3]).toEqual({ ok: true, events: [{ notifier: 5, type: 'map', entry: { iova: 0x200000n, translatedAddr: 0x5000n, addrMask: 0xfffn, perm: 'rw', target: 'memory' } }] });
    expect((await checkCase({ family: viommu, backend: sim() }, ops)).ok).toBe(true);
    // A MAP the notifier never got is a loss the model names; so is a second one (no UNMAP first).
    const silent = { info: sim().info, reset() {}, execute: (o: readonly Op[]) => o.map(() => ({ ok: true as const, events: [] })) };
    const missed = await checkCase({ family: viommu, backend: silent }, ops);
    expect(missed.ok ? '' : missed.violation.rule).toBe('VIOMMU-INVAL-DOMAIN');
  });

  test('the move mutant is caught by vfio-shadow on its rule', async () => {
    const mutant = viommu.bundled.find((b) => b.name === 'sim-vtd~context-move-unsynced')!;
    expect(mutant.kind).toBe('mutant');
    if (mutant.kind !== 'mutant') return;
    const outcome = await runProperty({ family: viommu, backend: mutant.create({}) }, property, { seed: 1, runs: 300, maxOps: 60 });
    expect(outcome.status).toBe('fail');
    if (outcome.status === 'fail') {
      expect(outcome.violation.rule).toBe(mutant.rule);
      expect((outcome.ops as Op[]).some((op) => op.op === 'attach' && op.endpoint === 0)).toBe(true);
    }
  }, 120_000);
});
