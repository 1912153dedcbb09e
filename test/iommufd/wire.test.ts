// The plain-data form of the iommufd family: operations, results, declarations, and the
// terminal and JSON Schema forms derived from the same field tables.
import { describe, expect, test } from 'vitest';
import type { BackendInfo } from '../../spec/iommufd/backend.ts';
import { formatOp, formatResult } from '../../spec/iommufd/format.ts';
import { checkInfo, decodeInfo, encodeInfo } from '../../spec/iommufd/info.ts';
import { MAP_FLAG, type Op, type OpKind, type Result } from '../../spec/iommufd/ops.ts';
import { protocolSchema } from '../../spec/iommufd/schema.ts';
import { decodeOp, decodeResult, encodeOp, encodeResult, OP_FIELDS, RESULT_FIELDS, U64_MAX, WireError } from '../../spec/iommufd/wire.ts';
import { expectWireError } from '../support/wire.ts';

const MAX = U64_MAX;
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const RW = MAP_FLAG.READABLE | MAP_FLAG.WRITEABLE;

/** One operation of every kind, u64 fields at 2^64-1 where they can be. */
const OPS: Op[] = [
  { op: 'mmap', vaddr: 0x7f0000000000n, size: 0x2000n, prot: 'rw', backing: 'anon' },
  { op: 'mmap', vaddr: 0x7f0000100000n, size: 0x200000n, prot: 'none', backing: 'hugetlb' },
  { op: 'munmap', vaddr: 0x7f0000000000n, size: MAX },
  { op: 'cpuWrite', vaddr: 0x7f0000000000n, token: MAX },
  { op: 'cpuRead', vaddr: 0x7f0000001000n },
  { op: 'setRlimitMemlock', bytes: MAX },
  { op: 'setCapIpcLock', enabled: false },
  { op: 'ioasAlloc', ioas: 0 },
  { op: 'destroy', ioas: 3 },
  { op: 'map', ioas: 1, flags: MAP_FLAG.FIXED_IOVA | RW, iova: MAX - 0xfffn, vaddr: 0x7f0000000000n, length: 0x1000n },
  { op: 'map', ioas: 1, flags: RW | 0x80, iova: 0n, vaddr: 0x7f0000000000n, length: MAX },
  { op: 'unmap', ioas: 0, iova: 0n, length: MAX },
  { op: 'copy', dstIoas: 2, srcIoas: 0, flags: MAP_FLAG.READABLE, dstIova: 0n, srcIova: 0x100000n, length: 0x3000n },
  { op: 'iovaRanges', ioas: 0 },
  { op: 'allowIovas', ioas: 0, ranges: [{ start: 0x1000n, last: 0x1fffn }, { start: 0x100000n, last: MAX }] },
  { op: 'allowIovas', ioas: 2, ranges: [] },
  { op: 'setRlimitMode', value: MAX },
  { op: 'getRlimitMode' },
  { op: 'bind', dev: 0 },
  { op: 'attach', dev: 1, ioas: 3 },
  { op: 'detach', dev: 2 ** 31 - 1 },
  { op: 'hwInfo', dev: 0 },
  { op: 'closeCtx' },
  { op: 'dmaRead', dev: 0, iova: MAX },
  { op: 'dmaWrite', dev: 1, iova: 0x1000n, token: 0x70c0000000000001n },
  { op: 'counters' },
];

const RESULTS: [OpKind, Result][] = [
  ['map', { ok: true, iova: MAX - 0xfffn }],
  ['copy', { ok: true, iova: 0x200000n }],
  ['unmap', { ok: true, unmapped: 0n }],
  ['iovaRanges', { ok: true, ranges: [{ start: 0x1000n, last: 0xfedfffffn }, { start: 0xfef00000n, last: MAX }], alignment: 0x1000n }],
  ['iovaRanges', { ok: true, ranges: [], alignment: 1n }],
  ['getRlimitMode', { ok: true, value: 1n }],
  ['hwInfo', { ok: true, dataType: 1, capabilities: MAX }],
  ['dmaRead', { ok: true, token: MAX }],
  ['cpuRead', { ok: true, token: 0n }],
  ['counters', { ok: true, lockedVm: 3n, pinnedVm: MAX }],
  ['attach', { ok: true }],
  ['unmap', { ok: false, errno: 'ENOENT' }],
  ['allowIovas', { ok: false, errno: 'EADDRINUSE' }],
];

function sampleInfo(over: Partial<BackendInfo> = {}): BackendInfo {
  return {
    name: 'sample', description: 'a sample declaration', family: 'iommufd', profile: 'iommufd',
    devices: [
      { pgsizes: 0x40201000n, aperture: { start: 0n, last: (1n << 48n) - 1n }, reserved: [{ start: 0xfee00000n, last: 0xfeefffffn }], hwInfoType: 1, group: 0 },
      { pgsizes: 0x1000n, aperture: { start: 0x1000n, last: MAX }, reserved: [], hwInfoType: 0, group: 1 },
    ],
    host: { pageSize: 4096n, hugePageSize: 0x200000n, arena: { start: 0x7f0000000000n, size: 1n << 40n } },
    capabilities: ['dma', 'rlimit', 'capIpcLock', 'rlimitMode', 'hwInfo', 'pinnedVm'],
    ...over,
  };
}

