// IntervalMap against a naive sorted array, on random sequences of inserts and removals,
// near 0 and against the top of the 64-bit space (intervals ending at 2^64).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalMap } from '../models/interval-map.ts';

const TOP = 1n << 64n;

interface Entry { start: bigint; end: bigint; id: number }

/** The obvious implementation: a sorted array, scanned from one end to the other. */
class Reference {
  entries: Entry[] = [];
  insert(e: Entry): boolean {
    if (e.start >= e.end || this.entries.some((x) => x.start < e.end && e.start < x.end)) return false;
    this.entries.push(e);
    this.entries.sort((a, b) => (a.start < b.start ? -1 : 1));
    return true;
  }
  remove(start: bigint): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((x) => x.start !== start);
    return this.entries.length < before;
  }
  containing = (p: bigint) => this.entries.find((x) => x.start <= p && p < x.end);
  overlapping = (s: bigint, e: bigint) => this.entries.filter((x) => s < e && x.start < e && s < x.end);
  lastBelow = (k: bigint) => this.entries.filter((x) => x.start < k).at(-1);
  firstAtOrAbove = (k: bigint) => this.entries.find((x) => x.start >= k);
}

type Queries = Pick<Reference, 'containing' | 'lastBelow' | 'firstAtOrAbove' | 'overlapping'>;

/** Addresses crowd near 0 and near 2^64, so that intervals meet, touch and overlap. */
const point = fc.oneof(
  fc.bigInt({ min: 0n, max: 400n }),
  fc.bigInt({ min: TOP - 400n, max: TOP }),
  fc.bigInt({ min: 0n, max: TOP }),
);
const start = fc.oneof(point, fc.constant(TOP - 1n)).map((s) => (s >= TOP ? TOP - 1n : s));
const length = fc.oneof(fc.bigInt({ min: 0n, max: 12n }), fc.bigInt({ min: 0n, max: TOP }));

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('insert' as const), start, length }) },
  // Many small neighbours at once: with narrow nodes, the tree grows levels and loses them again.
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fill' as const), start, count: fc.nat({ max: 300 }), gap: fc.bigInt({ min: 0n, max: 2n }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('remove' as const), pick: fc.nat(), start }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('removeRange' as const), start, length }) },
  // An interval replaced by a wider one over the same start: the first start of a node changes.
  { weight: 2, arbitrary: fc.record({ k: fc.constant('regrow' as const), pick: fc.nat(), before: fc.bigInt({ min: 0n, max: 3n }), length }) },
  { weight: 1, arbitrary: fc.constant({ k: 'clear' as const }) },
);

describe('IntervalMap', () => {
  it('answers every query as a sorted array does', () => {
    const width = fc.constantFrom(4, 5, 8, 128);
    fc.assert(fc.property(width, fc.array(op, { maxLength: 40 }), fc.array(point, { minLength: 8, maxLength: 8 }), (w, ops, points) => {
      const map = new IntervalMap<Entry>(w);
      const ref = new Reference();
      let id = 0;
      const insert = (s: bigint, e: bigint): void => {
        const entry = { start: s, end: e, id: id++ };
        const accepted = ref.insert(entry);
        if (accepted) map.insert(s, e, entry);
        else expect(() => map.insert(s, e, entry)).toThrow(RangeError);
      };
      for (const o of ops) {
        const touched: bigint[] = [];
        if (o.k === 'insert') {
          const end = o.start + o.length < TOP ? o.start + o.length : TOP;
          insert(o.start, end);
          touched.push(o.start, end);
        } else if (o.k === 'fill') {
          for (let i = 0n, s = o.start; i < BigInt(o.count) && s < TOP; i++, s += 1n + o.gap) insert(s, s + 1n);
          touched.push(o.start);
        } else if (o.k === 'remove') {
          const s = ref.entries.length && o.pick % 2 ? ref.entries[o.pick % ref.entries.length]!.start : o.start;
          expect(map.remove(s)).toBe(ref.remove(s));
          touched.push(s);
        } else if (o.k === 'regrow') {
          const old = ref.entries[o.pick % Math.max(1, ref.entries.length)];
          if (old) {
            expect(map.remove(old.start)).toBe(ref.remove(old.start));
            const s = old.start >= o.before ? old.start - o.before : 0n;
            insert(s, s + o.length < TOP ? s + o.length : TOP);
            touched.push(s, s + o.length);
          }
        } else if (o.k === 'removeRange') {
          for (const e of ref.overlapping(o.start, o.start + o.length)) expect(map.remove(e.start)).toBe(ref.remove(e.start));
          touched.push(o.start, o.start + o.length);
        } else {
          map.clear();
          ref.entries = [];
        }
        expect(map.size).toBe(ref.entries.length);
        const at = [...points, ...touched].flatMap((p) => [p - 1n, p, p + 1n]).filter((p) => p >= 0n && p <= TOP);
        const ask = (m: Queries) => at.map((p, i) => [m.containing(p), m.lastBelow(p), m.firstAtOrAbove(p),
          m.overlapping(p, points[i % 8]!), m.overlapping(p, p + BigInt(i))]);
        expect(ask(map)).toEqual(ask(ref));
      }
      expect([...map]).toEqual(ref.entries);
      for (let i = -1; i <= ref.entries.length; i++) expect(map.at(i)).toBe(ref.entries[i]);
      expect(map.at(0.5)).toBeUndefined();
    }), { numRuns: 200 });
  });

  it('holds an interval ending at 2^64, and the last point 2^64 - 1', () => {
    const map = new IntervalMap<string>();
    map.insert(TOP - 4096n, TOP, 'top');
    expect(map.containing(TOP - 1n)).toBe('top');
    expect(map.containing(TOP)).toBeUndefined();
    expect(map.overlapping(TOP - 1n, TOP)).toEqual(['top']);
    expect(() => map.insert(TOP - 1n, TOP, 'again')).toThrow(RangeError);
    expect(map.remove(TOP - 4096n)).toBe(true);
    map.insert(TOP - 1n, TOP, 'last');
    expect(map.lastBelow(TOP)).toBe('last');
    expect(map.firstAtOrAbove(TOP - 1n)).toBe('last');
    // Outside [0, 2^64] nothing fits in 64 bits: refused rather than wrapped.
    expect(() => map.insert(0n, TOP + 1n, 'wide')).toThrow(RangeError);
    expect(() => map.insert(-1n, 1n, 'negative')).toThrow(RangeError);
    expect(map.size).toBe(1);
  });
});
