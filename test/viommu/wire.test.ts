// The plain-data form of the emulated-IOMMU family: operations, results, declarations, and the
// terminal and JSON Schema forms derived from the same field tables.
import { describe, expect, test } from 'vitest';
import type { BackendInfo } from '../../spec/viommu/backend.ts';
import { formatOp, formatResult } from '../../spec/viommu/format.ts';
import { checkInfo, decodeInfo, encodeInfo } from '../../spec/viommu/info.ts';
import { NOTIFIER_MAP, NOTIFIER_UNMAP, SHAPE, type Op, type OpKind, type Result } from '../../spec/viommu/ops.ts';
import { protocolSchema } from '../../spec/viommu/schema.ts';
import { decodeOp, decodeResult, encodeOp, encodeResult, OP_FIELDS, U64_MAX, WireError } from '../../spec/viommu/wire.ts';
import { expectWireError } from '../support/wire.ts';

const MAX = U64_MAX;
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** One operation of every kind, every invalidate scope, u64 fields at 2^64-1 where they can be. */
const OPS: Op[] = [
  { op: 'attach', endpoint: 3, domain: 2 },
  { op: 'detach', endpoint: 2 ** 31 - 1 },
  { op: 'map', domain: 0, iova: 0x200000n, size: 0x1000n, pa: MAX - 0xfffn, perm: 'rw', page: 0x1000n },
  { op: 'unmap', domain: 1, iova: 0n, size: MAX },
  { op: 'protect', domain: 0, iova: 0x40000000n, span: 0x200000n, perm: 'r' },
  { op: 'invalidate', scope: 'range', domain: 0, iova: MAX, size: 0x1000n },
  { op: 'invalidate', scope: 'domain', domain: 5 },
  { op: 'invalidate', scope: 'context', endpoint: 1 },
  { op: 'invalidate', scope: 'global' },
  { op: 'gate', iova: 0x2000n, size: 0x1000n, ns: true },
  { op: 'reset' },
  { op: 'dma', endpoint: 0, iova: MAX, access: 'write', secure: false },
  { op: 'translate', endpoint: 0, index: 1, iova: 0x1234n, flag: 'none' },
  { op: 'faults' },
  { op: 'register', notifier: 7, endpoint: 0, flags: NOTIFIER_MAP | NOTIFIER_UNMAP, start: 0n, end: MAX, index: 0 },
  { op: 'unregister', notifier: 7 },
  { op: 'replay', notifier: 0 },
];

const entry = { iova: 0x1000n, translatedAddr: MAX - 0xfffn, addrMask: 0xfffn, perm: 'rw' as const, target: 'memory' as const };
const RESULTS: [OpKind, Result][] = [
  ['map', { ok: true, events: [] }],
  ['gate', { ok: true, events: [
    { notifier: 1, type: 'unmap', entry: { ...entry, translatedAddr: 0n, perm: 'none' } },
    { notifier: 1, type: 'map', entry: { ...entry, target: 'blocked' } },
    { notifier: 2, type: 'deviotlb', entry: { iova: 0n, translatedAddr: 0n, addrMask: MAX, perm: 'none', target: 'memory' } },
  ] }],
  ['dma', { ok: true, outcome: 'memory', addr: MAX }],
  ['dma', { ok: true, outcome: 'blocked' }],
  ['dma', { ok: true, outcome: 'fault' }],
  ['translate', { ok: true, entry }],
  ['register', { ok: false, errno: 'EEXIST' }],
  ['translate', { ok: false, errno: 'EINVAL' }],
  ['faults', { ok: true, faults: [] }],
  ['faults', { ok: true, faults: [{ endpoint: 2, iova: MAX, access: 'write' }, { endpoint: 0, iova: 0x1000n, access: 'read' }, { endpoint: 2 ** 31 - 1, iova: 0n, access: 'read' }] }],
];

