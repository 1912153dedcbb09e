// The page-table simulators (backends/viommu/tables) behave as spec/viommu/operations.md says,
// on hand-written sequences, and each mutant answers differently from its base.
import { describe, expect, test } from 'vitest';
import { checkGeometry, type Backend } from '../../spec/viommu/backend.ts';
import type { NotifierEvent, Op, Perm, Result } from '../../spec/viommu/ops.ts';
import { TABLE_MUTANTS_BUNDLED, TABLE_SIMS } from '../../backends/viommu/tables/index.ts';

const sim = (name: string): Backend => {
  const found = [...TABLE_SIMS, ...TABLE_MUTANTS_BUNDLED].find((b) => b.name === name);
  if (found === undefined) throw new Error(`no bundled ${name}`);
  return found.create({});
};
const run = (backend: Backend, ops: Op[]): Result[] => backend.execute(ops) as Result[];
const last = (backend: Backend, ops: Op[]): Result => run(backend, ops).at(-1)!;
const eventsOf = (r: Result): NotifierEvent[] => {
  if (!r.ok || !('events' in r)) throw new Error(`expected events, got ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`);
  return r.events;
};

const K4 = 0x1000n;
const M2 = 0x200000n;
const attach = (endpoint: number, domain: number): Op => ({ op: 'attach', endpoint, domain });
const context = (endpoint: number): Op => ({ op: 'invalidate', scope: 'context', endpoint });
const map = (domain: number, iova: bigint, size: bigint, pa: bigint, perm: Perm = 'rw', page = K4): Op => ({ op: 'map', domain, iova, size, pa, perm, page });
const unmap = (domain: number, iova: bigint, size: bigint): Op => ({ op: 'unmap', domain, iova, size });
const inval = (domain: number, iova: bigint, size: bigint): Op => ({ op: 'invalidate', scope: 'range', domain, iova, size });
const dma = (endpoint: number, iova: bigint, access: 'read' | 'write' = 'read'): Op => ({ op: 'dma', endpoint, iova, access, secure: false });
const translate = (endpoint: number, iova: bigint, flag: Perm = 'none'): Op => ({ op: 'translate', endpoint, index: 0, iova, flag });
const register = (notifier: number, flags: number, start = 0n, end = (1n << 39n) - 1n, endpoint = 0): Op =>
  ({ op: 'register', notifier, endpoint, flags, start, end, index: 0 });
const memory = (addr: bigint): Result => ({ ok: true, outcome: 'memory', addr });
const FAULT: Result = { ok: true, outcome: 'fault' };
const FAULTS: Op = { op: 'faults' };
const records = (...faults: { endpoint: number; iova: bigint; access: 'read' | 'write' }[]): Result => ({ ok: true, faults });
const mapEv = (notifier: number, iova: bigint, size: bigint, pa: bigint, perm: Perm = 'rw'): NotifierEvent =>
  ({ notifier, type: 'map', entry: { iova, translatedAddr: pa, addrMask: size - 1n, perm, target: 'memory' } });
const unmapEv = (notifier: number, iova: bigint, size: bigint): NotifierEvent =>
  ({ notifier, type: 'unmap', entry: { iova, translatedAddr: 0n, addrMask: size - 1n, perm: 'none', target: 'memory' } });
/** Endpoint 0 bound to domain 0 and the binding made known. */
const BOUND: Op[] = [attach(0, 0), context(0)];

