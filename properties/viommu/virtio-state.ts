// What a virtio-iommu holds, as far as a generator needs to know: which endpoint is attached
// to which domain, and each domain's mappings.
//
// Two uses. Requests aimed at existing mappings (an UNMAP of exactly one, of its head, its
// tail, its inside; a MAP right beside one or overlapping it by a granule) are generated as
// references and resolved here, so they hit what a case really mapped (VIOMMU-VIRTIO-MAP,
// VIOMMU-VIRTIO-UNMAP). And no case may hold an UNMAP that wholly covers one mapping while
// cutting another: the order in which QEMU removes mappings before answering S_RANGE is not
// verified (the variant of VIOMMU-VIRTIO-UNMAP), so such a request is dropped, whichever
// property produced it. The state follows operations/virtio exactly, arguments first, so that
// it never believes a failed MAP succeeded.
import type { BackendInfo } from '../../spec/viommu/backend.ts';
import type { Op } from '../../spec/viommu/ops.ts';
import { U64_MAX } from '../../spec/u64.ts';

interface Mapping { iova: bigint; end: bigint }

/** An UNMAP of a mapping: all of it, its head or tail, its inside, or it and a granule each side. */
export type UnmapShape = 'exact' | 'head' | 'tail' | 'inside' | 'around';

/** `probe` seeds the probes of the resolved request's edges: endpoints, kinds, accesses. */
export type VirtioRef =
  | { ref: 'unmap'; domain: number; pick: number; shape: UnmapShape; probe: number }
  | { ref: 'map-beside'; domain: number; pick: number; side: 'before' | 'after'; overlap: boolean; granules: bigint; pa: bigint; probe: number };

/** What a step produces: operations, and on a virtio-iommu references resolved in order. */
export type Item = Op | VirtioRef;

export const isRef = (item: Item): item is VirtioRef => 'ref' in item;

export class VirtioState {
  private readonly domainOf = new Map<number, number>();
  private readonly mappings = new Map<number, Mapping[]>();
  private readonly top: bigint;
  private readonly g: bigint;

  constructor(private readonly info: BackendInfo) {
    this.top = 1n << BigInt(info.iovaBits);
    this.g = info.pageSizes[0]!;
  }

  private live(domain: number): boolean {
    return [...this.domainOf.values()].includes(domain);
  }

  private rangeOk(iova: bigint, size: bigint): boolean {
    return size > 0n && iova % this.g === 0n && size % this.g === 0n && iova + size <= this.top;
  }

  /** Whether an UNMAP would both remove a mapping and fail on another it cuts. */
  ambiguous(op: Op): boolean {
    if (op.op !== 'unmap') return false;
    const end = op.iova + op.size;
    let whole = false;
    let cut = false;
    for (const m of this.mappings.get(op.domain) ?? []) {
      if (m.end <= op.iova || m.iova >= end) continue;
      if (m.iova >= op.iova && m.end <= end) whole = true;
      else cut = true;
    }
    return whole && cut;
  }

  apply(op: Op): void {
    const { info } = this;
    switch (op.op) {
      case 'attach':
        // Attaching again to its own domain leaves it first, as a move does.
        if (op.endpoint >= info.endpoints || op.domain >= info.domains) return;
        this.leave(op.endpoint);
        this.domainOf.set(op.endpoint, op.domain);
        return;
      case 'detach':
        if (op.endpoint < info.endpoints) this.leave(op.endpoint);
        return;
      case 'map': {
        const end = op.iova + op.size;
        if (op.domain >= info.domains || op.perm === 'none' || op.page !== this.g || !this.rangeOk(op.iova, op.size)) return;
        if (op.pa % this.g !== 0n || op.pa + op.size > U64_MAX + 1n || !this.live(op.domain)) return;
        const list = this.mappings.get(op.domain) ?? [];
        if (list.some((m) => m.iova < end && op.iova < m.end)) return;
        this.mappings.set(op.domain, [...list, { iova: op.iova, end }].sort((a, b) => (a.iova < b.iova ? -1 : 1)));
        return;
      }
      case 'unmap': {
        if (op.domain >= info.domains || !this.rangeOk(op.iova, op.size) || !this.live(op.domain)) return;
        const end = op.iova + op.size;
        const list = this.mappings.get(op.domain) ?? [];
        const overlapping = list.filter((m) => m.iova < end && op.iova < m.end);
        if (overlapping.some((m) => m.iova < op.iova || m.end > end)) return;
        this.mappings.set(op.domain, list.filter((m) => !overlapping.includes(m)));
        return;
      }
      default:
    }
  }

