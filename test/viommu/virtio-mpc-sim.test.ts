// sim-virtio-iommu and sim-mpc behave as spec/viommu/operations.md says, on hand-written
// sequences; each mutant answers differently from its base on a small one.
import { describe, expect, test } from 'vitest';
import { MPC_MUTANTS, MPC_SIMS } from '../../backends/viommu/mpc/index.ts';
import { VIRTIO_MUTANTS, VIRTIO_SIMS } from '../../backends/viommu/virtio/index.ts';
import { checkGeometry, type Backend } from '../../spec/viommu/backend.ts';
import type { NotifierEvent, Op, Perm, Result, Target } from '../../spec/viommu/ops.ts';
import { RULES } from '../../spec/viommu/rules.ts';

const VTOP = 1n << 48n;
const MTOP = 1n << 20n;
const virtio = (): Backend => VIRTIO_SIMS[0]!.create({});
const mpc = (): Backend => MPC_SIMS[0]!.create({});
const run = (b: Backend, ops: Op[]): Result[] => b.execute(ops) as Result[];
const last = (b: Backend, ops: Op[]): Result => run(b, ops).at(-1)!;

const ev = (notifier: number, type: 'map' | 'unmap', iova: bigint, size: bigint, pa: bigint, perm: Perm = 'rw', target: Target = 'memory'): NotifierEvent =>
  ({ notifier, type, entry: { iova, translatedAddr: pa, addrMask: size - 1n, perm: type === 'unmap' ? 'none' : perm, target } });
const ok = (...events: NotifierEvent[]): Result => ({ ok: true, events });
const fail = (errno: string) => ({ ok: false, errno });

const attach = (endpoint: number, domain: number): Op => ({ op: 'attach', endpoint, domain });
const detach = (endpoint: number): Op => ({ op: 'detach', endpoint });
const map = (domain: number, iova: bigint, size: bigint, pa: bigint, perm: Perm = 'rw', page = 0x1000n): Op => ({ op: 'map', domain, iova, size, pa, perm, page });
const unmap = (domain: number, iova: bigint, size: bigint): Op => ({ op: 'unmap', domain, iova, size });
const reg = (notifier: number, endpoint: number, start = 0n, end = VTOP - 1n, flags = 3, index = 0): Op => ({ op: 'register', notifier, endpoint, flags, start, end, index });
const dma = (endpoint: number, iova: bigint, access: 'read' | 'write' = 'read', secure = true): Op => ({ op: 'dma', endpoint, iova, access, secure });
const translate = (endpoint: number, iova: bigint, index = 0): Op => ({ op: 'translate', endpoint, index, iova, flag: 'none' });
const gate = (iova: bigint, size: bigint, ns: boolean): Op => ({ op: 'gate', iova, size, ns });
const mreg = (notifier: number, index: number, start = 0n, end = MTOP - 1n, flags = 3): Op => reg(notifier, 0, start, end, flags, index);
const FAULTS: Op = { op: 'faults' };
const records = (...faults: { endpoint: number; iova: bigint; access: 'read' | 'write' }[]): Result => ({ ok: true, faults });

