// The sPAPR TCE family's spec: its rule index against the rule IDs it was promised, and the plain
// data form of its operations, results and declarations, with the terminal and JSON Schema forms
// derived from the same field tables.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PROFILES, type BackendInfo } from '../../spec/spapr/backend.ts';
import { formatOp, formatResult } from '../../spec/spapr/format.ts';
import { checkInfo, decodeInfo, encodeInfo } from '../../spec/spapr/info.ts';
import { MAP_FLAG, type Op, type OpKind, type Result } from '../../spec/spapr/ops.ts';
import { GROUPS, RULES, ruleBinds } from '../../spec/spapr/rules.ts';
import { protocolSchema } from '../../spec/spapr/schema.ts';
import { decodeOp, decodeResult, encodeOp, encodeResult, OP_FIELDS, RESULT_FIELDS, U64_MAX } from '../../spec/spapr/wire.ts';
import { expectWireError as wireError } from '../support/wire.ts';

const MAX = U64_MAX;
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const RW = MAP_FLAG.READ | MAP_FLAG.WRITE;
const RULE_IDS_MD = readFileSync(new URL('../../spec/spapr/rule-ids.md', import.meta.url), 'utf8');

describe('the rule index (spec/spapr/rules.ts against spec/spapr/rule-ids.md)', () => {
  const listed = [...RULE_IDS_MD.matchAll(/^\| (SPAPR-[A-Z0-9-]+) \|/gm)].map((m) => m[1]!);
  const ids = RULES.map((r) => r.id as string);
  test('every rule ID of rule-ids.md has its rule', () => {
    expect(listed.filter((id) => !ids.includes(id))).toEqual([]);
  });
  test('every rule is listed in rule-ids.md', () => {
    expect(ids.filter((id) => !listed.includes(id))).toEqual([]);
  });
  test('IDs are unique', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });
  test.each(RULES.map((r) => [r.id, r] as const))('%s names its group, profile and Linux source', (_, r) => {
    expect(Object.keys(GROUPS)).toContain(r.group);
    expect(['MUST', 'MAY']).toContain(r.level);
    expect([...PROFILES, 'both']).toContain(r.profile);
    expect(r.statement.length).toBeGreaterThan(40);
    expect(r.sources.length).toBeGreaterThan(0);
    for (const s of r.sources) expect(s).toMatch(/^L [a-z0-9_/.-]+\.[ch]: \S/);
  });
  test('every group has a rule', () => {
    expect(Object.keys(GROUPS).filter((g) => !RULES.some((r) => r.group === g))).toEqual([]);
  });
  test('a rule binds its own profile, or both; v1 rules never bind v2', () => {
    const v1Only = RULES.find((r) => r.id === 'SPAPR-V1-ENABLE')!;
    expect(ruleBinds(v1Only, 'spapr-v1')).toBe(true);
    expect(ruleBinds(v1Only, 'spapr-v2')).toBe(false);
    const shared = RULES.find((r) => r.id === 'SPAPR-MAP-OVERWRITE')!;
    expect(PROFILES.every((p) => ruleBinds(shared, p))).toBe(true);
  });
});

/** One operation of every kind, u64 fields at 2^64-1 where they can be. */
const OPS: Op[] = [
  { op: 'mmap', proc: 0, vaddr: 0x7f0000000000n, size: 0x20000n, prot: 'rw', backing: 'anon' },
  { op: 'mmap', proc: 1, vaddr: 0x7f0001000000n, size: 0x1000000n, prot: 'none', backing: 'hugetlb' },
  { op: 'munmap', proc: 0, vaddr: 0x7f0000000000n, size: MAX },
  { op: 'mremap', proc: 1, vaddr: 0x7f0000000000n, size: 0x10000n, newVaddr: 0x7f0000100000n, newSize: 0x20000n },
  { op: 'cpuWrite', proc: 0, vaddr: 0x7f0000000000n, token: MAX },
  { op: 'cpuRead', proc: 1, vaddr: 0x7f0000010000n },
  { op: 'setRlimitMemlock', proc: 0, bytes: MAX },
  { op: 'setCapIpcLock', proc: 1, enabled: false },
  { op: 'enable', proc: 0, ct: 0 },
  { op: 'disable', proc: 1, ct: 1 },
  { op: 'register', proc: 0, ct: 0, flags: 0, vaddr: 0x7f0000000000n, size: 0x20000n },
  { op: 'unregister', proc: 0, ct: 2 ** 31 - 1, flags: 0xffffffff, vaddr: MAX, size: MAX },
  { op: 'getInfo', proc: 0, ct: 0 },
  { op: 'create', proc: 0, ct: 1, flags: 0, pageShift: 16, windowSize: 0x40000000n, levels: 1 },
  { op: 'remove', proc: 1, ct: 0, flags: 0, startAddr: 0x800000000000000n },
  { op: 'map', proc: 0, ct: 0, flags: RW, iova: 0x800000000000000n, vaddr: 0x7f0000000000n, size: 0x10000n },
  { op: 'map', proc: 0, ct: 0, flags: MAP_FLAG.READ | 0x80, iova: MAX, vaddr: 0n, size: MAX },
  { op: 'unmap', proc: 0, ct: 0, flags: 0, iova: 0n, size: MAX },
  { op: 'closeContainer', ct: 1 },
  { op: 'dmaRead', ct: 0, iova: MAX },
  { op: 'dmaWrite', ct: 1, iova: 0x1000n, token: 0x70c0000000000001n },
  { op: 'counters' },
];

