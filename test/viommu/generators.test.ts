// The viommu generators: every case fits the declaration it was made for (capabilities,
// geometry, maxOps), the catalog names every rule, cases are the same for the same seed, and
// each property produces what it is aimed at. Whether a backend answers them right is the
// model's business, not checked here.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CAPABILITIES, capabilitiesFor, checkGeometry, PROFILES, tableSpans, type BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op } from '../../spec/viommu/ops.ts';
import { RULES } from '../../spec/viommu/rules.ts';
import { U64_MAX } from '../../spec/u64.ts';
import { PROPERTIES } from '../../properties/viommu/catalog.ts';

const K4 = 0x1000n;
const M2 = 0x200000n;
const G1 = 0x40000000n;
const TABLE_CAPS: BackendInfo['capabilities'] = ['domains', 'tables', 'notifiers', 'dma', 'translate', 'faults'];
const base = { family: 'viommu', description: 'test declaration', deviceIotlb: false, unattached: 'fault', indexes: 1 } as const;

const INFOS: BackendInfo[] = [
  { ...base, name: 'vtd', profile: 'vtd', capabilities: TABLE_CAPS, iovaBits: 39, pageSizes: [K4, M2, G1], endpoints: 4, domains: 4, cachingMode: true, mapNotifiers: true },
  { ...base, name: 'smmuv3', profile: 'smmuv3', capabilities: TABLE_CAPS, iovaBits: 48, pageSizes: [K4, M2], endpoints: 4, domains: 4, cachingMode: false, mapNotifiers: false, deviceIotlb: true },
  { ...base, name: 'virtio', profile: 'virtio-iommu', capabilities: ['domains', 'notifiers', 'dma', 'translate', 'faults'], iovaBits: 48, pageSizes: [K4], endpoints: 4, domains: 4, cachingMode: false, mapNotifiers: true, unattached: 'bypass' },
  { ...base, name: 'mpc', profile: 'mpc', capabilities: ['lut', 'notifiers', 'dma', 'translate'], iovaBits: 20, pageSizes: [0x400n], indexes: 2, endpoints: 1, domains: 1, cachingMode: false, mapNotifiers: true },
  { ...base, name: 'vtd-small', profile: 'vtd', capabilities: TABLE_CAPS, iovaBits: 32, pageSizes: [K4], endpoints: 1, domains: 1, cachingMode: false, mapNotifiers: false },
  // Unusual but valid: the whole 64-bit space, many endpoints, no translate or notifiers (qtest).
  { ...base, name: 'vtd-ram', profile: 'vtd', capabilities: ['domains', 'tables', 'dma', 'faults'], iovaBits: 39, pageSizes: [K4, M2, G1], endpoints: 2, domains: 2, cachingMode: false, mapNotifiers: false, ram: { start: 0x100000n, size: 0x8000000n } },
  { ...base, name: 'vtd-64-qtest', profile: 'vtd', capabilities: ['domains', 'tables', 'dma', 'faults'], iovaBits: 64, pageSizes: [K4, M2, G1], endpoints: 64, domains: 64, cachingMode: true, mapNotifiers: true },
  { ...base, name: 'smmuv3-tiny', profile: 'smmuv3', capabilities: TABLE_CAPS, iovaBits: 13, pageSizes: [K4], endpoints: 2, domains: 3, cachingMode: false, mapNotifiers: false },
  { ...base, name: 'virtio-odd', profile: 'virtio-iommu', capabilities: ['domains', 'notifiers', 'dma', 'translate'], iovaBits: 12, pageSizes: [0x40n], endpoints: 2, domains: 1, cachingMode: false, mapNotifiers: false },
  // QEMU's own VFIO device as an endpoint: its notifiers registered before the case (behind intel-iommu, either side of the interrupt window).
  { ...base, name: 'vtd-vfio', profile: 'vtd', capabilities: ['domains', 'tables', 'dma', 'vfio'], iovaBits: 39, pageSizes: [K4, M2, G1], endpoints: 1, domains: 4, cachingMode: true, mapNotifiers: true, ram: { start: G1, size: G1 }, vfio: { endpoint: 0, notifiers: [{ notifier: 0, start: 0n, end: 0xfedfffffn }, { notifier: 1, start: 0xfef00000n, end: (1n << 39n) - 1n }] } },
  { ...base, name: 'virtio-vfio', profile: 'virtio-iommu', capabilities: ['domains', 'dma', 'vfio'], iovaBits: 48, pageSizes: [K4], endpoints: 2, domains: 4, cachingMode: false, mapNotifiers: true, ram: { start: G1, size: G1 }, vfio: { endpoint: 1, notifiers: [{ notifier: 3, start: 0n, end: (1n << 48n) - 1n }] } },
  { ...base, name: 'virtio-64', profile: 'virtio-iommu', capabilities: ['domains', 'notifiers', 'translate'], iovaBits: 64, pageSizes: [0x10000n], endpoints: 1, domains: 64, cachingMode: false, mapNotifiers: true },
];