describe('declarations', () => {
  test('the three simulators declare what they are', () => {
    const [vtd, nocm, smmu] = ['sim-vtd', 'sim-vtd-nocm', 'sim-smmuv3'].map((n) => sim(n).info);
    expect(vtd).toMatchObject({ name: 'sim-vtd', family: 'viommu', profile: 'vtd', iovaBits: 39, indexes: 1, endpoints: 4, domains: 4, cachingMode: true, mapNotifiers: true, deviceIotlb: false, unattached: 'fault' });
    expect(vtd!.pageSizes).toEqual([0x1000n, 0x200000n, 0x40000000n]);
    expect(vtd!.capabilities).toEqual(['domains', 'tables', 'notifiers', 'dma', 'translate', 'faults']);
    expect(nocm).toMatchObject({ profile: 'vtd', cachingMode: false, mapNotifiers: false });
    expect(smmu).toMatchObject({ profile: 'smmuv3', iovaBits: 48, endpoints: 3, domains: 3, cachingMode: false, mapNotifiers: false, deviceIotlb: false, unattached: 'fault' });
    expect(smmu!.pageSizes).toEqual([0x1000n, 0x200000n]);
    for (const b of [...TABLE_SIMS, ...TABLE_MUTANTS_BUNDLED]) expect(checkGeometry(b.create({}).info)).toBeNull();
  });

  test('an option is refused with a one-line message', () => {
    for (const b of [...TABLE_SIMS, ...TABLE_MUTANTS_BUNDLED]) {
      expect(() => b.create({ bogus: '1' })).toThrow(/^[^\n]*bogus[^\n]*$/);
    }
  });

  test('every mutant names its base, a rule and a sentence', () => {
    expect(TABLE_MUTANTS_BUNDLED.length).toBeGreaterThanOrEqual(7);
    for (const m of TABLE_MUTANTS_BUNDLED) {
      expect(m.name).toMatch(/^sim-(vtd|smmuv3)~[a-z0-9-]+$/);
      expect(m.rule).toMatch(/^VIOMMU-/);
      expect(sim(m.name).info.name).toBe(m.name);
    }
  });
});

describe('caches: stale until invalidated', () => {
  test('an unmapped page stays reachable through the IOTLB until its range is invalidated', () => {
    for (const name of ['sim-vtd', 'sim-vtd-nocm', 'sim-smmuv3']) {
      const b = sim(name);
      const r = run(b, [...BOUND, map(0, K4, K4, 0x80000n), inval(0, K4, K4), dma(0, K4 + 5n), unmap(0, K4, K4), dma(0, K4 + 5n, 'write'), translate(0, K4), inval(0, K4, K4), dma(0, K4), translate(0, K4)]);
      expect(r[4], name).toEqual(memory(0x80005n));
      expect(r[6], name).toEqual(memory(0x80005n));
      expect(r[7], name).toEqual({ ok: true, entry: { iova: K4, translatedAddr: 0x80000n, addrMask: 0xfffn, perm: 'rw', target: 'memory' } });
      expect(r[9], name).toEqual(FAULT);
      expect(r[10], name).toEqual({ ok: true, entry: { iova: K4, translatedAddr: 0n, addrMask: 0xfffn, perm: 'none', target: 'memory' } });
    }
  });

  test('without caching mode a new mapping is used at once; with it a cached not-present page faults until invalidated', () => {
    const ops = [...BOUND, dma(0, K4), map(0, K4, K4, 0x80000n), dma(0, K4), inval(0, K4, K4), dma(0, K4)];
    expect(run(sim('sim-vtd-nocm'), ops).slice(2)).toEqual([FAULT, { ok: true, events: [] }, memory(0x80000n), { ok: true, events: [] }, memory(0x80000n)]);
    expect(run(sim('sim-smmuv3'), ops)[4]).toEqual(memory(0x80000n));
    expect(run(sim('sim-vtd'), ops).slice(4)).toEqual([FAULT, { ok: true, events: [] }, memory(0x80000n)]);
  });

  test('a binding is cached until the endpoint\'s context invalidation', () => {
    for (const name of ['sim-vtd', 'sim-smmuv3']) {
      const r = run(sim(name), [
        map(0, 0n, K4, 0xa000n), map(1, 0n, K4, 0xb000n), ...BOUND, dma(0, 0n),
        attach(0, 1), dma(0, 0n), context(0), dma(0, 0n), { op: 'detach', endpoint: 0 }, dma(0, 0n), { op: 'invalidate', scope: 'global' }, dma(0, 0n),
      ]);
      expect([r[4], r[6], r[8], r[10], r[12]], name).toEqual([memory(0xa000n), memory(0xa000n), memory(0xb000n), memory(0xb000n), FAULT]);
    }
  });

  test('a domain invalidation drops the whole domain', () => {
    const r = run(sim('sim-vtd'), [...BOUND, map(0, 0n, 0x3000n, 0xa000n), dma(0, 0x2000n), unmap(0, 0n, 0x3000n), { op: 'invalidate', scope: 'domain', domain: 0 }, dma(0, 0x2000n)]);
    expect([r[3], r[6]]).toEqual([memory(0xc000n), FAULT]);
  });
});

