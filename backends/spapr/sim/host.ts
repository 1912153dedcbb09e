// The processes' memory: sim-type1's host, with the checks Linux 6.12 makes before it touches
// anything (SPAPR-HOST-ENV).
import type { Errno, Proc } from '../../../spec/spapr/ops.ts';
import { PAGE_SIZE, isAligned } from '../../type1/sim/constants.ts';
import type { Host } from '../../type1/sim/host.ts';

/**
 * mremap(MREMAP_MAYMOVE | MREMAP_FIXED): do_mremap looks the source VMA up (EFAULT) right after
 * its length checks and before mremap_to unmaps the destination or the source's tail (mm/mremap.c:
 * do_mremap, vma_lookup); the rest is the type1 host's.
 */
export function mremap(host: Host, proc: Proc, vaddr: bigint, size: bigint, newVaddr: bigint, newSize: bigint): Errno | undefined {
  if (!isAligned(vaddr, PAGE_SIZE) || !isAligned(size, PAGE_SIZE) || !isAligned(newSize, PAGE_SIZE) || size === 0n || newSize === 0n) return 'EINVAL';
  if (host.procs[proc].space.find(vaddr) === undefined) return 'EFAULT';
  return host.mremap(proc, vaddr, size, newVaddr, newSize);
}

/** The CPU touches one page at a page-aligned address (spec/spapr/operations.md). */
export function cpuAccess(vaddr: bigint): Errno | undefined {
  return isAligned(vaddr, PAGE_SIZE) ? undefined : 'EINVAL';
}
