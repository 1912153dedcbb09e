// ChunkedList behaves like an array under random splices.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedList } from '../../../backends/type1/sim/sorted.ts';

describe('ChunkedList', () => {
  it('matches Array.prototype.splice, at and partitionPoint', () => {
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
      const sorted = new ChunkedList<number>();
      sorted.splice(0, 0, ...[...ref].sort((a, b) => a - b));
      const pivot = Math.floor(next / 2);
      expect(sorted.partitionPoint((x) => x >= pivot)).toBe([...ref].sort((a, b) => a - b).findIndex((x) => x >= pivot) === -1 ? ref.length : [...ref].sort((a, b) => a - b).findIndex((x) => x >= pivot));
    }), { numRuns: 200 });
  });
});