describe('page tables', () => {
  test('splitting a large leaf keeps every translation outside the new range', () => {
    const r = run(sim('sim-vtd'), [
      ...BOUND, map(0, 0n, M2, 0x40000000n, 'rw', M2), map(0, K4, K4, 0x7000n, 'r'), inval(0, 0n, M2),
      dma(0, 0n), dma(0, K4 + 1n), dma(0, M2 - 1n), translate(0, 0x2000n), translate(0, K4, 'w'),
    ]);
    expect(r.slice(5, 8)).toEqual([memory(0x40000000n), memory(0x7001n), memory(0x401fffffn)]);
    expect(r[8]).toEqual({ ok: true, entry: { iova: 0x2000n, translatedAddr: 0x40002000n, addrMask: 0xfffn, perm: 'rw', target: 'memory' } });
    expect(r[9]).toEqual({ ok: true, entry: { iova: K4, translatedAddr: 0x7000n, addrMask: 0xfffn, perm: 'r', target: 'memory' } });
  });

  test('unmap of part of a large leaf keeps the rest', () => {
    const r = run(sim('sim-smmuv3'), [...BOUND, map(0, 0n, M2, 0x40000000n, 'rw', M2), unmap(0, 0x10000n, K4), inval(0, 0n, M2), dma(0, 0x10000n), dma(0, 0x11000n), translate(0, 0n)]);
    expect(r.slice(5, 7)).toEqual([FAULT, memory(0x40011000n)]);
    expect(r[7]).toEqual({ ok: true, entry: { iova: 0n, translatedAddr: 0x40000000n, addrMask: 0xfffn, perm: 'rw', target: 'memory' } });
  });

  test('protect ANDs a directory\'s permission into every leaf below it, splitting a leaf of its span', () => {
    const r = run(sim('sim-vtd'), [
      ...BOUND, map(0, 0n, K4, 0xa000n), map(0, M2, M2, 0x40000000n, 'rw', M2),
      { op: 'protect', domain: 0, iova: 0n, span: M2, perm: 'r' }, { op: 'protect', domain: 0, iova: M2, span: M2, perm: 'w' },
      { op: 'invalidate', scope: 'domain', domain: 0 },
      dma(0, 0n, 'write'), dma(0, 0n, 'read'), dma(0, M2 + K4, 'read'), dma(0, M2 + K4, 'write'), translate(0, M2 + K4),
    ]);
    expect(r.slice(7, 11)).toEqual([FAULT, memory(0xa000n), FAULT, memory(0x40001000n)]);
    expect(r[11]).toEqual({ ok: true, entry: { iova: M2 + K4, translatedAddr: 0x40001000n, addrMask: 0xfffn, perm: 'w', target: 'memory' } });
  });

  test('a map of a directory\'s span replaces it and its permission', () => {
    const r = run(sim('sim-vtd'), [...BOUND, { op: 'protect', domain: 0, iova: 0n, span: M2, perm: 'r' }, map(0, 0n, M2, 0x40000000n, 'rw', M2), dma(0, K4, 'write')]);
    expect(r[4]).toEqual(memory(0x40001000n));
  });
});

