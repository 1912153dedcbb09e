// A differential run judges each side's answer with that side's model; an expectation that
// carries its own `judge` (a notifier's events, which the judge applies to the shadows) must be
// judged once per answer, as a run judges it.
import { describe, expect, test } from 'vitest';
import type { Expectation, Family, FamilyResult } from '../../spec/family.ts';
import { judgeSteps } from '../../harness/diff.ts';
import type { Subject } from '../../harness/check.ts';
import { toy } from './toy-family.ts';

/** The toy family whose every expectation accepts any answer through a judge that may run once. */
function judgedOnce(): Family {
  return {
    ...toy,
    model: () => ({
      apply(): Expectation {
        let judged = false;
        return {
          result: { ok: true }, rule: 'TOY-READ-LAST',
          judge: () => {
            if (judged) throw new Error('judged twice');
            judged = true;
            return null;
          },
        };
      },
      blame: () => 'TOY-READ-LAST',
    }),
  } as unknown as Family;
}

describe('diff', () => {
  test('an expectation with its own judge is judged once per side at a differing step', () => {
    const family = judgedOnce();
    const subject = (name: string): Subject => ({ family, backend: { info: { name, description: '', profile: 'toy', capabilities: [] }, reset() {}, execute: () => [] } });
    const a: FamilyResult[] = [{ ok: true }];
    const b: FamilyResult[] = [{ ok: false, errno: 'EINVAL' }];
    const [d] = judgeSteps(subject('a'), subject('b'), [{ op: 'read' }], a, b);
    expect(d?.verdict).toBe('both-conform');
    expect(d?.a.rule).toBe('TOY-READ-LAST');
  });
});
