// Second-stage shrinking on the concrete op list.
//
// fast-check shrinks the symbolic sequence; what it hands back still carries every probe and
// stamp the expansion added. This pass removes concrete operations, in ever smaller chunks,
// as long as the case still breaks the same rule: what is left is the handful of operations a
// developer needs to read. Each candidate is re-judged by the model, so removing an op also
// recomputes what every later op must answer.
import type { Op } from '../spec/type1/ops.ts';

export async function minimizeOps(ops: readonly Op[], stillFails: (ops: readonly Op[]) => Promise<boolean>): Promise<Op[]> {
  let current = [...ops];
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk >>= 1) {
    // From the end backwards: the failing observation sits late, setup sits early.
    for (let start = current.length - chunk; start >= 0; start -= chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      if (candidate.length > 0 && (await stillFails(candidate))) current = candidate;
    }
    if (chunk === 1) break;
  }
  // A last single-op pass from the front catches what earlier removals made redundant.
  for (let i = 0; i < current.length; ) {
    const candidate = [...current.slice(0, i), ...current.slice(i + 1)];
    if (candidate.length > 0 && (await stillFails(candidate))) current = candidate;
    else i++;
  }
  return current;
}
