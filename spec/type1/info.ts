// A type1 backend's declaration (BackendInfo) as plain data: the `info` of the protocol's
// hello, and the checks an in-process declaration must pass before the suite trusts it.
import { decodeU64 as u64, hex, isRecord, WireError } from '../u64.ts';
import { CAPABILITIES, PROFILES, isProfile, profileTraits, type BackendInfo, type Capability } from './backend.ts';

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new WireError(`${where}: expected a string`);
  return v;
}

export function encodeInfo(info: BackendInfo): Record<string, unknown> {
  const { geometry: g, host: h } = info;
  return {
    name: info.name, description: info.description, profile: info.profile,
    geometry: { pgsizes: hex(g.pgsizes), iovaRanges: g.iovaRanges.map((r) => ({ start: hex(r.start), end: hex(r.end) })), dmaEntryLimit: hex(g.dmaEntryLimit) },
    host: {
      pageSize: hex(h.pageSize), hugePageSize: hex(h.hugePageSize), arena: { start: hex(h.arena.start), size: hex(h.arena.size) },
      ...(h.taskSize !== undefined ? { taskSize: hex(h.taskSize) } : {}),
    },
    capabilities: info.capabilities,
  };
}

export function decodeInfo(v: unknown, where = 'info'): BackendInfo {
  if (!isRecord(v)) throw new WireError(`${where}: expected an object`);
  const g = v.geometry;
  const h = v.host;
  if (!isRecord(g)) throw new WireError(`${where}.geometry: expected an object`);
  if (!isRecord(h) || !isRecord(h.arena)) throw new WireError(`${where}.host: expected an object with an arena`);
  if (!isProfile(v.profile)) throw new WireError(`${where}.profile: expected one of ${PROFILES.map((p) => `"${p}"`).join(', ')}`);
  if (!Array.isArray(g.iovaRanges)) throw new WireError(`${where}.geometry.iovaRanges: expected an array`);
  if (!Array.isArray(v.capabilities)) throw new WireError(`${where}.capabilities: expected an array`);
  const capabilities = v.capabilities.map((c, i) => {
    if (!(CAPABILITIES as readonly unknown[]).includes(c)) throw new WireError(`${where}.capabilities[${i}]: unknown capability ${JSON.stringify(c)}`);
    return c as Capability;
  });
  return {
    name: str(v.name, `${where}.name`),
    description: str(v.description, `${where}.description`),
    profile: v.profile,
    geometry: {
      pgsizes: u64(g.pgsizes, `${where}.geometry.pgsizes`),
      iovaRanges: g.iovaRanges.map((r, i) => {
        if (!isRecord(r)) throw new WireError(`${where}.geometry.iovaRanges[${i}]: expected an object`);
        return { start: u64(r.start, `${where}.geometry.iovaRanges[${i}].start`), end: u64(r.end, `${where}.geometry.iovaRanges[${i}].end`) };
      }),
      dmaEntryLimit: u64(g.dmaEntryLimit, `${where}.geometry.dmaEntryLimit`),
    },
    host: {
      pageSize: u64(h.pageSize, `${where}.host.pageSize`),
      hugePageSize: u64(h.hugePageSize, `${where}.host.hugePageSize`),
      arena: { start: u64(h.arena.start, `${where}.host.arena.start`), size: u64(h.arena.size, `${where}.host.arena.size`) },
      ...(h.taskSize !== undefined ? { taskSize: u64(h.taskSize, `${where}.host.taskSize`) } : {}),
    },
    capabilities,
  };
}

/** What is wrong with an in-process backend's declaration (bigints, not wire strings), or null. */
export function checkInfo(info: unknown): string | null {
  if (!isRecord(info)) return 'has no "info"';
  if (!isProfile(info.profile)) return `unknown profile ${JSON.stringify(info.profile)}`;
  const g = info.geometry as Record<string, unknown> | undefined;
  if (!isRecord(g) || typeof g.pgsizes !== 'bigint' || g.pgsizes <= 0n) return 'geometry.pgsizes must be a positive bigint';
  if (typeof g.dmaEntryLimit !== 'bigint' || g.dmaEntryLimit < 0n) return 'geometry.dmaEntryLimit must be a bigint';
  const ranges = g.iovaRanges;
  if (!Array.isArray(ranges) || ranges.some((r) => !isRecord(r) || typeof r.start !== 'bigint' || typeof r.end !== 'bigint' || r.end < r.start)) {
    return 'geometry.iovaRanges must be [{start, end}] bigints with start <= end';
  }
  const h = info.host;
  const arena = isRecord(h) ? h.arena : undefined;
  if (!isRecord(h) || h.pageSize !== 4096n || typeof h.hugePageSize !== 'bigint' || !isRecord(arena) || typeof arena.start !== 'bigint' || typeof arena.size !== 'bigint') {
    return 'host must give pageSize 4096n, hugePageSize and arena {start, size} as bigints';
  }
  if (h.taskSize !== undefined && (typeof h.taskSize !== 'bigint' || h.taskSize < arena.start + arena.size)) {
    return 'host.taskSize, when given, must be a bigint at or above the end of the arena';
  }
  if (!Array.isArray(info.capabilities)) return 'capabilities must be an array';
  const unknown = info.capabilities.filter((c) => !(CAPABILITIES as readonly unknown[]).includes(c));
  if (unknown.length) return `unknown capabilities ${unknown.join(', ')}`;
  if (profileTraits(info.profile).impl === 'compat') {
    // iommufd_get_pagesizes folds smaller sizes into PAGE_SIZE; iopt_table_add_domain refuses larger.
    if ((g.pgsizes & -g.pgsizes) !== 4096n) return `profile ${info.profile}: the smallest page size must be 0x1000 (iommufd's compat container)`;
    // iommufd_vfio_check_extension(VFIO_UPDATE_VADDR) is 0.
    if (info.capabilities.includes('vaddr')) return `profile ${info.profile}: iommufd's compat container has no vaddr capability`;
  }
  return null;
}
