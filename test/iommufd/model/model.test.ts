// The model as a whole: determinism, blame of observations, and that every rule has a test.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { toPlain } from '../../../spec/u64.ts';
import { RULES } from '../../../spec/iommufd/rules.ts';
import {
  A, B, FIXED, IOVA, P, R, RW, alloc, allow, attach, bind, capIpcLock, closeCtx, copy, counters, cpuWrite, detach, dmaRead,
  dmaWrite, fresh, map, mapAuto, mmap, munmap, ranges, rlimit, setMode, unmap,
} from './helpers.ts';
import type { Op } from '../../../spec/iommufd/ops.ts';

const SCRIPT: Op[] = [
  capIpcLock(false), setMode(1n), mmap(A, 8n * P), mmap(B, 4n * P, 'r'), cpuWrite(A, 1n), alloc(0), alloc(1), bind(0), bind(1),
  map(IOVA, A, 4n * P), mapAuto(A + 4n * P, 2n * P), attach(0, 0), copy(IOVA, IOVA + P, 2n * P), attach(1, 1), dmaRead(IOVA + P, 1),
  dmaWrite(IOVA, 9n), allow([{ start: 0x40000000n, last: 0x4fffffffn }], 1), mapAuto(B, P, R, 1), counters, ranges(0),
  unmap(IOVA, 2n * P), rlimit(P), map(IOVA + 16n * P, A + 6n * P, 2n * P), munmap(A, 8n * P), detach(0), counters,
  attach(0, 1), unmap(0n, (1n << 64n) - 1n, 1), closeCtx, counters,
];

const trace = (ops: readonly Op[]) => {
  const m = fresh();
  return JSON.stringify(ops.map((op) => {
    const e = m.apply(op);
    return toPlain({ result: e.result, rule: e.rule, accept: e.accept ?? [] });
  }));
};

describe('the model', () => {
  test('apply() is deterministic: the same operations give the same expectations, byte for byte', () => {
    expect(trace(SCRIPT)).toBe(trace(SCRIPT));
    expect(trace(SCRIPT).length).toBeGreaterThan(1000);
  });

  test('observations are blamed on the last change: a stale page after an unmap, counters after a failed map', () => {
    const m = fresh();
    for (const op of [mmap(A, 2n * P), alloc(0), bind(0), attach(0, 0), map(IOVA, A, 2n * P, FIXED | RW)]) m.apply(op);
    m.apply(unmap(IOVA, 2n * P));
    const stale = m.apply(dmaRead(IOVA));
    expect(m.blame(dmaRead(IOVA), stale, { ok: true, token: 0n } as never)).toBe('IOMMUFD-NO-STALE');
    m.apply(map(IOVA, B, P, FIXED | RW));
    const c = m.apply(counters);
    expect(m.blame(counters, c, { ok: true, lockedVm: 0n, pinnedVm: 1n } as never)).toBe('IOMMUFD-MAP-ATOMIC');
  });

  test('every rule of spec/iommufd/rules.ts is named by a test of this folder', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const text = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(dir + f, 'utf8')).join('\n');
    const named = new Set([...text.matchAll(/test\('(IOMMUFD-[A-Z-]+)/g)].map((x) => x[1]));
    expect(RULES.map((r) => r.id).filter((id) => !named.has(id))).toEqual([]);
  });
});