function info(over: Partial<BackendInfo> = {}): BackendInfo {
  return {
    name: 'sample', description: 'a sample declaration', family: 'viommu', profile: 'vtd',
    capabilities: ['domains', 'tables', 'notifiers', 'dma', 'translate', 'faults'],
    iovaBits: 39, pageSizes: [0x1000n, 0x200000n], indexes: 1, endpoints: 4, domains: 4,
    cachingMode: true, mapNotifiers: true, deviceIotlb: false, unattached: 'fault', ...over,
  };
}
const MPC = info({ profile: 'mpc', capabilities: ['lut', 'notifiers', 'dma', 'translate'], iovaBits: 20, pageSizes: [0x20n], indexes: 2, endpoints: 1, domains: 1, cachingMode: false });

const VFIO = info({ capabilities: ['domains', 'tables', 'vfio'], endpoints: 1, ram: { start: 0x40000000n, size: 0x40000000n }, vfio: { endpoint: 0, notifiers: [{ notifier: 7, start: 0n, end: 0xfedfffffn }, { notifier: 8, start: 0xfef00000n, end: (1n << 39n) - 1n }] } });

const wireError = expectWireError;

describe('operations round-trip through JSON', () => {
  test('the samples cover every operation kind', () => {
    expect(new Set(OPS.map((o) => o.op))).toEqual(new Set(Object.keys(OP_FIELDS)));
  });
  test.each(OPS.map((o) => [formatOp(o), o] as const))('%s', (_, op) => {
    const wire = viaJson(encodeOp(op));
    expect(decodeOp(wire, 'op')).toEqual(op);
  });
  test('u64 fields travel as lowercase hex, 2^64-1 exactly', () => {
    expect(encodeOp(OPS[3]!)).toEqual({ op: 'unmap', domain: 1, iova: '0x0', size: '0xffffffffffffffff' });
    expect(encodeOp(OPS[8]!)).toEqual({ op: 'invalidate', scope: 'global' });
  });
});

describe('operations are decoded strictly', () => {
  const map = encodeOp(OPS[2]!);
  test('an unknown field, a missing one or a wrong type names the field', () => {
    wireError(() => decodeOp({ ...map, extra: 1 }, 'ops[4]'), 'ops[4].extra');
    const { page: _, ...noPage } = map;
    wireError(() => decodeOp(noPage, 'ops[4]'), 'ops[4].page');
    wireError(() => decodeOp({ ...map, iova: 0x200000 }, 'ops[4]'), 'ops[4].iova');
    wireError(() => decodeOp({ ...map, iova: '0x10000000000000000' }, 'ops[4]'), 'ops[4].iova');
    wireError(() => decodeOp({ ...map, perm: 'x' }, 'ops[4]'), 'ops[4].perm');
    wireError(() => decodeOp({ ...map, domain: -1 }, 'ops[4]'), 'ops[4].domain');
    wireError(() => decodeOp({ ...map, domain: 2 ** 31 }, 'ops[4]'), 'ops[4].domain');
    wireError(() => decodeOp({ ...map, domain: '0' }, 'ops[4]'), 'ops[4].domain');
    wireError(() => decodeOp({ op: 'dma', endpoint: 0, iova: '0x0', access: 'rw', secure: false }, 'op'), 'op.access');
    wireError(() => decodeOp({ op: 'gate', iova: '0x0', size: '0x20', ns: 1 }, 'op'), 'op.ns');
    wireError(() => decodeOp({ op: 'register', notifier: 0, endpoint: 0, flags: 1.5, start: '0x0', end: '0xfff', index: 0 }, 'op'), 'op.flags');
  });
  test('out-of-geometry but well-typed values still travel: the backend answers EINVAL', () => {
    const reg = { op: 'register', notifier: 0, endpoint: 63, flags: 0x18, start: '0x1000', end: '0x0', index: 9 };
    expect(decodeOp(reg, 'op')).toMatchObject({ flags: 0x18, index: 9, start: 0x1000n, end: 0n });
  });
  test('an unknown operation, or not an object', () => {
    wireError(() => decodeOp({ op: 'flush' }, 'op'), 'op.op');
    wireError(() => decodeOp([], 'op'), 'op');
  });
  test('invalidate takes exactly the fields of its scope', () => {
    wireError(() => decodeOp({ op: 'invalidate', scope: 'range', domain: 0, iova: '0x0' }, 'op'), 'op.size');
    wireError(() => decodeOp({ op: 'invalidate', scope: 'context', endpoint: 0, domain: 0 }, 'op'), 'op.domain');
    wireError(() => decodeOp({ op: 'invalidate', scope: 'global', endpoint: 0 }, 'op'), 'op.endpoint');
    wireError(() => decodeOp({ op: 'invalidate', scope: 'all' }, 'op'), 'op.scope');
    wireError(() => decodeOp({ op: 'invalidate', domain: 0 }, 'op'), 'op.scope');
  });
  test('faults takes no field', () => {
    expect(decodeOp({ op: 'faults' }, 'op')).toEqual({ op: 'faults' });
    wireError(() => decodeOp({ op: 'faults', endpoint: 0 }, 'op'), 'op.endpoint');
  });
});

