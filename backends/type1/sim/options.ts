// Backend options (`sim-type1:dmaEntryLimit=64,...`) and the machine they select: the IOMMU
// geometry the container reports and enforces, and the host the processes live on.
import type { Geometry } from '../../../spec/type1/backend.ts';
import type { IovaInterval } from '../../../spec/type1/ops.ts';
import {
  DEFAULT_ARENA, DEFAULT_HUGE_PAGE_SIZE, DEFAULT_TASK_SIZE, MMAP_MIN_ADDR, PAGE_SIZE, U64_MAX, isAligned,
} from './constants.ts';

/**
 * The `dma_entry_limit` module parameter. The kernel default is 65535; the simulator sets it low
 * so that a short test case can reach it (T1-MAP-ENTRY-LIMIT).
 */
export const DEFAULT_DMA_ENTRY_LIMIT = 32n;
/** 4 KiB | 2 MiB | 1 GiB, as an x86 IOMMU with superpages reports it. */
export const DEFAULT_PGSIZES = 0x1000n | 0x200000n | 0x40000000n;

/** The simulated host: what `BackendInfo.host` declares and `Host` enforces. */
export interface SimHost {
  hugePageSize: bigint;
  /** Where the suite may mmap: [start, start + size). */
  arena: { start: bigint; size: bigint };
  /** TASK_SIZE: one past the highest address a process may map. */
  taskSize: bigint;
}

export interface SimMachine {
  geometry: Geometry;
  host: SimHost;
}

const NUMBER = /^(\d+|0x[0-9a-f]+)$/i;

const OPTION_HELP = {
  dmaEntryLimit: 'decimal or 0x-hex, 0..4294967295',
  pgsizes: 'hex bitmap of IOMMU page sizes, e.g. 0x40201000',
  topOfSpace: '1: the last IOVA range ends at 2^64-1 (default); 0: at 2^48-1',
  iovaRanges: 'valid IOVA ranges START-END (inclusive ends, ascending, disjoint) joined by +, e.g. 0x0-0xfedfffff+0xfef00000-0xffffffffffffffff',
  hugePageSize: 'a power of two above 4096, e.g. 0x40000000',
  arenaStart: 'page-aligned address, at least 0x10000',
  arenaSize: 'a non-zero multiple of 4096; the arena must end at or below taskSize',
  taskSize: 'page-aligned TASK_SIZE, one past the highest user address, e.g. 0x7ffffffff000',
} as const;
type OptionName = keyof typeof OPTION_HELP;

function bad(backend: string, name: OptionName, value: string, why?: string): Error {
  return new Error(`${backend}: bad value ${JSON.stringify(value)} for option ${name} (${why ?? OPTION_HELP[name]})`);
}

function parseNumber(backend: string, name: OptionName, value: string, maxValue: bigint): bigint {
  if (!NUMBER.test(value) || BigInt(value) > maxValue) throw bad(backend, name, value);
  return BigInt(value);
}

function parseRanges(backend: string, value: string): IovaInterval[] {
  const ranges = value.split('+').map((part) => {
    const m = /^(\w+)-(\w+)$/.exec(part);
    if (!m || !NUMBER.test(m[1]!) || !NUMBER.test(m[2]!)) throw bad(backend, 'iovaRanges', value);
    const start = BigInt(m[1]!);
    const end = BigInt(m[2]!);
    if (end > U64_MAX || start > end) throw bad(backend, 'iovaRanges', value, `${part}: start must not exceed end, end at most 2^64-1`);
    return { start, end };
  });
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.start <= ranges[i - 1]!.end) throw bad(backend, 'iovaRanges', value, 'ranges must be ascending and disjoint');
  }
  return ranges;
}

const option = (options: Record<string, string>, name: OptionName): string | undefined => options[name];

