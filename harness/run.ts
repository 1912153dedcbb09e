// Running properties against a backend: generate, check, shrink, minimize.
import fc from 'fast-check';
import type { Backend, FamilyOp as Op, FamilyResult as Result, Property } from '../spec/family.ts';
import { BackendFault, checkCase, oneLine, type Subject, type Violation } from './check.ts';
import { minimizeOps } from './minimize.ts';

export interface RunOptions {
  seed: number;
  /** How many cases; with `durationMs`, at most this many. */
  runs: number;
  /**
   * A time budget: no new case starts once it is spent, though the first always runs (a
   * failure found in time is still shrunk). The cases are the same sequence for the same seed;
   * only how many run depends on time.
   */
  durationMs?: number;
  maxOps: number;
  /** Called after every generated case (not during shrinking). */
  onCase?: (done: number) => void;
  /** Called while the concrete minimizer runs, after every candidate it tries. */
  onShrink?: (tried: number, length: number) => void;
  /** When it returns true, no further case is executed and the property reports what it has. */
  interrupted?: () => boolean;
  /**
   * Rules this backend is known to break (an expectations file). A case breaking one is
   * counted and set aside, and generation goes on, so a known divergence hides nothing else.
   */
  known?: ReadonlySet<string>;
}

/** A known divergence seen during a run: how often, and the first case that showed it. */
export interface KnownHit { rule: string; cases: number; ops: Op[]; violation: Violation }

export type PropertyOutcome =
  | { status: 'pass'; property: string; runs: number; ops: number; known: KnownHit[] }
  | { status: 'skip'; property: string; reason: string }
  | { status: 'fail'; property: string; runs: number; seed: number; violation: Violation; ops: Op[]; results: Result[]; shrunkFrom: number }
  | { status: 'error'; property: string; runs: number; seed: number; message: string; ops: Op[] };

/** Why `backend` cannot be judged by `property`, or null when it can. */
export function skipReason(backend: Backend, property: Property): string | null {
  const { profile, capabilities } = backend.info;
  if (property.profiles && !property.profiles.includes(profile)) return `applies to ${property.profiles.join(', ')}, backend is ${profile}`;
  const missing = property.requires.filter((c) => !capabilities.includes(c));
  return missing.length ? `backend lacks ${missing.join(', ')}` : null;
}

/** A per-property seed, so that selecting other properties never changes this one's cases. */
export function propertySeed(seed: number, propertyId: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of propertyId) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h | 0;
}

export async function runProperty(subject: Subject, property: Property, options: RunOptions): Promise<PropertyOutcome> {
  const { backend } = subject;
  const skip = skipReason(backend, property);
  if (skip) return { status: 'skip', property: property.id, reason: skip };

  const seed = propertySeed(options.seed, property.id);
  const deadline = options.durationMs === undefined ? null : Date.now() + options.durationMs;
  let cases = 0;
  let executed = 0;
  let shrinking = false;
  let fault: { message: string; ops: Op[] } | null = null;
  let lastFailure: { ops: Op[]; violation: Violation } | null = null;
  const known = new Map<string, KnownHit>();

  const result = await fc.check(
    fc.asyncProperty(property.cases(backend.info, options.maxOps), async (ops) => {
      // Nothing more to learn: fast-check stops here, keeping any failure found so far.
      if (fault || options.interrupted?.() || (!shrinking && cases > 0 && deadline !== null && Date.now() >= deadline)) throw new fc.PreconditionFailure(true);
      await yieldToEventLoop(); // lets signals and progress through while an in-process backend runs
      if (!shrinking) {
        cases++;
        options.onCase?.(cases);
      }
      try {
        const verdict = await checkCase(subject, ops);
        executed += ops.length;
        if (verdict.ok) return true;
        const rule = verdict.violation.rule;
        if (options.known?.has(rule)) {
          if (!shrinking) {
            const hit = known.get(rule) ?? { rule, cases: 0, ops, violation: verdict.violation };
            known.set(rule, { ...hit, cases: hit.cases + 1 });
          }
          return true; // while shrinking, drifting into a known divergence is not the failure
        }
        lastFailure = { ops, violation: verdict.violation };
        shrinking = true;
        return false;
      } catch (err) {
        if (!(err instanceof BackendFault)) throw err;
        // A SIGTERM or SIGHUP ends the backend under way: that is the interruption, not a fault.
        if (options.interrupted?.()) return true;
        fault = { message: err.message, ops: ops.slice(0, err.step !== null ? err.step + 1 : err.sent ?? ops.length) };
        return true;
      }
    }),
    { seed, numRuns: options.runs },
  );

  if (fault !== null) {
    const f: { message: string; ops: Op[] } = fault;
    return { status: 'error', property: property.id, runs: cases, seed, message: f.message, ops: f.ops };
  }
  if (result.failed && result.errorInstance && !lastFailure) {
    return { status: 'error', property: property.id, runs: cases, seed, message: `internal error: ${oneLine(result.errorInstance)}`, ops: [] };
  }
  const stopped = options.interrupted?.() ?? false;
  if (!lastFailure) {
    if (stopped) return { status: 'skip', property: property.id, reason: `interrupted after ${cases}${deadline === null ? ` of ${options.runs}` : ''} cases` };
    return { status: 'pass', property: property.id, runs: result.numRuns, ops: executed, known: [...known.values()] };
  }

  const failure: { ops: Op[]; violation: Violation } = lastFailure;
  const minimal = stopped ? failure.ops : await minimizeCase(subject, failure.ops, failure.violation, options);
  // The minimal case fails by construction unless the backend is not deterministic.
  const verdict = await checkCase(subject, minimal);
  const final = verdict.ok ? { ops: failure.ops, verdict: await checkCase(subject, failure.ops) } : { ops: minimal, verdict };
  const violation = final.verdict.ok ? failure.violation : final.verdict.violation;
  return {
    status: 'fail', property: property.id, runs: cases, seed, violation,
    ops: final.ops, results: final.verdict.results, shrunkFrom: failure.ops.length,
  };
}

/**
 * Shrink `ops` while it keeps failing the same way: the same rule broken by the same kind of
 * operation with the same expected outcome, so that shrinking never drifts to another bug.
 */
export function minimizeCase(subject: Subject, ops: readonly Op[], violation: Violation, options: Pick<RunOptions, 'interrupted' | 'onShrink'> = {}): Promise<Op[]> {
  const signature = (v: Violation, list: readonly Op[]) =>
    `${v.rule} ${list[v.step]!.op} ${v.expected.ok ? 'ok' : v.expected.errno}`;
  const wanted = signature(violation, ops);
  return minimizeOps(ops, async (candidate) => {
    try {
      const v = await checkCase(subject, candidate);
      return !v.ok && signature(v.violation, candidate) === wanted;
    } catch (err) {
      if (err instanceof BackendFault) return false;
      throw err;
    }
  }, { ...(options.interrupted ? { interrupted: options.interrupted } : {}), ...(options.onShrink ? { onTry: options.onShrink } : {}) });
}

let lastYield = Date.now();

async function yieldToEventLoop(): Promise<void> {
  if (Date.now() - lastYield < 50) return;
  lastYield = Date.now();
  await new Promise((resolve) => setImmediate(resolve));
}