describe('sim-virtio-iommu', () => {
  test('declares the virtio-iommu geometry', () => {
    const { info } = virtio();
    expect(info).toMatchObject({ name: 'sim-virtio-iommu', family: 'viommu', profile: 'virtio-iommu', iovaBits: 48, pageSizes: [0x1000n], indexes: 1, endpoints: 4, domains: 4, cachingMode: false, mapNotifiers: true, deviceIotlb: false, unattached: 'fault', capabilities: ['domains', 'notifiers', 'dma', 'translate', 'faults'] });
    expect(checkGeometry(info)).toBeNull();
    expect(() => VIRTIO_SIMS[0]!.create({ bogus: '1' })).toThrow(/unknown option "bogus"/);
  });

  test('MAP and UNMAP: aligned power-of-two chunks, the same for both; ENOENT, overlap, ERANGE', () => {
    expect(run(virtio(), [
      map(0, 0n, 0x1000n, 0n), attach(0, 0), reg(1, 0),
      map(0, 0x1000n, 0x3000n, 0x101000n, 'r'), map(0, 0x3000n, 0x1000n, 0n), unmap(0, 0x2000n, 0x1000n), unmap(0, 0n, 0x10000n),
      unmap(1, 0n, 0x1000n), unmap(0, 0n, 0x1000n),
    ])).toEqual([
      fail('ENOENT'), ok(), ok(),
      ok(ev(1, 'map', 0x1000n, 0x1000n, 0x101000n, 'r'), ev(1, 'map', 0x2000n, 0x2000n, 0x102000n, 'r')),
      fail('EINVAL'), fail('ERANGE'),
      ok(ev(1, 'unmap', 0x1000n, 0x1000n, 0x101000n), ev(1, 'unmap', 0x2000n, 0x2000n, 0x102000n)),
      fail('ENOENT'), ok(),
    ]);
  });

  test('a chunk is aligned in its translated address too', () => {
    const b = virtio();
    expect(run(b, [attach(0, 0), reg(1, 0), map(0, 0n, 0x2000n, 0x1000n), map(0, 0x4000n, 0x4000n, 0x4000n)]).slice(2)).toEqual([
      ok(ev(1, 'map', 0n, 0x1000n, 0x1000n), ev(1, 'map', 0x1000n, 0x1000n, 0x2000n)),
      ok(ev(1, 'map', 0x4000n, 0x4000n, 0x4000n)),
    ]);
  });

  test('events are cropped to each notifier\'s range and go only to the types it registered for', () => {
    const b = virtio();
    expect(run(b, [attach(0, 0), reg(1, 0), reg(2, 0, 0x2000n, 0x2fffn), reg(3, 0, 0n, VTOP - 1n, 1), reg(4, 0, 0x8000n, 0x8fffn),
      map(0, 0n, 0x4000n, 0x100000n), unmap(0, 0n, 0x4000n)]).slice(5)).toEqual([
      ok(ev(1, 'map', 0n, 0x4000n, 0x100000n), ev(2, 'map', 0x2000n, 0x1000n, 0x102000n)),
      ok(ev(1, 'unmap', 0n, 0x4000n, 0x100000n), ev(2, 'unmap', 0x2000n, 0x1000n, 0x102000n), ev(3, 'unmap', 0n, 0x4000n, 0x100000n)),
    ]);
  });

  test('MAP reaches the notifiers of every endpoint attached to the domain, and only those', () => {
    expect(last(virtio(), [attach(0, 1), attach(1, 1), attach(2, 2), reg(7, 1), reg(5, 0), reg(6, 2), map(1, 0n, 0x1000n, 0n)]))
      .toEqual(ok(ev(7, 'map', 0n, 0x1000n, 0n), ev(5, 'map', 0n, 0x1000n, 0n)));
  });

  test('ATTACH replays the domain, DETACH unmaps it, the last endpoint out destroys it', () => {
    const mapped = ev(1, 'map', 0n, 0x2000n, 0x10000n);
    const unmapped = ev(1, 'unmap', 0n, 0x2000n, 0x10000n);
    expect(run(virtio(), [
      attach(0, 1), map(1, 0n, 0x2000n, 0x10000n), reg(1, 1), attach(1, 1), attach(1, 1), attach(1, 2),
      detach(0), map(1, 0n, 0x1000n, 0n), attach(1, 1), detach(1), detach(1), reg(2, 1, 0n, VTOP - 1n, 2), attach(1, 1), detach(1),
    ])).toEqual([
      // Attached again to its domain, the endpoint leaves it first (virtio_iommu_attach).
      ok(), ok(), ok(), ok(mapped), ok(unmapped, mapped), ok(unmapped),
      ok(), fail('ENOENT'), ok(), ok(), fail('EINVAL'), ok(), ok(), ok(),
    ]);
  });

  test('DETACH of an endpoint never attached is ENOENT; the last endpoint attached again to its domain empties it', () => {
    expect(run(virtio(), [
      detach(2), attach(2, 0), detach(2), detach(2), attach(0, 0), map(0, 0n, 0x1000n, 0n), attach(0, 0), dma(0, 0n), map(0, 0n, 0x1000n, 0n),
    ])).toEqual([
      fail('ENOENT'), ok(), ok(), fail('EINVAL'), ok(), ok(), ok(), { ok: true, outcome: 'fault' }, ok(),
    ]);
  });

  test('replay MAPs the mappings in the notifier\'s range; notifier ids, vetoes and registration arguments', () => {
    expect(run(virtio(), [
      reg(1, 0, 0x1000n, 0x2fffn), { op: 'replay', notifier: 1 }, attach(0, 0), map(0, 0n, 0x4000n, 0n), map(0, 0x8000n, 0x1000n, 0n),
      { op: 'replay', notifier: 1 }, reg(1, 1), reg(2, 0, 0n, 0xfffn, 4), reg(2, 0, 0n, 0xfffn, 0), reg(2, 0, 0n, 0xfffn, 8),
      reg(2, 0, 0x800n, 0xfffn), reg(2, 0, 0n, 0x17ffn), reg(2, 0, 0n, VTOP), reg(2, 4), reg(2, 0, 0n, 0xfffn, 3, 1),
      { op: 'unregister', notifier: 1 }, { op: 'unregister', notifier: 1 }, { op: 'replay', notifier: 1 },
    ])).toEqual([
      ok(), ok(), ok(), ok(ev(1, 'map', 0x1000n, 0x1000n, 0x1000n), ev(1, 'map', 0x2000n, 0x1000n, 0x2000n)), ok(),
      ok(ev(1, 'map', 0x1000n, 0x1000n, 0x1000n), ev(1, 'map', 0x2000n, 0x1000n, 0x2000n)), fail('EEXIST'),
      ...Array.from({ length: 8 }, () => fail('EINVAL')), ok(), fail('ENOENT'), fail('ENOENT'),
    ]);
  });

  test('DMA and translate follow the mappings; unattached endpoints fault', () => {
    expect(run(virtio(), [
      dma(0, 0x1000n), translate(0, 0x1234n), attach(0, 0), map(0, 0x1000n, 0x2000n, 0x40000n, 'r'),
      dma(0, 0x2345n), dma(0, 0x2345n, 'write'), dma(0, 0x3000n), translate(0, 0x2345n), translate(0, 0x5000n),
    ])).toEqual([
      { ok: true, outcome: 'fault' }, { ok: true, entry: { iova: 0x1000n, translatedAddr: 0n, addrMask: 0xfffn, perm: 'none', target: 'memory' } },
      ok(), ok(),
      { ok: true, outcome: 'memory', addr: 0x41345n }, { ok: true, outcome: 'fault' }, { ok: true, outcome: 'fault' },
      { ok: true, entry: { iova: 0x2000n, translatedAddr: 0x41000n, addrMask: 0xfffn, perm: 'r', target: 'memory' } },
      { ok: true, entry: { iova: 0x5000n, translatedAddr: 0n, addrMask: 0xfffn, perm: 'none', target: 'memory' } },
    ]);
  });

  test('every faulting DMA leaves a fault event with its exact address, oldest first; reading drains them', () => {
    expect(run(virtio(), [
      dma(2, 0x1234n, 'write'), attach(0, 1), map(1, 0x10000n, 0x2000n, 0x40000n, 'r'),
      dma(0, 0x10008n), dma(0, 0x11fffn, 'write'), dma(0, 0x12000n), translate(0, 0x30000n), FAULTS, FAULTS,
    ]).slice(3)).toEqual([
      { ok: true, outcome: 'memory', addr: 0x40008n }, { ok: true, outcome: 'fault' }, { ok: true, outcome: 'fault' },
      { ok: true, entry: { iova: 0x30000n, translatedAddr: 0n, addrMask: 0xfffn, perm: 'none', target: 'memory' } },
      records({ endpoint: 2, iova: 0x1234n, access: 'write' }, { endpoint: 0, iova: 0x11fffn, access: 'write' }, { endpoint: 0, iova: 0x12000n, access: 'read' }),
      records(),
    ]);
  });

  test('no fault event after DMA that reaches memory; reset empties them', () => {
    const b = virtio();
    expect(last(b, [attach(0, 0), map(0, 0n, 0x1000n, 0n), dma(0, 0xfffn, 'write'), dma(0, 0n), FAULTS])).toEqual(records());
    run(b, [dma(1, 0n)]);
    b.reset();
    expect(run(b, [FAULTS])).toEqual([records()]);
  });

  test('arguments outside the geometry, and operations it lacks, answer EINVAL and change nothing', () => {
    const b = virtio();
    const bad: Op[] = [
      attach(4, 0), attach(0, 4), detach(-1), map(0, 0n, 0x1000n, 0n, 'none'), map(0, 0n, 0x2000n, 0n, 'rw', 0x2000n),
      map(0, 0x800n, 0x1000n, 0n), map(0, 0n, 0x1000n, 0x800n), map(0, 0n, 0n, 0n), map(0, VTOP - 0x1000n, 0x2000n, 0n),
      map(0, 0n, 0x2000n, (1n << 64n) - 0x1000n), unmap(0, 0n, 0x800n), unmap(0, VTOP, 0x1000n), dma(0, VTOP), translate(0, 0n, 1),
      { op: 'protect', domain: 0, iova: 0n, span: 0x200000n, perm: 'r' }, { op: 'invalidate', scope: 'global' }, gate(0n, 0x1000n, true), { op: 'reset' },
    ];
    expect(run(b, [attach(0, 0), ...bad, dma(0, 0n)]).slice(1)).toEqual([...bad.map(() => fail('EINVAL')), { ok: true, outcome: 'fault' }]);
  });

  test('ERANGE: a request that cuts a mapping removes nothing, not even the mappings wholly inside', () => {
    expect(run(virtio(), [attach(0, 0), map(0, 0n, 0x1000n, 0n), map(0, 0x2000n, 0x2000n, 0x2000n), unmap(0, 0n, 0x3000n), dma(0, 0n), dma(0, 0x3000n)]).slice(3))
      .toEqual([fail('ERANGE'), { ok: true, outcome: 'memory', addr: 0n }, { ok: true, outcome: 'memory', addr: 0x3000n }]);
  });

  test('reset brings back the fresh device', () => {
    const b = virtio();
    run(b, [attach(0, 0), reg(1, 0), map(0, 0n, 0x1000n, 0n)]);
    b.reset();
    expect(run(b, [dma(0, 0n), reg(1, 0), map(0, 0n, 0x1000n, 0n)])).toEqual([{ ok: true, outcome: 'fault' }, ok(), fail('ENOENT')]);
  });
});

