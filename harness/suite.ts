// A conformance run: every selected property against every selected backend.
//
// A backend that cannot be loaded or that faults is recorded and the run goes on with the
// next one; nothing already measured is lost, and what was not run (after a fault, an
// interruption or --bail) is recorded as skipped, with the reason. The report holds no times,
// so the same seed and options give the same report byte for byte.
import { join } from 'node:path';
import type { Family, FamilyOp as Op, Property } from '../spec/family.ts';
import { FAMILIES, findFamily } from '../families/index.ts';
import { writeCase } from './case-file.ts';
import { oneLine, type Subject, type Violation } from './check.ts';
import { BackendLoadError, findBundled, loadBackend, parseBackendSpec } from './load-backend.ts';
import { runProperty, type PropertyOutcome } from './run.ts';
import type { Expectations } from './expectations.ts';
import { writeCaseHtml } from './show/write.ts';

export interface SuiteOptions {
  backends: string[];
  /** Only backends of this family; null: any. */
  family: string | null;
  seed: number;
  /** Cases per property; with `durationMs`, a cap (null: none). */
  runs: number | null;
  /**
   * A time budget per property: new cases run until it is spent or `runs` are done. The same
   * seed still generates the same sequence of cases; only how many run depends on time.
   */
  durationMs?: number;
  maxOps: number;
  /** Rule ID patterns (`*` wildcard); a property runs when it aims at a matching rule. */
  rules: string[];
  casesDir: string;
  /** How long an out-of-process backend may take to answer one request. */
  timeoutMs?: number;
  /**
   * Checked between cases: when it names a cause (a signal), the run ends with what it has and
   * records the rest as not run.
   */
  interrupted?: () => string | null;
  /** Known divergences per backend name (expectations files). */
  expectations?: Expectations[];
  /** End the run at the first failing property or faulting backend. */
  bail?: boolean;
  /** Run only this share of the (backend, property) pairs; index from 1 to count. */
  shard?: Shard | null;
}

export interface Shard { index: number; count: number }

export type PropertyReport =
  | { property: string; status: 'pass'; runs: number; known?: { rule: string; cases: number; case: string }[] }
  | { property: string; status: 'skip'; reason: string }
  | { property: string; status: 'fail'; runs: number; rule: string; step: number; case: string; ops: number; shrunkFrom: number }
  | { property: string; status: 'error'; message: string; case: string | null };

export interface BackendReport {
  backend: string;
  family: string | null;
  description: string;
  profile: string | null;
  /**
   * Why it could not be loaded (`profile` is then null) or disposed of; a backend-level fault,
   * counted as one error besides its properties.
   */
  error: string | null;
  /** Why the backend was never started (an interruption, --bail), or null. */
  skipped: string | null;
  properties: PropertyReport[];
}

export interface SuiteEvents {
  backendStart?(spec: string, subject: Subject | null): void;
  caseDone?(property: Property, done: number, total: number | null): void;
  shrinking?(property: Property, tried: number, length: number): void;
  propertyDone?(backend: string, outcome: PropertyOutcome, report: PropertyReport, subject: Subject): void;
  /** After every change to the reports (a backend started, a property recorded, run or not). */
  update?(reports: readonly BackendReport[]): void;
}

export class UsageError extends Error {}

const patternRegex = (p: string): RegExp =>
  new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*') + '$', 'i');

/** Fails when a pattern matches no rule of the families in play. */
export function checkRulePatterns(patterns: readonly string[], families: readonly Family[] = FAMILIES): void {
  for (const p of patterns) {
    const re = patternRegex(p);
    if (!families.some((f) => f.rules.some((r) => re.test(r.id)))) throw new UsageError(`--rules ${p} matches no rule (\`vfio-conform rules\` lists them)`);
  }
}

/** The family's properties aimed at a rule matching one of `patterns` (all when none). */
export function selectProperties(family: Family, patterns: readonly string[]): Property[] {
  if (patterns.length === 0) return [...family.properties];
  const regexes = patterns.map(patternRegex);
  return family.properties.filter((prop) => prop.rules.some((id) => regexes.some((re) => re.test(id))));
}

const caseName = (backend: string, property: string): string =>
  `${backend.replace(/[^\w.~-]+/g, '_')}--${property}.case.json`;

/** How many cases fast-check is asked for when only a time budget bounds a property. */
const UNBOUNDED_RUNS = 2 ** 31 - 1;

/** One unit of work: a property on a backend, or a backend with no property to run (its load). */
export interface Pair { backend: number; family: string | null; property: string | null }

type PlanOptions = Pick<SuiteOptions, 'backends' | 'family' | 'rules'>;

const familiesInPlay = (o: PlanOptions): readonly Family[] => (o.family ? FAMILIES.filter((f) => f.id === o.family) : FAMILIES);