const applies = (p: (typeof PROPERTIES)[number], info: BackendInfo): boolean =>
  (!p.profiles || p.profiles.includes(info.profile)) && p.requires.every((c) => info.capabilities.includes(c));

const sample = (p: (typeof PROPERTIES)[number], info: BackendInfo, maxOps: number, seed = 11, numRuns = 25): Op[][] =>
  fc.sample(p.cases(info, maxOps), { seed, numRuns });

/** What is wrong with an operation's arguments under operations.md "Arguments", or null. */
function argsProblem(info: BackendInfo, op: Op): string | null {
  const top = 1n << BigInt(info.iovaBits);
  const g = info.pageSizes[0]!;
  const range = (iova: bigint, size: bigint): boolean => size > 0n && iova % g === 0n && size % g === 0n && iova + size <= top;
  const ep = (e: number): boolean => Number.isInteger(e) && e >= 0 && e < info.endpoints;
  const dom = (d: number): boolean => Number.isInteger(d) && d >= 0 && d < info.domains;
  switch (op.op) {
    case 'attach': return ep(op.endpoint) && dom(op.domain) ? null : 'attach';
    case 'detach': return ep(op.endpoint) ? null : 'detach';
    case 'map':
      if (!dom(op.domain) || op.perm === 'none' || !info.pageSizes.includes(op.page)) return 'map: domain, perm or page';
      if (op.size <= 0n || op.iova % op.page || op.pa % op.page || op.size % op.page) return 'map: alignment';
      return op.iova + op.size <= top && op.pa + op.size <= U64_MAX + 1n ? null : 'map: past the top';
    case 'unmap': return dom(op.domain) && range(op.iova, op.size) ? null : 'unmap';
    case 'protect': return dom(op.domain) && tableSpans(info).includes(op.span) && op.iova % op.span === 0n && op.iova < top ? null : 'protect';
    case 'invalidate':
      if (op.scope === 'range') return dom(op.domain) && range(op.iova, op.size) ? null : 'invalidate range';
      if (op.scope === 'domain') return dom(op.domain) ? null : 'invalidate domain';
      if (op.scope === 'context') return ep(op.endpoint) ? null : 'invalidate context';
      return null;
    case 'gate': return range(op.iova, op.size) ? null : 'gate';
    case 'reset': case 'faults': return null;
    case 'dma': return ep(op.endpoint) && op.iova >= 0n && op.iova < top ? null : 'dma';
    case 'translate': return ep(op.endpoint) && op.index >= 0 && op.index < info.indexes && op.iova >= 0n && op.iova < top ? null : 'translate';
    case 'register':
      if (op.flags < 1 || op.flags > 7 || !ep(op.endpoint) || op.index < 0 || op.index >= info.indexes) return 'register: flags, endpoint or index';
      return op.start <= op.end && op.end < top && op.start % g === 0n && (op.end + 1n) % g === 0n ? null : 'register: range';
    case 'unregister': case 'replay': return null;
  }
}

/** Every bigint a u64, every number a non-negative integer: what the wire can carry. */
function wireProblem(op: Op): string | null {
  for (const [k, v] of Object.entries(op)) {
    if (typeof v === 'bigint' && (v < 0n || v > U64_MAX)) return `${k} is not a u64`;
    if (typeof v === 'number' && !(Number.isInteger(v) && v >= 0)) return `${k} is not a non-negative integer`;
  }
  return null;
}

