// A map from disjoint ranges of an address space to values that may vary linearly along the
// range (a translation's address), over the shared IntervalMap. Assigning a range cuts the
// pieces it meets at its edges, so every lookup and update costs O(log n + k) for the k
// pieces the range touches, never anything per page.
import { IntervalMap } from '../interval-map.ts';

export interface Piece<V> {
  start: bigint;
  /** Exclusive. */
  end: bigint;
  value: V;
}

/** `shift(v, d)`: the value of a piece that starts `d` bytes further on. */
export type Shift<V> = (v: V, delta: bigint) => V;

export class RangeMap<V> {
  private readonly map = new IntervalMap<Piece<V>>();

  constructor(private readonly shift: Shift<V>) {}

  get size(): number {
    return this.map.size;
  }

  /** The piece containing `a`, starting at `a`. */
  at(a: bigint): Piece<V> | undefined {
    const p = this.map.containing(a);
    return p && { start: a, end: p.end, value: this.shift(p.value, a - p.start) };
  }

  /** The pieces inside [start, end), cut to it, in order. */
  pieces(start: bigint, end: bigint): Piece<V>[] {
    return this.map.overlapping(start, end).map((p) => this.clip(p, start, end));
  }

  /** [start, end) cut into pieces and the gaps between them (value undefined), in order. */
  cover(start: bigint, end: bigint): Piece<V | undefined>[] {
    const out: Piece<V | undefined>[] = [];
    let at = start;
    for (const p of this.pieces(start, end)) {
      if (p.start > at) out.push({ start: at, end: p.start, value: undefined });
      out.push(p);
      at = p.end;
    }
    if (at < end) out.push({ start: at, end, value: undefined });
    return out;
  }

  /** Makes [start, end) hold `value` (nothing when undefined), cutting what was there. */
  set(start: bigint, end: bigint, value: V | undefined): void {
    if (start >= end) return;
    for (const p of this.map.overlapping(start, end)) {
      this.map.remove(p.start);
      if (p.start < start) this.map.insert(p.start, start, { start: p.start, end: start, value: p.value });
      if (p.end > end) this.map.insert(end, p.end, { start: end, end: p.end, value: this.shift(p.value, end - p.start) });
    }
    if (value !== undefined) this.map.insert(start, end, { start, end, value });
  }

  clear(): void {
    this.map.clear();
  }

  *[Symbol.iterator](): Iterator<Piece<V>> {
    yield* this.map;
  }

  private clip(p: Piece<V>, start: bigint, end: bigint): Piece<V> {
    const s = p.start > start ? p.start : start;
    const e = p.end < end ? p.end : end;
    return s === p.start && e === p.end ? p : { start: s, end: e, value: this.shift(p.value, s - p.start) };
  }
}