describe('results round-trip through JSON and arrive from in-process backends as they are', () => {
  test('the samples cover every result shape', () => {
    expect(new Set(RESULTS.map(([k]) => SHAPE[k]))).toEqual(new Set(['events', 'dma', 'entry', 'faults']));
  });
  test.each(RESULTS.map(([k, r]) => [`${k}: ${formatResult(r)}`, k, r] as const))('%s', (_, kind, r) => {
    expect(decodeResult({ op: kind }, viaJson(encodeResult(r)), 'result')).toEqual(r);
    expect(decodeResult({ op: kind }, r, 'result')).toEqual(r);
  });
  test('u64 fields travel as hex', () => {
    expect(encodeResult({ ok: true, outcome: 'memory', addr: MAX })).toEqual({ ok: true, outcome: 'memory', addr: '0xffffffffffffffff' });
    expect(encodeResult(RESULTS[5]![1])).toEqual({ ok: true, entry: { iova: '0x1000', translatedAddr: '0xfffffffffffff000', addrMask: '0xfff', perm: 'rw', target: 'memory' } });
    expect(encodeResult(RESULTS[9]![1])).toEqual({ ok: true, faults: [
      { endpoint: 2, iova: '0xffffffffffffffff', access: 'write' }, { endpoint: 0, iova: '0x1000', access: 'read' }, { endpoint: 2 ** 31 - 1, iova: '0x0', access: 'read' },
    ] });
  });
});

