// An iommufd backend's declaration (BackendInfo) as plain data: the `info` of the protocol's
// hello, and the checks an in-process declaration must pass before the suite trusts it. u64
// fields travel as hex strings; hwInfoType and group are JSON numbers.
import { decodeU64Or, expectedError as bad, hex, isRecord, U64_MAX, WireError } from '../u64.ts';
import { CAPABILITIES, PROFILES, type BackendInfo, type Device, type HostInfo } from './backend.ts';
import type { IovaRange } from './ops.ts';

const range = (r: IovaRange) => ({ start: hex(r.start), last: hex(r.last) });

export function encodeInfo(info: BackendInfo): Record<string, unknown> {
  const h = info.host;
  return {
    name: info.name, description: info.description, family: 'iommufd', profile: info.profile,
    devices: info.devices.map((d) => ({
      pgsizes: hex(d.pgsizes), aperture: range(d.aperture), reserved: d.reserved.map(range), hwInfoType: d.hwInfoType, group: d.group,
    })),
    host: encodeHost(h),
    capabilities: [...info.capabilities],
  };
}

/** A host declaration as plain data (shared by the families whose backends declare a HostInfo). */
export const encodeHost = (h: HostInfo): Record<string, unknown> => ({
  pageSize: hex(h.pageSize), hugePageSize: hex(h.hugePageSize), arena: { start: hex(h.arena.start), size: hex(h.arena.size) },
  ...(h.taskSize !== undefined ? { taskSize: hex(h.taskSize) } : {}),
});

/**
 * Reads the parts of a declaration every family shares; `bigints` for in-process ones (u64 as
 * bigint, extra fields allowed).
 */
export class InfoReader {
  constructor(protected readonly bigints: boolean) {}

  record(v: unknown, where: string, names: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
    if (!isRecord(v)) throw bad(where, 'an object', v);
    for (const k of names) if (!(k in v)) throw new WireError(`${where}.${k}: missing field`);
    if (!this.bigints) {
      for (const k of Object.keys(v)) if (!names.includes(k) && !optional.includes(k)) throw new WireError(`${where}.${k}: unknown field`);
    }
    return v;
  }

  u64(v: unknown, where: string): bigint {
    if (this.bigints && typeof v !== 'bigint') throw bad(where, 'a u64 bigint', v);
    return decodeU64Or(v, where, this.bigints);
  }

  count(v: unknown, where: string, max = 2 ** 32 - 1): number {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
    throw bad(where, `an integer in 0..${max}`, v);
  }

  string(v: unknown, where: string): string {
    if (typeof v === 'string') return v;
    throw bad(where, 'a string', v);
  }

  array(v: unknown, where: string): unknown[] {
    if (Array.isArray(v)) return v;
    throw bad(where, 'an array', v);
  }

  /** An array of names, each one of `all` (a declaration's capabilities). */
  members<T extends string>(v: unknown, where: string, all: readonly T[]): T[] {
    return this.array(v, where).map((c, i) => {
      if (!(all as readonly unknown[]).includes(c)) throw bad(`${where}[${i}]`, `one of ${all.join('|')}`, c);
      return c as T;
    });
  }

  range(v: unknown, where: string): IovaRange {
    const r = this.record(v, where, ['start', 'last']);
    return { start: this.u64(r.start, `${where}.start`), last: this.u64(r.last, `${where}.last`) };
  }

  host(v: unknown, where: string): HostInfo {
    const h = this.record(v, where, ['pageSize', 'hugePageSize', 'arena'], ['taskSize']);
    const a = this.record(h.arena, `${where}.arena`, ['start', 'size']);
    return {
      pageSize: this.u64(h.pageSize, `${where}.pageSize`),
      hugePageSize: this.u64(h.hugePageSize, `${where}.hugePageSize`),
      arena: { start: this.u64(a.start, `${where}.arena.start`), size: this.u64(a.size, `${where}.arena.size`) },
      ...(h.taskSize !== undefined ? { taskSize: this.u64(h.taskSize, `${where}.taskSize`) } : {}),
    };
  }
}