/** The family of a bundled backend, by its spec; undefined for anything else. */
function bundledFamily(spec: string): Family | undefined {
  if (spec.startsWith('exec:') || spec.startsWith('unix:')) return undefined;
  try {
    return findBundled(parseBackendSpec(spec).target)?.family;
  } catch {
    return undefined; // a malformed spec fails when it is loaded
  }
}

/** The families a backend may be of, as far as is known without loading it. */
function candidateFamilies(spec: string, o: PlanOptions): readonly Family[] {
  const bundled = bundledFamily(spec);
  return bundled ? familiesInPlay(o).filter((f) => f === bundled) : familiesInPlay(o);
}

/**
 * Every pair of the run in the order it goes through them, from the options alone (no backend
 * is loaded): each backend's selected properties, for every family it may be of, or the backend
 * alone when none is selected. `--shard i/n` takes the pairs i, i+n, i+2n... of this order.
 */
export function planPairs(o: PlanOptions): Pair[] {
  const pairs: Pair[] = [];
  o.backends.forEach((spec, backend) => {
    const before = pairs.length;
    for (const f of candidateFamilies(spec, o)) for (const p of selectProperties(f, o.rules)) pairs.push({ backend, family: f.id, property: p.id });
    if (pairs.length === before) pairs.push({ backend, family: null, property: null });
  });
  return pairs;
}

/** The properties of `family` among a backend's `pairs` (all selected ones for a backend taken whole). */
function propertiesOf(family: Family, rules: readonly string[], pairs: readonly Pair[]): Property[] {
  const whole = pairs.some((p) => p.property === null);
  return selectProperties(family, rules).filter((p) => whole || pairs.some((x) => x.family === family.id && x.property === p.id));
}

/** The pairs a shard takes (all of them without a shard). */
export function shardPairs(o: PlanOptions & Pick<SuiteOptions, 'shard'>): Pair[] {
  const { shard } = o;
  return planPairs(o).filter((_, k) => !shard || k % shard.count === shard.index - 1);
}

export async function runSuite(options: SuiteOptions, events: SuiteEvents = {}): Promise<BackendReport[]> {
  checkRulePatterns(options.rules, options.family ? FAMILIES.filter((f) => f.id === options.family) : FAMILIES);
  if (options.runs === null && options.durationMs === undefined) throw new UsageError('a run needs a number of cases or a time budget');
  const reports: BackendReport[] = [];
  const changed = () => events.update?.(reports);
  const mine = shardPairs(options);
  // Case files are named after the backend; two specs whose backends share a name get apart.
  const stems = new Set<string>();
  let bailed: string | null = null;
  const stopped = (): string | null => {
    const cause = options.interrupted?.() ?? null;
    return cause ? `interrupted by ${cause}` : bailed;
  };
  for (const [index, spec] of options.backends.entries()) {
    const pairs = mine.filter((p) => p.backend === index);
    if (pairs.length === 0) continue;
    if (stopped()) break;
    let subject: Subject;
    try {
      subject = await loadBackend(spec, options.timeoutMs);
      if (options.family && subject.family.id !== options.family) {
        await subject.backend.dispose?.();
        throw new BackendLoadError(`backend ${spec} is of family ${subject.family.id}, not ${options.family}`);
      }
    } catch (err) {
      if (!(err instanceof BackendLoadError)) throw err;
      events.backendStart?.(spec, null);
      // Its properties are listed as not run when its family is known without loading it.
      const candidates = candidateFamilies(spec, options);
      const known = candidates.length === 1 ? candidates[0]! : null;
      const notRun = known ? propertiesOf(known, options.rules, pairs) : [];
      reports.push({
        backend: spec, family: known?.id ?? null, description: '', profile: null, error: err.message, skipped: null,
        properties: notRun.map((p) => ({ property: p.id, status: 'skip', reason: 'not run: the backend could not be loaded' })),
      });
      if (options.bail) bailed = `not run: --bail after ${spec} could not be loaded`;
      changed();
      continue;
    }
    const { family, backend } = subject;
    events.backendStart?.(spec, subject);
    const report: BackendReport = { backend: spec, family: family.id, description: backend.info.description, profile: backend.info.profile, error: null, skipped: null, properties: [] };
    reports.push(report);
    changed();
    const properties = propertiesOf(family, options.rules, pairs);
    let stem = backend.info.name;
    for (let n = 2; stems.has(stem); n++) stem = `${backend.info.name}.${n}`;
    stems.add(stem);
    const expected = (options.expectations ?? []).filter((e) => e.backend === backend.info.name || e.backend === spec);
    const known = new Set(expected.flatMap((e) => e.known.map((k) => k.rule)));
    const runs = options.runs ?? UNBOUNDED_RUNS;
    for (const [i, property] of properties.entries()) {
      if (stopped()) break;
      const outcome = await runProperty(subject, property, {
        known,
        seed: options.seed, runs, maxOps: options.maxOps,
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
        onCase: (done) => events.caseDone?.(property, done, options.runs),
        onShrink: (tried, length) => events.shrinking?.(property, tried, length),
        ...(options.interrupted ? { interrupted: () => options.interrupted!() !== null } : {}),
      });
      const entry = toReport(outcome, (ops, violation, fault, suffix = '') => {
        const path = join(options.casesDir, caseName(stem, property.id + suffix));
        const answers = violation && outcome.status === 'fail' ? { answers: outcome.results.slice(0, violation.step) } : {};
        writeCase(path, { family, profile: backend.info.profile, backend: spec, property: property.id, seed: options.seed, ops, info: backend.info, ...answers, ...(violation ? { violation } : { fault }) });
        writeCaseHtml(path);
        return path;
      });
      report.properties.push(entry);
      if (options.bail && (entry.status === 'fail' || entry.status === 'error')) bailed = `not run: --bail after ${entry.status === 'fail' ? 'the failure' : 'the fault'} of ${property.id} on ${spec}`;
      if (outcome.status === 'error') {
        // The backend cannot be trusted for the rest.
        for (const rest of properties.slice(i + 1)) report.properties.push({ property: rest.id, status: 'skip', reason: `not run: the backend faulted in ${property.id}` });
      }
      changed(); // on disk before it is on the terminal
      events.propertyDone?.(spec, outcome, entry, subject);
      if (outcome.status === 'error') break;
    }
    try {
      await backend.dispose?.();
    } catch (err) {
      report.error ??= `dispose failed: ${oneLine(err)}`;
      changed();
    }
  }
  const cause = stopped();
  if (cause) {
    recordNotRun(reports, options, cause.startsWith('not run:') ? cause : `not run: ${cause}`);
    changed();
  }
  return reports;
}