describe('results are decoded strictly, by the shape of their operation', () => {
  const gate = encodeResult(RESULTS[1]![1]) as { ok: true; events: Record<string, Record<string, unknown>>[] };
  test('an unknown field, a missing one or a wrong type names the field', () => {
    wireError(() => decodeResult({ op: 'gate' }, { ...gate, extra: 0 }, 'r'), 'r.extra');
    const ev = gate.events[1]!;
    const withEvent = (e: unknown) => ({ ok: true, events: [gate.events[0], e] });
    wireError(() => decodeResult({ op: 'gate' }, withEvent({ ...ev, entry: { ...ev.entry, extra: 0 } }), 'r'), 'r.events[1].entry.extra');
    const { addrMask: _, ...noMask } = ev.entry!;
    wireError(() => decodeResult({ op: 'gate' }, withEvent({ ...ev, entry: noMask }), 'r'), 'r.events[1].entry.addrMask');
    wireError(() => decodeResult({ op: 'gate' }, withEvent({ ...ev, entry: { ...ev.entry, iova: 4096 } }), 'r'), 'r.events[1].entry.iova');
    wireError(() => decodeResult({ op: 'gate' }, withEvent({ ...ev, entry: { ...ev.entry, target: 'secure' } }), 'r'), 'r.events[1].entry.target');
    wireError(() => decodeResult({ op: 'gate' }, withEvent({ ...ev, type: 'invalidate' }), 'r'), 'r.events[1].type');
    wireError(() => decodeResult({ op: 'gate' }, withEvent({ ...ev, notifier: -1 }), 'r'), 'r.events[1].notifier');
    wireError(() => decodeResult({ op: 'map' }, { ok: true, events: {} }, 'r'), 'r.events');
  });
  test('fault records: exactly endpoint, iova and access, each checked, in an array', () => {
    const rec = { endpoint: 1, iova: '0x1000', access: 'read' };
    const withRecord = (f: unknown) => ({ ok: true, faults: [rec, f] });
    wireError(() => decodeResult({ op: 'faults' }, { ok: true, faults: {} }, 'r'), 'r.faults');
    wireError(() => decodeResult({ op: 'faults' }, { ok: true }, 'r'), 'r.faults');
    wireError(() => decodeResult({ op: 'faults' }, { ok: true, faults: [], extra: 0 }, 'r'), 'r.extra');
    wireError(() => decodeResult({ op: 'faults' }, withRecord('0x1000'), 'r'), 'r.faults[1]');
    wireError(() => decodeResult({ op: 'faults' }, withRecord({ ...rec, extra: 0 }), 'r'), 'r.faults[1].extra');
    const { iova: _, ...noIova } = rec;
    wireError(() => decodeResult({ op: 'faults' }, withRecord(noIova), 'r'), 'r.faults[1].iova');
    wireError(() => decodeResult({ op: 'faults' }, withRecord({ ...rec, iova: 4096 }), 'r'), 'r.faults[1].iova');
    wireError(() => decodeResult({ op: 'faults' }, withRecord({ ...rec, iova: '0x10000000000000000' }), 'r'), 'r.faults[1].iova');
    wireError(() => decodeResult({ op: 'faults' }, withRecord({ ...rec, access: 'rw' }), 'r'), 'r.faults[1].access');
    wireError(() => decodeResult({ op: 'faults' }, withRecord({ ...rec, endpoint: -1 }), 'r'), 'r.faults[1].endpoint');
    wireError(() => decodeResult({ op: 'faults' }, withRecord({ ...rec, endpoint: '1' }), 'r'), 'r.faults[1].endpoint');
  });
  test('each operation answers its own shape', () => {
    wireError(() => decodeResult({ op: 'dma' }, { ok: true, events: [] }, 'r'), 'r.outcome');
    wireError(() => decodeResult({ op: 'map' }, { ok: true, outcome: 'fault' }, 'r'), 'r.events');
    wireError(() => decodeResult({ op: 'translate' }, { ok: true }, 'r'), 'r.entry');
    wireError(() => decodeResult({ op: 'dma' }, { ok: true, outcome: 'memory' }, 'r'), 'r.addr');
    wireError(() => decodeResult({ op: 'dma' }, { ok: true, outcome: 'blocked', addr: '0x0' }, 'r'), 'r.addr');
    wireError(() => decodeResult({ op: 'dma' }, { ok: true, outcome: 'lost' }, 'r'), 'r.outcome');
    wireError(() => decodeResult({ op: 'faults' }, { ok: true, events: [] }, 'r'), 'r.faults');
    wireError(() => decodeResult({ op: 'map' }, { ok: true, faults: [] }, 'r'), 'r.events');
    wireError(() => decodeResult({ op: 'dma' }, { ok: true, faults: [] }, 'r'), 'r.outcome');
  });
  test('failures carry a known errno and nothing else; ok is a boolean', () => {
    wireError(() => decodeResult({ op: 'map' }, { ok: false, errno: 'EWHAT' }, 'r'), 'r.errno');
    wireError(() => decodeResult({ op: 'map' }, { ok: false, errno: 'EINVAL', events: [] }, 'r'), 'r.events');
    wireError(() => decodeResult({ op: 'map' }, { ok: 1, events: [] }, 'r'), 'r.ok');
  });
  test('an in-process bigint outside u64 is rejected', () => {
    wireError(() => decodeResult({ op: 'dma' }, { ok: true, outcome: 'memory', addr: MAX + 1n }, 'r'), 'r.addr');
    wireError(() => decodeResult({ op: 'dma' }, { ok: true, outcome: 'memory', addr: -1n }, 'r'), 'r.addr');
    wireError(() => decodeResult({ op: 'faults' }, { ok: true, faults: [{ endpoint: 0, iova: MAX + 1n, access: 'read' }] }, 'r'), 'r.faults[0].iova');
  });
});

