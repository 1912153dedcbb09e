// Differential runs: the same generated cases against two backends of one family.
//
// The question QEMU asked of its iommufd backend against the legacy container: where do two
// implementations answer differently, and which of them departs from the spec? Cases are
// generated for what both backends can do; the first case where their answers differ is
// shrunk, then minimized while they still differ the same way. At the differing step each
// answer is judged by the model of the backend that gave it, so the report says which side
// departs, or that the spec allows both (two profiles, or two valid geometries).
import fc from 'fast-check';
import type { Backend, Expectation, FamilyOp, FamilyResult, Model, Property } from '../spec/family.ts';
import { BackendFault, executeCase, judge, oneLine, type Subject } from './check.ts';
import { sameResult } from './compare.ts';
import { minimizeOps } from './minimize.ts';
import { propertySeed, skipReason, type RunOptions } from './run.ts';

/** One backend's answer at the differing step, judged by its own model. */
export interface Side {
  answer: FamilyResult;
  /** What its model expects: the answer and the variants it also accepts. */
  expected: readonly FamilyResult[];
  /**
   * The rule that decides the step for this backend's profile and geometry: for a departing
   * answer the rule it breaks; for a conforming one the rule the other side's answer would
   * break here, when it would break one.
   */
  rule: string;
  conforms: boolean;
}

export type Verdict = 'a-departs' | 'b-departs' | 'both-conform' | 'both-depart';

export interface Difference { step: number; a: Side; b: Side; verdict: Verdict }

export type DiffOutcome =
  | { status: 'same'; property: string; runs: number }
  | { status: 'skip'; property: string; reason: string }
  | { status: 'differ'; property: string; runs: number; ops: FamilyOp[]; results: [FamilyResult[], FamilyResult[]]; difference: Difference; shrunkFrom: number }
  | { status: 'error'; property: string; message: string; ops: FamilyOp[] };

export type Answers = { ops: readonly FamilyOp[]; a: FamilyResult[]; b: FamilyResult[]; step: number };

/** What both can be sent: A's declaration with only the capabilities B also has. */
function commonInfo(a: Backend, b: Backend): Backend['info'] {
  return { ...a.info, capabilities: a.info.capabilities.filter((c) => b.info.capabilities.includes(c)) };
}

export async function diffProperty(a: Subject, b: Subject, property: Property, options: RunOptions): Promise<DiffOutcome> {
  const skip = skipReason(a.backend, property) ?? skipReason(b.backend, property);
  if (skip) return { status: 'skip', property: property.id, reason: skip };
  let cases = 0;
  let shrinking = false;
  let last: Answers | null = null;
  let fault: { message: string; ops: FamilyOp[] } | null = null;
  const deadline = options.durationMs === undefined ? null : Date.now() + options.durationMs;
  const result = await fc.check(
    fc.asyncProperty(property.cases(commonInfo(a.backend, b.backend), options.maxOps), async (ops) => {
      // Nothing more to learn: fast-check stops here, keeping any difference found so far.
      if (fault || options.interrupted?.() || (!shrinking && cases > 0 && deadline !== null && Date.now() >= deadline)) throw new fc.PreconditionFailure(true);
      if (!shrinking) {
        cases++; // counted whether or not anyone listens
        options.onCase?.(cases);
      }
      try {
        const answers = await answer(a, b, ops);
        if (!answers) return true;
        last = answers;
        shrinking = true;
        return false;
      } catch (err) {
        if (!(err instanceof BackendFault)) throw err;
        fault = { message: err.message, ops };
        return true;
      }
    }),
    { seed: propertySeed(options.seed, property.id), numRuns: options.runs },
  );
  if (fault !== null) {
    const f: { message: string; ops: FamilyOp[] } = fault;
    return { status: 'error', property: property.id, message: f.message, ops: f.ops };
  }
  if (result.failed && result.errorInstance && !last) {
    return { status: 'error', property: property.id, message: `internal error: ${oneLine(result.errorInstance)}`, ops: [] };
  }
  if (!last) return cases === 0 ? { status: 'skip', property: property.id, reason: 'no case ran' } : { status: 'same', property: property.id, runs: result.numRuns };
  const found: Answers = last;
  const minimal = options.interrupted?.() ? found : await minimizeDifference(a, b, found, options);
  return {
    status: 'differ', property: property.id, runs: cases, ops: [...minimal.ops], results: [minimal.a, minimal.b],
    difference: judgeDifference(a, b, minimal), shrunkFrom: found.ops.length,
  };
}

