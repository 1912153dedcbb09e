// Address arithmetic shared by the tables, the caches and the notifiers. Ranges are half-open
// [lo, hi); every helper costs O(log) of the sizes, never O(pages).

export const PAGE = 0x1000n;

export const isAligned = (value: bigint, alignment: bigint): boolean => value % alignment === 0n;
export const alignDown = (value: bigint, alignment: bigint): bigint => value - (value % alignment);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const overlaps = (lo: bigint, hi: bigint, lo2: bigint, hi2: bigint): boolean => lo < hi2 && lo2 < hi;

/** The largest power of two dividing `v` (v > 0), capped at `cap`. */
function alignmentOf(v: bigint, cap: bigint): bigint {
  if (v === 0n) return cap;
  const a = v & -v;
  return a < cap ? a : cap;
}

/** The largest power of two not above `v` (v > 0). */
function floorPow2(v: bigint): bigint {
  return 1n << BigInt(v.toString(2).length - 1);
}

/**
 * [lo, hi) as naturally aligned power-of-two chunks, ascending: the only shape an
 * IOMMUTLBEntry can carry (VIOMMU-EVENT-FORM).
 */
export function alignedChunks(lo: bigint, hi: bigint): { iova: bigint; size: bigint }[] {
  const chunks: { iova: bigint; size: bigint }[] = [];
  while (lo < hi) {
    const size = alignmentOf(lo, floorPow2(hi - lo));
    chunks.push({ iova: lo, size });
    lo += size;
  }
  return chunks;
}

/** In entries sorted by iova and not overlapping, the index of the first ending after `iova`. */
export function firstEndingAfter(entries: readonly { iova: bigint; size: bigint }[], iova: bigint): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const e = entries[mid]!;
    if (e.iova + e.size <= iova) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