describe('notifiers', () => {
  test('a changed translation is an UNMAP of the old entry then a MAP; nothing when unchanged', () => {
    const b = sim('sim-vtd');
    expect(eventsOf(last(b, [...BOUND, register(1, 3)]))).toEqual([]);
    expect(eventsOf(last(b, [map(0, K4, K4, 0xa000n), inval(0, K4, K4)]))).toEqual([mapEv(1, K4, K4, 0xa000n)]);
    expect(eventsOf(last(b, [map(0, K4, K4, 0xb000n, 'r'), inval(0, K4, K4)]))).toEqual([unmapEv(1, K4, K4), mapEv(1, K4, K4, 0xb000n, 'r')]);
    expect(eventsOf(last(b, [inval(0, 0n, M2)]))).toEqual([]);
    expect(eventsOf(last(b, [unmap(0, K4, K4), inval(0, K4, K4)]))).toEqual([unmapEv(1, K4, K4)]);
  });

  test('leaves straddling the notifier\'s range arrive cropped into aligned chunks', () => {
    const b = sim('sim-vtd');
    const events = eventsOf(last(b, [...BOUND, register(1, 3, 0x100000n, 0x2fffffn), map(0, 0n, 2n * M2, 0x40000000n, 'rw', M2), inval(0, 0n, 2n * M2)]));
    expect(events).toEqual([mapEv(1, 0x100000n, 0x100000n, 0x40100000n), mapEv(1, M2, 0x100000n, 0x40200000n)]);
  });

  test('splitting a notified large leaf UNMAPs it whole, then MAPs what remains', () => {
    const b = sim('sim-vtd');
    run(b, [...BOUND, register(1, 3), map(0, 0n, M2, 0x40000000n, 'rw', M2), inval(0, 0n, M2)]);
    const events = eventsOf(last(b, [map(0, K4, K4, 0x7000n), inval(0, K4, K4)]));
    expect(events[0]).toEqual(unmapEv(1, 0n, M2));
    expect(events.slice(1).every((e) => e.type === 'map' && e.entry.addrMask === 0xfffn)).toBe(true);
    expect(events).toHaveLength(513);
    expect(events[2]).toEqual(mapEv(1, K4, K4, 0x7000n));
  });

  test('replay MAPs every present leaf, UNMAPs nothing valid, and re-sends what the notifier holds', () => {
    const b = sim('sim-vtd');
    run(b, [...BOUND, register(1, 3), map(0, 0n, 0x2000n, 0xa000n), inval(0, 0n, 0x2000n), map(0, 0x5000n, K4, 0xf000n)]);
    expect(eventsOf(last(b, [{ op: 'replay', notifier: 1 }]))).toEqual([mapEv(1, 0n, K4, 0xa000n), mapEv(1, K4, K4, 0xb000n), mapEv(1, 0x5000n, K4, 0xf000n)]);
    expect(eventsOf(last(b, [inval(0, 0x5000n, K4)]))).toEqual([]);
  });

  test('UNMAP-only notifiers get the invalidated range in aligned chunks, as each flavour encodes it', () => {
    const nocm = sim('sim-vtd-nocm');
    run(nocm, [...BOUND, register(1, 1)]);
    expect(eventsOf(last(nocm, [inval(0, K4, 0x3000n)]))).toEqual([unmapEv(1, 0n, 0x4000n)]);
    const smmu = sim('sim-smmuv3');
    run(smmu, [...BOUND, register(1, 1, 0n, (1n << 48n) - 1n)]);
    expect(eventsOf(last(smmu, [inval(0, K4, 0x3000n)]))).toEqual([unmapEv(1, K4, K4), unmapEv(1, 0x2000n, 0x2000n)]);
  });

  test('a context invalidation after detach empties the shadow; attaching again resyncs it', () => {
    const b = sim('sim-vtd');
    run(b, [...BOUND, register(1, 3), map(0, 0n, K4, 0xa000n), map(1, 0n, K4, 0xb000n), inval(0, 0n, K4)]);
    expect(eventsOf(last(b, [{ op: 'detach', endpoint: 0 }]))).toEqual([]);
    expect(eventsOf(last(b, [context(0)]))).toEqual([unmapEv(1, 0n, K4)]);
    expect(eventsOf(last(b, [attach(0, 1), context(0)]))).toEqual([mapEv(1, 0n, K4, 0xb000n)]);
  });

  test('registration: EINVAL arguments, then EEXIST, then the veto; ENOENT for unknown ids', () => {
    const b = sim('sim-vtd');
    expect(run(b, [register(1, 3), register(1, 3), register(1, 0), { op: 'unregister', notifier: 9 }, { op: 'replay', notifier: 9 }, register(2, 4), register(1, 4)]))
      .toEqual([{ ok: true, events: [] }, { ok: false, errno: 'EEXIST' }, { ok: false, errno: 'EINVAL' }, { ok: false, errno: 'ENOENT' }, { ok: false, errno: 'ENOENT' }, { ok: false, errno: 'EINVAL' }, { ok: false, errno: 'EEXIST' }]);
    for (const name of ['sim-vtd-nocm', 'sim-smmuv3']) {
      expect(run(sim(name), [register(1, 3, 0n, 0xfffn), register(1, 2, 0n, 0xfffn), register(1, 1, 0n, 0xfffn), register(1, 1, 0n, 0xfffn)]), name)
        .toEqual([{ ok: false, errno: 'EINVAL' }, { ok: false, errno: 'EINVAL' }, { ok: true, events: [] }, { ok: false, errno: 'EEXIST' }]);
    }
  });

  test('an unregistered notifier hears nothing more', () => {
    const b = sim('sim-vtd');
    run(b, [...BOUND, register(1, 3), { op: 'unregister', notifier: 1 }]);
    expect(eventsOf(last(b, [map(0, 0n, K4, 0xa000n), inval(0, 0n, K4)]))).toEqual([]);
  });
});

