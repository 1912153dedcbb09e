// Every mutant's bug is observable: a short op sequence on which the mutant's answer departs
// from its correct base simulator's, on an operation its rule decides.
import { describe, expect, it } from 'vitest';
import { BUNDLED, MUTANTS } from '../../../backends/iommufd/index.ts';
import type { BugId } from '../../../backends/iommufd/sim/policy.ts';
import type { Op } from '../../../spec/iommufd/ops.ts';
import {
  A, P, allow, alloc, attach, attached, bind, capIpcLock, copy, counters, destroy, detach, dmaRead, err, map,
  mapAuto, mmap, okv, pins, run, setMode, unmap, unmapAll,
} from './ops.ts';

const IOVA = 0x100000n;
const MSI = 0xfee00000n;

/** The sequence, and what the correct simulator answers to its last op. */
const WITNESSES: Record<BugId, { ops: Op[]; correct: ReturnType<typeof okv> }> = {
  'unmap-split': { ops: [alloc(), map(IOVA, A, 2n * P), unmap(IOVA, P)], correct: err('ENOENT') },
  'unmap-rollback': { ops: [alloc(), map(IOVA, A, P), map(IOVA + P, A, 2n * P), unmap(IOVA, 2n * P), unmap(IOVA, P)], correct: err('ENOENT') },
  'unmap-stale-tail': { ops: [mmap(A, 2n * P), alloc(), ...attached(), map(IOVA, A, 2n * P), unmap(IOVA, 2n * P), dmaRead(IOVA + P)], correct: err('EFAULT') },
  'unmap-all-empty-enoent': { ops: [alloc(), unmapAll()], correct: okv({ unmapped: 0n }) },
  'copy-charges-again': { ops: [mmap(A, P), alloc(0), alloc(1), ...attached(), map(IOVA, A, P), copy(0, 2n * IOVA, 0, IOVA, P), counters], correct: pins(0n, 1n) },
  'copy-unmap-unpins': { ops: [mmap(A, P), alloc(0), ...attached(), map(IOVA, A, P), copy(0, 2n * IOVA, 0, IOVA, P), unmap(IOVA, P), counters], correct: pins(0n, 1n) },
  'eager-pin': { ops: [alloc(), map(IOVA, A, P)], correct: okv({ iova: IOVA }) },
  'map-eexist-first': { ops: [mmap(A, P), alloc(), ...attached(), map(IOVA, A, P), map(IOVA + 8n, A, P)], correct: err('EINVAL') },
  'alloc-iova-zero': { ops: [alloc(), mapAuto(A, P)], correct: okv({ iova: P }) },
  'alloc-ignores-allowed': { ops: [alloc(), allow([{ start: IOVA, last: 2n * IOVA }]), mapAuto(A, P)], correct: okv({ iova: IOVA }) },
  'alloc-over-reserved': { ops: [mmap(A, P), alloc(), bind(1), attach(1), mapAuto(A, P)], correct: okv({ iova: IOVA }) },
  'attach-no-replay': { ops: [mmap(A, P), alloc(), map(IOVA, A, P), ...attached(), dmaRead(IOVA)], correct: okv({ token: 0n }) },
  'attach-conflict-keeps-reservation': { ops: [alloc(), map(1n << 48n, A, P), ...attached(), map(MSI, A, P)], correct: okv({ iova: MSI }) },
  'detach-stale': { ops: [mmap(A, P), alloc(), ...attached(), map(IOVA, A, P), detach(), dmaRead(IOVA)], correct: err('EFAULT') },
  'destroy-attached': { ops: [alloc(), ...attached(), destroy()], correct: err('EBUSY') },
  'rlimit-mode-busy-ignored': { ops: [alloc(), setMode(1n)], correct: err('EBUSY') },
  'user-mode-charges-mm': { ops: [capIpcLock(false), mmap(A, P), alloc(), ...attached(), map(IOVA, A, P), counters], correct: pins(0n, 1n) },
};

describe('mutant witnesses', () => {
  for (const m of MUTANTS) {
    it(`${m.name} departs from ${m.base} (${m.rule})`, () => {
      const w = WITNESSES[m.id];
      const base = BUNDLED.find((b) => b.name === m.base)!.create({});
      const mutant = BUNDLED.find((b) => b.name === m.name)!.create({});
      expect(run(base, w.ops).at(-1)).toEqual(w.correct);
      expect(run(mutant, w.ops).at(-1)).not.toEqual(w.correct);
    });
  }

  it('witnesses every bug', () => {
    expect(Object.keys(WITNESSES).sort()).toEqual(MUTANTS.map((m) => m.id).sort());
  });
});
