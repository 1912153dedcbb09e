// The simulators' ordered caches (backends/viommu/tables/iotlb.ts, iova-tree.ts): a range
// invalidation drops exactly what overlaps it, among many entries, and a range query returns
// exactly the entries in it; both agree with a plain array under random edits.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Iotlb, notPresent } from '../../backends/viommu/tables/iotlb.ts';
import { IovaTree, type Notified } from '../../backends/viommu/tables/iova-tree.ts';

const K4 = 0x1000n;
const M2 = 0x200000n;
const leaf = (iova: bigint, size: bigint) => ({ present: true as const, iova, size, pa: iova + (1n << 40n), perm: 'rw' as const });

describe('Iotlb', () => {
  test('a range invalidation drops the entries it overlaps, a large one it cuts whole, and no other', () => {
    const tlb = new Iotlb([K4, M2]);
    for (let i = 0n; i < 1000n; i++) tlb.fill(0, leaf(i * 2n * K4, K4));
    tlb.fill(0, leaf(8n * M2, M2));
    tlb.fill(1, leaf(10n * K4, K4));
    tlb.dropRange(0, 10n * K4, 13n * K4);
    tlb.dropRange(0, 8n * M2 + K4, 8n * M2 + 2n * K4);
    expect(tlb.lookup(0, 10n * K4)).toBeUndefined();
    expect(tlb.lookup(0, 12n * K4)).toBeUndefined();
    expect(tlb.lookup(0, 8n * K4)).toMatchObject({ iova: 8n * K4 });
    expect(tlb.lookup(0, 14n * K4 + 5n)).toMatchObject({ iova: 14n * K4 });
    expect(tlb.lookup(0, 8n * M2)).toBeUndefined();
    expect(tlb.lookup(1, 10n * K4)).toMatchObject({ iova: 10n * K4 });
  });

  test('a lookup prefers the smallest size, and a refill replaces the entry', () => {
    const tlb = new Iotlb([K4, M2]);
    tlb.fill(0, leaf(0n, M2));
    tlb.fill(0, notPresent(K4 + 7n));
    expect(tlb.lookup(0, K4)).toEqual({ present: false, iova: K4, size: K4 });
    expect(tlb.lookup(0, 2n * K4)).toMatchObject({ present: true, size: M2 });
    tlb.fill(0, leaf(K4, K4));
    expect(tlb.lookup(0, K4)).toMatchObject({ present: true, size: K4 });
  });
});

describe('IovaTree', () => {
  test('overlapping returns the entries in a range, ascending, after updates among many', () => {
    const tree = new IovaTree();
    const entry = (i: bigint): Notified => ({ iova: i * 2n * K4, size: K4, pa: i * K4, perm: 'rw' });
    tree.update([], Array.from({ length: 5000 }, (_, i) => entry(BigInt(4999 - i))));
    const gone = tree.overlapping(2n * K4, 6n * K4);
    expect(gone.map((e) => e.iova)).toEqual([2n * K4, 4n * K4]);
    tree.update(gone, [{ iova: 2n * K4, size: 4n * K4, pa: 0n, perm: 'r' }]);
    expect(tree.overlapping(K4, 7n * K4).map((e) => [e.iova, e.size])).toEqual([[2n * K4, 4n * K4], [6n * K4, K4]]);
    expect(tree.all()).toHaveLength(4999);
  });
});

/**
 * Random edits of 4 KiB, 64 KiB or 256 KiB entries, each aligned to its size, over 1,500 pages
 * filled beforehand so that the lists span several chunks.
 */
const edits = fc.array(fc.record({ slot: fc.nat({ max: 3000 }), span: fc.constantFrom(1n, 16n, 64n), drop: fc.boolean(), lo: fc.nat({ max: 3100 }), len: fc.nat({ max: 300 }) }), { maxLength: 400 });
const overlaps = (e: { iova: bigint; size: bigint }, lo: bigint, hi: bigint) => e.iova < hi && lo < e.iova + e.size;

describe('against a plain array', () => {
  test('IovaTree: updates in runs and range queries', () => {
    fc.assert(fc.property(edits, (ops) => {
      const tree = new IovaTree();
      let ref: Notified[] = Array.from({ length: 1500 }, (_, i) => ({ iova: BigInt(2 * i) * K4, size: K4, pa: 0n, perm: 'r' as const }));
      tree.update([], ref);
      for (const { slot, span, drop, lo, len } of ops) {
        const [qlo, qhi] = [BigInt(lo) * K4, BigInt(lo + len) * K4];
        const met = tree.overlapping(qlo, qhi);
        expect(met).toEqual(ref.filter((e) => overlaps(e, qlo, qhi)));
        const size = span * K4;
        const iova = (BigInt(slot) * K4 / size) * size;
        // A drop takes some of what the query met, not always neighbours.
        const removed = drop ? met.filter((_, k) => ((slot >> (k % 8)) & 1) === 1) : ref.filter((e) => overlaps(e, iova, iova + size));
        const added = drop ? [] : [{ iova, size, pa: iova, perm: 'rw' as const }];
        tree.update([...removed].reverse(), added);
        ref = [...ref.filter((e) => !removed.includes(e)), ...added].sort((a, b) => (a.iova < b.iova ? -1 : 1));
        expect(tree.all()).toEqual(ref);
      }
    }), { numRuns: 100, seed: 1 });
  });

  test('Iotlb: fills, range drops and lookups', () => {
    fc.assert(fc.property(edits, (ops) => {
      const sizes = [K4, 16n * K4, 64n * K4];
      const tlb = new Iotlb(sizes);
      const ref = new Map<bigint, Map<bigint, ReturnType<typeof leaf>>>(sizes.map((s) => [s, new Map()]));
      for (let i = 0n; i < 1500n; i++) {
        const e = leaf(2n * i * K4, K4);
        tlb.fill(0, e);
        ref.get(K4)!.set(e.iova, e);
      }
      for (const { slot, span, drop, lo, len } of ops) {
        const [qlo, qhi] = [BigInt(lo) * K4, BigInt(lo + len) * K4];
        if (drop) {
          tlb.dropRange(0, qlo, qhi);
          for (const bySize of ref.values()) for (const [iova, e] of bySize) if (overlaps(e, qlo, qhi)) bySize.delete(iova);
        } else {
          const size = span * K4;
          const e = leaf((BigInt(slot) * K4 / size) * size, size);
          tlb.fill(0, e);
          ref.get(size)!.set(e.iova, e);
        }
        for (const probe of [qlo, qhi - 1n, qhi, BigInt(slot) * K4 + 7n]) {
          const want = sizes.map((s) => ref.get(s)!.get(probe - (probe % s))).find((e) => e !== undefined);
          expect(tlb.lookup(0, probe)).toBe(want);
        }
      }
    }), { numRuns: 100, seed: 1 });
  });
});
