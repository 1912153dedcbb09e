// What a MAP_DMA request's vaddr range looks like in the process's address space: how many
// VMAs it crosses and whether it runs into a hole. Linux pins such a range in batches whose
// behaviour changes at every VMA boundary (vfio_pin_pages_remote, vaddr_get_pfns), so the
// suite measures how often it generates one (npm run bench) and tests that it does.
import type { OpOf } from '../../spec/type1/ops.ts';
import { MAP_FLAG } from '../../spec/type1/ops.ts';
import type { FrameRun, Process } from '../../models/host.ts';

/**
 * Whether two runs that meet belong to different Linux VMAs: a different backing or
 * protection, or another hugetlb or PFNMAP object (private anonymous memory of equal
 * protection merges into one VMA).
 */
const newVma = (a: FrameRun, b: FrameRun): boolean =>
  a.backing !== b.backing || a.prot !== b.prot || (a.backing !== 'anon' && a.object !== b.object);

/**
 * What [vaddr, vaddr + size) of `proc` crosses: `vmas` when it is backed throughout and spans
 * two or more VMAs, `hole` when it starts in a VMA and runs into a hole (possibly past other
 * VMAs), else `single` (one VMA, or no VMA at its start). Cost: O(VMAs in the range).
 */
export function vaddrShape(proc: Process, vaddr: bigint, size: bigint): 'single' | 'vmas' | 'hole' {
  if (size <= 0n) return 'single';
  const { runs, hole } = proc.lookup(vaddr, size);
  if (runs.length === 0) return 'single';
  if (hole !== null) return 'hole';
  for (let i = 1; i < runs.length; i++) if (newVma(runs[i - 1]!, runs[i]!)) return 'vmas';
  return 'single';
}

/** Whether [vaddr, vaddr + size) of `proc` spans two or more VMAs, or a VMA and a hole. */
export const spansVmas = (proc: Process, vaddr: bigint, size: bigint): boolean => vaddrShape(proc, vaddr, size) !== 'single';

/** A MAP_DMA that pins: a plain map (a VADDR update pins nothing). */
export const pinsPages = (op: OpOf<'map'>): boolean => (op.flags & MAP_FLAG.VADDR) === 0;