describe('fault records', () => {
  test('every faulting DMA leaves one, oldest first: VT-d the page, SMMUv3 the address; reading drains them', () => {
    const ops = [
      ...BOUND, map(0, 0n, K4, 0xa000n, 'r'), inval(0, 0n, K4),
      dma(1, 0x1234n), dma(0, 0x5678n, 'write'), dma(0, 0x10n, 'write'), dma(0, 0x20n), translate(0, 0x9000n), FAULTS, FAULTS,
    ];
    const vtd = run(sim('sim-vtd'), ops);
    expect(vtd.slice(4, 8)).toEqual([FAULT, FAULT, FAULT, memory(0xa020n)]);
    expect(vtd.slice(9)).toEqual([records({ endpoint: 1, iova: K4, access: 'read' }, { endpoint: 0, iova: 0x5000n, access: 'write' }, { endpoint: 0, iova: 0n, access: 'write' }), records()]);
    expect(run(sim('sim-smmuv3'), ops).slice(9)).toEqual([records({ endpoint: 1, iova: 0x1234n, access: 'read' }, { endpoint: 0, iova: 0x5678n, access: 'write' }, { endpoint: 0, iova: 0x10n, access: 'write' }), records()]);
  });

  test('none after DMA that reaches memory, nor after translate', () => {
    for (const name of ['sim-vtd', 'sim-vtd-nocm', 'sim-smmuv3']) {
      expect(last(sim(name), [...BOUND, map(0, 0n, M2, 0x40000000n, 'rw', M2), inval(0, 0n, M2), dma(0, 0x1234n), dma(0, M2 - 1n, 'write'), translate(0, M2), translate(0, 0n, 'w'), FAULTS]), name)
        .toEqual(records());
    }
  });

  test('a DMA through a stale cached translation or a cached not-present page is recorded as it went', () => {
    const stale = [...BOUND, map(0, 0n, K4, 0xa000n), inval(0, 0n, K4), dma(0, 0n), unmap(0, 0n, K4), dma(0, 0n), FAULTS];
    expect(last(sim('sim-vtd-nocm'), stale)).toEqual(records());
    const notPresent = [...BOUND, dma(0, 0n), map(0, 0n, K4, 0xa000n), dma(0, 0n), FAULTS];
    expect(run(sim('sim-vtd'), notPresent).slice(2)).toEqual([FAULT, { ok: true, events: [] }, FAULT, records({ endpoint: 0, iova: 0n, access: 'read' }, { endpoint: 0, iova: 0n, access: 'read' })]);
  });

  test('reset empties the log', () => {
    const b = sim('sim-smmuv3');
    run(b, [dma(0, 0n), dma(1, K4)]);
    b.reset();
    expect(run(b, [FAULTS])).toEqual([records()]);
  });
});

