// Where to look after each step: the DMA probe set.
//
// Backends change their state only at addresses that operations name, so a stale or missing
// page always has an edge at one of them. After every step the suite reads both sides of every
// edge of every range the step touched (the request, the mappings it created, removed or left
// beside it, the mappings whose memory a host operation changed) and its middle page. At
// teardown it sweeps every point it ever probed, before and after closing the container.
// Cost grows with the number of ranges touched, never with their size in bytes.
import type { Op } from '../../spec/type1/ops.ts';
import { PAGE_SIZE } from '../../models/host.ts';
import type { SystemModel } from '../../models/type1/system.ts';
import { U64_LIMIT, type Dma } from '../../models/type1/container.ts';

export interface Span { start: bigint; end: bigint }

const spanOf = (d: Dma): Span => ({ start: d.iova, end: d.iova + d.size });
const pageDown = (v: bigint): bigint => v - (v % PAGE_SIZE);

export class ProbePlanner {
  /** Every point ever probed, in first-probed order (a Map keeps insertion order). */
  private readonly universe = new Map<bigint, true>();

  constructor(private readonly model: SystemModel) {}

  /** The iova ranges `op` may change, computed before the model applies it. */
  touched(op: Op): Span[] {
    const c = this.model.container;
    switch (op.op) {
      case 'map': case 'unmap': {
        if (op.op === 'unmap' && op.flags & 2) return [...c.mappings].map(spanOf);
        const end = op.iova + op.size < U64_LIMIT ? op.iova + op.size : U64_LIMIT;
        const request = { start: op.iova, end: end > op.iova ? end : op.iova + PAGE_SIZE };
        return [request, ...this.around(request)];
      }
      case 'closeContainer': return [...c.mappings].map(spanOf);
      case 'mmap': case 'munmap': case 'mprotect':
        return this.backedBy(op.proc, op.vaddr, op.size);
      case 'mremap':
        return [...this.backedBy(op.proc, op.vaddr, op.size), ...this.backedBy(op.proc, op.newVaddr, op.newSize)];
      case 'cpuWrite': return this.backedBy(op.proc, op.vaddr, PAGE_SIZE);
      case 'dmaWrite': return [{ start: op.iova, end: op.iova + PAGE_SIZE }];
      default: return [];
    }
  }

  /**
   * dmaRead probes at both sides of each edge and the middle of each span, inside the valid
   * IOVA ranges only: what a device reaches elsewhere is the platform's business (on x86 the
   * MSI window 0xfee00000-0xfeefffff is interrupt space, not translated memory), not VFIO's.
   */
  probe(spans: readonly Span[]): Op[] {
    const points = new Set<bigint>();
    for (const { start, end } of spans) {
      const mid = pageDown(start + (end - start) / 2n);
      for (const p of [start - PAGE_SIZE, start, mid, end - PAGE_SIZE, end]) {
        const page = pageDown(p);
        if (page >= 0n && page < U64_LIMIT && this.valid(page)) points.add(page);
      }
    }
    for (const p of points) this.universe.set(p, true);
    return [...points].map((iova) => ({ op: 'dmaRead', iova }));
  }

  /** Every point probed so far. */
  sweep(): Op[] {
    return [...this.universe.keys()].map((iova) => ({ op: 'dmaRead', iova }));
  }

  private valid(page: bigint): boolean {
    return this.model.info.geometry.iovaRanges.some((r) => r.start <= page && page <= r.end);
  }

  /** The request plus the live mappings it overlaps and its nearest neighbours on each side. */
  private around(r: Span): Span[] {
    const c = this.model.container;
    const out = c.overlapping(r.start, r.end).map(spanOf);
    const { before, after } = c.neighbours(r.start, r.end);
    if (before) out.push(spanOf(before));
    if (after) out.push(spanOf(after));
    return out;
  }

  /** Mappings of `proc`'s memory whose vaddr range meets [vaddr, vaddr + size). */
  private backedBy(proc: number, vaddr: bigint, size: bigint): Span[] {
    return [...this.model.container.mappings]
      .filter((d) => d.owner === proc && d.vaddr < vaddr + size && vaddr < d.vaddr + d.size)
      .map(spanOf);
  }
}
