// A conformance run: every selected property against every selected backend.
//
// A backend that cannot be loaded or that faults is recorded and the run goes on with the
// next one; nothing already measured is lost. The report holds no times, so the same seed and
// options give the same report byte for byte.
import { join } from 'node:path';
import type { Family, FamilyOp as Op, Property } from '../spec/family.ts';
import { FAMILIES } from '../families/index.ts';
import { writeCase } from './case-file.ts';
import { oneLine, type Subject, type Violation } from './check.ts';
import { BackendLoadError, loadBackend } from './load-backend.ts';
import { runProperty, type PropertyOutcome } from './run.ts';
import type { Expectations } from './expectations.ts';
import { writeCaseHtml } from './show/write.ts';

export interface SuiteOptions {
  backends: string[];
  /** Only backends of this family; null: any. */
  family: string | null;
  seed: number;
  runs: number;
  maxOps: number;
  /** Rule ID patterns (`*` wildcard); a property runs when it aims at a matching rule. */
  rules: string[];
  casesDir: string;
  /** How long an out-of-process backend may take to answer one request. */
  timeoutMs?: number;
  /** Checked between properties: when it returns true the run ends with what it has. */
  interrupted?: () => boolean;
  /** Known divergences per backend name (expectations files). */
  expectations?: Expectations[];
}

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
  error: string | null;
  properties: PropertyReport[];
}

export interface SuiteEvents {
  backendStart?(spec: string, subject: Subject | null): void;
  caseDone?(property: Property, done: number, total: number): void;
  shrinking?(property: Property, tried: number, length: number): void;
  propertyDone?(backend: string, outcome: PropertyOutcome, report: PropertyReport, subject: Subject): void;
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

export async function runSuite(options: SuiteOptions, events: SuiteEvents = {}): Promise<BackendReport[]> {
  checkRulePatterns(options.rules, options.family ? FAMILIES.filter((f) => f.id === options.family) : FAMILIES);
  const reports: BackendReport[] = [];
  // Case files are named after the backend; two specs whose backends share a name get apart.
  const stems = new Set<string>();
  for (const spec of options.backends) {
    if (options.interrupted?.()) break;
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
      reports.push({ backend: spec, family: null, description: '', profile: null, error: err.message, properties: [] });
      continue;
    }
    const { family, backend } = subject;
    events.backendStart?.(spec, subject);
    const report: BackendReport = { backend: spec, family: family.id, description: backend.info.description, profile: backend.info.profile, error: null, properties: [] };
    reports.push(report);
    const properties = selectProperties(family, options.rules);
    let stem = backend.info.name;
    for (let n = 2; stems.has(stem); n++) stem = `${backend.info.name}.${n}`;
    stems.add(stem);
    const mine = (options.expectations ?? []).filter((e) => e.backend === backend.info.name || e.backend === spec);
    const known = new Set(mine.flatMap((e) => e.known.map((k) => k.rule)));
    for (const property of properties) {
      if (options.interrupted?.()) break;
      const outcome = await runProperty(subject, property, {
        known,
        seed: options.seed, runs: options.runs, maxOps: options.maxOps,
        onCase: (done) => events.caseDone?.(property, done, options.runs),
        onShrink: (tried, length) => events.shrinking?.(property, tried, length),
        ...(options.interrupted ? { interrupted: options.interrupted } : {}),
      });
      const entry = toReport(outcome, (ops, violation, fault, suffix = '') => {
        const path = join(options.casesDir, caseName(stem, property.id + suffix));
        writeCase(path, { family, profile: backend.info.profile, backend: spec, property: property.id, seed: options.seed, ops, info: backend.info, ...(violation ? { violation } : { fault }) });
        writeCaseHtml(path);
        return path;
      });
      report.properties.push(entry);
      events.propertyDone?.(spec, outcome, entry, subject);
      if (outcome.status === 'error') break; // the backend cannot be trusted for the rest
    }
    try {
      await backend.dispose?.();
    } catch (err) {
      report.error ??= `dispose failed: ${oneLine(err)}`;
    }
  }
  return reports;
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
    if (b.error && b.properties.length === 0) t.errors++;
    for (const p of b.properties) {
      if (p.status === 'pass') t.passed++;
      else if (p.status === 'skip') t.skipped++;
      else if (p.status === 'fail') t.failed++;
      else t.errors++;
    }
  }
  return t;
}
