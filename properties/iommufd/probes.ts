// Where to look after each step: DMA probes on both sides of every edge the step touched.
//
// A backend changes what a device reaches only at addresses an operation names, so a stale or
// missing page always has an edge at one of them. After every step the suite reads, from the
// devices attached to the IOAS the step changed (and from a device it attached or detached), the
// page before and after each edge of each touched range (the request, the areas it met and their
// neighbours) and its middle. Every point is remembered and swept again at the end of the case,
// before and after the context is closed. Cost grows with the ranges touched, never their size.
import type { Op } from '../../spec/iommufd/ops.ts';
import { alignDown, minB, U64_END, type Layout } from './layout.ts';
import { areaEnd, type Area, type Tracker } from './tracker.ts';

export interface Span { start: bigint; end: bigint }

/** At most this many points are remembered for the final sweeps. */
const UNIVERSE = 96;

const spanOf = (a: Area): Span => ({ start: a.iova, end: areaEnd(a) });

export class ProbePlanner {
  private readonly universe = new Map<string, { dev: number; iova: bigint }>();
  private readonly dma: boolean;

  constructor(private readonly layout: Layout, private readonly tracker: Tracker) {
    this.dma = layout.info.capabilities.includes('dma');
  }

  /** What `op` may change, read before it is applied: the IOAS, the ranges, the devices that see them. */
  touched(op: Op): { ioas: number; spans: Span[]; devices: number[] } | null {
    const t = this.tracker;
    const around = (h: number, start: bigint, end: bigint): Span[] => {
      const areas = t.areas(h);
      const out: Span[] = [{ start, end: end > start ? end : start + this.layout.page }];
      const i = areas.findIndex((a) => areaEnd(a) > start);
      for (const a of areas) if (a.iova < end && start < areaEnd(a)) out.push(spanOf(a));
      if (i > 0) out.push(spanOf(areas[i - 1]!));
      const next = areas.find((a) => a.iova >= end);
      if (next) out.push(spanOf(next));
      return out;
    };
    switch (op.op) {
      case 'map': return { ioas: op.ioas, spans: around(op.ioas, op.iova, minB(op.iova + op.length, U64_END)), devices: t.attachedTo(op.ioas) };
      case 'copy': return { ioas: op.dstIoas, spans: around(op.dstIoas, op.dstIova, minB(op.dstIova + op.length, U64_END)), devices: t.attachedTo(op.dstIoas) };
      case 'unmap': {
        if (op.iova === 0n && op.length === U64_END - 1n) return { ioas: op.ioas, spans: t.areas(op.ioas).map(spanOf), devices: t.attachedTo(op.ioas) };
        return { ioas: op.ioas, spans: around(op.ioas, op.iova, minB(op.iova + op.length, U64_END)), devices: t.attachedTo(op.ioas) };
      }
      case 'destroy': return { ioas: op.ioas, spans: t.areas(op.ioas).map(spanOf), devices: t.attachedTo(op.ioas) };
      case 'attach': {
        // The device's old IOAS and its new one: DMA must follow the move (IOMMUFD-ATTACH-REPLACE).
        const old = t.attached[op.dev] ?? -1;
        const spans = [...t.areas(op.ioas), ...(old >= 0 && old !== op.ioas ? t.areas(old) : [])].map(spanOf);
        return { ioas: op.ioas, spans, devices: [op.dev] };
      }
      case 'detach': {
        const old = t.attached[op.dev] ?? -1;
        return old >= 0 ? { ioas: old, spans: t.areas(old).map(spanOf), devices: [op.dev, ...t.attachedTo(old).filter((d) => d !== op.dev)] } : null;
      }
      case 'munmap': case 'dmaWrite': {
        // What the device sees of memory the process let go of, or of a page a device wrote.
        const hit = (a: Area) => op.op === 'dmaWrite' ? a.iova <= op.iova && op.iova < areaEnd(a) : a.vaddr < op.vaddr + op.size && op.vaddr < a.vaddr + a.length;
        for (const h of t.live()) {
          const spans = t.areas(h).filter(hit).map(spanOf);
          if (spans.length) return { ioas: h, spans, devices: t.attachedTo(h) };
        }
        return null;
      }
      default: return null;
    }
  }

  /** dmaReads at both sides of each edge and the middle of each span, from each device given. */
  probe(touched: ReturnType<ProbePlanner['touched']>): Op[] {
    if (!this.dma || !touched || touched.devices.length === 0) return [];
    const page = this.layout.page;
    const points = new Set<bigint>();
    for (const { start, end } of touched.spans.slice(0, 6)) {
      const mid = alignDown(start + (end - start) / 2n, page);
      for (const p of [start - page, start, mid, end - page, end]) {
        if (p >= 0n && p < U64_END) points.add(alignDown(p, page));
      }
    }
    const ops: Op[] = [];
    for (const dev of touched.devices.slice(0, 2)) {
      for (const iova of points) {
        ops.push({ op: 'dmaRead', dev, iova });
        const key = `${dev}:${iova}`;
        if (this.universe.size < UNIVERSE || this.universe.has(key)) this.universe.set(key, { dev, iova });
      }
    }
    return ops;
  }

  /** Every point probed so far, from the device it was probed from. */
  sweep(): Op[] {
    if (!this.dma) return [];
    return [...this.universe.values()].map(({ dev, iova }) => ({ op: 'dmaRead', dev, iova }));
  }
}
