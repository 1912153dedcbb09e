// Backend options (`sim-spapr-v2:platform=powernv,containers=3,...`) and the machine they select:
// each container's table_group (its 32-bit window, DDW page sizes and levels, where the
// platform puts a created window, how it sizes a table) and the host (parsed as sim-type1 does).
//
// `platform` picks a preset; the other options change it for every container.
import type { ContainerGeometry, TableSizing } from '../../../spec/spapr/backend.ts';
import { PAGE_SIZE, U64_MAX, isAligned } from '../../type1/sim/constants.ts';
import { machineFromOptions as type1Machine, type SimHost } from '../../type1/sim/options.ts';

/** IOMMU_TABLE_GROUP_MAX_TABLES: the slots a container has for windows. */
export const MAX_TABLES = 2;

/**
 * A pseries guest of QEMU (arch/powerpc/platforms/pseries/iommu.c: spapr_tce_init_table_group,
 * the VFIO DDW ops): a 1 GiB 32-bit window at 0; DDW of 4K|64K|2M|16M pages, two windows, one
 * level; QEMU's spapr PHB hands every dynamic window the bus address 2^59.
 */
const PSERIES: ContainerGeometry = {
  dma32: { start: 0n, size: 1n << 30n },
  ddw: { pgsizes: 0x1211000n, maxDynamicWindows: 2, levels: 1 },
  windowStarts: [1n << 59n, 1n << 59n],
  tableSizing: 'pseries',
};

/**
 * A POWER9 PowerNV IODA2 PE (arch/powerpc/platforms/powernv/pci-ioda.c:
 * pnv_pci_ioda2_setup_default_config, pnv_pci_ioda2_create_table): a 2 GiB 32-bit window at 0;
 * 4K|64K|2M|1G pages, up to 5 levels; window 0 at tce32_start, window 1 at tce_bypass_base 2^59.
 */
const POWERNV: ContainerGeometry = {
  dma32: { start: 0n, size: 1n << 31n },
  ddw: { pgsizes: 0x40211000n, maxDynamicWindows: 2, levels: 5 },
  windowStarts: [0n, 1n << 59n],
  tableSizing: 'powernv',
};

export const PLATFORMS: Readonly<Record<TableSizing, ContainerGeometry>> = { pseries: PSERIES, powernv: POWERNV };

const OPTION_HELP = {
  platform: `one of ${Object.keys(PLATFORMS).join(', ')}`,
  containers: 'how many containers, 1..4',
  dma32: 'START-SIZE of the 32-bit window, both page aligned, SIZE a power of two',
  pgsizes: 'hex bitmap of the DDW page sizes, 4 KiB at least, e.g. 0x1011000',
  levels: 'the most TCE table levels TCE_CREATE takes, 1..5',
  windowStarts: 'the bus address of a created window in slot 0 and in slot 1, START0+START1',
  hugePageSize: 'as sim-type1', arenaStart: 'as sim-type1', arenaSize: 'as sim-type1', taskSize: 'as sim-type1',
} as const;
type OptionName = keyof typeof OPTION_HELP;
const HOST_OPTIONS: readonly OptionName[] = ['hugePageSize', 'arenaStart', 'arenaSize', 'taskSize'];

export interface SimMachine {
  containers: ContainerGeometry[];
  host: SimHost;
}

const NUMBER = /^(\d+|0x[0-9a-f]+)$/i;
const isPow2 = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;

function bad(backend: string, name: OptionName, value: string, why?: string): Error {
  return new Error(`${backend}: bad value ${JSON.stringify(value)} for option ${name} (${why ?? OPTION_HELP[name]})`);
}

function number(backend: string, name: OptionName, text: string): bigint {
  if (!NUMBER.test(text) || BigInt(text) > U64_MAX) throw bad(backend, name, text);
  return BigInt(text);
}

function pair(backend: string, name: OptionName, text: string, sep: string): [bigint, bigint] {
  const parts = text.split(sep);
  if (parts.length !== 2) throw bad(backend, name, text);
  return [number(backend, name, parts[0]!), number(backend, name, parts[1]!)];
}

export function machineFromOptions(backend: string, options: Record<string, string>): SimMachine {
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(OPTION_HELP, name)) {
      throw new Error(`${backend}: unknown option ${JSON.stringify(name)} (known: ${Object.keys(OPTION_HELP).join(', ')})`);
    }
  }
  const preset = PLATFORMS[(options.platform ?? 'pseries') as TableSizing];
  if (preset === undefined) throw bad(backend, 'platform', options.platform!);
  let geometry: ContainerGeometry = { ...preset, dma32: { ...preset.dma32 }, ddw: { ...preset.ddw! }, windowStarts: [...preset.windowStarts] };
  if (options.dma32 !== undefined) {
    const [start, size] = pair(backend, 'dma32', options.dma32, '-');
    if (!isAligned(start, PAGE_SIZE) || !isPow2(size) || size < PAGE_SIZE || start + size - 1n > U64_MAX) throw bad(backend, 'dma32', options.dma32);
    geometry = { ...geometry, dma32: { start, size } };
  }
  if (options.pgsizes !== undefined) {
    const text = options.pgsizes;
    if (!/^0x[0-9a-f]{1,16}$/i.test(text) || BigInt(text) === 0n || (BigInt(text) & (PAGE_SIZE - 1n)) !== 0n) throw bad(backend, 'pgsizes', text);
    geometry = { ...geometry, ddw: { ...geometry.ddw!, pgsizes: BigInt(text) } };
  }
  if (options.levels !== undefined) {
    if (!/^[1-5]$/.test(options.levels)) throw bad(backend, 'levels', options.levels);
    geometry = { ...geometry, ddw: { ...geometry.ddw!, levels: Number(options.levels) } };
  }
  if (options.windowStarts !== undefined) {
    const starts = pair(backend, 'windowStarts', options.windowStarts, '+');
    if (!starts.every((s) => isAligned(s, PAGE_SIZE))) throw bad(backend, 'windowStarts', options.windowStarts);
    geometry = { ...geometry, windowStarts: starts };
  }
  let count = 2;
  if (options.containers !== undefined) {
    if (!/^[1-4]$/.test(options.containers)) throw bad(backend, 'containers', options.containers);
    count = Number(options.containers);
  }
  const hostOptions = Object.fromEntries(HOST_OPTIONS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]!]));
  return {
    containers: Array.from({ length: count }, () => ({ ...geometry, dma32: { ...geometry.dma32 }, ddw: { ...geometry.ddw! }, windowStarts: [...geometry.windowStarts] })),
    host: type1Machine(backend, hostOptions).host,
  };
}
