// Automatic iova allocation (IOMMUFD-MAP-ALLOC): the iova Linux picks, and what any conforming
// choice must satisfy. Linux's own choice decides ENOSPC and EINVAL; which free iova a backend
// returns is its own, and the model follows it (IommufdModel.observe).
import type { Errno } from '../../spec/iommufd/ops.ts';
import { U64_MAX } from '../../spec/u64.ts';
import { PAGE_SIZE } from '../host.ts';
import { lowestBit, TOP, type Area, type Ioas } from './ioas.ts';
import { holes, union, type Span } from './spans.ts';

const roundUpPow2 = (n: bigint): bigint => {
  let p = 1n;
  while (p < n) p <<= 1n;
  return p;
};

/** ALIGN(x, a) | offset in unsigned long arithmetic: it wraps past 2^64 as the kernel's does. */
const alignOr = (x: bigint, a: bigint, offset: bigint): bigint => (((x + a - 1n) & ~(a - 1n)) % TOP) | offset;

/** The lowest aligned start in [start, last] (inclusive) that fits `length`, as __alloc_iova_check_*. */
function fit(start: bigint, last: bigint, length: bigint, align: bigint, offset: bigint): bigint | null {
  if (last - start < length - 1n) return null;
  const s = alignOr(start, align, offset);
  return s > last || last - s < length - 1n ? null : s;
}

/** The allowed spans the allocator searches, merged, as inclusive [start, last]. */
function searchSpans(ioas: Ioas): [bigint, bigint][] {
  const lo = PAGE_SIZE;
  const hi = U64_MAX - PAGE_SIZE;
  if (ioas.allowed.length === 0) return [[lo, hi]];
  const out: [bigint, bigint][] = [];
  for (const [s, e] of union(ioas.allowed)) {
    const a = s > lo ? s : lo;
    const b = e - 1n < hi ? e - 1n : hi;
    if (a <= b) out.push([a, b]);
  }
  return out;
}

/** What is taken in [start, end): reserved ranges and areas other than `except`. */
function used(ioas: Ioas, start: bigint, end: bigint, except: ReadonlySet<Area> = new Set()): Span[] {
  const areas: Span[] = ioas.areas.overlapping(start, end).filter((a) => !except.has(a)).map((a) => [a.iova, a.iova + a.length]);
  return union([...ioas.reservedSpans(), ...areas]);
}

/**
 * The iova Linux allocates for `length` bytes at user address `uptr`, or the errno it answers
 * (L drivers/iommu/iommufd/io_pagetable.c: iopt_alloc_iova).
 */
export function kernelIova(ioas: Ioas, uptr: bigint, length: bigint): bigint | Errno {
  if (length === 0n || length >= U64_MAX / 2n) return 'EOVERFLOW';
  const want = uptr === 0n ? roundUpPow2(length) : [roundUpPow2(length), lowestBit(uptr)].reduce((a, b) => (a < b ? a : b));
  if (want < ioas.alignment) return 'EINVAL';
  const offset = uptr % PAGE_SIZE;
  for (const [s, l] of searchSpans(ioas)) {
    const start = fit(s, l, length, want, offset);
    if (start === null) continue;
    for (const [hs, he] of holes(start, l + 1n, used(ioas, start, l + 1n))) {
      const at = fit(hs, he - 1n, length, want, offset);
      if (at !== null) return at;
    }
  }
  return 'ENOSPC';
}

/**
 * Why `iova` is not a conforming automatic choice for `length` bytes, or null; `placed` are the
 * areas the model put at its own choice, which the backend's replaces.
 */
export function badAutoIova(ioas: Ioas, iova: bigint, length: bigint, placed: ReadonlySet<Area>): string | null {
  const end = iova + length;
  if (iova < PAGE_SIZE || end - 1n > U64_MAX - PAGE_SIZE) return 'outside [PAGE_SIZE, 2^64 - 1 - PAGE_SIZE]';
  if (iova % ioas.alignment !== 0n) return `not a multiple of the iova alignment 0x${ioas.alignment.toString(16)}`;
  if (used(ioas, iova, end, placed).length > 0) return 'meets a reserved range or an area';
  if (ioas.allowed.length > 0 && !union(ioas.allowed).some(([s, e]) => s <= iova && end <= e)) return 'not inside an allowed range';
  return null;
}
