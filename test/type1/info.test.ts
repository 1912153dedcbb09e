// The type1 BackendInfo codec of the out-of-process protocol (spec/type1/info.ts).
import { describe, expect, test } from 'vitest';
import { decodeInfo, encodeInfo } from '../../spec/type1/info.ts';
import { testInfo } from './support/info.ts';

describe('protocol: BackendInfo', () => {
  test('host.taskSize travels as a u64 when declared and stays absent when not', () => {
    const declared = testInfo('type1v2', { host: { ...testInfo().host, taskSize: (1n << 47n) - 4096n } });
    const wire = JSON.parse(JSON.stringify(encodeInfo(declared)));
    expect(wire.host.taskSize).toBe('0x7ffffffff000');
    expect(decodeInfo(wire)).toEqual(declared);
    const plain = testInfo();
    const old = JSON.parse(JSON.stringify(encodeInfo(plain)));
    expect(Object.keys(old.host)).toEqual(['pageSize', 'hugePageSize', 'arena']);
    expect(decodeInfo(old)).toEqual(plain);
    expect(() => decodeInfo({ ...old, host: { ...old.host, taskSize: 12 } })).toThrow(/host\.taskSize/);
  });
});
