// The focus window: where a case's addresses fall, so that its operations collide.
//
// Bugs live at edges: the first and last entries of a table, the boundary between two large
// leaves, address 0 and the top of the space. A case picks one window (at 0, straddling the
// middle of the space, or ending at its top) and builds every address digit by digit from the
// window's levels (4 KiB, 2 MiB, 1 GiB on page tables; the granule elsewhere), each digit
// biased to the first, middle and last entries of its table. Random addresses in a 48-bit
// space would never meet; these meet often, and every one is still a valid address for any
// declared geometry. A window is a handful of bigints, never a list of its pages.
import fc from 'fast-check';
import { PAGE_4K, TABLE_ENTRIES, type BackendInfo } from '../../spec/viommu/backend.ts';

export interface Window {
  base: bigint;
  size: bigint;
  /** 2^iovaBits: every address a case names is below it (but in `args`). */
  top: bigint;
  /** The smallest page size: the 4 KiB page, the virtio granule, the MPC block. */
  granule: bigint;
  /** Digit sizes, ascending: a position is base + sum(digit_i * levels_i). */
  levels: bigint[];
}

export const isTables = (info: BackendInfo): boolean => info.profile === 'vtd' || info.profile === 'smmuv3';
export const topOf = (info: BackendInfo): bigint => 1n << BigInt(info.iovaBits);
export const alignDown = (v: bigint, a: bigint): bigint => v - (v % a);
export const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Linear windows (virtio, MPC) hold this many granules: a few dozen, so requests overlap. */
const LINEAR_GRANULES = 64n;
/** A page-table window holds a few of the largest leaves and at least four 2 MiB tables. */
const TABLE_SLOTS = 4n;

export function windowSize(info: BackendInfo): bigint {
  const top = topOf(info);
  if (!isTables(info)) return minB(top, LINEAR_GRANULES * info.pageSizes[0]!);
  const largest = info.pageSizes[info.pageSizes.length - 1]!;
  return minB(top, maxB(TABLE_SLOTS * largest, TABLE_SLOTS * PAGE_4K * TABLE_ENTRIES));
}

function levelsOf(info: BackendInfo, size: bigint): bigint[] {
  if (!isTables(info)) return [info.pageSizes[0]!];
  const levels: bigint[] = [];
  for (let l = PAGE_4K; l < size; l *= TABLE_ENTRIES) levels.push(l);
  return levels;
}

/** Window sizes and the top are powers of two, so every base is aligned to the largest leaf. */
export function windowArb(info: BackendInfo): fc.Arbitrary<Window> {
  const top = topOf(info);
  const size = windowSize(info);
  const bases = size >= top ? [0n] : [0n, top / 2n - size / 2n, top - size];
  const levels = levelsOf(info, size);
  return fc.constantFrom(...bases).map((base) => ({ base, size, top, granule: info.pageSizes[0]!, levels }));
}

/** An index into a table of `count` entries, mostly its first, middle or last ones. */
function digitArb(count: bigint): fc.Arbitrary<bigint> {
  if (count <= 8n) return fc.bigInt({ min: 0n, max: count - 1n });
  const half = count / 2n;
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0n, 1n, 2n, half - 1n, half, count - 3n, count - 2n, count - 1n) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: count - 1n }) },
  );
}

/**
 * An address in the window aligned to `align`. An alignment as large as the window (a 1 GiB
 * directory around an 8 MiB window) gives the aligned block holding the window's start or end.
 */
export function posArb(w: Window, align: bigint): fc.Arbitrary<bigint> {
  if (align >= w.size) {
    const first = alignDown(w.base, align);
    const last = alignDown(w.base + w.size - 1n, align);
    return first === last ? fc.constant(first) : fc.constantFrom(first, last);
  }
  const digits = w.levels.map((level, i) => {
    if (level < align || level % align !== 0n) return fc.constant(0n);
    const next = w.levels[i + 1] ?? w.size;
    return digitArb(next / level).map((d) => d * level);
  });
  return fc.tuple(...digits).map((ds) => ds.reduce((a, d) => a + d, w.base));
}

/** A count of units, mostly small and odd (sizes that are not powers of two), at most `max`. */
export function countArb(max: bigint): fc.Arbitrary<bigint> {
  if (max <= 1n) return fc.constant(1n);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(1n, 3n, 5n, 7n).filter((c) => c <= max) },
    { weight: 2, arbitrary: fc.bigInt({ min: 1n, max }) },
  );
}

/** The largest count of `unit` that fits from `iova` to the top, capped at `cap`. */
export const fitCount = (w: Window, iova: bigint, unit: bigint, cap: bigint): bigint =>
  maxB(1n, minB(cap, (w.top - iova) / unit));
