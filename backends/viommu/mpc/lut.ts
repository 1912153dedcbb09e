// The MPC's lookup table (hw/misc/tz-mpc.c, BLK_LUT): one bit per block in 32-bit words,
// 1 = non-secure. All secure (0) after reset.

export class Lut {
  private readonly words: Uint32Array;

  constructor(readonly blocks: number) {
    this.words = new Uint32Array(Math.ceil(blocks / 32));
  }

  isNs(block: number): boolean {
    return ((this.words[block >> 5]! >>> (block & 31)) & 1) === 1;
  }

  /**
   * Sets blocks [first, first + count) to `ns` one word at a time, as BLK_LUT writes do, and
   * returns the blocks whose bit changed, ascending (tz_mpc_iommu_notify's loop). The cost is
   * bounded by the region's size, which the declaration fixes.
   */
  write(first: number, count: number, ns: boolean): number[] {
    const changed: number[] = [];
    const last = first + count - 1;
    for (let w = first >> 5; w <= last >> 5; w++) {
      const lo = Math.max(first, w * 32) - w * 32;
      const hi = Math.min(last, w * 32 + 31) - w * 32;
      const span = hi - lo === 31 ? 0xffffffff : ((1 << (hi - lo + 1)) - 1) >>> 0;
      const mask = (span << lo) >>> 0;
      const old = this.words[w]!;
      const now = (ns ? old | mask : old & ~mask) >>> 0;
      this.words[w] = now;
      for (let bit = lo; bit <= hi; bit++) if ((((old ^ now) >>> bit) & 1) === 1) changed.push(w * 32 + bit);
    }
    return changed;
  }

  clear(): void {
    this.words.fill(0);
  }
}