describe('arguments', () => {
  const TOP = 1n << 39n;
  const bad: Op[] = [
    attach(4, 0), attach(0, 4), { op: 'detach', endpoint: -1 },
    map(0, 0n, K4, 0n, 'none'), map(0, 0n, K4, 0n, 'rw', 0x2000n), map(0, 0n, 0n, 0n), map(0, 0x800n, K4, 0n), map(0, 0n, M2, K4, 'rw', M2),
    map(0, TOP - K4, 0x2000n, 0n), map(0, 0n, K4, (1n << 64n) - 0x800n), unmap(0, 0n, 0n), unmap(0, 0x10n, K4), unmap(0, TOP, K4),
    { op: 'protect', domain: 0, iova: 0n, span: K4, perm: 'r' }, { op: 'protect', domain: 0, iova: K4, span: M2, perm: 'r' },
    { op: 'protect', domain: 0, iova: 0n, span: 1n << 39n, perm: 'r' }, inval(0, 0n, 0n), inval(4, 0n, K4), inval(0, TOP - K4, 0x2000n),
    { op: 'invalidate', scope: 'context', endpoint: 4 }, { op: 'invalidate', scope: 'domain', domain: 9 },
    dma(0, TOP), dma(5, 0n), translate(0, TOP), { op: 'translate', endpoint: 0, index: 1, iova: 0n, flag: 'r' },
    register(1, 8), register(1, 3, K4, 0n), register(1, 3, 0x10n), register(1, 3, 0n, TOP), register(1, 3, 0n, 0x1000n), { ...register(1, 3), index: 1 } as Op,
  ];
  test.each(bad.map((op, i) => [i, op] as const))('#%i is EINVAL and changes nothing', (_i, op) => {
    const b = sim('sim-vtd');
    expect(run(b, [op])).toEqual([{ ok: false, errno: 'EINVAL' }]);
    expect(run(b, [...BOUND, dma(0, 0n), register(1, 3)])).toEqual([{ ok: true, events: [] }, { ok: true, events: [] }, FAULT, { ok: true, events: [] }]);
  });

  test('sim-smmuv3 has no 1 GiB leaves but a 1 GiB and a 512 GiB directory', () => {
    const b = sim('sim-smmuv3');
    expect(run(b, [map(0, 0n, 1n << 30n, 0n, 'rw', 1n << 30n), { op: 'protect', domain: 0, iova: 0n, span: 1n << 30n, perm: 'r' }, { op: 'protect', domain: 0, iova: 1n << 39n, span: 1n << 39n, perm: 'r' }]))
      .toEqual([{ ok: false, errno: 'EINVAL' }, { ok: true, events: [] }, { ok: true, events: [] }]);
  });

  test('reset brings a fresh backend back', () => {
    const b = sim('sim-vtd');
    run(b, [...BOUND, map(0, 0n, K4, 0xa000n), register(1, 3)]);
    b.reset();
    expect(run(b, [dma(0, 0n), register(1, 3)])).toEqual([FAULT, { ok: true, events: [] }]);
  });
});

