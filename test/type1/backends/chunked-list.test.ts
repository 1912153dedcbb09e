// ChunkedList (backends/sorted.ts) behaves like an array under random splices.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedList } from '../../../backends/sorted.ts';

describe('ChunkedList', () => {
  it('matches Array.prototype.splice, slice, at and partitionPoint', () => {
    const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 700 }), ins: fc.nat({ max: 1200 }) });
    fc.assert(fc.property(fc.array(edit, { maxLength: 40 }), (edits) => {
      const list = new ChunkedList<number>();
      const ref: number[] = [];
      let next = 0;
      for (const { at, del, ins } of edits) {
        const start = ref.length === 0 ? 0 : at % (ref.length + 1);
        const items = Array.from({ length: ins }, () => next++);
        expect(list.splice(start, del, ...items)).toEqual(ref.splice(start, del, ...items));
        expect(list.length).toBe(ref.length);
      }
      expect([...list]).toEqual(ref);
      for (let i = -1; i <= ref.length; i += 97) expect(list.at(i)).toBe(ref[i]);
      for (let i = 0; i <= ref.length + 1; i += 131) {
        for (const n of [0, 1, 300, 600, 5000]) expect(list.slice(i, i + n)).toEqual(ref.slice(i, i + n));
      }
      const sorted = new ChunkedList<number>();
      sorted.splice(0, 0, ...[...ref].sort((a, b) => a - b));
      const pivot = Math.floor(next / 2);
      expect(sorted.partitionPoint((x) => x >= pivot)).toBe([...ref].sort((a, b) => a - b).findIndex((x) => x >= pivot) === -1 ? ref.length : [...ref].sort((a, b) => a - b).findIndex((x) => x >= pivot));
    }), { numRuns: 200 });
  });

  it('takes a bulk insert longer than a call may have arguments', () => {
    const list = new ChunkedList<number>();
    list.replace(0, 0, Array.from({ length: 1000 }, (_, i) => i));
    list.replace(500, 10, Array.from({ length: 300_000 }, (_, i) => -1 - i));
    expect(list.length).toBe(300_990);
    expect([list.at(499), list.at(500), list.at(300_499), list.at(300_500)]).toEqual([499, -1, -300_000, 510]);
    expect(list.replace(0, 300_990, [])).toHaveLength(300_990);
    expect(list.length).toBe(0);
  });
});
