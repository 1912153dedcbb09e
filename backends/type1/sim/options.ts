// Backend options (`sim-type1:dmaEntryLimit=64,...`) and the geometry they select.
import type { Geometry } from '../../../spec/type1/backend.ts';
import { PAGE_SIZE, U64_MAX } from './constants.ts';

/**
 * The `dma_entry_limit` module parameter. The kernel default is 65535; the simulator sets it low
 * so that a short test case can reach it (T1-MAP-ENTRY-LIMIT).
 */
export const DEFAULT_DMA_ENTRY_LIMIT = 32n;
/** 4 KiB | 2 MiB | 1 GiB, as an x86 IOMMU with superpages reports it. */
export const DEFAULT_PGSIZES = 0x1000n | 0x200000n | 0x40000000n;

const OPTION_HELP = {
  dmaEntryLimit: 'decimal or 0x-hex, 0..4294967295',
  pgsizes: 'hex bitmap of IOMMU page sizes, e.g. 0x40201000',
  topOfSpace: '1: the last IOVA range ends at 2^64-1 (default); 0: at 2^48-1',
} as const;

function parseOption(backend: string, name: keyof typeof OPTION_HELP, value: string, pattern: RegExp, maxValue: bigint): bigint {
  if (!pattern.test(value) || BigInt(value) > maxValue) {
    throw new Error(`${backend}: bad value ${JSON.stringify(value)} for option ${name} (${OPTION_HELP[name]})`);
  }
  return BigInt(value);
}

export function geometryFromOptions(backend: string, options: Record<string, string>): Geometry {
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(OPTION_HELP, name)) {
      throw new Error(`${backend}: unknown option ${JSON.stringify(name)} (known: ${Object.keys(OPTION_HELP).join(', ')})`);
    }
  }
  const dmaEntryLimit = options.dmaEntryLimit === undefined
    ? DEFAULT_DMA_ENTRY_LIMIT
    : parseOption(backend, 'dmaEntryLimit', options.dmaEntryLimit, /^(\d+|0x[0-9a-f]+)$/i, 0xffffffffn);
  let pgsizes = options.pgsizes === undefined
    ? DEFAULT_PGSIZES
    : parseOption(backend, 'pgsizes', /^0x/i.test(options.pgsizes) ? options.pgsizes : `0x${options.pgsizes}`, /^0x[0-9a-f]{1,16}$/i, U64_MAX);
  if (pgsizes === 0n) throw new Error(`${backend}: bad value "${options.pgsizes}" for option pgsizes (no page size set)`);
  // vfio_update_pgsize_bitmap: sizes below PAGE_SIZE are replaced by PAGE_SIZE.
  if (pgsizes & (PAGE_SIZE - 1n)) pgsizes = (pgsizes & -PAGE_SIZE) | PAGE_SIZE;
  const topOfSpace = options.topOfSpace === undefined
    ? 1n
    : parseOption(backend, 'topOfSpace', options.topOfSpace, /^[01]$/, 1n);
  return {
    pgsizes,
    // The x86 MSI window 0xfee00000-0xfeefffff is a reserved region, cut out of the aperture.
    iovaRanges: [
      { start: 0n, end: 0xfedfffffn },
      { start: 0xfef00000n, end: topOfSpace === 1n ? U64_MAX : (1n << 48n) - 1n },
    ],
    dmaEntryLimit,
  };
}
