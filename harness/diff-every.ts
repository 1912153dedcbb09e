// Every kind of difference between two backends, not only the first.
//
// The plain differential stops at the first step where two backends answer differently. Two
// correct-but-different implementations (a container and its compatibility layer, two kernel
// versions) differ at the first operation of almost every case, on an answer the spec allows
// both ways, and that hides everything after it. Here each case runs to its end on both sides;
// each model follows its own backend's answers, so every later difference is judged against
// what that backend's own profile and geometry require, until the two states part (a
// difference in an operation that changes state). A difference is classified by its kind: the operation, both answers' shapes, the verdict and the rule each side is judged by.
// One example of each kind is kept and minimized while it still shows that kind anywhere.
import fc from 'fast-check';
import type { FamilyOp, FamilyResult, Property } from '../spec/family.ts';
import { BackendFault, executeCase, oneLine, type Subject } from './check.ts';
import { judgeSteps, type Difference } from './diff.ts';
import { minimizeOps } from './minimize.ts';
import { propertySeed, skipReason, type RunOptions } from './run.ts';

/** One kind of difference, with its smallest example. */
export interface Kind {
  signature: string;
  /** The property whose cases first showed it. */
  property: string;
  /** How many cases showed it, over every property run so far. */
  cases: number;
  ops: FamilyOp[];
  results: [FamilyResult[], FamilyResult[]];
  difference: Difference;
  shrunkFrom: number;
}

export type EveryOutcome =
  | { status: 'done'; property: string; runs: number; kinds: Kind[] }
  | { status: 'skip'; property: string; reason: string }
  | { status: 'error'; property: string; message: string; ops: FamilyOp[] };

const shape = (r: FamilyResult): string => (r.ok ? 'ok' : r.errno);

/** What classifies a difference: the operation, both answers and the rules they are judged by. */
export function signature(op: FamilyOp, d: Difference): string {
  return `${op.op}: ${shape(d.a.answer)} / ${shape(d.b.answer)}, ${d.verdict} (${d.a.rule} / ${d.b.rule})`;
}

/**
 * The differences of one case that are not consequences of an earlier one: up to and including
 * the first difference in an operation that changes state (after it, the two sides' states have
 * parted, and what follows says more about that difference than about a new one).
 */
function differences(a: Subject, b: Subject, ops: readonly FamilyOp[], ra: FamilyResult[], rb: FamilyResult[]): Map<string, Difference> {
  const found = new Map<string, Difference>();
  for (const d of judgeSteps(a, b, ops, ra, rb)) {
    const op = ops[d.step]!;
    const key = signature(op, d);
    if (!found.has(key)) found.set(key, d);
    if (!a.family.observations?.has(op.op)) break;
  }
  return found;
}

/**
 * Runs `property`'s cases on both backends and adds each kind of difference to `known`
 * (signature to kind; shared across properties so a kind is minimized once). Returns the kinds
 * this property found first.
 */
export async function everyDifference(a: Subject, b: Subject, property: Property, options: RunOptions, known: Map<string, Kind>): Promise<EveryOutcome> {
  const skip = skipReason(a.backend, property) ?? skipReason(b.backend, property);
  if (skip) return { status: 'skip', property: property.id, reason: skip };
  const info = { ...a.backend.info, capabilities: a.backend.info.capabilities.filter((c) => b.backend.info.capabilities.includes(c)) };
  const fresh: Kind[] = [];
  let cases = 0;
  let fault: { message: string; ops: FamilyOp[] } | null = null;
  const deadline = options.durationMs === undefined ? null : Date.now() + options.durationMs;
  const result = await fc.check(
    fc.asyncProperty(property.cases(info, options.maxOps), async (ops) => {
      if (fault || options.interrupted?.() || (cases > 0 && deadline !== null && Date.now() >= deadline)) throw new fc.PreconditionFailure(true);
      options.onCase?.(++cases);
      try {
        const ra = await executeCase(a.family, a.backend, ops);
        const rb = await executeCase(b.family, b.backend, ops);
        for (const [key, difference] of differences(a, b, ops, ra, rb)) {
          const kind = known.get(key);
          if (kind) { kind.cases++; continue; }
          const added: Kind = { signature: key, property: property.id, cases: 1, ops: [...ops], results: [ra, rb], difference, shrunkFrom: ops.length };
          known.set(key, added);
          fresh.push(added);
        }
      } catch (err) {
        if (!(err instanceof BackendFault)) throw err;
        fault = { message: err.message, ops };
      }
      return true;
    }),
    { seed: propertySeed(options.seed, property.id), numRuns: options.runs },
  );
  if (fault !== null) {
    const f: { message: string; ops: FamilyOp[] } = fault;
    return { status: 'error', property: property.id, message: f.message, ops: f.ops };
  }
  if (result.failed && result.errorInstance) return { status: 'error', property: property.id, message: `internal error: ${oneLine(result.errorInstance)}`, ops: [] };
  for (const kind of fresh) {
    if (options.interrupted?.()) break;
    await minimizeKind(a, b, kind, options);
  }
  return { status: 'done', property: property.id, runs: cases, kinds: fresh };
}

/** Shrinks a kind's example, cut after its differing step, while it still shows that kind. */
async function minimizeKind(a: Subject, b: Subject, kind: Kind, options: RunOptions): Promise<void> {
  const cut = kind.ops.slice(0, kind.difference.step + 1);
  kind.ops = cut;
  kind.results = [kind.results[0].slice(0, cut.length), kind.results[1].slice(0, cut.length)];
  await minimizeOps(cut, async (candidate) => {
    try {
      const ra = await executeCase(a.family, a.backend, candidate);
      const rb = await executeCase(b.family, b.backend, candidate);
      const d = differences(a, b, candidate, ra, rb).get(kind.signature);
      if (!d) return false;
      Object.assign(kind, { ops: [...candidate], results: [ra, rb], difference: d });
      return true;
    } catch (err) {
      if (err instanceof BackendFault) return false;
      throw err;
    }
  }, { ...(options.interrupted ? { interrupted: options.interrupted } : {}), ...(options.onShrink ? { onTry: options.onShrink } : {}) });
}
