// Backend options (`sim-iommufd:geometry=2dev,aperture=...`) and the machine they select: the
// devices and the automatic domains their IOMMUs give, and the host (arena, huge pages, TASK_SIZE,
// parsed as the type1 simulator parses them).
//
// `geometry` picks a preset; `devices`, `pgsizes`, `aperture`, `reserved`, `hwInfoType` and
// `group` then change it, one value for every device or one per device separated by `/`.
import type { Device } from '../../../spec/iommufd/backend.ts';
import { PAGE_SIZE, U64_MAX, isAligned } from '../../type1/sim/constants.ts';
import { machineFromOptions as type1Machine, type SimHost } from '../../type1/sim/options.ts';
import type { IovaRange } from './ranges.ts';

const MSI_X86: IovaRange = { start: 0xfee00000n, last: 0xfeefffffn };
/** The software MSI window Arm's SMMU and virtio-iommu drivers reserve (MSI_IOVA_BASE). */
const MSI_SW: IovaRange = { start: 0x8000000n, last: 0x80fffffn };
const TOP_48 = (1n << 48n) - 1n;

const INTEL: Device = { pgsizes: 0x1000n | 0x200000n | 0x40000000n, aperture: { start: 0n, last: TOP_48 }, reserved: [MSI_X86], hwInfoType: 1, group: 0 };
/** virtio-iommu: every power of two from 4 KiB, a 40-bit input range above 1 MiB, no hw_info. */
const VIRTIO: Device = { pgsizes: 0xfffffffffffff000n, aperture: { start: 0x100000n, last: (1n << 40n) - 1n }, reserved: [MSI_SW], hwInfoType: 0, group: 1 };

export const GEOMETRIES: Readonly<Record<string, { devices: readonly Device[]; about: string }>> = {
  intel: { devices: [INTEL], about: 'one VT-d device: 4K|2M|1G, aperture [0, 2^48-1], MSI window 0xfee00000-0xfeefffff' },
  '2dev': { devices: [INTEL, VIRTIO], about: 'a VT-d device and a virtio-iommu device (every size from 4K, aperture [1M, 2^40-1], MSI window at 0x8000000) in two groups' },
  'shared-group': { devices: [INTEL, INTEL], about: 'two VT-d devices in one iommu_group' },
  narrow: { devices: [{ ...INTEL, pgsizes: 0x1000n | 0x200000n, aperture: { start: 0x100000n, last: 0xffffffffn } }], about: 'one device with a 32-bit aperture above 1 MiB' },
  'full-aperture': { devices: [{ pgsizes: 0x1000n | 0x10000n | 0x200000n, aperture: { start: 0n, last: U64_MAX }, reserved: [MSI_SW], hwInfoType: 2, group: 0 }], about: 'one SMMUv3-like device whose aperture reaches 2^64-1' },
  'huge-only': { devices: [{ ...INTEL, pgsizes: 0x200000n | 0x40000000n }], about: 'one device whose domain has no 4 KiB page (every attach fails EINVAL)' },
};

const OPTION_HELP = {
  geometry: `one of ${Object.keys(GEOMETRIES).join(', ')}`,
  devices: 'how many devices, 1..4 (extra ones copy the last, each in a group of its own)',
  pgsizes: 'hex bitmap of the domain page sizes, no size below 4 KiB, e.g. 0x40201000',
  aperture: 'START-LAST, inclusive, page aligned',
  reserved: 'reserved regions START-LAST joined by +, ascending and disjoint, or none',
  hwInfoType: 'IOMMU_GET_HW_INFO data type, 0..255',
  group: 'iommu_group number, 0..255',
  hugePageSize: 'as sim-type1', arenaStart: 'as sim-type1', arenaSize: 'as sim-type1', taskSize: 'as sim-type1',
} as const;
type OptionName = keyof typeof OPTION_HELP;
const HOST_OPTIONS: readonly OptionName[] = ['hugePageSize', 'arenaStart', 'arenaSize', 'taskSize'];

