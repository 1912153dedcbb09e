// The simulators' ordered caches (backends/viommu/tables/iotlb.ts, iova-tree.ts): a range
// invalidation drops exactly what overlaps it, among many entries, and a range query returns
// exactly the entries in it.
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
