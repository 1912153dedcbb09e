// A case file made ready to look at: the backend's declaration, what the model expects at
// every step, the recorded failure re-judged by the model, and the family's timeline.
//
// Nothing here runs a backend. A case file names a backend as data; when the file predates
// recorded declarations, the declaration of a bundled in-process simulator is borrowed (and
// the picture says so).
import { basename } from 'node:path';
import type { BackendInfoBase, Expectation, Family, FamilyOp, FamilyResult } from '../../spec/family.ts';
import type { Timeline } from '../../spec/timeline.ts';
import { isRecord, WireError } from '../../spec/u64.ts';
import { CaseFileError, readCase, type LoadedCase } from '../case-file.ts';
import { firstViolation, oneLine } from '../check.ts';
import { sameResult } from '../compare.ts';
import { parseBackendSpec } from '../load-backend.ts';

/** A recorded answer: decoded when it matches the family's result schema, else its JSON. */
export type Answer = { result: FamilyResult; text: string } | { result: null; text: string };

export type ShownFailure =
  | {
    kind: 'violation'; step: number; rule: string;
    /** What a conforming backend answers: the expected result, then the other accepted ones. */
    expected: Answer[];
    actual: Answer | null;
    alsoBroken: readonly string[];
  }
  | { kind: 'fault'; message: string }
  | { kind: 'difference'; step: number; against: string; verdict: string };

export interface ShownCase {
  /** The case file's name, without its folder: the picture is the same wherever it lies. */
  name: string;
  family: Family;
  info: BackendInfoBase;
  backend: string;
  property: string;
  profile: string | null;
  ops: readonly FamilyOp[];
  /** The model's expectation at every step; null from the step where the model gave up. */
  expectations: readonly (Expectation | null)[];
  failure: ShownFailure | null;
  /** Things the reader should know: a borrowed declaration, a model that now judges otherwise. */
  notes: string[];
  timeline: Timeline | null;
  /** What each step answered: the backend's recorded answer before the failing step, else the model's. */
  answers: (FamilyResult | undefined)[];
}

export function loadShownCase(path: string): ShownCase {
  const loaded = readCase(path);
  const { family, ops } = loaded;
  const notes: string[] = [];
  const info = declaration(path, loaded, notes);

  const expectations: (Expectation | null)[] = [];
  const model = family.model(info);
  for (let i = 0; i < ops.length; i++) {
    try {
      expectations.push(model.apply(ops[i]!));
      const answer = loaded.answers?.[i];
      if (answer) model.observe?.(ops[i]!, answer);
    } catch (err) {
      notes.push(`the model cannot go past step ${i} (${family.formatOp(ops[i]!)}): ${oneLine(err)}`);
      while (expectations.length < ops.length) expectations.push(null);
      break;
    }
  }

  const failure = recordedFailure(path, loaded, info, expectations, notes);
  const actual: (FamilyResult | undefined)[] = ops.map(() => undefined);
  if (failure?.kind === 'violation' && failure.actual?.result) actual[failure.step] = failure.actual.result;

  let timeline: Timeline | null = null;
  if (family.view && !expectations.includes(null)) {
    try {
      timeline = family.view(info, ops, actual);
    } catch (err) {
      notes.push(`the ${family.id} view could not draw this case: ${oneLine(err)}`);
    }
  } else if (!family.view) {
    notes.push(`the ${family.id} family draws no timeline; the operations are listed`);
  }
  return {
    name: basename(path), family, info, backend: loaded.backend, property: loaded.property, profile: loaded.profile,
    ops, expectations, failure, notes, timeline,
    answers: expectations.map((e, i) => loaded.answers?.[i] ?? e?.result),
  };
}