describe('declarations: decodeInfo and checkInfo', () => {
  test.each([info(), MPC, info({ profile: 'virtio-iommu', pageSizes: [0x1000n], cachingMode: false, unattached: 'bypass' }), info({ ram: { start: 0x100000n, size: 0x8000000n } }), VFIO])('$profile round-trips and passes', (i) => {
    const wire = viaJson(encodeInfo(i)) as Record<string, unknown>;
    expect(decodeInfo(wire, 'hello.info')).toEqual(i);
    expect(checkInfo(i)).toBeNull();
  });
  test('pageSizes travel as hex and family is written', () => {
    expect(encodeInfo(info())).toMatchObject({ family: 'viommu', pageSizes: ['0x1000', '0x200000'] });
  });
  test('decodeInfo names the offending field', () => {
    const wire = viaJson(encodeInfo(info())) as Record<string, unknown>;
    wireError(() => decodeInfo({ ...wire, pageSizes: [4096] }, 'hello.info'), 'hello.info.pageSizes[0]');
    wireError(() => decodeInfo({ ...wire, family: 'type1' }, 'hello.info'), 'hello.info.family');
    wireError(() => decodeInfo({ ...wire, ram: { start: '0x0', size: '0x1000', end: '0x1000' } }, 'hello.info'), 'hello.info.ram.end');
    wireError(() => decodeInfo({ ...wire, profile: 'amd-vi' }, 'hello.info'), 'hello.info.profile');
    wireError(() => decodeInfo({ ...wire, capabilities: ['dma', 'ats'] }, 'hello.info'), 'hello.info.capabilities[1]');
    wireError(() => decodeInfo({ ...wire, cachingMode: 'yes' }, 'hello.info'), 'hello.info.cachingMode');
    wireError(() => decodeInfo({ ...wire, unattached: 'passthrough' }, 'hello.info'), 'hello.info.unattached');
    wireError(() => decodeInfo({ ...wire, endpoints: 1.5 }, 'hello.info'), 'hello.info.endpoints');
    wireError(() => decodeInfo({ ...wire, extra: true }, 'hello.info'), 'hello.info.extra');
    wireError(() => decodeInfo({ ...wire, vfio: { endpoint: 0, notifiers: [{ notifier: -1, start: '0x0', end: '0xfff' }] } }, 'hello.info'), 'hello.info.vfio.notifiers[0].notifier');
    wireError(() => decodeInfo({ ...wire, vfio: { endpoint: 0, notifiers: [{ notifier: 1, start: 0, end: '0xfff' }] } }, 'hello.info'), 'hello.info.vfio.notifiers[0].start');
    wireError(() => decodeInfo({ ...wire, vfio: { endpoint: 0, notifier: 1 } }, 'hello.info'), 'hello.info.vfio.notifier');
    wireError(() => decodeInfo({ ...wire, vfio: { endpoint: 0, notifiers: [], index: 0 } }, 'hello.info'), 'hello.info.vfio.index');
    const { domains: _, ...noDomains } = wire;
    wireError(() => decodeInfo(noDomains, 'hello.info'), 'hello.info.domains');
  });
  test('checkInfo rejects wrong types, then wrong geometry', () => {
    expect(checkInfo(null)).toMatch(/no "info"/);
    expect(checkInfo({ ...info(), profile: 'amd-vi' })).toMatch(/profile/);
    expect(checkInfo({ ...info(), pageSizes: ['0x1000'] })).toMatch(/pageSizes\[0\]/);
    expect(checkInfo({ ...info(), mapNotifiers: undefined })).toMatch(/mapNotifiers/);
    expect(checkInfo({ ...MPC, indexes: 1 })).toMatch(/mpc has indexes 2/);
    expect(checkInfo({ ...MPC, iovaBits: 64, pageSizes: [0x4n] })).toMatch(/at most 1048576 blocks/);
    expect(checkInfo(info({ cachingMode: false, mapNotifiers: true }))).toMatch(/caching mode/);
    expect(checkInfo(info({ pageSizes: [0x1000n, 0x40000000n] }))).toMatch(/prefix/);
    expect(checkInfo(info({ profile: 'smmuv3', cachingMode: true }))).toMatch(/cachingMode is a vtd setting/);
    expect(checkInfo({ ...VFIO, vfio: undefined })).toMatch(/vfio capability and the vfio field/);
    expect(checkInfo({ ...VFIO, capabilities: ['domains', 'tables'] })).toMatch(/vfio capability and the vfio field/);
    expect(checkInfo({ ...VFIO, vfio: { ...VFIO.vfio!, endpoint: 1 } })).toMatch(/vfio.endpoint/);
    const sections = (...ns: [number, bigint, bigint][]) => ({ ...VFIO, vfio: { endpoint: 0, notifiers: ns.map(([notifier, start, end]) => ({ notifier, start, end })) } });
    expect(checkInfo(sections())).toMatch(/at least one notifier/);
    expect(checkInfo(sections([1, 0n, 0xfffn], [1, 0x1000n, 0x1fffn]))).toMatch(/used twice/);
    expect(checkInfo(sections([1, 0x1000n, 0x1fffn], [2, 0n, 0xfffn]))).toMatch(/ascending, disjoint/);
    expect(checkInfo(sections([1, 0n, 1n << 39n]))).toMatch(/inside \[0, 2\^iovaBits\)/);
    expect(checkInfo({ ...VFIO, cachingMode: false, mapNotifiers: false })).toMatch(/vfio needs mapNotifiers/);
  });
});

