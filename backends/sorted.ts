// Sorted sequences, shared by every family's simulators: binary search over arrays, and a
// chunked list for long, often edited ones. Simulators keep their own ordered structures here
// rather than borrowing the reference model's, so that a bug in one cannot hide in the other.

/**
 * The first index whose item satisfies `pred`, for a `pred` that is false on a prefix of
 * `items` and true on the rest (items.length when it holds nowhere).
 */
export function partitionPoint<T>(items: readonly T[], pred: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(items[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const CHUNK = 512;

/**
 * An array cut into chunks of at most ~CHUNK items, so that inserting into or deleting from
 * the middle of 100,000 items moves a chunk, not the whole array. Indexing and bisection cost
 * O(log n); an edit costs O(CHUNK + n / CHUNK).
 */
export class ChunkedList<T> implements Iterable<T> {
  private chunks: T[][] = [];
  /** offsets[k]: the index of chunks[k][0]. */
  private offsets: number[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private chunkOf(i: number): number {
    return partitionPoint(this.offsets, (o) => o > i) - 1;
  }

  at(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    const k = this.chunkOf(i);
    return (this.chunks[k] as T[])[i - (this.offsets[k] as number)];
  }

  /** Array.prototype.slice for start, end >= 0: O(log n + end - start). */
  slice(start: number, end: number): T[] {
    const out: T[] = [];
    start = Math.max(start, 0);
    if (start >= end || start >= this.size) return out;
    for (let k = this.chunkOf(start), i = start - (this.offsets[k] as number); k < this.chunks.length; k++, i = 0) {
      const chunk = this.chunks[k] as T[];
      for (; i < chunk.length; i++) {
        if (out.length === end - start) return out;
        out.push(chunk[i] as T);
      }
    }
    return out;
  }

  /** `partitionPoint` over the whole list. */
  partitionPoint(pred: (item: T) => boolean): number {
    const k = partitionPoint(this.chunks, (c) => pred(c[c.length - 1] as T));
    if (k === this.chunks.length) return this.size;
    return (this.offsets[k] as number) + partitionPoint(this.chunks[k] as T[], pred);
  }

  /** Array.prototype.splice. */
  splice(start: number, deleteCount: number, ...items: T[]): T[] {
    return this.replace(start, deleteCount, items);
  }

  /**
   * splice with the items as one array, for bulk inserts: a call's arguments are bounded (about
   * 100,000), a replayed shadow is not. Edits the chunks the range touches, then cuts them again.
   */
  replace(start: number, deleteCount: number, items: readonly T[]): T[] {
    deleteCount = Math.max(deleteCount, 0);
    const first = this.chunks.length === 0 ? 0 : this.chunkOf(Math.min(start, this.size - 1));
    let last = this.chunks.length === 0 ? -1 : this.chunkOf(Math.min(start + deleteCount, this.size - 1));
    const base = this.offsets[first] ?? 0;
    const only = this.chunks[first];
    if (first === last && only !== undefined && items.length <= CHUNK && only.length + items.length - deleteCount <= CHUNK
      && (only.length + items.length - deleteCount >= CHUNK / 2 || this.chunks.length === 1)) {
      // The common case: the edit stays inside one chunk of reasonable size.
      const removed = only.splice(start - base, deleteCount, ...items);
      if (only.length === 0) this.chunks = [];
      this.size += items.length - removed.length;
      this.reindex(first + 1);
      return removed;
    }
    const joined = ([] as T[]).concat(...this.chunks.slice(first, last + 1));
    const at = start - base;
    const removed = joined.slice(at, at + deleteCount);
    const merged = [...joined.slice(0, at), ...items, ...joined.slice(at + deleteCount)];
    // Absorb the next chunk when this one became small, so that chunks stay near CHUNK items.
    if (merged.length < CHUNK / 2 && last + 1 < this.chunks.length) merged.push(...(this.chunks[++last] as T[]));
    const pieces = Math.ceil(merged.length / CHUNK);
    const fresh: T[][] = [];
    for (let p = 0; p < pieces; p++) {
      fresh.push(merged.slice(Math.floor((p * merged.length) / pieces), Math.floor(((p + 1) * merged.length) / pieces)));
    }
    this.chunks.splice(first, last - first + 1, ...fresh);
    this.size += items.length - removed.length;
    this.reindex(first);
    return removed;
  }

  /** Recompute offsets[from..]. */
  private reindex(from: number): void {
    this.offsets.length = Math.min(from, this.chunks.length);
    let offset = from === 0 || this.chunks.length === 0 ? 0 : (this.offsets[from - 1] as number) + (this.chunks[from - 1] as T[]).length;
    for (let k = this.offsets.length; k < this.chunks.length; k++) {
      this.offsets.push(offset);
      offset += (this.chunks[k] as T[]).length;
    }
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }
}
