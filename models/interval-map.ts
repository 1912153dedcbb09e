// An ordered map of disjoint half-open intervals [start, end), keyed by start.
//
// Shared by every model that keeps ranges of an address space (type1 mappings, pinned pages;
// later iommufd areas, sPAPR windows, shadow IOMMUs): each operation costs O(log n), plus O(k)
// for the k intervals a range query returns, so a model's cost per operation does not grow
// with the number of live intervals. Bounds are bigints, so an interval may end at 2^64.
//
// A B+ tree whose branches count their intervals, so that "the i-th interval" (generators
// pick a live mapping by index) is a descent too. Wide nodes keep their bounds side by side in
// typed arrays, so a lookup among 100,000 intervals reads a few arrays, not a chain of
// twenty-odd nodes and as many bigints scattered over the heap. Leaves are linked in order,
// for range queries and iteration. Nothing in it is random: the same operations build the
// same tree.
//
// The intervals are disjoint, so ordering them by start also orders them by end: the searches
// below rely on that.

const TOP = 1n << 64n;

/**
 * The first `count` slots of a node's typed arrays are in use, `count` being the length of
 * `values` or `children`. Ends are kept as `end - 1`, so that 2^64 fits in 64 bits.
 */
interface Leaf<V> { kind: 'leaf'; starts: BigUint64Array; lasts: BigUint64Array; values: V[]; next: Leaf<V> | null }
/** starts[i] is the first start in children[i]; size counts the intervals below. */
interface Branch<V> { kind: 'branch'; starts: BigUint64Array; children: Node<V>[]; size: number }
type Node<V> = Leaf<V> | Branch<V>;

const refused = (start: bigint, end: bigint): RangeError =>
  new RangeError(`IntervalMap: [0x${start.toString(16)}, 0x${end.toString(16)}) is empty, out of [0, 2^64], or overlaps`);

/** Never written to: the first key put in a node gives it arrays of its own. */
const NO_KEYS = new BigUint64Array(0);
const newLeaf = <V>(): Leaf<V> => ({ kind: 'leaf', starts: NO_KEYS, lasts: NO_KEYS, values: [], next: null });
const countOf = (n: Node<unknown>): number => (n.kind === 'leaf' ? n.values.length : n.children.length);
const sizeOf = (n: Node<unknown>): number => (n.kind === 'leaf' ? n.values.length : n.size);
const total = (nodes: readonly Node<unknown>[]): number => nodes.reduce((sum, c) => sum + sizeOf(c), 0);

/** `a`, or a copy of it with room for `count` keys; the room doubles, so growing is amortised. */
function withRoom(a: BigUint64Array, count: number): BigUint64Array {
  if (count <= a.length) return a;
  const grown = new BigUint64Array(Math.max(count, 2 * a.length, 4));
  grown.set(a);
  return grown;
}

/** `a` with `v` put at `i` among its first `count` slots, the rest shifted up. */
function shiftIn(a: BigUint64Array, count: number, i: number, v: bigint): BigUint64Array {
  const out = withRoom(a, count + 1);
  out.copyWithin(i + 1, i, count);
  out[i] = v;
  return out;
}