  /** The last endpoint to leave a domain destroys it with its mappings. */
  private leave(endpoint: number): void {
    const domain = this.domainOf.get(endpoint);
    if (domain === undefined) return;
    this.domainOf.delete(endpoint);
    if (!this.live(domain)) this.mappings.delete(domain);
  }

  /**
   * Probes of the first and last granule of `op`'s range and of those beside it, from the
   * endpoints attached to its domain (any endpoint when none is), as `seed` chooses.
   */
  probes(op: Op, seed: number): Op[] {
    if (op.op !== 'map' && op.op !== 'unmap') return [];
    const { info, g } = this;
    const attached = [...this.domainOf].filter(([, d]) => d === op.domain).map(([e]) => e);
    const pool = attached.length > 0 ? attached : [seed % info.endpoints];
    const end = op.iova + op.size;
    const points = [op.iova - g, op.iova, end - g, end].filter((p) => p >= 0n && p < this.top);
    const dma = info.capabilities.includes('dma');
    const translate = info.capabilities.includes('translate');
    return points.flatMap((iova, i): Op[] => {
      const bits = seed >> (2 * i);
      const endpoint = pool[(seed + i) % pool.length]!;
      if (dma && (!translate || bits & 1)) return [{ op: 'dma', endpoint, iova, access: bits & 2 ? 'write' : 'read', secure: false }];
      return translate ? [{ op: 'translate', endpoint, index: 0, iova, flag: 'none' }] : [];
    });
  }

  /** The request a reference names, or null when the domain holds no mapping to aim at. */
  resolve(ref: VirtioRef): Op | null {
    const list = this.mappings.get(ref.domain) ?? [];
    if (list.length === 0) return null;
    const m = list[ref.pick % list.length]!;
    const g = this.g;
    const size = m.end - m.iova;
    if (ref.ref === 'unmap') {
      const range = ((): [bigint, bigint] | null => {
        switch (ref.shape) {
          case 'exact': return [m.iova, m.end];
          case 'head': return size > g ? [m.iova, m.end - g] : null;
          case 'tail': return size > g ? [m.iova + g, m.end] : null;
          case 'inside': return size > 2n * g ? [m.iova + g, m.end - g] : null;
          case 'around': return [m.iova >= g ? m.iova - g : m.iova, m.end + g <= this.top ? m.end + g : m.end];
        }
      })();
      return range && { op: 'unmap', domain: ref.domain, iova: range[0], size: range[1] - range[0] };
    }
    const span = ref.granules * g;
    const shift = ref.overlap ? g : 0n;
    const iova = ref.side === 'before' ? m.iova - span + shift : m.end - shift;
    if (iova < 0n || iova + span > this.top || ref.pa + span > U64_MAX + 1n) return null;
    return { op: 'map', domain: ref.domain, iova, size: span, pa: ref.pa, perm: 'rw', page: g };
  }
}

/** Resolves references against the state and drops the UNMAPs whose answer is not verified. */
export function resolveVirtio(info: BackendInfo, items: readonly Item[]): Op[] {
  const state = new VirtioState(info);
  const out: Op[] = [];
  for (const item of items) {
    const op = isRef(item) ? state.resolve(item) : item;
    if (!op || state.ambiguous(op)) continue;
    state.apply(op);
    out.push(op);
    if (isRef(item)) out.push(...state.probes(op, item.probe));
  }
  return out;
}
