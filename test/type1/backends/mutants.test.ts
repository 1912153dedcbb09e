// Each mutant differs from its correct base on one hand-written sequence: the last op gives
// `expected` on the correct simulator (checked by hand against the rule) and something else
// on the mutant. That proves each bug is real and reachable.
import { describe, expect, it } from 'vitest';
import { BUNDLED, MUTANTS, findBundled } from '../../../backends/type1/index.ts';
import type { Op, Result } from '../../../spec/type1/ops.ts';
import { RULE_BY_ID } from '../../../spec/type1/rules.ts';
import { SystemModel } from '../../../models/type1/system.ts';
import {
  A, P, TOP, close, counters, cpuWrite, dmaRead, dmaWrite, err, getInfo, last, map, mmap, munmap, okv, rlimit, unmap,
} from './ops.ts';

const IOVA = 0x100000n;

interface Witness { ops: Op[]; expected: Result; options?: Record<string, string> }

const WITNESSES: Record<string, Witness> = {
  'unmap-stale-tail': {
    ops: [mmap(A, 2n * P), cpuWrite(A + P, 7n), map(IOVA, A, 2n * P), unmap(IOVA, 2n * P), dmaRead(IOVA + P)],
    expected: err('EFAULT'),
  },
  'close-keeps-charge': { ops: [mmap(A, 2n * P), map(IOVA, A, 2n * P), close, counters], expected: okv({ lockedVm: [0n, 0n] }) },
  'failed-map-keeps-charge': { ops: [mmap(A, 2n * P), map(IOVA, A, 3n * P), counters], expected: okv({ lockedVm: [0n, 0n] }) },
  'overlap-off-by-one': { ops: [mmap(A, 4n * P), map(0x200000n, A, 2n * P), map(0x1ff000n, A + 2n * P, 2n * P)], expected: err('EEXIST') },
  'v2-bisect-allowed': { ops: [mmap(A, 2n * P), map(IOVA, A, 2n * P), unmap(IOVA, P)], expected: err('EINVAL') },
  'entry-limit-off-by-one': {
    ops: [mmap(A, 2n * P), map(IOVA, A, P), map(2n * IOVA, A + P, P)], expected: err('ENOSPC'), options: { dmaEntryLimit: '1' },
  },
  'charge-once': { ops: [mmap(A, P), map(IOVA, A, P), map(2n * IOVA, A, P), counters], expected: okv({ lockedVm: [2n, 0n] }) },
  'uncharge-caller': { ops: [mmap(A, P), map(IOVA, A, P), unmap(IOVA, P, 0, 1), counters], expected: okv({ lockedVm: [0n, 0n] }) },
  'rlimit-ge': { ops: [rlimit(2n * P), mmap(A, 2n * P), map(IOVA, A, 2n * P)], expected: okv() },
  'mmio-charged': { ops: [mmap(A, P, 'rw', 'mmio'), map(IOVA, A, P), counters], expected: okv({ lockedVm: [0n, 0n] }) },
  'relookup-vaddr': { ops: [mmap(A, P), cpuWrite(A, 5n), map(IOVA, A, P), munmap(A, P), dmaRead(IOVA)], expected: okv({ token: 5n }) },
  'reuse-pinned-frame': {
    ops: [mmap(A, P), cpuWrite(A, 5n), map(IOVA, A, P), munmap(A, P), mmap(A, P), cpuWrite(A, 9n), dmaRead(IOVA)],
    expected: okv({ token: 5n }),
  },
  'readonly-write-allowed': { ops: [mmap(A, P, 'r'), map(IOVA, A, P, 3)], expected: err('EFAULT') },
  'top-of-space-unmap': { ops: [mmap(A, P), map(TOP - P, A, P), unmap(TOP - P, P)], expected: okv({ unmapped: P }) },
  'dma-avail-stale': { ops: [mmap(A, P), map(IOVA, A, P), getInfo], expected: expect.objectContaining({ dmaAvail: 31n }) },
  'readonly-dma-write': { ops: [mmap(A, P), map(IOVA, A, P, 1), dmaWrite(IOVA, 1n)], expected: err('EFAULT') },
  'vaddr-no-revert': {
    // The second invalidate meets the already-invalid mapping at IOVA + P and must revert IOVA.
    ops: [mmap(A, 2n * P), map(IOVA, A, P), map(IOVA + P, A + P, P), unmap(IOVA + P, P, 4), unmap(IOVA, 2n * P, 4), map(IOVA, A, P, 4)],
    expected: err('EINVAL'),
  },
  'v1-unmap-inside': {
    ops: [mmap(A, 3n * P), map(IOVA, A, 2n * P), map(IOVA + 2n * P, A + 2n * P, P), unmap(IOVA + P, 2n * P)],
    expected: okv({ unmapped: 0n }),
  },
  'empty-unmap-enoent': { ops: [unmap(IOVA, P)], expected: okv({ unmapped: 0n }) },
  // The unmap removes IOVA's page, then meets the mapping it would cut and fails with ENOENT.
  'compat-bisect-atomic': {
    ops: [mmap(A, 3n * P), cpuWrite(A, 5n), map(IOVA, A, P), map(IOVA + P, A + P, 2n * P), unmap(IOVA, 2n * P), dmaRead(IOVA)],
    expected: err('EFAULT'),
  },
  'compat-v1-no-cut': { ops: [mmap(A, 2n * P), map(IOVA, A, 2n * P), unmap(IOVA, P)], expected: okv({ unmapped: P }) },
  'compat-dma-avail-limit': { ops: [mmap(A, P), map(IOVA, A, P), getInfo], expected: expect.objectContaining({ dmaAvail: 0xffffffffn }) },
  'compat-mmio-followed': { ops: [mmap(A, P, 'rw', 'mmio'), map(IOVA, A, P)], expected: err('EFAULT') },
  'compat-dirty-pages': { ops: [{ op: 'dirtyPages', flags: 1 }], expected: err('ENOTTY') },
  'migration-cap-missing': { ops: [{ op: 'migrationInfo' }], expected: okv({ present: true, pgsizes: P, maxDirtyBitmapSize: 0x10000000n }) },
};

