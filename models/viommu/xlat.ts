// One translation as the model keeps it: what a range of input addresses leads to, and which
// leaf (page-table entry, virtio-iommu mapping, MPC block) it belongs to.
import { permWithin, type Perm, type Target } from '../../spec/viommu/ops.ts';

export interface Xlat {
  /** The translated address of the piece's first byte. */
  pa: bigint;
  /** The effective permission: the leaf's own ANDed with every directory above it. */
  perm: Perm;
  /** The leaf's own permission, before the directories'. */
  own: Perm;
  target: Target;
  /** Leaves are naturally aligned blocks of `unit` bytes; 0n: the leaf is [lo, hi). */
  unit: bigint;
  lo: bigint;
  hi: bigint;
  /** The write that made the leaf: a leaf with the same gen has not been rewritten since. */
  gen: number;
}

export const shiftXlat = (x: Xlat, delta: bigint): Xlat => (delta === 0n ? x : { ...x, pa: x.pa + delta });

/** The leaf of `x` containing `a`, as [start, end). */
export function leafOf(x: Xlat, a: bigint): [bigint, bigint] {
  if (x.unit === 0n) return [x.lo, x.hi];
  const start = a - (a % x.unit);
  return [start, start + x.unit];
}

/** Whether `inner` (a value at some point) translates as `outer` at the same point, with no more permission. */
export const within = (inner: Xlat, outer: Xlat): boolean =>
  inner.pa === outer.pa && inner.target === outer.target && permWithin(inner.perm, outer.perm);

/** Same translation at the same point. */
export const sameXlat = (a: Xlat, b: Xlat): boolean => a.pa === b.pa && a.target === b.target && a.perm === b.perm;

/** [start, end) cut into naturally aligned power-of-two chunks, largest first at each point. */
export function alignedChunks(start: bigint, end: bigint): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  let at = start;
  while (at < end) {
    const fits = floorPow2(end - at);
    const align = at === 0n ? fits : at & -at;
    const size = align < fits ? align : fits;
    out.push([at, at + size]);
    at += size;
  }
  return out;
}

/** The largest power of two at or below `v` (> 0). */
const floorPow2 = (v: bigint): bigint => 1n << BigInt(v.toString(2).length - 1);

export const isPow2 = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;