const RESULTS: [OpKind, Result][] = [
  ['getInfo', { ok: true, dma32WindowStart: 0n, dma32WindowSize: 0x40000000n, ddw: { pgsizes: 0x1211000n, maxDynamicWindows: 2, levels: 1 } }],
  ['getInfo', { ok: true, dma32WindowStart: 0x80000000n, dma32WindowSize: MAX }],
  ['create', { ok: true, startAddr: 0x800000000000000n }],
  ['dmaRead', { ok: true, token: MAX }],
  ['cpuRead', { ok: true, token: 0n }],
  ['counters', { ok: true, lockedVm: [0x4020n, MAX] }],
  ['counters', { ok: true, lockedVm: [] }],
  ['map', { ok: true }],
  ['unregister', { ok: false, errno: 'EBUSY' }],
  ['map', { ok: false, errno: 'ENXIO' }],
];

function sampleInfo(over: Partial<BackendInfo> = {}): BackendInfo {
  return {
    name: 'sample', description: 'a sample declaration', family: 'spapr', profile: 'spapr-v2',
    containers: [
      { dma32: { start: 0n, size: 0x40000000n }, ddw: { pgsizes: 0x1211000n, maxDynamicWindows: 2, levels: 1 }, windowStarts: [0x800000000000000n, 0x800000000000000n], tableSizing: 'pseries' },
      { dma32: { start: 0x1000n, size: 0x80000000n }, ddw: { pgsizes: 0x1000n, maxDynamicWindows: 1, levels: 5 }, windowStarts: [0n, 1n << 59n], tableSizing: 'powernv' },
    ],
    host: { pageSize: 0x10000n, hugePageSize: 0x1000000n, arena: { start: 0x7f0000000000n, size: 1n << 40n } },
    capabilities: ['dma', 'dmaWrite', 'rlimit', 'capIpcLock', 'secondProcess'],
    ...over,
  };
}

describe('operations round-trip through JSON', () => {
  test('the samples cover every operation kind', () => {
    expect(new Set(OPS.map((o) => o.op))).toEqual(new Set(Object.keys(OP_FIELDS)));
  });
  test.each(OPS.map((o) => [formatOp(o), o] as const))('%s', (_, op) => {
    expect(decodeOp(viaJson(encodeOp(op)), 'op')).toEqual(op);
  });
  test('u64 fields travel as lowercase hex, 2^64-1 exactly; indexes, flags and shifts as numbers', () => {
    expect(encodeOp(OPS[16]!)).toEqual({ op: 'map', proc: 0, ct: 0, flags: 0x81, iova: '0xffffffffffffffff', vaddr: '0x0', size: '0xffffffffffffffff' });
    expect(encodeOp(OPS[13]!)).toEqual({ op: 'create', proc: 0, ct: 1, flags: 0, pageShift: 16, windowSize: '0x40000000', levels: 1 });
  });
});

