// The model agrees with itself: on every property's cases, for every bundled declaration and
// some unusual ones, the answers it predicts are answers it accepts. A model whose own
// events break its rules, or whose canonical translation it would reject, fails here.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { viommu } from '../../families/viommu.ts';
import { firstViolation } from '../../harness/check.ts';
import type { BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op, Result } from '../../spec/viommu/ops.ts';

const base = { description: 'a declaration for the test', family: 'viommu' as const, cachingMode: false, mapNotifiers: true, deviceIotlb: false, unattached: 'fault' as const };
const UNUSUAL: BackendInfo[] = [
  { ...base, name: 'vtd-32-4k-only', profile: 'vtd', iovaBits: 32, pageSizes: [0x1000n], indexes: 1, endpoints: 1, domains: 1, mapNotifiers: false, capabilities: ['domains', 'tables', 'notifiers', 'dma', 'translate'] },
  { ...base, name: 'vtd-64-cm-bypass', profile: 'vtd', iovaBits: 64, pageSizes: [0x1000n, 0x200000n, 0x40000000n], indexes: 1, endpoints: 6, domains: 3, cachingMode: true, unattached: 'bypass', capabilities: ['domains', 'tables', 'notifiers', 'dma', 'translate'] },
  { ...base, name: 'virtio-64k', profile: 'virtio-iommu', iovaBits: 40, pageSizes: [0x10000n], indexes: 1, endpoints: 2, domains: 2, capabilities: ['domains', 'notifiers', 'dma', 'translate'] },
  { ...base, name: 'mpc-small', profile: 'mpc', iovaBits: 14, pageSizes: [0x20n], indexes: 2, endpoints: 1, domains: 1, capabilities: ['lut', 'notifiers', 'dma', 'translate'] },
];

const declarations = (): BackendInfo[] => [
  ...viommu.bundled.filter((b) => b.kind === 'correct').map((b) => (b.kind === 'correct' ? b.create({}).info : null)!),
  ...UNUSUAL,
];

/** The model's own answers to `ops`, as a backend that never observed anything would give them. */
function predicted(info: BackendInfo, ops: readonly Op[]): Result[] {
  const model = viommu.model(info);
  return ops.map((op) => model.apply(op).result);
}

describe('the viommu model accepts its own answers', () => {
  for (const info of declarations()) {
    test(`${info.name} (${info.profile})`, () => {
      expect(viommu.checkInfo(info)).toBeNull();
      for (const property of viommu.properties) {
        if (property.requires.some((c) => !info.capabilities.includes(c as never))) continue;
        if (property.profiles && !property.profiles.includes(info.profile)) continue;
        for (const ops of fc.sample(property.cases(info, 60), { numRuns: 25, seed: 7 })) {
          const v = firstViolation(viommu, info, ops, predicted(info, ops));
          expect(v, v ? `${property.id} step ${v.step} ${viommu.formatOp(ops[v.step]!)}: ${v.rule} ${v.why ?? ''}` : '').toBeNull();
        }
      }
    });
  }
});

describe('the viommu model on virtio-iommu details QEMU taught it', () => {
  const info: BackendInfo = { ...base, name: 'virtio-bypass', profile: 'virtio-iommu', iovaBits: 48, pageSizes: [0x1000n], indexes: 1, endpoints: 2, domains: 2, unattached: 'bypass', capabilities: ['domains', 'dma', 'faults'] };
  const dma = (endpoint: number, iova: bigint): Op => ({ op: 'dma', endpoint, iova, access: 'write', secure: false });
  const judge = (ops: Op[], results: Result[]) => firstViolation(viommu, info, ops, results);
  const ok: Result = { ok: true, events: [] };
  const fault: Result = { ok: true, outcome: 'fault' };
  const memory = (addr: bigint): Result => ({ ok: true, outcome: 'memory', addr });
  const map: Op = { op: 'map', domain: 0, iova: 0x10000n, size: 0x1000n, pa: 0x80000n, perm: 'rw', page: 0x1000n };

  test('bypass is for endpoints in no domain: a bound endpoint\'s unmapped address faults', () => {
    const ops: Op[] = [dma(1, 0x5008n), { op: 'attach', endpoint: 0, domain: 0 }, dma(0, 0x5008n)];
    expect(judge(ops, [memory(0x5008n), ok, fault])).toBeNull();
    expect(judge(ops, [memory(0x5008n), ok, memory(0x5008n)])?.rule).toBe('VIOMMU-DMA-TRANSLATE');
  });

  test('the byte before a mapping does not go through it (VIOMMU-VIRTIO-RANGE); a byte further off is a plain mistranslation', () => {
    const ops: Op[] = [{ op: 'attach', endpoint: 0, domain: 0 }, map, dma(0, 0xffffn), dma(0, 0xfffen)];
    expect(judge(ops, [ok, ok, fault, fault])).toBeNull();
    expect(judge(ops, [ok, ok, memory(0x7ffffn), fault])?.rule).toBe('VIOMMU-VIRTIO-RANGE');
    expect(judge(ops, [ok, ok, fault, memory(0x7fffen)])?.rule).toBe('VIOMMU-DMA-TRANSLATE');
  });

  test('DETACH: ENOENT before the endpoint\'s first ATTACH, EINVAL after; an ATTACH to its own domain leaves it first', () => {
    const ops: Op[] = [{ op: 'detach', endpoint: 0 }, { op: 'attach', endpoint: 0, domain: 0 }, map, { op: 'attach', endpoint: 0, domain: 0 },
      { op: 'detach', endpoint: 0 }, { op: 'detach', endpoint: 0 }, { op: 'attach', endpoint: 0, domain: 0 }, map];
    const einval: Result = { ok: false, errno: 'EINVAL' };
    expect(judge(ops, [{ ok: false, errno: 'ENOENT' }, ok, ok, ok, ok, einval, ok, ok])).toBeNull();
    expect(judge(ops, [einval, ok, ok, ok, ok, einval, ok, ok])?.rule).toBe('VIOMMU-VIRTIO-ATTACH');
  });
});
