// Seeing where a real DMA went. QEMU tells nothing but guest RAM and the fault registers, so
// every address a byte at this IOVA could reach is known in advance: the translations the
// tables ever gave it (a cached one may be stale, VIOMMU-INVAL-STALE). Each such candidate gets
// a distinct token, and the token that travels says which translation the IOMMU used.
//
// edu's buffer is reached only by DMA, through the same IOMMU: tokens enter and leave it via the
// scratch IOVA every domain maps (layout.ts). When that fails too, the endpoint has no context.
import type { DmaOutcome } from '../spec/viommu/ops.ts';
import type { RawFault } from './machine.ts';
import type { Qtest } from './qtest.ts';

/**
 * What observing needs of a machine (the VT-d one, the virtio-iommu one): a scratch byte every
 * bound endpoint reaches at `scratch.iova`, edu DMA by endpoint, and the faults a DMA left.
 */
export interface DmaMachine {
  readonly qtest: Qtest;
  readonly scratch: { pa: bigint; iova: bigint };
  eduDma(endpoint: number, direction: 'to-buffer' | 'from-buffer', addr: bigint, count?: bigint, before?: Promise<unknown>[]): Promise<void>;
  takeFaults(): Promise<RawFault[]>;
}

/** An address no candidate has: the DMA reached a byte the tables never named. */
export const UNKNOWN_ADDR = 0xffffffffffffffffn;
/** One-byte tokens 1..255; 0 is what a blocked read returns. */
const TOKENS = 255;

interface Mapped { iova: bigint; end: bigint; pa: bigint }

/** Every translation ever written, per domain (a case is short: cost grows with its maps). */
export class History {
  private readonly maps: Mapped[][];

  constructor(domains: number) { this.maps = Array.from({ length: domains }, () => []); }

  add(domain: number, iova: bigint, size: bigint, pa: bigint): void {
    this.maps[domain]!.push({ iova, end: iova + size, pa });
  }

  /** Every byte `iova` ever translated to, in any domain (a stale binding may use another domain's), newest first. */
  candidates(iova: bigint): bigint[] {
    const seen = new Set<bigint>();
    for (const list of this.maps) {
      for (let i = list.length - 1; i >= 0; i--) {
        const m = list[i]!;
        if (m.iova <= iova && iova < m.end) seen.add(m.pa + (iova - m.iova));
      }
    }
    return [...seen].slice(0, TOKENS - 1);
  }

  clear(): void { for (const list of this.maps) list.length = 0; }
}

export interface Observation { outcome: DmaOutcome; faults: RawFault[] }

export class Observer {
  private token = 0;
  /**
   * What each edu buffer may hold: the byte it had, or the 0 QEMU 7.2 returns for a read the
   * IOMMU refuses. A read's tokens avoid these values; finding one means the read was refused.
   */
  private readonly buffer: Set<number>[];

  constructor(private readonly machine: DmaMachine, endpoints: number) {
    this.buffer = Array.from({ length: endpoints }, () => new Set([0]));
  }

  /** Distinct tokens for `n` candidates, none of them a value the buffer may hold already. */
  private tokens(endpoint: number, n: number): number[] {
    const out: number[] = [];
    for (let tries = 0; out.length < n && tries < TOKENS; tries++) {
      this.token = (this.token % TOKENS) + 1;
      if (!this.buffer[endpoint]!.has(this.token)) out.push(this.token);
    }
    return out;
  }

  /** A `dma` operation, each of `candidates` an address it could reach. */
  dma(op: { endpoint: number; iova: bigint; access: 'read' | 'write' }, candidates: bigint[]): Promise<Observation> {
    return op.access === 'read' ? this.read(op.endpoint, op.iova, candidates) : this.write(op.endpoint, op.iova, candidates);
  }

  /** A read of one byte at `iova` by `endpoint` into edu's buffer, then out to the scratch page. */
  async read(endpoint: number, iova: bigint, all: bigint[]): Promise<Observation> {
    const m = this.machine;
    const q = m.qtest;
    const tokens = this.tokens(endpoint, all.length);
    const candidates = all.slice(0, tokens.length);
    const stale = this.buffer[endpoint]!;
    const prepare = [q.writeb(m.scratch.pa, 0), ...candidates.map((c, k) => q.writeb(c, tokens[k]!))];
    await m.eduDma(endpoint, 'to-buffer', iova, 1n, prepare);
    const faults = await m.takeFaults();
    await m.eduDma(endpoint, 'from-buffer', m.scratch.iova);
    // Our own DMA faults only when the endpoint has no context: its record is not the test's.
    const [got, ours] = await Promise.all([q.readb(m.scratch.pa), m.takeFaults()]);
    const fault: Observation = { outcome: { ok: true, outcome: 'fault' }, faults };
    if (ours.length > 0) return fault;
    if (stale.has(got)) return fault;
    this.buffer[endpoint] = new Set([0, got]);
    const k = tokens.indexOf(got);
    return { outcome: { ok: true, outcome: 'memory', addr: k >= 0 ? candidates[k]! : UNKNOWN_ADDR }, faults };
  }

  /** A write of one fresh token from edu's buffer to `iova`; the candidate that holds it after. */
  async write(endpoint: number, iova: bigint, candidates: bigint[]): Promise<Observation> {
    const m = this.machine;
    const q = m.qtest;
    const token = this.tokens(endpoint, 1)[0]!;
    const prepare = [q.writeb(m.scratch.pa, token), ...candidates.map((c) => q.writeb(c, 0))];
    await m.eduDma(endpoint, 'to-buffer', m.scratch.iova, 1n, prepare);
    const unbound = (await m.takeFaults()).length > 0;
    if (!unbound) this.buffer[endpoint] = new Set([0, token]);
    await m.eduDma(endpoint, 'from-buffer', iova);
    const faults = await m.takeFaults();
    if (unbound) return { outcome: { ok: true, outcome: 'fault' }, faults };
    const seen = await Promise.all(candidates.map((c) => q.readb(c)));
    const hit = seen.indexOf(token);
    // Nothing changed where a translation could lead: the write was refused (recorded or not).
    if (hit < 0) return { outcome: { ok: true, outcome: 'fault' }, faults };
    return { outcome: { ok: true, outcome: 'memory', addr: candidates[hit]! }, faults };
  }

  /** After a reset: nothing is known of the buffers but what a refused read leaves. */
  forget(): void { for (let i = 0; i < this.buffer.length; i++) this.buffer[i] = new Set([0]); }
}