describe('sim-mpc', () => {
  const mem = (addr: bigint) => ({ ok: true, outcome: 'memory', addr });
  const blocked = { ok: true, outcome: 'blocked' };
  const blk = (notifier: number, type: 'map' | 'unmap', addr: bigint, target: Target) => ev(notifier, type, addr, 0x400n, addr, 'rw', target);

  test('declares the MPC geometry', () => {
    const { info } = mpc();
    expect(info).toMatchObject({ name: 'sim-mpc', family: 'viommu', profile: 'mpc', iovaBits: 20, pageSizes: [0x400n], indexes: 2, endpoints: 1, domains: 1, cachingMode: false, mapNotifiers: true, deviceIotlb: false, unattached: 'fault', capabilities: ['lut', 'notifiers', 'dma', 'translate'] });
    expect(checkGeometry(info)).toBeNull();
    expect(() => MPC_SIMS[0]!.create({ blocks: '1' })).toThrow(/unknown option/);
  });

  test('after reset every block is secure: memory for index 0, blocked for index 1', () => {
    expect(run(mpc(), [dma(0, 0x7ffn), dma(0, 0x7ffn, 'write', false), translate(0, 0x7ffn, 0), translate(0, 0x7ffn, 1)])).toEqual([
      mem(0x7ffn), blocked,
      { ok: true, entry: { iova: 0x400n, translatedAddr: 0x400n, addrMask: 0x3ffn, perm: 'rw', target: 'memory' } },
      { ok: true, entry: { iova: 0x400n, translatedAddr: 0x400n, addrMask: 0x3ffn, perm: 'rw', target: 'blocked' } },
    ]);
  });

  test('a LUT write notifies each changed block: UNMAP then MAP, per index, to that index\'s notifiers', () => {
    expect(run(mpc(), [mreg(1, 0), mreg(2, 1), mreg(3, 1, 0x800n, 0xbffn, 2), gate(0x400n, 0x800n, true), gate(0n, 0x1000n, true), gate(0x400n, 0x400n, true), dma(0, 0x400n, 'read', false), dma(0, 0x400n)]).slice(3)).toEqual([
      ok(blk(1, 'unmap', 0x400n, 'memory'), blk(2, 'unmap', 0x400n, 'blocked'), blk(1, 'map', 0x400n, 'blocked'), blk(2, 'map', 0x400n, 'memory'),
        blk(1, 'unmap', 0x800n, 'memory'), blk(2, 'unmap', 0x800n, 'blocked'), blk(1, 'map', 0x800n, 'blocked'), blk(2, 'map', 0x800n, 'memory'), blk(3, 'map', 0x800n, 'memory')),
      ok(blk(1, 'unmap', 0n, 'memory'), blk(2, 'unmap', 0n, 'blocked'), blk(1, 'map', 0n, 'blocked'), blk(2, 'map', 0n, 'memory'),
        blk(1, 'unmap', 0xc00n, 'memory'), blk(2, 'unmap', 0xc00n, 'blocked'), blk(1, 'map', 0xc00n, 'blocked'), blk(2, 'map', 0xc00n, 'memory')),
      ok(), mem(0x400n), blocked,
    ]);
  });

  test('a write across LUT words, back to secure, and the reset that forgets it quietly', () => {
    const b = mpc();
    const changed = last(b, [gate(0x7800n, 0x1000n, true), mreg(1, 1, 0n, MTOP - 1n, 1), gate(0x7c00n, 0x800n, false)]);
    expect(changed).toEqual(ok(blk(1, 'unmap', 0x7c00n, 'memory'), blk(1, 'unmap', 0x8000n, 'memory')));
    expect(run(b, [dma(0, 0x7800n, 'read', false), dma(0, 0x8000n, 'read', false), dma(0, 0x8400n, 'read', false), { op: 'reset' }, dma(0, 0x8400n, 'read', false), gate(0n, 0x400n, true)]))
      .toEqual([mem(0x7800n), blocked, mem(0x8400n), ok(), blocked, ok(blk(1, 'unmap', 0n, 'blocked'))]);
  });

  test('replay MAPs every block of the range with its index\'s current target', () => {
    expect(last(mpc(), [gate(0x400n, 0x400n, true), mreg(1, 1, 0x400n, 0xbffn), { op: 'replay', notifier: 1 }]))
      .toEqual(ok(blk(1, 'map', 0x400n, 'memory'), blk(1, 'map', 0x800n, 'blocked')));
  });

  test('arguments outside the geometry, and operations it lacks, answer EINVAL', () => {
    const bad: Op[] = [
      gate(0x200n, 0x400n, true), gate(0n, 0n, true), gate(MTOP - 0x400n, 0x800n, true), mreg(1, 2), mreg(1, 0, 0n, 0x5ffn),
      mreg(1, 0, 0n, MTOP), mreg(1, 0, 0n, 0x3ffn, 4), reg(1, 1, 0n, 0x3ffn), dma(0, MTOP), translate(0, 0n, 2),
      attach(0, 0), detach(0), map(0, 0n, 0x400n, 0n, 'rw', 0x400n), unmap(0, 0n, 0x400n), { op: 'invalidate', scope: 'global' }, FAULTS,
    ];
    expect(run(mpc(), bad)).toEqual(bad.map(() => fail('EINVAL')));
  });
});