export interface SimMachine {
  devices: Device[];
  host: SimHost;
}

const NUMBER = /^(\d+|0x[0-9a-f]+)$/i;

function bad(backend: string, name: OptionName, value: string, why?: string): Error {
  return new Error(`${backend}: bad value ${JSON.stringify(value)} for option ${name} (${why ?? OPTION_HELP[name]})`);
}

function parseRange(backend: string, name: OptionName, text: string): IovaRange {
  const m = /^(\w+)-(\w+)$/.exec(text);
  if (!m || !NUMBER.test(m[1]!) || !NUMBER.test(m[2]!)) throw bad(backend, name, text);
  const start = BigInt(m[1]!);
  const last = BigInt(m[2]!);
  if (last > U64_MAX || start > last) throw bad(backend, name, text, 'START must not exceed LAST, LAST at most 2^64-1');
  return { start, last };
}

type Field = 'pgsizes' | 'aperture' | 'reserved' | 'hwInfoType' | 'group';

function parseField(backend: string, name: Field, text: string, dev: Device): Device {
  switch (name) {
    case 'pgsizes': {
      if (!/^0x[0-9a-f]{1,16}$/i.test(text) || BigInt(text) === 0n || (BigInt(text) & (PAGE_SIZE - 1n)) !== 0n) throw bad(backend, name, text);
      return { ...dev, pgsizes: BigInt(text) };
    }
    case 'aperture': {
      const r = parseRange(backend, name, text);
      if (!isAligned(r.start, PAGE_SIZE) || (r.last !== U64_MAX && !isAligned(r.last + 1n, PAGE_SIZE))) throw bad(backend, name, text);
      return { ...dev, aperture: r };
    }
    case 'reserved': {
      const list = text === 'none' ? [] : text.split('+').map((t) => parseRange(backend, name, t));
      for (let i = 1; i < list.length; i++) if (list[i]!.start <= list[i - 1]!.last) throw bad(backend, name, text, 'ranges must be ascending and disjoint');
      return { ...dev, reserved: list };
    }
    case 'hwInfoType': case 'group': {
      if (!/^\d+$/.test(text) || Number(text) > 255) throw bad(backend, name, text);
      return { ...dev, [name]: Number(text) };
    }
  }
}

export function machineFromOptions(backend: string, options: Record<string, string>, fallback = 'intel'): SimMachine {
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(OPTION_HELP, name)) {
      throw new Error(`${backend}: unknown option ${JSON.stringify(name)} (known: ${Object.keys(OPTION_HELP).join(', ')})`);
    }
  }
  const preset = GEOMETRIES[options.geometry ?? fallback];
  if (preset === undefined) throw bad(backend, 'geometry', options.geometry!);
  let devices = preset.devices.map((d) => ({ ...d, reserved: [...d.reserved] }));
  if (options.devices !== undefined) {
    const n = /^[1-4]$/.test(options.devices) ? Number(options.devices) : NaN;
    if (Number.isNaN(n)) throw bad(backend, 'devices', options.devices);
    const given = devices.length;
    const lastGroup = Math.max(...devices.map((d) => d.group));
    devices = Array.from({ length: n }, (_, i) => devices[i] ?? { ...devices[given - 1]!, group: lastGroup + 1 + i - given });
  }
  for (const name of ['pgsizes', 'aperture', 'reserved', 'hwInfoType', 'group'] as const) {
    const text = options[name];
    if (text === undefined) continue;
    const parts = text.split('/');
    if (parts.length !== 1 && parts.length !== devices.length) throw bad(backend, name, text, `one value, or one per device (${devices.length}) separated by /`);
    devices = devices.map((d, i) => parseField(backend, name, parts[parts.length === 1 ? 0 : i]!, d));
  }
  const hostOptions = Object.fromEntries(HOST_OPTIONS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]!]));
  return { devices, host: type1Machine(backend, hostOptions).host };
}