describe('operations with a bad field are rejected, naming it in one line', () => {
  const map = encodeOp(OPS[15]!);
  const create = encodeOp(OPS[13]!);
  test.each([
    ['an unknown operation', { op: 'mapDma' }, 'op.op'],
    ['not an object', [1], 'op'],
    ['a missing field', { ...map, size: undefined }, 'op.size'],
    ['an unknown field', { ...map, length: '0x1000' }, 'op.length'],
    ['a u64 as a number', { ...map, iova: 4096 }, 'op.iova'],
    ['a u64 of 17 digits', { ...map, iova: '0x10000000000000000' }, 'op.iova'],
    ['a negative flags word', { ...map, flags: -1 }, 'op.flags'],
    ['flags above 32 bits', { ...map, flags: 2 ** 32 }, 'op.flags'],
    ['a third process', { ...map, proc: 2 }, 'op.proc'],
    ['a negative container', { ...map, ct: -1 }, 'op.ct'],
    ['a container as a string', { ...map, ct: '0' }, 'op.ct'],
    ['a fractional page shift', { ...create, pageShift: 12.5 }, 'op.pageShift'],
    ['levels as hex', { ...create, levels: '0x1' }, 'op.levels'],
    ['a window size as a number', { ...create, windowSize: 1 << 30 }, 'op.windowSize'],
    ['an unknown prot', { ...encodeOp(OPS[0]!), prot: 'rwx' }, 'op.prot'],
    ['an unknown backing', { ...encodeOp(OPS[0]!), backing: 'shm' }, 'op.backing'],
    ['a boolean as a number', { op: 'setCapIpcLock', proc: 0, enabled: 1 }, 'op.enabled'],
    ['a host op without its process', { op: 'cpuRead', vaddr: '0x0' }, 'op.proc'],
  ])('%s', (_, v, path) => {
    wireError(() => decodeOp(v, 'op'), path);
    expect(() => decodeOp(v, 'op')).toThrow(/^[^\n]+$/);
  });
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
  test('getInfo without DDW leaves ddw out on the wire', () => {
    expect(encodeResult({ op: 'getInfo' }, RESULTS[1]![1])).toEqual({ ok: true, dma32WindowStart: '0x80000000', dma32WindowSize: '0xffffffffffffffff' });
  });
  test.each([
    ['a value of another operation', 'create', { ok: true, token: '0x0' }, 'result.startAddr'],
    ['an extra value', 'map', { ok: true, startAddr: '0x0' }, 'result.startAddr'],
    ['an unknown errno', 'map', { ok: false, errno: 'EWHAT' }, 'result.errno'],
    ['an errno beside values', 'create', { ok: false, errno: 'ENOSPC', startAddr: '0x0' }, 'result.startAddr'],
    ['ok as a string', 'map', { ok: 'true' }, 'result.ok'],
    ['a negative bigint', 'create', { ok: true, startAddr: -1n }, 'result.startAddr'],
    ['lockedVm as one figure', 'counters', { ok: true, lockedVm: '0x0' }, 'result.lockedVm'],
    ['a bad figure in lockedVm', 'counters', { ok: true, lockedVm: ['0x0', 3] }, 'result.lockedVm[1]'],
    ['ddw as null', 'getInfo', { ok: true, dma32WindowStart: '0x0', dma32WindowSize: '0x0', ddw: null }, 'result.ddw'],
    ['ddw without levels', 'getInfo', { ok: true, dma32WindowStart: '0x0', dma32WindowSize: '0x0', ddw: { pgsizes: '0x1000', maxDynamicWindows: 1 } }, 'result.ddw.levels'],
    ['ddw windows as hex', 'getInfo', { ok: true, dma32WindowStart: '0x0', dma32WindowSize: '0x0', ddw: { pgsizes: '0x1000', maxDynamicWindows: '0x1', levels: 1 } }, 'result.ddw.maxDynamicWindows'],
    ['getInfo without the window size', 'getInfo', { ok: true, dma32WindowStart: '0x0' }, 'result.dma32WindowSize'],
  ] as const)('%s is rejected', (_, kind, v, path) => {
    wireError(() => decodeResult({ op: kind }, v), path);
    expect(() => decodeResult({ op: kind }, v)).toThrow(/^[^\n]+$/);
  });
});