describe('mutants', () => {
  it('are at least 14, each with a rule of spec/type1/rules.ts and a bundled backend', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(14);
    for (const m of MUTANTS) {
      expect(RULE_BY_ID.has(m.rule)).toBe(true);
      expect(findBundled(m.name)?.kind).toBe('mutant');
    }
    expect(new Set(BUNDLED.map((b) => b.name)).size).toBe(BUNDLED.length);
    for (const b of BUNDLED) expect(b.create({}).info.name).toBe(b.name);
  });

  for (const m of MUTANTS) {
    it(`${m.name} breaks ${m.rule}`, () => {
      const w = WITNESSES[m.id];
      expect(w, `no witness for ${m.id}`).toBeDefined();
      const { ops, expected, options = {} } = w!;
      expect(last(findBundled(m.base)!.create(options), ops)).toEqual(expected);
      expect(last(findBundled(m.name)!.create(options), ops)).not.toEqual(expected);
    });
  }

  // A compat mutant answers as iommufd would not; the step is judged by the compat rule it
  // breaks, which binds the compat container only or is the "Compat:" variant of its rule.
  for (const m of MUTANTS.filter((x) => x.base.startsWith('sim-type1-compat'))) {
    it(`${m.name}: the model of its profile blames ${m.rule} for the mutant's answer`, () => {
      const { ops } = WITNESSES[m.id]!;
      const backend = findBundled(m.name)!.create({});
      const model = new SystemModel(backend.info);
      const expectations = ops.map((o) => model.apply(o));
      const answer = last(backend, ops);
      expect(model.blame(ops.at(-1)!, expectations.at(-1)!, answer)).toBe(m.rule);
      const rule = RULE_BY_ID.get(m.rule)!;
      expect(rule.container === 'compat' || (rule.variants ?? []).some((v) => v.startsWith('Compat:'))).toBe(true);
    });
  }
});
