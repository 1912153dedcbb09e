// Whatever valid machine a backend declares, the suite judges it fairly: the generated host
// operations stay inside the declared arena, and the correct simulators, built from random
// valid declarations, pass every property.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { findBundled } from '../../backends/type1/index.ts';
import { runProperty } from '../../harness/run.ts';
import { PROPERTIES, subject } from './support/subject.ts';
import type { Backend } from '../../spec/type1/backend.ts';
import type { Op } from '../../spec/type1/ops.ts';
import { NAMED_DECLARATIONS, declaration, type Declaration } from './support/declarations.ts';

const create = (d: Declaration): Backend => findBundled(d.v2 ? 'sim-type1' : 'sim-type1-v1')!.create(d.options);
const describeDecl = (d: Declaration): string => `${d.v2 ? 'sim-type1' : 'sim-type1-v1'}:${Object.entries(d.options).map(([k, v]) => `${k}=${v}`).join(',')}`;

/** The [start, end) ranges of the address space a host operation acts on. */
function hostRanges(op: Op): [bigint, bigint][] {
  switch (op.op) {
    case 'mmap': case 'munmap': case 'mprotect': return [[op.vaddr, op.vaddr + op.size]];
    case 'mremap': return [[op.vaddr, op.vaddr + op.size], [op.newVaddr, op.newVaddr + op.newSize]];
    default: return [];
  }
}

describe('declared machines', () => {
  test('every generated mmap, munmap, mremap and mprotect stays inside the declared arena', () => {
    const check = (d: Declaration, seed: number) => {
      const info = create(d).info;
      const { start, size } = info.host.arena;
      for (const property of PROPERTIES) {
        for (const ops of fc.sample(property.cases(info, 40), { seed, numRuns: 6 })) {
          for (const op of ops) {
            for (const [lo, hi] of hostRanges(op)) {
              const inside = lo >= start && hi <= start + size;
              expect(inside, `${describeDecl(d)} (${property.id}): ${op.op} [0x${lo.toString(16)}, 0x${hi.toString(16)})`).toBe(true);
            }
          }
        }
      }
    };
    NAMED_DECLARATIONS.forEach((d, i) => check(d, i));
    fc.assert(fc.property(declaration, fc.nat(), (d, seed) => check(d, seed)), { seed: 42, numRuns: 40 });
  });

  test('the correct simulators, built from random valid declarations, pass every property with zero violations', async () => {
    const pass = async (d: Declaration, seed: number) => {
      const backend = create(d);
      for (const property of PROPERTIES) {
        const outcome = await runProperty(subject(backend), property, { seed, runs: 8, maxOps: 30 });
        const why = outcome.status === 'fail' ? `${outcome.violation.rule} at #${outcome.violation.step}: ${JSON.stringify(outcome.ops[outcome.violation.step], (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}` : outcome.status;
        expect(outcome.status, `${describeDecl(d)} seed ${seed}, ${property.id}: ${why}`).toBe('pass');
      }
    };
    for (const [i, d] of NAMED_DECLARATIONS.entries()) await pass(d, i);
    await fc.assert(fc.asyncProperty(declaration, fc.nat(), pass), { seed: 42, numRuns: 12 });
  });
});
