// The type1 view: the model's mappings and VMAs after every step, in the neutral terms of
// spec/timeline.ts.
import { describe, expect, test } from 'vitest';
import { type1View } from '../../models/type1/view.ts';
import type { Op } from '../../spec/type1/ops.ts';
import { SPACE_END } from '../../spec/timeline.ts';
import { testInfo } from './support/info.ts';

const info = testInfo();
const span = (list: readonly { start: bigint; end: bigint }[] | undefined) => (list ?? []).map((i) => [i.start, i.end]);

describe('type1 view', () => {
  const ops: Op[] = [
    { op: 'mmap', proc: 0, vaddr: 0x7f0000000000n, size: 0x2000n, prot: 'rw', backing: 'anon' },
    { op: 'map', proc: 0, flags: 3, iova: 0xfffffffffffff000n, vaddr: 0x7f0000000000n, size: 0x1000n },
    { op: 'mremap', proc: 0, vaddr: 0x7f0000000000n, size: 0x2000n, newVaddr: 0x7f0000100000n, newSize: 0x2000n },
    { op: 'unmap', proc: 0, flags: 4, iova: 0xfffffffffffff000n, size: 0x1000n },
    { op: 'dmaRead', iova: 0xfffffffffffff000n },
    { op: 'dmaRead', iova: 0x1000n },
  ];
  const view = type1View(info, ops, [undefined, undefined, undefined, undefined, { ok: true, token: 0n }, undefined]);

  test('lanes: the IOVA space with its invalid ranges reserved, and the processes something happens in', () => {
    expect(view.lanes.map((l) => l.id)).toEqual(['iova', 'proc0']);
    expect(view.lanes[0]!.bounds).toEqual({ start: 0n, end: SPACE_END });
    expect(span(view.lanes[0]!.reserved)).toEqual([[0xfee00000n, 0xfef00000n]]);
    expect(view.steps).toHaveLength(ops.length);
  });

  test('a mapping at the top page ends at 2^64; it keeps the colour of the memory it pins when the VMA moves', () => {
    const [, mapped, moved] = view.steps;
    expect(span(mapped!.lanes.iova)).toEqual([[0xfffffffffffff000n, SPACE_END]]);
    expect(span(moved!.lanes.proc0)).toEqual([[0x7f0000100000n, 0x7f0000102000n]]);
    expect(moved!.lanes.iova![0]!.tone).toBe(moved!.lanes.proc0![0]!.tone);
    expect(moved!.targets.map((t) => [t.label, t.start, t.end])).toEqual([
      ['from', 0x7f0000000000n, 0x7f0000002000n], ['to', 0x7f0000100000n, 0x7f0000102000n],
    ]);
  });

  test('an invalidated vaddr leaves the mapping in place, dashed', () => {
    expect(view.steps[3]!.lanes.iova![0]!.style).toBe('dashed');
    expect(view.steps[2]!.lanes.iova![0]!.style).toBe('solid');
  });

  test('probes: what the model expects, and what the backend did when its answer is known', () => {
    expect(view.steps[4]!.probes).toEqual([{ lane: 'iova', at: 0xfffffffffffff000n, label: 'dmaRead', expected: 'hit', actual: 'hit' }]);
    expect(view.steps[5]!.probes).toEqual([{ lane: 'iova', at: 0x1000n, label: 'dmaRead', expected: 'fault' }]);
  });

  test('facts: locked_vm of every process and dma_avail', () => {
    expect(view.steps[1]!.facts).toEqual(['locked_vm p0=1 p1=0 pages', 'dma_avail 31']);
  });
});
