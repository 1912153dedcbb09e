// The type1 BackendInfo codec of the out-of-process protocol (spec/type1/info.ts).
import { describe, expect, test } from 'vitest';
import { checkInfo, decodeInfo, encodeInfo } from '../../spec/type1/info.ts';
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

  test('every profile travels; a compat declaration has PAGE_SIZE as its smallest page and no vaddr', () => {
    for (const profile of ['type1v2', 'type1v1', 'type1v2-compat', 'type1v1-compat'] as const) {
      const info = testInfo(profile, profile.endsWith('-compat') ? { capabilities: testInfo().capabilities.filter((c) => c !== 'vaddr') } : {});
      expect(decodeInfo(JSON.parse(JSON.stringify(encodeInfo(info))))).toEqual(info);
      expect(checkInfo(info)).toBeNull();
    }
    expect(() => decodeInfo({ ...JSON.parse(JSON.stringify(encodeInfo(testInfo()))), profile: 'type1v3' })).toThrow(/profile/);
    expect(checkInfo(testInfo('type1v2-compat'))).toMatch(/no vaddr capability/);
    const big = testInfo('type1v1-compat', { capabilities: [] });
    expect(checkInfo({ ...big, geometry: { ...big.geometry, pgsizes: 0x200000n } })).toMatch(/smallest page size must be 0x1000/);
  });
});
