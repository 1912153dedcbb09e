// An sPAPR backend's declaration (BackendInfo) as plain data: the `info` of the protocol's hello,
// and the checks an in-process declaration must pass before the suite trusts it. u64 fields
// travel as hex strings; maxDynamicWindows and levels are JSON numbers.
import { checkDeclaration, checkHost, encodeHost, InfoReader } from '../iommufd/info.ts';
import { expectedError as bad, hex, U64_MAX } from '../u64.ts';
import { CAPABILITIES, isProfile, PROFILES, type BackendInfo, type ContainerGeometry, type TableSizing } from './backend.ts';

/** IOMMU_TABLE_GROUP_MAX_TABLES (arch/powerpc/include/asm/iommu.h): a container's window slots. */
export const WINDOW_SLOTS = 2;
export const TABLE_SIZINGS: readonly TableSizing[] = ['pseries', 'powernv'];
/** PAGE_SIZE of a ppc64 kernel (4 KiB or 64 KiB pages), or of an x86 host running a simulator. */
export const HOST_PAGE_SIZES: readonly bigint[] = [4096n, 65536n];
const TCE_PAGE_4K = 4096n;

export function encodeInfo(info: BackendInfo): Record<string, unknown> {
  return {
    name: info.name, description: info.description, family: 'spapr', profile: info.profile,
    containers: info.containers.map((c) => ({
      dma32: { start: hex(c.dma32.start), size: hex(c.dma32.size) },
      ...(c.ddw ? { ddw: { pgsizes: hex(c.ddw.pgsizes), maxDynamicWindows: c.ddw.maxDynamicWindows, levels: c.ddw.levels } } : {}),
      windowStarts: c.windowStarts.map(hex),
      tableSizing: c.tableSizing,
    })),
    host: encodeHost(info.host),
    capabilities: [...info.capabilities],
  };
}

class Reader extends InfoReader {
  container(v: unknown, where: string): ContainerGeometry {
    const c = this.record(v, where, ['dma32', 'windowStarts', 'tableSizing'], ['ddw']);
    const d = this.record(c.dma32, `${where}.dma32`, ['start', 'size']);
    const ddw = c.ddw === undefined ? undefined : this.record(c.ddw, `${where}.ddw`, ['pgsizes', 'maxDynamicWindows', 'levels']);
    if (!(TABLE_SIZINGS as readonly unknown[]).includes(c.tableSizing)) throw bad(`${where}.tableSizing`, `one of ${TABLE_SIZINGS.join('|')}`, c.tableSizing);
    return {
      dma32: { start: this.u64(d.start, `${where}.dma32.start`), size: this.u64(d.size, `${where}.dma32.size`) },
      ...(ddw ? {
        ddw: {
          pgsizes: this.u64(ddw.pgsizes, `${where}.ddw.pgsizes`),
          maxDynamicWindows: this.count(ddw.maxDynamicWindows, `${where}.ddw.maxDynamicWindows`),
          levels: this.count(ddw.levels, `${where}.ddw.levels`),
        },
      } : {}),
      windowStarts: this.array(c.windowStarts, `${where}.windowStarts`).map((s, i) => this.u64(s, `${where}.windowStarts[${i}]`)),
      tableSizing: c.tableSizing as TableSizing,
    };
  }

  info(v: unknown, where: string): BackendInfo {
    const o = this.record(v, where, ['name', 'description', 'family', 'profile', 'containers', 'host', 'capabilities']);
    if (o.family !== 'spapr') throw bad(`${where}.family`, '"spapr"', o.family);
    if (!isProfile(o.profile)) throw bad(`${where}.profile`, `one of ${PROFILES.join('|')}`, o.profile);
    return {
      name: this.string(o.name, `${where}.name`),
      description: this.string(o.description, `${where}.description`),
      family: 'spapr',
      profile: o.profile,
      containers: this.array(o.containers, `${where}.containers`).map((c, i) => this.container(c, `${where}.containers[${i}]`)),
      host: this.host(o.host, `${where}.host`),
      capabilities: this.members(o.capabilities, `${where}.capabilities`, CAPABILITIES),
    };
  }
}

/** The hello's `info` (or a case file's), types only: checkInfo judges the geometry. */
export function decodeInfo(v: unknown, where = 'info'): BackendInfo {
  return new Reader(false).info(v, where);
}

function checkContainer(c: ContainerGeometry, profile: BackendInfo['profile'], where: string): string | null {
  // The default window has 4 KiB TCEs (spapr_tce.c: tce_iommu_create_default_window), so its
  // bounds are whole TCEs; a zero size would make v1 ENABLE fail EPERM on every container.
  const { start, size } = c.dma32;
  if (size === 0n || start % TCE_PAGE_4K !== 0n || size % TCE_PAGE_4K !== 0n) return `${where}.dma32: start and size must be multiples of 4 KiB, size not 0`;
  if (start + size > U64_MAX + 1n) return `${where}.dma32: must end at or below 2^64`;
  // v2 refuses a group without dynamic windows (spapr_tce.c: tce_iommu_attach_group).
  if (profile === 'spapr-v2' && !c.ddw) return `${where}.ddw: a spapr-v2 container needs dynamic windows`;
  if (c.ddw) {
    if (c.ddw.pgsizes === 0n) return `${where}.ddw.pgsizes: at least one page size is needed`;
    if (c.ddw.maxDynamicWindows === 0) return `${where}.ddw.maxDynamicWindows: 0 means no dynamic windows (leave ddw out)`;
    if (c.ddw.levels === 0) return `${where}.ddw.levels: at least one level is needed`;
  }
  if (c.windowStarts.length !== WINDOW_SLOTS) return `${where}.windowStarts: one start for each of the ${WINDOW_SLOTS} window slots`;
  for (const [i, s] of c.windowStarts.entries()) {
    if (s % TCE_PAGE_4K !== 0n) return `${where}.windowStarts[${i}]: must be a multiple of 4 KiB`;
  }
  return null;
}

/** What is wrong with a well-typed declaration's geometry, or null. */
export function checkGeometry(info: BackendInfo): string | null {
  if (info.containers.length === 0) return 'containers: at least one container is needed';
  for (const [i, c] of info.containers.entries()) {
    const problem = checkContainer(c, info.profile, `containers[${i}]`);
    if (problem) return problem;
  }
  return checkHost(info.host, HOST_PAGE_SIZES);
}

/** What is wrong with an in-process backend's declaration (bigints, not wire strings), or null. */
export const checkInfo = (info: unknown): string | null =>
  checkDeclaration(info, (v) => new Reader(true).info(v, 'info'), checkGeometry);
