// The plain-data form of the type1 operations added for dirty tracking: VFIO_IOMMU_DIRTY_PAGES
// and GET_INFO's MIGRATION capability, through JSON and back, and their strict decoding.
import { describe, expect, test } from 'vitest';
import { capabilitiesFor } from '../../spec/type1/backend.ts';
import { formatOp, formatResult } from '../../spec/type1/format.ts';
import type { Op, Result } from '../../spec/type1/ops.ts';
import { protocolSchema } from '../../spec/type1/schema.ts';
import { decodeOp, decodeResult, encodeOp, toPlain, U64_MAX } from '../../spec/type1/wire.ts';
import { expectWireError } from '../support/wire.ts';

const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('dirtyPages and migrationInfo on the wire', () => {
  const ops: Op[] = [{ op: 'dirtyPages', flags: 1 }, { op: 'dirtyPages', flags: 0xffffffff }, { op: 'migrationInfo' }];

  test('operations round-trip through JSON', () => {
    for (const op of ops) expect(decodeOp(viaJson(encodeOp(op)))).toEqual(op);
    expect(encodeOp({ op: 'dirtyPages', flags: 4 })).toEqual({ op: 'dirtyPages', flags: 4 });
  });

  test('results round-trip through JSON, u64 fields as hex', () => {
    const results: Result[] = [
      { ok: true, present: true, pgsizes: 0x1000n, maxDirtyBitmapSize: 0x10000000n },
      { ok: true, present: false, pgsizes: 0n, maxDirtyBitmapSize: U64_MAX },
    ];
    for (const r of results) {
      const plain = viaJson(toPlain(r));
      expect(plain).toMatchObject({ pgsizes: `0x${(r as { pgsizes: bigint }).pgsizes.toString(16)}` });
      expect(decodeResult('migrationInfo', plain)).toEqual(r);
    }
    expect(decodeResult('dirtyPages', { ok: true })).toEqual({ ok: true });
    expect(decodeResult('dirtyPages', { ok: false, errno: 'ENOTTY' })).toEqual({ ok: false, errno: 'ENOTTY' });
  });

  test('decoding is strict: a wrong, missing or unknown field is named', () => {
    expectWireError(() => decodeOp({ op: 'dirtyPages' }), 'op (dirtyPages)');
    expectWireError(() => decodeOp({ op: 'dirtyPages', flags: -1 }), 'op.flags');
    expectWireError(() => decodeOp({ op: 'migrationInfo', flags: 1 }), 'op (migrationInfo)');
    expectWireError(() => decodeResult('migrationInfo', { ok: true, present: 1, pgsizes: '0x0', maxDirtyBitmapSize: '0x0' }), 'result.present');
    expectWireError(() => decodeResult('migrationInfo', { ok: true, present: true, pgsizes: '0x1000' }), 'result');
    expectWireError(() => decodeResult('migrationInfo', { ok: true, present: true, pgsizes: 4096, maxDirtyBitmapSize: '0x0' }), 'result.pgsizes');
    expectWireError(() => decodeResult('dirtyPages', { ok: true, present: true }), 'result');
  });

  test('the terminal names the flags; the schema lists both operations and the result fields', () => {
    expect(formatOp({ op: 'dirtyPages', flags: 1 })).toBe('dirtyPages flags=START');
    expect(formatOp({ op: 'dirtyPages', flags: 0xe })).toBe('dirtyPages flags=STOP|GET_BITMAP|0x8');
    expect(formatOp({ op: 'migrationInfo' })).toBe('migrationInfo');
    expect(formatResult({ ok: true, present: true, pgsizes: 0x1000n, maxDirtyBitmapSize: 0x10000000n }))
      .toBe('ok present=true pgsizes=0x1000 maxDirtyBitmapSize=0x10000000');
    const text = JSON.stringify(protocolSchema());
    for (const s of ['"const":"dirtyPages"', '"const":"migrationInfo"', '"maxDirtyBitmapSize"', '"present"']) expect(text).toContain(s);
  });

  test('each needs its capability', () => {
    expect(capabilitiesFor({ op: 'dirtyPages', flags: 1 })).toEqual(['dirtyPages']);
    expect(capabilitiesFor({ op: 'migrationInfo' })).toEqual(['migrationInfo']);
    expect(capabilitiesFor({ op: 'getInfo' })).toEqual([]);
  });
});