/** Per mutant: a sequence on which it answers differently from its base, and what the base answers last. */
const DIFFERS: Record<string, { ops: Op[]; base: Result }> = {
  'sim-vtd~psi-mask-short': {
    ops: [...BOUND, map(0, 0x2000n, K4, 0xa000n), dma(0, 0x2000n), unmap(0, 0x2000n, K4), inval(0, K4, 0x2000n), dma(0, 0x2000n)],
    base: FAULT,
  },
  'sim-vtd~perm-leaf-only': {
    ops: [...BOUND, map(0, 0n, K4, 0xa000n), { op: 'protect', domain: 0, iova: 0n, span: M2, perm: 'r' }, dma(0, 0n, 'write')],
    base: FAULT,
  },
  'sim-vtd~replay-unmap-first': {
    ops: [...BOUND, register(1, 3), map(0, 0n, K4, 0xa000n), inval(0, 0n, K4), { op: 'replay', notifier: 1 }],
    base: { ok: true, events: [mapEv(1, 0n, K4, 0xa000n)] },
  },
  'sim-vtd~change-map-only': {
    ops: [...BOUND, register(1, 3), map(0, 0n, K4, 0xa000n), inval(0, 0n, K4), map(0, 0n, K4, 0xb000n), inval(0, 0n, K4)],
    base: { ok: true, events: [unmapEv(1, 0n, K4), mapEv(1, 0n, K4, 0xb000n)] },
  },
  'sim-vtd~no-range-crop': {
    ops: [...BOUND, register(1, 3, 0n, 0xfffffn), map(0, 0n, M2, 0x40000000n, 'rw', M2), inval(0, 0n, M2)],
    base: { ok: true, events: [mapEv(1, 0n, 0x100000n, 0x40000000n)] },
  },
  'sim-vtd~split-unmap-cut': {
    ops: [...BOUND, register(1, 3), map(0, 0n, M2, 0x40000000n, 'rw', M2), inval(0, 0n, M2), unmap(0, K4, K4), inval(0, K4, K4)],
    base: { ok: true, events: [unmapEv(1, 0n, M2), mapEv(1, 0n, K4, 0x40000000n), ...Array.from({ length: 510 }, (_, i) => mapEv(1, BigInt(i + 2) * K4, K4, 0x40000000n + BigInt(i + 2) * K4))] },
  },
  'sim-smmuv3~tlbi-num-off-by-one': {
    ops: [...BOUND, map(0, 0n, 0x2000n, 0xa000n), dma(0, K4), unmap(0, 0n, 0x2000n), inval(0, 0n, 0x2000n), dma(0, K4)],
    base: FAULT,
  },
  'sim-vtd~vtd-fault-unattached-unrecorded': {
    ops: [...BOUND, dma(1, 0x1234n), dma(0, 0x5000n), FAULTS],
    base: records({ endpoint: 1, iova: K4, access: 'read' }, { endpoint: 0, iova: 0x5000n, access: 'read' }),
  },
  'sim-vtd~context-move-unsynced': {
    ops: [...BOUND, register(1, 3), map(1, 0n, K4, 0xb000n), inval(1, 0n, K4), attach(0, 1), context(0)],
    base: { ok: true, events: [mapEv(1, 0n, K4, 0xb000n)] },
  },
  'sim-smmuv3~context-cache-sticky': {
    ops: [map(0, 0n, K4, 0xa000n), map(1, 0n, K4, 0xb000n), ...BOUND, dma(0, 0n), attach(0, 1), context(0), dma(0, 0n)],
    base: memory(0xb000n),
  },
};

describe('each mutant differs from its base', () => {
  test('every bundled mutant has a sequence here', () => {
    expect(Object.keys(DIFFERS).sort()).toEqual(TABLE_MUTANTS_BUNDLED.map((m) => m.name).sort());
  });
  for (const m of TABLE_MUTANTS_BUNDLED) {
    test(m.name, () => {
      const { ops, base } = DIFFERS[m.name]!;
      expect(last(sim(m.name.split('~')[0]!), ops)).toEqual(base);
      expect(last(sim(m.name), ops)).not.toEqual(base);
    });
  }
});
