// Running one concrete case on a backend and judging every answer against the family's model.
import type { Backend, Expectation, Family, FamilyOp, FamilyResult } from '../spec/family.ts';
import { WireError } from '../spec/u64.ts';
import { sameResult } from './compare.ts';
import { StreamFault } from './stream-backend.ts';

/** A backend together with the family whose operations it executes. */
export interface Subject {
  family: Family;
  backend: Backend;
}

export interface Violation {
  /** Index in the case's op list of the first wrong answer. */
  step: number;
  rule: string;
  alsoBroken: readonly string[];
  expected: FamilyResult;
  accepted: readonly FamilyResult[];
  actual: FamilyResult;
  /** Why the answer breaks the rule, when the model judged it rather than listing answers. */
  why?: string;
}

/** The backend could not be judged: it threw, stopped early or answered malformed data. */
export class BackendFault extends Error {
  /**
   * `step`: the first operation whose answer is missing or malformed, or null when the whole
   * case failed; `sent`: how many operations the backend was given, when fewer than the case.
   */
  constructor(message: string, readonly step: number | null, readonly sent: number | null = null) {
    super(message);
  }
}

/** The backend's answers, and the first wrong one if any. */
export type CaseVerdict =
  | { ok: true; results: FamilyResult[] }
  | { ok: false; results: FamilyResult[]; violation: Violation };

/** Execute `ops` on a freshly reset backend and return the first violation, if any. */
export async function checkCase({ family, backend }: Subject, ops: readonly FamilyOp[]): Promise<CaseVerdict> {
  const results = await executeCase(family, backend, ops);
  const violation = firstViolation(family, backend.info, ops, results);
  return violation ? { ok: false, results, violation } : { ok: true, results };
}

/** The first answer the model of a backend declaring `info` rejects, or null. */
export function firstViolation(family: Family, info: Backend['info'], ops: readonly FamilyOp[], results: readonly FamilyResult[]): Violation | null {
  const model = family.model(info);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const expectation = model.apply(op);
    const actual = results[i]!;
    const verdict = judge(expectation, actual);
    if (verdict) {
      return {
        step: i,
        rule: verdict.rule ?? model.blame(op, expectation, actual),
        alsoBroken: verdict.alsoBroken ?? expectation.alsoBroken ?? [],
        expected: expectation.result,
        accepted: expectation.accept ?? [],
        actual,
        ...(verdict.why ? { why: verdict.why } : {}),
      };
    }
    model.observe?.(op, actual);
  }
  return null;
}

/** Null when `actual` conforms; else the rule it breaks when the model judged it, and why. */
export function judge(e: Expectation, actual: FamilyResult): { rule: string | null; why: string | null; alsoBroken?: readonly string[] } | null {
  if (e.judge) {
    const broken = e.judge(actual);
    return broken ? { rule: broken.rule, why: broken.why, ...(broken.alsoBroken ? { alsoBroken: broken.alsoBroken } : {}) } : null;
  }
  const listed = sameResult(e.result, actual) || (e.accept ?? []).some((r) => sameResult(r, actual));
  return listed ? null : { rule: null, why: null };
}

export const conforms = (e: Expectation, actual: FamilyResult): boolean => judge(e, actual) === null;

/** Reset, execute and decode: every answer checked against the family's result schema. */
export async function executeCase(family: Family, backend: Backend, ops: readonly FamilyOp[]): Promise<FamilyResult[]> {
  let raw: readonly unknown[];
  try {
    await backend.reset();
    raw = await backend.execute(ops);
  } catch (err) {
    if (err instanceof BackendFault) throw err;
    const sent = (err as { sent?: unknown }).sent;
    throw new BackendFault(`backend ${backend.info.name} ${describeThrow(err)}`, null, typeof sent === 'number' ? sent : null);
  }
  if (!Array.isArray(raw)) throw new BackendFault(`backend ${backend.info.name} returned ${typeof raw} instead of an array of results`, null);
  if (raw.length !== ops.length) {
    const step = raw.length < ops.length ? raw.length : null;
    throw new BackendFault(`backend ${backend.info.name} returned ${raw.length} results for ${ops.length} operations`, step);
  }
  return ops.map((op, i) => {
    try {
      return family.decodeResult(op, raw[i], `result #${i} (${op.op})`, backend.info);
    } catch (err) {
      if (err instanceof WireError) throw new BackendFault(`backend ${backend.info.name} returned a malformed ${err.message}`, i);
      throw err;
    }
  });
}

/** A stream backend's faults say what happened; anything else threw. */
const describeThrow = (err: unknown): string => (err instanceof StreamFault ? err.message : `threw: ${oneLine(err)}`);

export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