/**
 * Records what the run did not reach as skipped with `reason`: the remaining properties of the
 * backend under way and every backend not started (with its properties when its family is known
 * without loading it). Safe to call at any moment; calling it again adds nothing.
 */
export function recordNotRun(reports: BackendReport[], options: SuiteOptions, reason: string): void {
  const mine = shardPairs(options);
  const owned = options.backends.map((spec, index) => ({ spec, pairs: mine.filter((p) => p.backend === index) })).filter((b) => b.pairs.length > 0);
  owned.forEach(({ spec, pairs }, i) => {
    let entry = reports[i];
    if (!entry) {
      const candidates = candidateFamilies(spec, options);
      const family = candidates.length === 1 ? candidates[0] : undefined;
      entry = { backend: spec, family: family?.id ?? null, description: '', profile: null, error: null, skipped: reason, properties: [] };
      reports.push(entry);
    }
    if (entry.error !== null && entry.profile === null) return; // could not be loaded: recorded as such
    const family = entry.family ? findFamily(entry.family) : undefined;
    if (!family) return;
    for (const p of propertiesOf(family, options.rules, pairs)) {
      if (!entry.properties.some((x) => x.property === p.id)) entry.properties.push({ property: p.id, status: 'skip', reason });
    }
  });
}

type Save = (ops: Op[], v?: Violation, fault?: string, suffix?: string) => string;

function toReport(o: PropertyOutcome, save: Save): PropertyReport {
  switch (o.status) {
    case 'pass':
      if (o.known.length === 0) return { property: o.property, status: 'pass', runs: o.runs };
      return {
        property: o.property, status: 'pass', runs: o.runs,
        known: o.known.map((k) => ({ rule: k.rule, cases: k.cases, case: save(k.ops, k.violation, undefined, `--known-${k.rule}`) })),
      };
    case 'skip': return { property: o.property, status: 'skip', reason: o.reason };
    case 'fail':
      return { property: o.property, status: 'fail', runs: o.runs, rule: o.violation.rule, step: o.violation.step,
        case: save(o.ops, o.violation), ops: o.ops.length, shrunkFrom: o.shrunkFrom };
    case 'error':
      return { property: o.property, status: 'error', message: o.message, case: o.ops.length ? save(o.ops, undefined, o.message) : null };
  }
}

export function totals(reports: readonly BackendReport[]): { passed: number; failed: number; skipped: number; errors: number } {
  const t = { passed: 0, failed: 0, skipped: 0, errors: 0 };
  for (const b of reports) {
    if (b.error) t.errors++; // it could not be loaded, or not disposed of
    else if (b.skipped && b.properties.length === 0) t.skipped++;
    for (const p of b.properties) {
      if (p.status === 'pass') t.passed++;
      else if (p.status === 'skip') t.skipped++;
      else if (p.status === 'fail') t.failed++;
      else t.errors++;
    }
  }
  return t;
}