const wireError = expectWireError;

describe('operations round-trip through JSON', () => {
  test('the samples cover every operation kind', () => {
    expect(new Set(OPS.map((o) => o.op))).toEqual(new Set(Object.keys(OP_FIELDS)));
  });
  test.each(OPS.map((o) => [formatOp(o), o] as const))('%s', (_, op) => {
    expect(decodeOp(viaJson(encodeOp(op)), 'op')).toEqual(op);
  });
  test('u64 fields travel as lowercase hex, 2^64-1 exactly; handles and flags as numbers', () => {
    const wire = encodeOp(OPS[9]!);
    expect(wire).toEqual({ op: 'map', ioas: 1, flags: 7, iova: '0xfffffffffffff000', vaddr: '0x7f0000000000', length: '0x1000' });
    expect(encodeOp(OPS[14]!)).toEqual({ op: 'allowIovas', ioas: 0, ranges: [{ start: '0x1000', last: '0x1fff' }, { start: '0x100000', last: '0xffffffffffffffff' }] });
  });
});

describe('operations with a bad field are rejected, naming it', () => {
  const map = encodeOp(OPS[9]!);
  test.each([
    ['an unknown operation', { op: 'mapDma' }, 'op.op'],
    ['not an object', [1], 'op'],
    ['a missing field', { ...map, length: undefined }, 'op.length'],
    ['an unknown field', { ...map, size: '0x1000' }, 'op.size'],
    ['a u64 as a number', { ...map, iova: 4096 }, 'op.iova'],
    ['a u64 of 17 digits', { ...map, iova: '0x10000000000000000' }, 'op.iova'],
    ['a negative flags word', { ...map, flags: -1 }, 'op.flags'],
    ['flags above 32 bits', { ...map, flags: 2 ** 32 }, 'op.flags'],
    ['an IOAS handle out of range', { ...map, ioas: 4 }, 'op.ioas'],
    ['an IOAS handle as a string', { ...map, ioas: '0' }, 'op.ioas'],
    ['a fractional device', { op: 'bind', dev: 0.5 }, 'op.dev'],
    ['an unknown prot', { ...encodeOp(OPS[0]!), prot: 'rwx' }, 'op.prot'],
    ['an unknown backing', { ...encodeOp(OPS[0]!), backing: 'shm' }, 'op.backing'],
    ['a boolean as a number', { op: 'setCapIpcLock', enabled: 1 }, 'op.enabled'],
    ['ranges not an array', { op: 'allowIovas', ioas: 0, ranges: {} }, 'op.ranges'],
    ['a range with end instead of last', { op: 'allowIovas', ioas: 0, ranges: [{ start: '0x0', end: '0x1' }] }, 'op.ranges[0].last'],
    ['a range with a bad start', { op: 'allowIovas', ioas: 0, ranges: [{ start: '0x0', last: '0x1' }, { start: 'x', last: '0x1' }] }, 'op.ranges[1].start'],
  ])('%s', (_, v, path) => wireError(() => decodeOp(v, 'op'), path));
});

describe('results round-trip, from the wire and from in-process backends', () => {
  test('the samples cover every shape of success', () => {
    const shapes = new Set(Object.values(RESULT_FIELDS).map((f) => Object.keys(f).join(',')));
    expect(new Set(RESULTS.filter(([, r]) => r.ok).map(([k]) => Object.keys(RESULT_FIELDS[k]).join(',')))).toEqual(shapes);
  });
  test.each(RESULTS.map(([k, r]) => [`${k} ${formatResult(r)}`, k, r] as const))('%s', (_, kind, r) => {
    expect(decodeResult({ op: kind }, viaJson(encodeResult({ op: kind }, r)))).toEqual(r);
    expect(decodeResult({ op: kind }, r)).toEqual(r);
  });
  test.each([
    ['a value of another operation', 'map', { ok: true, unmapped: '0x0' }, 'result.iova'],
    ['an extra value', 'attach', { ok: true, iova: '0x0' }, 'result.iova'],
    ['an unknown errno', 'map', { ok: false, errno: 'EWHAT' }, 'result.errno'],
    ['an errno beside values', 'map', { ok: false, errno: 'EINVAL', iova: '0x0' }, 'result.iova'],
    ['ok as a string', 'map', { ok: 'true', iova: '0x0' }, 'result.ok'],
    ['a negative bigint', 'unmap', { ok: true, unmapped: -1n }, 'result.unmapped'],
    ['dataType as hex', 'hwInfo', { ok: true, dataType: '0x1', capabilities: '0x0' }, 'result.dataType'],
    ['counters without pinnedVm', 'counters', { ok: true, lockedVm: '0x0' }, 'result.pinnedVm'],
    ['a range without last', 'iovaRanges', { ok: true, ranges: [{ start: '0x0' }], alignment: '0x1000' }, 'result.ranges[0].last'],
  ] as const)('%s is rejected', (_, kind, v, path) => wireError(() => decodeResult({ op: kind }, v), path));
});

