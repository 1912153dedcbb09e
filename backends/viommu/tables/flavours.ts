// The three bundled page-table simulators: what each declares, and the factory shared with the
// mutants. They run the same engine (sim.ts); the declarations differ in geometry, caching
// mode and which notifiers they accept.
import { checkGeometry, type BackendInfo, type Capability } from '../../../spec/viommu/backend.ts';
import type { TableBug } from './bugs.ts';
import { TableSim } from './sim.ts';

export type TableSimName = 'sim-vtd' | 'sim-vtd-nocm' | 'sim-smmuv3';

const CAPABILITIES: Capability[] = ['domains', 'tables', 'notifiers', 'dma', 'translate', 'faults'];

const vtd = (name: string, cachingMode: boolean, description: string): BackendInfo => ({
  name, description, family: 'viommu', profile: 'vtd', capabilities: [...CAPABILITIES],
  iovaBits: 39, pageSizes: [0x1000n, 0x200000n, 0x40000000n], indexes: 1, endpoints: 4, domains: 4,
  cachingMode, mapNotifiers: cachingMode, deviceIotlb: false, unattached: 'fault',
});

export const TABLE_SIM_INFOS: Readonly<Record<TableSimName, BackendInfo>> = {
  'sim-vtd': vtd('sim-vtd', true,
    'In-process simulator of an intel-iommu with caching mode: 3-level second-level tables (39-bit iova, 4K/2M/1G leaves), IOTLB and context cache, page-selective invalidation with an address mask, MAP|UNMAP notifiers shadowed by page walk'),
  'sim-vtd-nocm': vtd('sim-vtd-nocm', false,
    'In-process simulator of an intel-iommu without caching mode: as sim-vtd, but not-present entries are never cached and MAP notifiers are vetoed; UNMAP-only notifiers get the invalidated ranges'),
  'sim-smmuv3': {
    name: 'sim-smmuv3',
    description: 'In-process simulator of an SMMUv3: 4-level AArch64 tables (48-bit iova, 4K/2M leaves), IOTLB and STE cache, range TLBIs encoded as (TG, SCALE, NUM), MAP notifiers vetoed',
    family: 'viommu', profile: 'smmuv3', capabilities: [...CAPABILITIES],
    iovaBits: 48, pageSizes: [0x1000n, 0x200000n], indexes: 1, endpoints: 3, domains: 3,
    cachingMode: false, mapNotifiers: false, deviceIotlb: false, unattached: 'fault',
  },
};

/** A simulator of `base`, named and described as given, with `bugs`; it takes no options. */
export function createTableSim(
  base: TableSimName, bugs: readonly TableBug[], options: Record<string, string>, name: string = base, description?: string,
): TableSim {
  const unknown = Object.keys(options).filter((k) => k !== 'vfio');
  if (unknown.length > 0) throw new Error(`${name}: unknown option ${unknown[0]} (known: vfio=ENDPOINT:NOTIFIER[:NOTIFIER])`);
  const info: BackendInfo = { ...TABLE_SIM_INFOS[base], name, description: description ?? TABLE_SIM_INFOS[base].description };
  if (options.vfio !== undefined) {
    info.vfio = parseVfio(name, options.vfio, info.iovaBits);
    info.capabilities = [...info.capabilities, 'vfio'];
  }
  const wrong = checkGeometry(info);
  if (wrong !== null) throw new Error(`${name}: ${wrong}`);
  return new TableSim(info, new Set(bugs));
}

/** VT-d's interrupt window, which intel-iommu overlays on every device's address space. */
const INTERRUPT_WINDOW = { start: 0xfee00000n, end: 0xfeefffffn };

/**
 * `vfio=ENDPOINT:NOTIFIER`: a VFIO device at that endpoint, its notifier over the whole space.
 * `vfio=ENDPOINT:LOW:HIGH`: two notifiers either side of the interrupt window, as VFIO registers
 * them behind intel-iommu (one per IOMMU section, vfio_listener_region_add).
 */
function parseVfio(name: string, text: string, iovaBits: number): BackendInfo['vfio'] {
  const m = /^(\d+):(\d+)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`${name}: vfio=${text}: expected ENDPOINT:NOTIFIER or ENDPOINT:LOW:HIGH, e.g. vfio=0:0`);
  const top = (1n << BigInt(iovaBits)) - 1n;
  const notifiers = m[3] === undefined
    ? [{ notifier: Number(m[2]), start: 0n, end: top }]
    : [{ notifier: Number(m[2]), start: 0n, end: INTERRUPT_WINDOW.start - 1n }, { notifier: Number(m[3]), start: INTERRUPT_WINDOW.end + 1n, end: top }];
  return { endpoint: Number(m[1]), notifiers };
}
