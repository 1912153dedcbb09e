// How virtio-iommu cuts a mapping into notifier entries: naturally aligned power-of-two
// chunks (virtio_iommu_notify_map_unmap, dma_aligned_pow2_mask). An IOMMUTLBEntry needs both
// its iova and its translated address aligned to its size (VIOMMU-EVENT-FORM), so a chunk is
// bounded by the alignment of both. MAP and UNMAP of a mapping use the same cut, so an UNMAP
// never bisects what a MAP delivered (VIOMMU-SHADOW-NO-CUT).

export interface Chunk {
  iova: bigint;
  pa: bigint;
  size: bigint;
}

/** The largest power of two <= v (v > 0). */
const floorPow2 = (v: bigint): bigint => 1n << BigInt(v.toString(2).length - 1);
/** The alignment of a (a power of two), or none when a is 0 (aligned to everything). */
const alignment = (a: bigint): bigint | undefined => (a === 0n ? undefined : a & -a);

/** [iova, iova + size) translating to pa onwards, in ascending aligned chunks. */
export function alignedChunks(iova: bigint, size: bigint, pa: bigint): Chunk[] {
  const chunks: Chunk[] = [];
  // At most two chunks per bit of the address: the cost is bounded whatever the size.
  while (size > 0n) {
    const align = alignment(iova | pa);
    let chunk = floorPow2(size);
    if (align !== undefined && align < chunk) chunk = align;
    chunks.push({ iova, pa, size: chunk });
    iova += chunk;
    pa += chunk;
    size -= chunk;
  }
  return chunks;
}

/**
 * mutant virtio-unmap-other-split: the same range cut from its top, with the chunk bound taken
 * from `size - 1` (an off-by-one that halves every power-of-two remainder). Each chunk is
 * aligned, but the cut differs from alignedChunks', so an UNMAP bisects a MAPped chunk.
 */
export function topDownChunks(iova: bigint, size: bigint, pa: bigint, granule: bigint): Chunk[] {
  const chunks: Chunk[] = [];
  while (size > 0n) {
    const end = iova + size;
    const align = end & -end;
    const paAlign = alignment(pa + size);
    let chunk = size > granule ? floorPow2(size - 1n) : size;
    if (align < chunk) chunk = align;
    if (paAlign !== undefined && paAlign < chunk) chunk = paAlign;
    size -= chunk;
    chunks.push({ iova: iova + size, pa: pa + size, size: chunk });
  }
  return chunks.reverse();
}
