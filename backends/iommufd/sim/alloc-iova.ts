// iopt_alloc_iova (drivers/iommu/iommufd/io_pagetable.c): where IOMMU_IOAS_MAP and _COPY put a
// range when userspace lets the kernel choose.
//
// The alignment keeps what the user VA already has, to let huge pages map: the smaller of
// roundup_pow_of_two(length) and the lowest set bit of the VA (the length alone for VA 0),
// capped at HPAGE_SIZE, and never below the IOAS's iova_alignment (EINVAL). The candidates are
// the allowed ranges (all of [PAGE_SIZE, ULONG_MAX - PAGE_SIZE] when none are set, which is why
// iova 0 is never returned), merged where adjacent; in each, the first hole between reserved
// ranges and areas where the aligned start, with the VA's page offset ORed in, leaves room for
// the length (__alloc_iova_check_range). No hole: ENOSPC.
import type { Errno } from '../../../spec/iommufd/ops.ts';
import { PAGE_SIZE, U64_MAX } from '../../type1/sim/constants.ts';
import { hasBug, type Policy } from './policy.ts';
import { holes, usedSpans, type IovaRange } from './ranges.ts';

/** HPAGE_SIZE of x86-64 (PMD_SIZE), the cap with CONFIG_TRANSPARENT_HUGEPAGE. */
export const HPAGE_SIZE = 0x200000n;

const lowestBit = (v: bigint): bigint => v & -v;

function roundupPowerOfTwo(v: bigint): bigint {
  let p = 1n;
  while (p < v) p <<= 1n;
  return p;
}

export interface AllocSpace {
  readonly iovaAlignment: bigint;
  readonly allowed: readonly IovaRange[];
  /** Reserved ranges and areas: what a new area may not overlap. */
  readonly used: readonly IovaRange[];
  /** The areas alone (mutant alloc-over-reserved avoids only these). */
  readonly areas: readonly IovaRange[];
}

export function allocIova(space: AllocSpace, policy: Policy, uptr: bigint, length: bigint): bigint | Errno {
  const pageOffset = uptr % PAGE_SIZE;
  // Protects roundup_pow_of_two() from overflow.
  if (length === 0n || length >= U64_MAX / 2n) return 'EOVERFLOW';
  let alignment = uptr === 0n ? roundupPowerOfTwo(length) : (roundupPowerOfTwo(length) < lowestBit(uptr) ? roundupPowerOfTwo(length) : lowestBit(uptr));
  if (alignment >= HPAGE_SIZE) alignment = HPAGE_SIZE;
  if (alignment < space.iovaAlignment) return 'EINVAL';

  const fit = (start: bigint, last: bigint): bigint | undefined => {
    const up = start + alignment - 1n;
    if (up > U64_MAX) return undefined;
    const aligned = (up & ~(alignment - 1n)) | pageOffset;
    if (aligned >= last || last - aligned < length - 1n) return undefined;
    return aligned;
  };

  // mutant alloc-iova-zero: the search starts at 0.
  const first = hasBug(policy, 'alloc-iova-zero') ? 0n : PAGE_SIZE;
  const window = { start: first, last: U64_MAX - PAGE_SIZE };
  // mutant alloc-ignores-allowed: the allowed ranges are not consulted.
  const allowed = space.allowed.length === 0 || hasBug(policy, 'alloc-ignores-allowed')
    ? [window]
    : usedSpans(space.allowed, window.start, window.last);
  // mutant alloc-over-reserved: only the areas are avoided.
  const used = hasBug(policy, 'alloc-over-reserved') ? space.areas : space.used;
  for (const span of allowed) {
    const start = fit(span.start, span.last);
    if (start === undefined) continue;
    for (const hole of holes(used, start, span.last)) {
      const iova = fit(hole.start, hole.last);
      if (iova !== undefined) return iova;
    }
  }
  return 'ENOSPC';
}
