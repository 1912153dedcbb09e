// Backend descriptions used by tests that need no backend.
import { CAPABILITIES, type BackendInfo, type Profile } from '../../../spec/type1/backend.ts';

export const U64_MAX = (1n << 64n) - 1n;

export function testInfo(profile: Profile = 'type1v2', overrides: Partial<BackendInfo> = {}): BackendInfo {
  return {
    name: `test-${profile}`,
    description: 'test geometry',
    profile,
    geometry: {
      pgsizes: 0x40201000n,
      iovaRanges: [{ start: 0n, end: 0xfedfffffn }, { start: 0xfef00000n, end: U64_MAX }],
      dmaEntryLimit: 32n,
    },
    host: { pageSize: 4096n, hugePageSize: 0x200000n, arena: { start: 0x7f0000000000n, size: 1n << 40n } },
    capabilities: [...CAPABILITIES],
    ...overrides,
  };
}
