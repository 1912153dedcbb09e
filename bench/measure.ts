// Timing, repetition bookkeeping and the markdown table of the benchmark.
import { performance } from 'node:perf_hooks';

/**
 * One sample: `fn` called again and again until `minMs` have passed; the mean milliseconds per
 * call. Short batches are repeated so that timer resolution and a stray GC do not dominate.
 */
export function msPerCall(fn: () => void, minMs: number): number {
  const t0 = performance.now();
  let calls = 0;
  let t = t0;
  do {
    fn();
    calls++;
    t = performance.now();
  } while (t - t0 < minMs);
  return (t - t0) / calls;
}

export async function msPerCallAsync(fn: () => Promise<void>, minMs: number): Promise<number> {
  const t0 = performance.now();
  let calls = 0;
  let t = t0;
  do {
    await fn();
    calls++;
    t = performance.now();
  } while (t - t0 < minMs);
  return (t - t0) / calls;
}

/** Per-repetition samples by key; repetition 0 is the warm-up and is never recorded. */
export class Samples {
  private readonly byKey = new Map<string, number[]>();

  add(rep: number, key: string, value: number): void {
    if (rep === 0) return;
    const list = this.byKey.get(key) ?? [];
    list.push(value);
    this.byKey.set(key, list);
  }

  get(key: string): number[] {
    const list = this.byKey.get(key);
    if (!list) throw new Error(`bench: no samples for ${key}`);
    return list;
  }

  /** Per-repetition ratio num[i] / den[i]: both were measured in the same repetition. */
  ratio(num: string, den: string): number[] {
    const a = this.get(num);
    const b = this.get(den);
    return a.map((x, i) => x / b[i]!);
  }
}

export type Unit = 'ops/s' | 'µs/op' | 's' | '×' | '%';

/** One table row; `values` null prints `n/a` with the reason in `note`. */
export interface Row { label: string; unit: Unit; values: number[] | null; note?: string }

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function format(v: number, unit: Unit): string {
  if (unit === 'ops/s') return Math.round(v).toLocaleString('en-US');
  if (unit === '×') return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (unit === '%') return v.toFixed(1);
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function renderTable(rows: readonly Row[]): string {
  const lines = ['| measurement | unit | median | [min..max] | note |', '|---|---|---:|---|---|'];
  for (const r of rows) {
    const cells = r.values === null
      ? ['n/a', '']
      : [format(median(r.values), r.unit), `[${format(Math.min(...r.values), r.unit)}..${format(Math.max(...r.values), r.unit)}]`];
    lines.push(`| ${r.label} | ${r.unit} | ${cells[0]} | ${cells[1]} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}