describe('terminal form', () => {
  test('operations, one line each', () => {
    expect(OPS.map(formatOp)).toEqual([
      'attach endpoint=3 domain=2',
      'detach endpoint=2147483647',
      'map domain=0 iova=0x200000 size=0x1000 pa=0xfffffffffffff000 perm=rw page=0x1000',
      'unmap domain=1 iova=0x0 size=0xffffffffffffffff',
      'protect domain=0 iova=0x40000000 span=0x200000 perm=r',
      'invalidate range domain=0 iova=0xffffffffffffffff size=0x1000',
      'invalidate domain domain=5',
      'invalidate context endpoint=1',
      'invalidate global',
      'gate iova=0x2000 size=0x1000 ns=true',
      'reset',
      'dma endpoint=0 iova=0xffffffffffffffff access=write secure=false',
      'translate endpoint=0 index=1 iova=0x1234 flag=none',
      'faults',
      'register notifier=7 endpoint=0 flags=MAP|UNMAP start=0x0 end=0xffffffffffffffff index=0',
      'unregister notifier=7',
      'replay notifier=0',
    ]);
    expect(formatOp({ op: 'register', notifier: 0, endpoint: 0, flags: 0x1c, start: 0n, end: 0xfffn, index: 0 })).toContain('flags=DEVIOTLB|0x18');
    expect(formatOp({ op: 'register', notifier: 0, endpoint: 0, flags: 0, start: 0n, end: 0xfffn, index: 0 })).toContain('flags=0');
  });
  test('results', () => {
    expect(RESULTS.map(([, r]) => formatResult(r))).toEqual([
      'ok',
      'ok events [n1 unmap 0x1000+0xfff; n1 map 0x1000+0xfff->0xfffffffffffff000 rw blocked; n2 deviotlb 0x0+0xffffffffffffffff]',
      'ok memory 0xffffffffffffffff',
      'ok blocked',
      'ok fault',
      'ok entry{0x1000+0xfff->0xfffffffffffff000 rw memory}',
      'EEXIST',
      'EINVAL',
      'ok no faults',
      'ok faults [e2 write 0xffffffffffffffff; e0 read 0x1000; e2147483647 read 0x0]',
    ]);
  });
});

describe('JSON Schema', () => {
  const schema = protocolSchema();
  const defs = schema.$defs as Record<string, { oneOf: { properties: Record<string, { const?: unknown }>; required: string[] }[] }>;
  test('one variant per operation and invalidate scope, requiring exactly the fields encodeOp writes', () => {
    const variants = defs.op!.oneOf;
    expect(variants).toHaveLength(Object.keys(OP_FIELDS).length - 1 + 4);
    for (const op of OPS) {
      const wire = encodeOp(op);
      const match = variants.filter((v) => v.properties.op!.const === op.op && (v.properties.scope?.const ?? wire.scope) === wire.scope);
      expect(match, formatOp(op)).toHaveLength(1);
      expect(match[0]!.required).toEqual(Object.keys(wire));
    }
  });
  test('the declaration lists every field encodeInfo writes', () => {
    const infoDef = (schema.$defs as Record<string, { required: string[] }>).info!;
    expect(infoDef.required).toEqual(Object.keys(encodeInfo(info())));
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
