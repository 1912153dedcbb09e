// Running one concrete case on a backend and judging every answer against the model.
import type { Backend } from '../spec/type1/backend.ts';
import type { Op, Result } from '../spec/type1/ops.ts';
import { decodeResult, WireError } from '../spec/type1/wire.ts';
import type { RuleId } from '../spec/type1/rules.ts';
import { SystemModel, type Expectation } from '../models/type1/system.ts';
import { sameResult } from './compare.ts';
import { StreamFault } from './stream-backend.ts';

export interface Violation {
  /** Index in the case's op list of the first wrong answer. */
  step: number;
  rule: RuleId;
  alsoBroken: RuleId[];
  expected: Result;
  accepted: Result[];
  actual: Result;
}

/** The backend could not be judged: it threw, stopped early or answered malformed data. */
export class BackendFault extends Error {
  constructor(message: string, readonly step: number | null) {
    super(message);
  }
}

/** The backend's answers, and the first wrong one if any. */
export type CaseVerdict = { ok: true; results: Result[] } | { ok: false; results: Result[]; violation: Violation };

/** Execute `ops` on a freshly reset backend and return the first violation, if any. */
export async function checkCase(backend: Backend, ops: readonly Op[]): Promise<CaseVerdict> {
  const results = await executeCase(backend, ops);
  const model = new SystemModel(backend.info);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const expectation = model.apply(op);
    const actual = results[i]!;
    if (!conforms(expectation, actual)) {
      return {
        ok: false,
        results,
        violation: {
          step: i,
          rule: model.blame(op, expectation, actual),
          alsoBroken: expectation.alsoBroken ?? [],
          expected: expectation.result,
          accepted: expectation.accept ?? [],
          actual,
        },
      };
    }
  }
  return { ok: true, results };
}

const conforms = (e: Expectation, actual: Result): boolean =>
  sameResult(e.result, actual) || (e.accept ?? []).some((r) => sameResult(r, actual));

async function executeCase(backend: Backend, ops: readonly Op[]): Promise<Result[]> {
  let raw: readonly unknown[];
  try {
    await backend.reset();
    raw = await backend.execute(ops);
  } catch (err) {
    const what = err instanceof StreamFault ? err.message : `threw: ${oneLine(err)}`;
    throw new BackendFault(`backend ${backend.info.name} ${what}`, null);
  }
  if (!Array.isArray(raw)) throw new BackendFault(`backend ${backend.info.name} returned ${typeof raw} instead of an array of results`, null);
  if (raw.length < ops.length) {
    throw new BackendFault(`backend ${backend.info.name} returned ${raw.length} results for ${ops.length} operations`, raw.length);
  }
  return ops.map((op, i) => {
    try {
      return decodeResult(op.op, raw[i], `result #${i} (${op.op})`);
    } catch (err) {
      if (err instanceof WireError) throw new BackendFault(`backend ${backend.info.name} returned a malformed ${err.message}`, i);
      throw err;
    }
  });
}

export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