/** Reads one iommufd declaration. */
class Reader extends InfoReader {
  device(v: unknown, where: string): Device {
    const d = this.record(v, where, ['pgsizes', 'aperture', 'reserved', 'hwInfoType', 'group']);
    return {
      pgsizes: this.u64(d.pgsizes, `${where}.pgsizes`),
      aperture: this.range(d.aperture, `${where}.aperture`),
      reserved: this.array(d.reserved, `${where}.reserved`).map((r, i) => this.range(r, `${where}.reserved[${i}]`)),
      hwInfoType: this.count(d.hwInfoType, `${where}.hwInfoType`),
      group: this.count(d.group, `${where}.group`, 2 ** 31 - 1),
    };
  }

  info(v: unknown, where: string): BackendInfo {
    const o = this.record(v, where, ['name', 'description', 'family', 'profile', 'devices', 'host', 'capabilities']);
    if (o.family !== 'iommufd') throw bad(`${where}.family`, '"iommufd"', o.family);
    if (!(PROFILES as readonly unknown[]).includes(o.profile)) throw bad(`${where}.profile`, `one of ${PROFILES.join('|')}`, o.profile);
    const capabilities = this.members(o.capabilities, `${where}.capabilities`, CAPABILITIES);
    return {
      name: this.string(o.name, `${where}.name`),
      description: this.string(o.description, `${where}.description`),
      family: 'iommufd',
      profile: 'iommufd',
      devices: this.array(o.devices, `${where}.devices`).map((d, i) => this.device(d, `${where}.devices[${i}]`)),
      host: this.host(o.host, `${where}.host`),
      capabilities,
    };
  }
}

/** The hello's `info` (or a case file's), types only: checkInfo judges the geometry. */
export function decodeInfo(v: unknown, where = 'info'): BackendInfo {
  return new Reader(false).info(v, where);
}

/** What is wrong with a well-typed declaration's geometry, or null. */
export function checkGeometry(info: BackendInfo): string | null {
  if (info.devices.length === 0) return 'devices: at least one device is needed';
  for (const [i, d] of info.devices.entries()) {
    const where = `devices[${i}]`;
    // The IOMMU's smallest page is the alignment the IOAS takes at attach (IOMMUFD-ATTACH-ALIGN).
    if (d.pgsizes === 0n) return `${where}.pgsizes: at least one page size is needed`;
    if (d.aperture.start > d.aperture.last) return `${where}.aperture: start is above last`;
    let after = -1n;
    for (const [j, r] of d.reserved.entries()) {
      if (r.start > r.last) return `${where}.reserved[${j}]: start is above last`;
      if (r.start <= after) return `${where}.reserved[${j}]: not above the range before it (ascending, disjoint)`;
      after = r.last;
    }
  }
  return checkHost(info.host, [4096n]);
}

/** What is wrong with a host declaration whose page size must be one of `pageSizes`, or null. */
export function checkHost(h: HostInfo, pageSizes: readonly bigint[]): string | null {
  if (!pageSizes.includes(h.pageSize)) return `host.pageSize must be ${pageSizes.join(' or ')}`;
  if (h.hugePageSize === 0n || (h.hugePageSize & (h.hugePageSize - 1n)) !== 0n) return 'host.hugePageSize must be a power of two';
  if (h.arena.size === 0n || h.arena.start % h.pageSize !== 0n || h.arena.size % h.pageSize !== 0n) return 'host.arena must be a non-empty page-aligned range';
  if (h.arena.start + h.arena.size > U64_MAX) return 'host.arena must end below 2^64';
  if (h.taskSize !== undefined && h.taskSize < h.arena.start + h.arena.size) return 'host.taskSize, when given, must be at or above the end of the arena';
  return null;
}

/** What is wrong with an in-process backend's declaration (bigints, not wire strings), or null. */
export const checkInfo = (info: unknown): string | null =>
  checkDeclaration(info, (v) => new Reader(true).info(v, 'info'), checkGeometry);

/** An in-process declaration read by `read` (which throws a WireError) and judged by `check`. */
export function checkDeclaration<I>(info: unknown, read: (v: unknown) => I, check: (i: I) => string | null): string | null {
  if (!isRecord(info)) return 'has no "info"';
  try {
    return check(read(info));
  } catch (err) {
    if (err instanceof WireError) return err.message;
    throw err;
  }
}