describe('declarations', () => {
  test('round-trip through JSON, taskSize and all', () => {
    const info = sampleInfo();
    expect(decodeInfo(viaJson(encodeInfo(info)))).toEqual(info);
    const withTask = sampleInfo({ host: { ...info.host, taskSize: 1n << 47n } });
    expect(decodeInfo(viaJson(encodeInfo(withTask)))).toEqual(withTask);
    expect(checkInfo(info)).toBeNull();
  });
  const wire = () => viaJson(encodeInfo(sampleInfo())) as Record<string, any>;
  test.each([
    ['another family', (w: any) => { w.family = 'type1'; }, 'info.family'],
    ['an unknown profile', (w: any) => { w.profile = 'vfio-compat'; }, 'info.profile'],
    ['an unknown capability', (w: any) => { w.capabilities.push('vaddr'); }, 'info.capabilities[6]'],
    ['an unknown field', (w: any) => { w.geometry = {}; }, 'info.geometry'],
    ['a device without group', (w: any) => { delete w.devices[1].group; }, 'info.devices[1].group'],
    ['a device with an end', (w: any) => { w.devices[0].aperture.end = '0x0'; }, 'info.devices[0].aperture.end'],
    ['a reserved range without last', (w: any) => { delete w.devices[0].reserved[0].last; }, 'info.devices[0].reserved[0].last'],
    ['pgsizes as a number', (w: any) => { w.devices[0].pgsizes = 4096; }, 'info.devices[0].pgsizes'],
    ['hwInfoType as hex', (w: any) => { w.devices[0].hwInfoType = '0x1'; }, 'info.devices[0].hwInfoType'],
    ['an arena without size', (w: any) => { delete w.host.arena.size; }, 'info.host.arena.size'],
  ])('%s is rejected', (_, edit, path) => {
    const w = wire();
    edit(w);
    wireError(() => decodeInfo(w), path);
  });
  test.each([
    ['no device', sampleInfo({ devices: [] }), /at least one device/],
    ['a device without pages', sampleInfo({ devices: [{ ...sampleInfo().devices[0]!, pgsizes: 0n }] }), /pgsizes/],
    ['an aperture upside down', sampleInfo({ devices: [{ ...sampleInfo().devices[0]!, aperture: { start: 2n, last: 1n } }] }), /aperture/],
    ['reserved ranges out of order', sampleInfo({ devices: [{ ...sampleInfo().devices[0]!, reserved: [{ start: 0x2000n, last: 0x2fffn }, { start: 0x1000n, last: 0x1fffn }] }] }), /reserved\[1\]/],
    ['a page size other than 4096', sampleInfo({ host: { ...sampleInfo().host, pageSize: 0x10000n } }), /pageSize/],
    ['a u64 as a number in process', { ...sampleInfo(), host: { ...sampleInfo().host, hugePageSize: 0x200000 } }, /hugePageSize/],
  ])('checkInfo refuses %s', (_, info, message) => {
    expect(checkInfo(info)).toMatch(message);
  });
});

describe('terminal lines', () => {
  test('flags by name, an allocated iova as auto, ranges inclusive', () => {
    expect(formatOp(OPS[9]!)).toBe('map ioas=1 flags=FIXED|READ|WRITE iova=0xfffffffffffff000 vaddr=0x7f0000000000 length=0x1000');
    expect(formatOp(OPS[10]!)).toBe('map ioas=1 flags=READ|WRITE|0x80 iova=auto vaddr=0x7f0000000000 length=0xffffffffffffffff');
    expect(formatOp(OPS[12]!)).toBe('copy dstIoas=2 srcIoas=0 flags=READ dstIova=auto srcIova=0x100000 length=0x3000');
    expect(formatOp(OPS[14]!)).toBe('allowIovas ioas=0 ranges=[0x1000..0x1fff, 0x100000..0xffffffffffffffff]');
    expect(formatResult(RESULTS[3]![1])).toBe('ok ranges=[0x1000..0xfedfffff, 0xfef00000..0xffffffffffffffff] alignment=0x1000');
    expect(formatResult({ ok: false, errno: 'EADDRINUSE' })).toBe('EADDRINUSE');
  });
});

describe('JSON Schema', () => {
  test('one op form per operation, with exactly the fields of OP_FIELDS', () => {
    const schema = protocolSchema() as any;
    const ops = schema.$defs.op.oneOf as any[];
    expect(ops.map((o) => o.properties.op.const)).toEqual(Object.keys(OP_FIELDS));
    for (const o of ops) expect(o.required).toEqual(['op', ...Object.keys(OP_FIELDS[o.properties.op.const as OpKind])]);
    expect(schema.oneOf[1].oneOf[0].properties.family).toEqual({ const: 'iommufd' });
  });
});