export function machineFromOptions(backend: string, options: Record<string, string>): SimMachine {
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(OPTION_HELP, name)) {
      throw new Error(`${backend}: unknown option ${JSON.stringify(name)} (known: ${Object.keys(OPTION_HELP).join(', ')})`);
    }
  }
  const dmaEntryLimit = options.dmaEntryLimit === undefined ? DEFAULT_DMA_ENTRY_LIMIT : parseNumber(backend, 'dmaEntryLimit', options.dmaEntryLimit, 0xffffffffn);
  let pgsizes = DEFAULT_PGSIZES;
  if (options.pgsizes !== undefined) {
    const hex = /^0x/i.test(options.pgsizes) ? options.pgsizes : `0x${options.pgsizes}`;
    if (!/^0x[0-9a-f]{1,16}$/i.test(hex)) throw bad(backend, 'pgsizes', options.pgsizes);
    pgsizes = BigInt(hex);
    if (pgsizes === 0n) throw bad(backend, 'pgsizes', options.pgsizes, 'no page size set');
  }
  // vfio_update_pgsize_bitmap: sizes below PAGE_SIZE are replaced by PAGE_SIZE.
  if (pgsizes & (PAGE_SIZE - 1n)) pgsizes = (pgsizes & -PAGE_SIZE) | PAGE_SIZE;

  const top = option(options, 'topOfSpace');
  const given = option(options, 'iovaRanges');
  if (top !== undefined && given !== undefined) throw bad(backend, 'iovaRanges', given, 'give either iovaRanges or topOfSpace, not both');
  const topOfSpace = top === undefined ? 1n : parseNumber(backend, 'topOfSpace', top, 1n);
  const iovaRanges = given !== undefined ? parseRanges(backend, given) : [
    // The x86 MSI window 0xfee00000-0xfeefffff is a reserved region, cut out of the aperture.
    { start: 0n, end: 0xfedfffffn },
    { start: 0xfef00000n, end: topOfSpace === 1n ? U64_MAX : (1n << 48n) - 1n },
  ];

  const page = (name: OptionName, fallback: bigint): bigint => {
    const v = option(options, name);
    if (v === undefined) return fallback;
    const n = parseNumber(backend, name, v, U64_MAX);
    if (!isAligned(n, PAGE_SIZE)) throw bad(backend, name, v);
    return n;
  };
  const hugePageSize = option(options, 'hugePageSize') === undefined ? DEFAULT_HUGE_PAGE_SIZE : parseNumber(backend, 'hugePageSize', options.hugePageSize!, 1n << 62n);
  if (hugePageSize <= PAGE_SIZE || (hugePageSize & (hugePageSize - 1n)) !== 0n) throw bad(backend, 'hugePageSize', options.hugePageSize!);
  const taskSize = page('taskSize', DEFAULT_TASK_SIZE);
  if (taskSize <= MMAP_MIN_ADDR) throw bad(backend, 'taskSize', options.taskSize!);
  const arena = { start: page('arenaStart', DEFAULT_ARENA.start), size: page('arenaSize', DEFAULT_ARENA.size) };
  if (arena.start < MMAP_MIN_ADDR) throw bad(backend, 'arenaStart', options.arenaStart!);
  if (arena.size === 0n || arena.start + arena.size > taskSize) {
    throw bad(backend, 'arenaSize', String(options.arenaSize ?? `0x${arena.size.toString(16)}`), `the arena [0x${arena.start.toString(16)}, +0x${arena.size.toString(16)}) must be non-empty and end at or below taskSize 0x${taskSize.toString(16)}`);
  }
  return { geometry: { pgsizes, iovaRanges, dmaEntryLimit }, host: { hugePageSize, arena, taskSize } };
}

/** What iommufd_fill_cap_dma_avail reports: iommufd has no entry limit. */
const COMPAT_DMA_ENTRIES = 0xffffffffn;

/**
 * The machine of a compat-layer simulator: no dma_entry_limit to set (the geometry declares the
 * U32_MAX that DMA_AVAIL reports), and a smallest IOMMU page of PAGE_SIZE (io_pagetable.c:
 * iopt_table_add_domain refuses a domain whose smallest page is larger).
 */
export function compatMachineFromOptions(backend: string, options: Record<string, string>): SimMachine {
  if (options.dmaEntryLimit !== undefined) {
    throw new Error(`${backend}: option dmaEntryLimit does not apply (iommufd's compat container has no entry limit)`);
  }
  const machine = machineFromOptions(backend, options);
  const { pgsizes } = machine.geometry;
  if ((pgsizes & -pgsizes) !== PAGE_SIZE) throw bad(backend, 'pgsizes', options.pgsizes!, 'the smallest page size must be 0x1000');
  return { ...machine, geometry: { ...machine.geometry, dmaEntryLimit: COMPAT_DMA_ENTRIES } };
}