describe('the catalog', () => {
  test('the declarations used here are valid', () => {
    for (const info of INFOS) expect(checkGeometry(info), info.name).toBeNull();
  });

  test('covers every rule, names only real rules, capabilities and profiles, ids unique', () => {
    const ids = new Set(RULES.map((r) => r.id));
    for (const r of RULES) expect(PROPERTIES.some((p) => p.rules.includes(r.id)), `${r.id} has no property`).toBe(true);
    for (const p of PROPERTIES) {
      for (const id of p.rules) expect(ids.has(id), `${p.id}: ${id}`).toBe(true);
      for (const c of p.requires) expect(CAPABILITIES as readonly string[], `${p.id}: ${c}`).toContain(c);
      for (const profile of p.profiles ?? []) expect(PROFILES as readonly string[], `${p.id}: ${profile}`).toContain(profile);
    }
    expect(new Set(PROPERTIES.map((p) => p.id)).size).toBe(PROPERTIES.length);
  });

  test('every declaration here gets some properties, and every property some declaration', () => {
    for (const info of INFOS) expect(PROPERTIES.some((p) => applies(p, info)), info.name).toBe(true);
    for (const p of PROPERTIES) expect(INFOS.some((info) => applies(p, info)), p.id).toBe(true);
  });
});

describe('cases fit the declaration', () => {
  for (const info of INFOS) {
    for (const p of PROPERTIES.filter((q) => applies(q, info))) {
      test(`${p.id} on ${info.name}`, () => {
        for (const maxOps of [40, 120]) {
          const cases = sample(p, info, maxOps, 11, 15);
          expect(cases.some((c) => c.length > maxOps / 2), 'cases fill maxOps').toBe(true);
          for (const ops of cases) {
            expect(ops.length).toBeLessThanOrEqual(maxOps);
            for (const op of ops) {
              for (const c of capabilitiesFor(op)) expect(info.capabilities, `${op.op} needs ${c}`).toContain(c);
              expect(wireProblem(op), op.op).toBeNull();
              // Only `args` and `registration` name invalid arguments (past the top among them).
              if (p.id === 'args' || (p.id === 'registration' && op.op === 'register')) continue;
              expect(argsProblem(info, op), JSON.stringify(op, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))).toBeNull();
              // A declared RAM holds every translated address.
              if (info.ram && op.op === 'map') expect(op.pa >= info.ram.start && op.pa + op.size <= info.ram.start + info.ram.size, `pa 0x${op.pa.toString(16)}`).toBe(true);
            }
          }
        }
      });
    }
  }
});

describe('determinism', () => {
  test('the same seed gives the same cases, another seed others', () => {
    for (const info of INFOS) {
      for (const p of PROPERTIES.filter((q) => applies(q, info))) {
        expect(sample(p, info, 60, 5, 8), `${p.id} on ${info.name}`).toEqual(sample(p, info, 60, 5, 8));
      }
    }
    const walk = PROPERTIES.find((p) => p.id === 'walk')!;
    expect(sample(walk, INFOS[0]!, 60, 5, 8)).not.toEqual(sample(walk, INFOS[0]!, 60, 6, 8));
  });
});

const byName = (name: string): BackendInfo => INFOS.find((i) => i.name === name)!;
const prop = (id: string): (typeof PROPERTIES)[number] => PROPERTIES.find((p) => p.id === id)!;
const allOps = (id: string, info: string, numRuns = 40): Op[] => sample(prop(id), byName(info), 120, 3, numRuns).flat();
const isPow2 = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;

/**
 * A virtio-iommu case replayed on the mappings alone (operations.md "virtio-iommu"): how many
 * UNMAPs only cut a mapping (ERANGE), how many MAPs overlap one, and how many UNMAPs both
 * remove a mapping and cut another (never generated: their answer is not verified).
 */
