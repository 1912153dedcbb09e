// How a range invalidation reaches the IOMMU, per flavour: what the guest driver encodes and
// what the emulated IOMMU decodes. The decoded cover may exceed the request, never fall short
// of it (VIOMMU-INVAL-RANGE); the mutants psi-mask-short and tlbi-num-off-by-one fall short.
import { PAGE } from './ranges.ts';

export interface Span { lo: bigint; hi: bigint }

/**
 * VT-d page-selective invalidation: one naturally aligned block of 2^am pages, am the smallest
 * order whose block holds [iova, iova + size) (Linux iommu_flush_iotlb_psi, QEMU
 * vtd_iotlb_page_invalidate). `short` computes am one order too small.
 */
export function psiCover(iova: bigint, size: bigint, short: boolean): Span[] {
  const first = iova / PAGE;
  const last = (iova + size - 1n) / PAGE;
  let am = 0n;
  while (first >> am !== last >> am) am++;
  if (short && am > 0n) am--;
  const lo = ((first >> am) << am) * PAGE;
  return [{ lo, hi: lo + (PAGE << am) }];
}

/** One SMMUv3 CMD_TLBI_NH_VA with range: 4 KiB granule (TG=1), (NUM+1) * 2^SCALE pages from addr. */
export interface TlbiRange { addr: bigint; scale: bigint; num: bigint }

const NUM_MAX = 31n;
const SCALE_MAX = 31n;

const trailingZeros = (v: bigint): bigint => BigInt((v & -v).toString(2).length - 1);

/**
 * The commands Linux (__arm_smmu_tlb_inv_range) issues for [iova, iova + size): each takes the
 * lowest set bits of the remaining page count, up to 5 bits wide. null when a count needs a
 * SCALE above 31: the driver then invalidates the whole ASID instead.
 */
export function encodeTlbi(iova: bigint, size: bigint): TlbiRange[] | null {
  const commands: TlbiRange[] = [];
  let pages = size / PAGE;
  let addr = iova;
  while (pages > 0n) {
    const scale = trailingZeros(pages);
    if (scale > SCALE_MAX) return null;
    const num = (pages >> scale) & NUM_MAX;
    commands.push({ addr, scale, num: num - 1n });
    pages -= num << scale;
    addr += (num << scale) * PAGE;
  }
  return commands;
}

/**
 * What QEMU's smmuv3_range_inval covers for each command: (NUM + 1) << SCALE pages.
 * `numAsCount` decodes NUM as the count itself, one chunk short.
 */
export function decodeTlbi(commands: readonly TlbiRange[], numAsCount: boolean): Span[] {
  return commands.map(({ addr, scale, num }) => {
    const pages = (numAsCount ? num : num + 1n) << scale;
    return { lo: addr, hi: addr + pages * PAGE };
  }).filter((s) => s.lo < s.hi);
}
