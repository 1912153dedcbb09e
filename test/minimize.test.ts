// The concrete minimizer honours an interruption and says how far it has got: with a slow
// backend it runs for a long time, and Ctrl-C or a CI cancel must not wait for it.
import { describe, expect, test } from 'vitest';
import { minimizeOps } from '../harness/minimize.ts';

/** A case fails while it still holds both 3 and 7. */
const fails = async (ops: readonly number[]) => ops.includes(3) && ops.includes(7);
const case40 = Array.from({ length: 40 }, (_, i) => i);

describe('minimizeOps', () => {
  test('finds the two operations that matter', async () => {
    expect(await minimizeOps(case40, fails)).toEqual([3, 7]);
  });

  test('stops at an interruption with the smallest failing case found so far', async () => {
    let tried = 0;
    const out = await minimizeOps(case40, async (ops) => { tried++; return fails(ops); }, { interrupted: () => tried >= 2 });
    expect(tried).toBe(2);
    expect(out.length).toBeLessThan(40);
    expect(await fails(out)).toBe(true);
  });

  test('reports every candidate it tries, with the length reached', async () => {
    const seen: [number, number][] = [];
    await minimizeOps(case40, fails, { onTry: (tried, length) => seen.push([tried, length]) });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.map(([t]) => t)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)![1]).toBe(2);
  });
});