/** The backend's declaration: recorded, else a bundled simulator's, else refused. */
function declaration(path: string, loaded: LoadedCase, notes: string[]): BackendInfoBase {
  const { family } = loaded;
  if (loaded.info) {
    const problem = family.checkInfo(loaded.info);
    if (problem) throw new CaseFileError(`${path}: "info" ${problem}`);
    return loaded.info;
  }
  let target = loaded.backend;
  let options: Record<string, string> = {};
  try {
    ({ target, options } = parseBackendSpec(loaded.backend));
  } catch { /* not a bundled name with options */ }
  const named = family.bundled.find((b) => b.name === target);
  if (named && named.kind !== 'real') {
    const info = infoOf(named, options);
    if (info) return info;
  }
  for (const b of family.bundled) {
    if (b.kind !== 'correct') continue;
    const info = infoOf(b, {});
    if (info && (loaded.profile === null || info.profile === loaded.profile)) {
      notes.push(`the case file does not record the declaration of ${loaded.backend}: drawn with that of ${b.name} (${info.profile}), whose geometry may differ`);
      return info;
    }
  }
  throw new CaseFileError(`${path} does not record the declaration of backend ${JSON.stringify(loaded.backend)}, and family ${family.id} bundles no simulator of profile ${loaded.profile ?? '?'} to borrow one from`);
}

/** A bundled in-process backend's declaration: it is created, never run. */
function infoOf(b: Family['bundled'][number], options: Record<string, string>): BackendInfoBase | null {
  if (b.kind === 'real') return null;
  try {
    const backend = b.create(options);
    void backend.dispose?.();
    return backend.info;
  } catch {
    return null;
  }
}

function recordedFailure(path: string, loaded: LoadedCase, info: BackendInfoBase, expectations: readonly (Expectation | null)[], notes: string[]): ShownFailure | null {
  const f = loaded.failure;
  const { family, ops, answers } = loaded;
  if (!f) return null;
  if (typeof f.fault === 'string') return { kind: 'fault', message: f.fault };
  if (isRecord(f.difference)) {
    const d = f.difference;
    const step = stepOf(path, d.step, ops.length);
    return { kind: 'difference', step, against: typeof d.against === 'string' ? d.against : '?', verdict: typeof d.verdict === 'string' ? d.verdict : '?' };
  }
  if (f.step === undefined) return null;
  const step = stepOf(path, f.step, ops.length);
  const op = ops[step]!;
  const answer = (v: unknown, where: string): Answer | null => {
    if (v === undefined) return null;
    try {
      const result = family.decodeResult(op, v, where, info);
      return { result, text: family.formatResult(result) };
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      return { result: null, text: JSON.stringify(v) };
    }
  };
  const model = expectations[step] ?? null;
  const expected = answer(f.expected, 'failure.expected');
  const actual = answer(f.actual, 'failure.actual');
  const recordedRule = typeof f.rule === 'string' ? f.rule : null;
  let rule = recordedRule ?? model?.rule ?? '?';
  let alsoBroken: readonly string[] = [];
  const shown: Answer[] = expected ? [expected] : model ? [{ result: model.result, text: family.formatResult(model.result) }] : [];

  // Re-judge the recorded answer: the steps before it conformed, so the model's answers stand for them.
  if (actual?.result && model && !expectations.slice(0, step).includes(null)) {
    const results = [...expectations.slice(0, step).map((e, i) => answers?.[i] ?? e!.result), actual.result];
    const v = firstViolation(family, info, ops.slice(0, step + 1), results);
    if (!v) {
      notes.push(`the model of this suite accepts the recorded answer at step ${step}: the case no longer fails as recorded`);
    } else {
      alsoBroken = v.alsoBroken;
      if (recordedRule && v.rule !== recordedRule) notes.push(`the model of this suite now blames ${v.rule} (the case recorded ${recordedRule})`);
      if (expected?.result && !sameResult(expected.result, v.expected)) notes.push(`the model of this suite now expects ${family.formatResult(v.expected)} at step ${step}`);
      if (!recordedRule) rule = v.rule;
      for (const r of v.accepted) if (!shown.some((s) => s.result && sameResult(s.result, r))) shown.push({ result: r, text: family.formatResult(r) });
    }
  }
  return { kind: 'violation', step, rule, expected: shown, actual, alsoBroken };
}

function stepOf(path: string, v: unknown, length: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= length) {
    throw new CaseFileError(`${path}: "failure.step" must be an operation index from 0 to ${length - 1}, got ${JSON.stringify(v)}`);
  }
  return v;
}