describe('mutants', () => {
  const VIRTIO_CASES: Record<string, Op[]> = {
    'virtio-no-pow2-split': [attach(0, 0), reg(1, 0), map(0, 0x1000n, 0x3000n, 0x101000n)],
    'virtio-unmap-other-split': [attach(0, 0), reg(1, 0), map(0, 0n, 0x2000n, 0x100000n), unmap(0, 0n, 0x2000n)],
    'virtio-attach-no-replay': [attach(0, 0), map(0, 0n, 0x1000n, 0n), reg(1, 1), attach(1, 0)],
    'virtio-no-crop': [attach(0, 0), reg(1, 0, 0n, 0x1fffn), map(0, 0n, 0x4000n, 0n)],
    'virtio-fault-wrong-endpoint': [attach(1, 0), dma(1, 0x5000n), dma(2, 0x6000n), FAULTS],
    'virtio-lookup-next-byte': [attach(0, 0), map(0, 0x1000n, 0x1000n, 0x100000n), dma(0, 0xfffn)],
  };
  const MPC_CASES: Record<string, Op[]> = {
    'mpc-wrong-index': [mreg(1, 0), gate(0n, 0x400n, true)],
    'mpc-map-without-unmap': [mreg(1, 0), gate(0n, 0x400n, true)],
    'mpc-ns-sees-secure': [dma(0, 0n, 'read', false)],
    'mpc-reset-keeps-lut': [gate(0n, 0x400n, true), { op: 'reset' }, dma(0, 0n, 'read', false)],
  };
  const RULE_IDS = new Set(RULES.map((r) => r.id));
  const cases = [
    ...VIRTIO_MUTANTS.map((m) => ({ m, base: VIRTIO_SIMS[0]!, ops: VIRTIO_CASES[m.name.split('~')[1]!] })),
    ...MPC_MUTANTS.map((m) => ({ m, base: MPC_SIMS[0]!, ops: MPC_CASES[m.name.split('~')[1]!] })),
  ];

  test('there are ten, each named base~id and breaking a known rule', () => {
    expect(cases.map((c) => c.m.name)).toEqual([...Object.keys(VIRTIO_CASES).map((id) => `sim-virtio-iommu~${id}`), ...Object.keys(MPC_CASES).map((id) => `sim-mpc~${id}`)]);
    for (const { m } of cases) expect(RULE_IDS.has(m.rule), m.rule).toBe(true);
  });

  for (const { m, base, ops } of cases) {
    test(`${m.name} answers differently from ${base.name}`, () => {
      const mutant = m.create({});
      expect(mutant.info.name).toBe(m.name);
      expect(run(mutant, ops!)).not.toEqual(run(base.create({}), ops!));
    });
  }

  test('each bug is the one its description names', () => {
    const lastOf = (name: string, ops: Op[]) => last([...VIRTIO_MUTANTS, ...MPC_MUTANTS].find((m) => m.name.endsWith(name))!.create({}), ops);
    expect(lastOf('no-pow2-split', VIRTIO_CASES['virtio-no-pow2-split']!)).toEqual(ok(ev(1, 'map', 0x1000n, 0x3000n, 0x101000n)));
    expect(lastOf('unmap-other-split', VIRTIO_CASES['virtio-unmap-other-split']!)).toEqual(ok(ev(1, 'unmap', 0n, 0x1000n, 0x100000n), ev(1, 'unmap', 0x1000n, 0x1000n, 0x101000n)));
    expect(lastOf('attach-no-replay', VIRTIO_CASES['virtio-attach-no-replay']!)).toEqual(ok());
    expect(lastOf('no-crop', VIRTIO_CASES['virtio-no-crop']!)).toEqual(ok(ev(1, 'map', 0n, 0x4000n, 0n)));
    expect(lastOf('fault-wrong-endpoint', VIRTIO_CASES['virtio-fault-wrong-endpoint']!))
      .toEqual(records({ endpoint: 0, iova: 0x5000n, access: 'read' }, { endpoint: 2, iova: 0x6000n, access: 'read' }));
    const wrong = lastOf('wrong-index', MPC_CASES['mpc-wrong-index']!);
    expect(wrong.ok && 'events' in wrong ? wrong.events.map((e) => `${e.type}:${e.entry.target}`) : wrong).toEqual(['unmap:memory', 'unmap:blocked', 'map:blocked', 'map:memory']);
    expect(lastOf('map-without-unmap', MPC_CASES['mpc-map-without-unmap']!)).toEqual(ok(ev(1, 'map', 0n, 0x400n, 0n, 'rw', 'blocked')));
    expect(lastOf('ns-sees-secure', MPC_CASES['mpc-ns-sees-secure']!)).toEqual({ ok: true, outcome: 'memory', addr: 0n });
  });
});