function virtioShapes(info: BackendInfo, ops: readonly Op[]): { cut: number; overlap: number; ambiguous: number } {
  const g = info.pageSizes[0]!;
  const top = 1n << BigInt(info.iovaBits);
  const domainOf = new Map<number, number>();
  const maps = new Map<number, { iova: bigint; end: bigint }[]>();
  const live = (d: number): boolean => [...domainOf.values()].includes(d);
  const leave = (e: number): void => {
    const d = domainOf.get(e);
    domainOf.delete(e);
    if (d !== undefined && !live(d)) maps.delete(d);
  };
  const out = { cut: 0, overlap: 0, ambiguous: 0 };
  for (const op of ops) {
    if (argsProblem(info, op)) continue;
    if (op.op === 'attach' && domainOf.get(op.endpoint) !== op.domain) { leave(op.endpoint); domainOf.set(op.endpoint, op.domain); }
    if (op.op === 'detach') leave(op.endpoint);
    if ((op.op !== 'map' && op.op !== 'unmap') || !live(op.domain) || op.iova + op.size > top || op.size % g) continue;
    const list = maps.get(op.domain) ?? [];
    const end = op.iova + op.size;
    const hit = list.filter((m) => m.iova < end && op.iova < m.end);
    if (op.op === 'map') {
      if (hit.length > 0) out.overlap++;
      else maps.set(op.domain, [...list, { iova: op.iova, end }]);
      continue;
    }
    const whole = hit.filter((m) => m.iova >= op.iova && m.end <= end);
    if (whole.length < hit.length) { if (whole.length > 0) out.ambiguous++; else out.cut++; continue; }
    maps.set(op.domain, list.filter((m) => !whole.includes(m)));
  }
  return out;
}