/** Both backends' answers when they differ somewhere, or null when they agree throughout. */
export async function answer(a: Subject, b: Subject, ops: readonly FamilyOp[]): Promise<Answers | null> {
  const ra = await executeCase(a.family, a.backend, ops);
  const rb = await executeCase(b.family, b.backend, ops);
  const step = ra.findIndex((r, i) => !sameResult(r, rb[i]!));
  return step < 0 ? null : { ops, a: ra, b: rb, step };
}

const shape = (r: FamilyResult): string => (r.ok ? 'ok' : r.errno);

async function minimizeDifference(a: Subject, b: Subject, found: Answers, options: RunOptions): Promise<Answers> {
  const signature = (d: Answers) => `${d.ops[d.step]!.op} ${shape(d.a[d.step]!)} ${shape(d.b[d.step]!)}`;
  const wanted = signature(found);
  let best = found;
  await minimizeOps(found.ops, async (candidate) => {
    try {
      const d = await answer(a, b, candidate);
      if (!d || signature(d) !== wanted) return false;
      best = d;
      return true;
    } catch (err) {
      if (err instanceof BackendFault) return false;
      throw err;
    }
  }, { ...(options.interrupted ? { interrupted: options.interrupted } : {}), ...(options.onShrink ? { onTry: options.onShrink } : {}) });
  return best;
}

/** Each answer at the differing step, judged by the model of the backend that gave it. */
export function judgeDifference(a: Subject, b: Subject, d: Answers): Difference {
  return judgeSteps(a, b, d.ops, d.a, d.b, d.step + 1).find((x) => x.step === d.step)!;
}

/**
 * Every step of `ops` (up to `limit`) where the two backends answered differently, each answer
 * judged by its own backend's model after that model has seen its own backend's earlier answers.
 */
export function judgeSteps(a: Subject, b: Subject, ops: readonly FamilyOp[], ra: readonly FamilyResult[], rb: readonly FamilyResult[], limit = ops.length): Difference[] {
  const ma = a.family.model(a.backend.info);
  const mb = b.family.model(b.backend.info);
  const out: Difference[] = [];
  const end = Math.min(limit, ra.length, rb.length);
  for (let step = 0; step < end; step++) {
    const op = ops[step]!;
    const ea = ma.apply(op);
    const eb = mb.apply(op);
    if (!sameResult(ra[step]!, rb[step]!)) {
      const sa = side(ma, ea, op, ra[step]!, rb[step]!);
      const sb = side(mb, eb, op, rb[step]!, ra[step]!);
      const verdict: Verdict = sa.conforms ? (sb.conforms ? 'both-conform' : 'b-departs') : sb.conforms ? 'a-departs' : 'both-depart';
      out.push({ step, a: sa, b: sb, verdict });
    }
    ma.observe?.(op, ra[step]!);
    mb.observe?.(op, rb[step]!);
  }
  return out;
}

function side(model: Model, e: Expectation, op: FamilyOp, answer: FamilyResult, other: FamilyResult): Side {
  const verdict = judge(e, answer);
  // A conforming answer is named by the rule the other side's answer would break here, if any:
  // the rule on which the two profiles or geometries part. An expectation with its own `judge`
  // is judged once only (judging may follow the answer, as a notifier's shadow does).
  const otherVerdict = verdict === null && !e.judge ? judge(e, other) : null;
  const rule = verdict === null
    ? (otherVerdict === null ? e.rule : otherVerdict.rule ?? model.blame(op, e, other))
    : verdict.rule ?? model.blame(op, e, answer);
  return { answer, expected: [e.result, ...(e.accept ?? [])], rule, conforms: verdict === null };
}