describe('declarations', () => {
  test('round-trip through JSON, with and without ddw and taskSize', () => {
    const info = sampleInfo();
    expect(decodeInfo(viaJson(encodeInfo(info)))).toEqual(info);
    expect(checkInfo(info)).toBeNull();
    const v1 = sampleInfo({
      profile: 'spapr-v1',
      containers: [{ dma32: { start: 0n, size: 0x40000000n }, windowStarts: [0n, 0n], tableSizing: 'pseries' }],
      host: { ...info.host, pageSize: 4096n, taskSize: 1n << 47n },
    });
    expect(decodeInfo(viaJson(encodeInfo(v1)))).toEqual(v1);
    expect(checkInfo(v1)).toBeNull();
  });
  const wire = () => viaJson(encodeInfo(sampleInfo())) as Record<string, any>;
  test.each([
    ['another family', (w: any) => { w.family = 'iommufd'; }, 'info.family'],
    ['an unknown profile', (w: any) => { w.profile = 'v2'; }, 'info.profile'],
    ['an unknown capability', (w: any) => { w.capabilities.push('hwInfo'); }, 'info.capabilities[5]'],
    ['an unknown field', (w: any) => { w.devices = []; }, 'info.devices'],
    ['a container without windowStarts', (w: any) => { delete w.containers[1].windowStarts; }, 'info.containers[1].windowStarts'],
    ['a dma32 with an end', (w: any) => { w.containers[0].dma32.end = '0x0'; }, 'info.containers[0].dma32.end'],
    ['an unknown table sizing', (w: any) => { w.containers[0].tableSizing = 'bare-metal'; }, 'info.containers[0].tableSizing'],
    ['ddw levels as hex', (w: any) => { w.containers[0].ddw.levels = '0x1'; }, 'info.containers[0].ddw.levels'],
    ['a window start as a number', (w: any) => { w.containers[0].windowStarts[1] = 0; }, 'info.containers[0].windowStarts[1]'],
    ['an arena without size', (w: any) => { delete w.host.arena.size; }, 'info.host.arena.size'],
  ])('%s is rejected', (_, edit, path) => {
    const w = wire();
    edit(w);
    wireError(() => decodeInfo(w), path);
  });
  const ct = sampleInfo().containers[0]!;
  test.each([
    ['no container', sampleInfo({ containers: [] }), /at least one container/],
    ['an empty 32-bit window', sampleInfo({ containers: [{ ...ct, dma32: { start: 0n, size: 0n } }] }), /dma32/],
    ['a 32-bit window of part of a TCE', sampleInfo({ containers: [{ ...ct, dma32: { start: 0x800n, size: 0x1000n } }] }), /dma32/],
    ['a v2 container without dynamic windows', sampleInfo({ containers: [{ dma32: ct.dma32, windowStarts: ct.windowStarts, tableSizing: 'pseries' }] }), /spapr-v2 container needs dynamic windows/],
    ['dynamic windows without page sizes', sampleInfo({ containers: [{ ...ct, ddw: { ...ct.ddw!, pgsizes: 0n } }] }), /pgsizes/],
    ['one window start', sampleInfo({ containers: [{ ...ct, windowStarts: [0n] }] }), /windowStarts/],
    ['a page size of 8 KiB', sampleInfo({ host: { ...sampleInfo().host, pageSize: 0x2000n } }), /pageSize must be 4096 or 65536/],
    ['a u64 as a number in process', { ...sampleInfo(), host: { ...sampleInfo().host, hugePageSize: 0x1000000 } }, /hugePageSize/],
  ])('checkInfo refuses %s', (_, info, message) => {
    expect(checkInfo(info)).toMatch(message);
  });
});

describe('terminal lines', () => {
  test('MAP flags by name, other flags as numbers, ddw as a record', () => {
    expect(formatOp(OPS[15]!)).toBe('map proc=0 ct=0 flags=READ|WRITE iova=0x800000000000000 vaddr=0x7f0000000000 size=0x10000');
    expect(formatOp(OPS[16]!)).toBe('map proc=0 ct=0 flags=READ|0x80 iova=0xffffffffffffffff vaddr=0x0 size=0xffffffffffffffff');
    expect(formatOp(OPS[11]!)).toBe('unregister proc=0 ct=2147483647 flags=0xffffffff vaddr=0xffffffffffffffff size=0xffffffffffffffff');
    expect(formatResult(RESULTS[0]![1])).toBe('ok dma32WindowStart=0x0 dma32WindowSize=0x40000000 ddw={pgsizes:0x1211000 maxDynamicWindows:2 levels:1}');
    expect(formatResult(RESULTS[5]![1])).toBe('ok lockedVm=[0x4020, 0xffffffffffffffff]');
    expect(formatResult({ ok: false, errno: 'ENOTTY' })).toBe('ENOTTY');
  });
});

describe('JSON Schema', () => {
  const schema = protocolSchema() as any;
  test('one op form per operation, with exactly the fields of OP_FIELDS', () => {
    const ops = schema.$defs.op.oneOf as any[];
    expect(ops.map((o) => o.properties.op.const)).toEqual(Object.keys(OP_FIELDS));
    for (const o of ops) expect(o.required).toEqual(['op', ...Object.keys(OP_FIELDS[o.properties.op.const as OpKind])]);
    expect(schema.oneOf[1].oneOf[0].properties.family).toEqual({ const: 'spapr' });
  });
  test('getInfo\'s ddw and a container\'s ddw are optional, nothing else is', () => {
    const info = (schema.$defs.result.oneOf as any[]).find((r) => 'dma32WindowStart' in r.properties);
    expect(info.required).toEqual(['ok', 'dma32WindowStart', 'dma32WindowSize']);
    expect(schema.$defs.info.properties.containers.items.required).toEqual(['dma32', 'windowStarts', 'tableSizing']);
  });
});