describe('each property produces what it aims at', () => {
  test('virtio: overlapping MAPs and cutting UNMAPs, never one that both removes and cuts', () => {
    const totals = { cut: 0, overlap: 0, ambiguous: 0 };
    for (const p of PROPERTIES.filter((q) => applies(q, byName('virtio')))) {
      for (const ops of sample(p, byName('virtio'), 150, 9, 40)) {
        const s = virtioShapes(byName('virtio'), ops);
        totals.cut += s.cut; totals.overlap += s.overlap; totals.ambiguous += s.ambiguous;
      }
    }
    expect(totals.ambiguous).toBe(0);
    expect(totals.cut).toBeGreaterThan(10);
    expect(totals.overlap).toBeGreaterThan(10);
    const sizes = allOps('virtio', 'virtio').flatMap((op) => (op.op === 'map' ? [op.size / 0x1000n] : []));
    expect(sizes.some((n) => !isPow2(n))).toBe(true);
  });

  test('walk: leaves of every declared size, directory permissions, probes of both kinds', () => {
    const ops = allOps('walk', 'vtd');
    for (const page of byName('vtd').pageSizes) expect(ops.some((op) => op.op === 'map' && op.page === page), `${page}`).toBe(true);
    for (const kind of ['protect', 'dma', 'translate', 'unmap', 'faults'] as const) expect(ops.some((op) => op.op === kind), kind).toBe(true);
  });

  test('walk, stale, context: fault records read after one DMA and after several, only where declared', () => {
    const aimed = [['walk', 'vtd'], ['stale', 'smmuv3'], ['context', 'vtd'], ['walk', 'virtio'], ['context', 'virtio'], ['context', 'vtd-64-qtest']] as const;
    for (const [id, info] of aimed) {
      const reads = { afterOne: 0, afterSeveral: 0 };
      for (const ops of sample(prop(id), byName(info), 120, 3, 40)) {
        let dmas = 0;
        for (const op of ops) {
          if (op.op === 'dma') dmas++;
          if (op.op !== 'faults') continue;
          if (dmas === 1) reads.afterOne++;
          if (dmas > 1) reads.afterSeveral++;
          dmas = 0;
        }
      }
      expect(reads.afterOne, `${id} on ${info}`).toBeGreaterThan(5);
      expect(reads.afterSeveral, `${id} on ${info}`).toBeGreaterThan(5);
    }
    // virtio-odd declares no faults; shadow is not aimed at them.
    expect(allOps('walk', 'virtio-odd').some((op) => op.op === 'faults')).toBe(false);
    expect(allOps('shadow', 'vtd').some((op) => op.op === 'faults')).toBe(false);
  });

  test('stale: range invalidations that are not powers of two, not aligned, of every scope', () => {
    const ops = allOps('stale', 'smmuv3');
    const ranges = ops.flatMap((op) => (op.op === 'invalidate' && op.scope === 'range' ? [op] : []));
    expect(ranges.some((r) => !isPow2(r.size))).toBe(true);
    expect(ranges.some((r) => isPow2(r.size) && r.iova % r.size !== 0n)).toBe(true);
    for (const scope of ['domain', 'context', 'global'] as const) {
      expect(ops.some((op) => op.op === 'invalidate' && op.scope === scope), scope).toBe(true);
    }
  });

  test('context: moves, detaches and context invalidations, probes from unbound endpoints', () => {
    const ops = allOps('context', 'vtd');
    for (const kind of ['attach', 'detach'] as const) expect(ops.some((op) => op.op === kind), kind).toBe(true);
    expect(ops.some((op) => op.op === 'invalidate' && op.scope === 'context')).toBe(true);
    expect(ops.some((op) => op.op === 'faults')).toBe(true);
  });

  test('shadow: MAP|UNMAP notifiers where served, UNMAP-only where vetoed, replays and splits', () => {
    const flags = (info: string): Set<number> => new Set(allOps('shadow', info).flatMap((op) => (op.op === 'register' ? [op.flags] : [])));
    expect(flags('vtd')).toEqual(new Set([3]));
    expect(flags('smmuv3')).toEqual(new Set([1]));
    expect(flags('vtd-small')).toEqual(new Set([1]));
    const ops = allOps('shadow', 'vtd');
    expect(ops.some((op) => op.op === 'replay')).toBe(true);
    expect(ops.some((op) => op.op === 'map' && op.page === K4) && ops.some((op) => op.op === 'map' && op.page === G1)).toBe(true);
  });

  test('registration: invalid arguments, vetoed flags, unknown ids', () => {
    const info = byName('smmuv3');
    const regs = allOps('registration', 'smmuv3').flatMap((op) => (op.op === 'register' ? [op] : []));
    expect(regs.some((op) => argsProblem(info, op) !== null)).toBe(true);
    expect(regs.some((op) => argsProblem(info, op) === null && (op.flags & 2) !== 0)).toBe(true);
    expect(regs.some((op) => argsProblem(info, op) === null && op.flags === 1)).toBe(true);
    const ops = allOps('registration', 'vtd');
    expect(ops.some((op) => op.op === 'register' && (op.flags & 4) !== 0 && argsProblem(byName('vtd'), op) === null)).toBe(true);
    expect(ops.some((op) => op.op === 'unregister' && op.notifier > 5)).toBe(true);
  });

  test('mpc: gates, resets, both indexes by translate, DMA and notifiers', () => {
    const ops = allOps('mpc', 'mpc');
    expect(ops.some((op) => op.op === 'reset')).toBe(true);
    expect(ops.some((op) => op.op === 'gate' && op.ns) && ops.some((op) => op.op === 'gate' && !op.ns)).toBe(true);
    for (const index of [0, 1]) {
      expect(ops.some((op) => op.op === 'translate' && op.index === index), `translate ${index}`).toBe(true);
      expect(ops.some((op) => op.op === 'register' && op.index === index), `register ${index}`).toBe(true);
    }
    expect(ops.some((op) => op.op === 'dma' && op.secure) && ops.some((op) => op.op === 'dma' && !op.secure)).toBe(true);
  });

  test('args: invalid operations of every kind the backend has, among valid ones', () => {
    for (const info of INFOS) {
      const ops = sample(prop('args'), info, 120, 3, 40).flat();
      const bad = ops.filter((op) => argsProblem(info, op) !== null);
      expect(bad.length, info.name).toBeGreaterThan(10);
      expect(ops.length - bad.length, info.name).toBeGreaterThan(bad.length / 2);
      const kinds = new Set(bad.map((op) => op.op));
      if (info.capabilities.includes('domains')) for (const k of ['map', 'unmap'] as const) expect(kinds, `${info.name} ${k}`).toContain(k);
      if (info.capabilities.includes('tables')) for (const k of ['protect', 'invalidate'] as const) expect(kinds, `${info.name} ${k}`).toContain(k);
      if (info.capabilities.includes('lut')) expect(kinds, info.name).toContain('gate');
    }
  });
});