/** How many of the first `count` keys, ascending, are at or below `x`. */
function countUpTo(keys: BigUint64Array, count: number, x: bigint): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class IntervalMap<V> implements Iterable<V> {
  /** Below this many entries, a node other than the root is merged with a neighbour. */
  private readonly min: number;
  private root: Node<V>;

  /**
   * `width`: the entries a node holds before it splits in two. Tests narrow it to grow deep
   * trees out of a few intervals.
   */
  constructor(private readonly width = 128) {
    if (!Number.isInteger(width) || width < 4) throw new RangeError('IntervalMap: width must be an integer of at least 4');
    this.min = Math.max(2, width >> 2);
    this.root = newLeaf();
  }

  get size(): number {
    return sizeOf(this.root);
  }

  /** Adds [start, end); throws if it is empty or meets an interval already in the map. */
  insert(start: bigint, end: bigint, value: V): void {
    if (start < 0n || start >= end || end > TOP) throw refused(start, end);
    const extra = this.add(this.root, start, end, value);
    if (extra) {
      const starts = BigUint64Array.of(this.root.starts[0]!, extra.starts[0]!);
      this.root = { kind: 'branch', starts, children: [this.root, extra], size: this.size + sizeOf(extra) };
    }
  }

  /** Removes the interval starting exactly at `start`; whether there was one. */
  remove(start: bigint): boolean {
    const removed = this.del(this.root, start);
    if (this.root.kind === 'branch' && this.root.children.length === 1) this.root = this.root.children[0]!;
    return removed;
  }

  clear(): void {
    this.root = newLeaf();
  }

  /** The interval containing `point`. */
  containing(point: bigint): V | undefined {
    const [leaf, i] = this.locate(point);
    return i >= 0 && point <= leaf.lasts[i]! ? leaf.values[i] : undefined;
  }

  /** The intervals with at least one point in [start, end), in order. */
  overlapping(start: bigint, end: bigint): V[] {
    const out: V[] = [];
    if (start >= end) return out;
    const [first, last] = this.locate(start);
    // Only the last interval starting at or below `start` can reach into the range from the left.
    for (let leaf: Leaf<V> | null = first, i = Math.max(last, 0); leaf; leaf = leaf.next, i = 0) {
      for (; i < leaf.values.length; i++) {
        if (leaf.starts[i]! >= end) return out;
        if (leaf.lasts[i]! >= start) out.push(leaf.values[i]!);
      }
    }
    return out;
  }

  /** The interval with the greatest start below `key`. */
  lastBelow(key: bigint): V | undefined {
    const [leaf, i] = this.locate(key - 1n);
    return i >= 0 ? leaf.values[i] : undefined;
  }

  /** The interval with the least start at or above `key`. */
  firstAtOrAbove(key: bigint): V | undefined {
    const [leaf, i] = this.locate(key - 1n);
    return i + 1 < leaf.values.length ? leaf.values[i + 1] : leaf.next?.values[0];
  }

  /** The interval of rank `index` (0-based, by start); undefined outside [0, size). */
  at(index: number): V | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) return undefined;
    let n = this.root;
    while (n.kind === 'branch') {
      let c = 0;
      while (index >= sizeOf(n.children[c]!)) index -= sizeOf(n.children[c++]!);
      n = n.children[c]!;
    }
    return n.values[index];
  }

  /** The values in order of start. */
  *[Symbol.iterator](): Iterator<V> {
    let n = this.root;
    while (n.kind === 'branch') n = n.children[0]!;
    for (let leaf: Leaf<V> | null = n; leaf; leaf = leaf.next) yield* leaf.values;
  }

  /** Adds an entry below `n`; returns the new right half of `n` if it had to split. */
  private add(n: Node<V>, start: bigint, end: bigint, value: V): Node<V> | null {
    const count = countOf(n);
    const i = countUpTo(n.starts, count, start);
    if (n.kind === 'leaf') {
      // Only here, where both neighbours are known, can an overlap be seen; nothing has changed yet.
      const next = i < count ? n.starts[i] : n.next?.starts[0];
      if ((i > 0 && n.lasts[i - 1]! >= start) || (next !== undefined && next < end)) throw refused(start, end);
      n.starts = shiftIn(n.starts, count, i, start);
      n.lasts = shiftIn(n.lasts, count, i, end - 1n);
      n.values.splice(i, 0, value);
    } else {
      const c = Math.max(0, i - 1);
      const child = n.children[c]!;
      const extra = this.add(child, start, end, value);
      n.starts[c] = child.starts[0]!;
      if (extra) {
        n.starts = shiftIn(n.starts, count, c + 1, extra.starts[0]!);
        n.children.splice(c + 1, 0, extra);
      }
      n.size++;
    }
    return countOf(n) > this.width ? this.splitHalf(n) : null;
  }

  /** Removes the entry starting at `start` below `n`; whether there was one. */
  private del(n: Node<V>, start: bigint): boolean {
    const count = countOf(n);
    const i = countUpTo(n.starts, count, start) - 1;
    if (i < 0) return false;
    if (n.kind === 'leaf') {
      if (n.starts[i] !== start) return false;
      n.starts.copyWithin(i, i + 1, count);
      n.lasts.copyWithin(i, i + 1, count);
      n.values.splice(i, 1);
      return true;
    }
    const child = n.children[i]!;
    if (!this.del(child, start)) return false;
    n.size--;
    n.starts[i] = child.starts[0]!; // a child holds at least 2 entries, so one is left
    if (countOf(child) < this.min) this.rebalance(n, i);
    return true;
  }

  /** Moves the upper half of `n` into a new node, its right neighbour. */
  private splitHalf(n: Node<V>): Node<V> {
    const count = countOf(n);
    const half = count >> 1;
    if (n.kind === 'leaf') {
      const right: Leaf<V> = {
        kind: 'leaf', starts: n.starts.slice(half, count), lasts: n.lasts.slice(half, count), values: n.values.splice(half), next: n.next,
      };
      n.next = right;
      return right;
    }
    const children = n.children.splice(half);
    const right: Branch<V> = { kind: 'branch', starts: n.starts.slice(half, count), children, size: total(children) };
    n.size -= right.size;
    return right;
  }

  /** Merges the child `i` of `parent`, too small, with a neighbour, and splits the two evenly if they are too many. */
  private rebalance(parent: Branch<V>, i: number): void {
    if (parent.children.length < 2) return;
    const at = i > 0 ? i - 1 : 0;
    const left = parent.children[at]!;
    const right = parent.children[at + 1]!;
    const [count, more] = [countOf(left), countOf(right)];
    left.starts = withRoom(left.starts, count + more);
    left.starts.set(right.starts.subarray(0, more), count);
    if (left.kind === 'leaf' && right.kind === 'leaf') {
      left.lasts = withRoom(left.lasts, count + more);
      left.lasts.set(right.lasts.subarray(0, more), count);
      left.values.push(...right.values);
      left.next = right.next;
    } else if (left.kind === 'branch' && right.kind === 'branch') {
      left.children.push(...right.children);
      left.size += right.size;
    }
    parent.starts.copyWithin(at + 1, at + 2, parent.children.length);
    parent.children.splice(at + 1, 1);
    if (countOf(left) > this.width) {
      const extra = this.splitHalf(left);
      parent.starts = shiftIn(parent.starts, parent.children.length, at + 1, extra.starts[0]!);
      parent.children.splice(at + 1, 0, extra);
    }
  }

  /**
   * The leaf where `key` belongs, and the index in it of the last interval starting at or
   * below `key`: -1 only when there is none in the whole map.
   */
  private locate(key: bigint): [Leaf<V>, number] {
    let n = this.root;
    while (n.kind === 'branch') n = n.children[Math.max(0, countUpTo(n.starts, n.children.length, key) - 1)]!;
    return [n, countUpTo(n.starts, n.values.length, key) - 1];
  }
}

/** What a model hands out to readers: its intervals, without the means to change them. */
export type ReadonlyIntervalMap<V> = Omit<IntervalMap<V>, 'insert' | 'remove' | 'clear'>;
