// Machine-readable reports: JSON, JUnit XML and TAP 14. None holds a time or a host name, so the
// same seed and options give the same reports byte for byte. Each is a snapshot of the run so
// far: `finished` is false until the run ends, and an interrupted run says by what.
import { findRule } from '../families/index.ts';
import { totals, type BackendReport, type PropertyReport, type SuiteOptions } from './suite.ts';
import { visible } from './text.ts';
import { SUITE_VERSION } from './version.ts';

export const REPORT_FORMAT = 'vfio-conform/report';

/** The options a report records: what it takes to run the same cases again. */
export interface ReportOptions {
  backends: string[];
  family: string | null;
  seed: number;
  runs: number | null;
  maxOps: number;
  rules: string[];
  timeoutMs?: number;
  expectations: unknown[];
  /** Seconds per property, or null: a fixed number of cases. */
  duration: number | null;
  bail: boolean;
  /** "i/n", or null for a whole run. */
  shard: string | null;
}

export interface RunReport {
  format: typeof REPORT_FORMAT;
  suite: string;
  options: ReportOptions;
  /** False while the run is under way: the report is a snapshot. */
  finished: boolean;
  /** The signal that ended the run early, or null. */
  interrupted: string | null;
  totals: ReturnType<typeof totals>;
  backends: BackendReport[];
}

export function reportOptions(o: SuiteOptions): ReportOptions {
  return {
    backends: o.backends, family: o.family, seed: o.seed, runs: o.runs, maxOps: o.maxOps, rules: o.rules,
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    expectations: o.expectations ?? [],
    duration: o.durationMs === undefined ? null : o.durationMs / 1000,
    bail: o.bail ?? false,
    shard: o.shard ? `${o.shard.index}/${o.shard.count}` : null,
  };
}

export function runReport(options: ReportOptions, backends: BackendReport[], finished: boolean, interrupted: string | null): RunReport {
  return { format: REPORT_FORMAT, suite: SUITE_VERSION, options, finished, interrupted, totals: totals(backends), backends };
}

export const jsonReport = (r: RunReport): string => JSON.stringify(r, null, 2) + '\n';

/** What a backend-level error is about: a backend that was never loaded has no profile. */
const backendStep = (b: BackendReport): string => (b.profile === null ? 'load' : 'dispose');

// ---- JUnit XML

/** XML character data: control characters written out, markup escaped; in attributes, breaks too. */
function esc(s: string, attribute = true): string {
  const text = visible(s, true).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return attribute ? text.replace(/\n/g, '&#10;').replace(/\t/g, '&#9;') : text;
}

export function junitXml(r: RunReport): string {
  const all = r.totals;
  const count = (t: typeof all) => t.passed + t.failed + t.skipped + t.errors;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vfio-conform" tests="${count(all)}" failures="${all.failed}" errors="${all.errors}" skipped="${all.skipped}">`,
  ];
  const properties = [
    `      <property name="seed" value="${r.options.seed}"/>`,
    ...(r.options.shard ? [`      <property name="shard" value="${r.options.shard}"/>`] : []),
    ...(r.finished ? [] : ['      <property name="finished" value="false"/>']),
    ...(r.interrupted ? [`      <property name="interrupted" value="${esc(r.interrupted)}"/>`] : []),
  ];
  for (const b of r.backends) {
    const t = totals([b]);
    lines.push(`  <testsuite name="${esc(b.backend)}" tests="${count(t)}" failures="${t.failed}" errors="${t.errors}" skipped="${t.skipped}">`);
    lines.push('    <properties>', ...properties, '    </properties>');
    if (b.error) {
      lines.push(`    <testcase classname="${esc(b.backend)}" name="${backendStep(b)}"><error message="${esc(b.error)}"/></testcase>`);
    } else if (b.skipped && b.properties.length === 0) {
      lines.push(`    <testcase classname="${esc(b.backend)}" name="load"><skipped message="${esc(b.skipped)}"/></testcase>`);
    }
    for (const p of b.properties) {
      const open = `    <testcase classname="${esc(b.backend)}" name="${esc(p.property)}"`;
      switch (p.status) {
        case 'pass': lines.push(`${open}/>`); break;
        case 'skip': lines.push(`${open}><skipped message="${esc(p.reason)}"/></testcase>`); break;
        case 'fail': {
          const rule = findRule(p.rule)?.rule;
          lines.push(`${open}><failure type="${esc(p.rule)}" message="${esc(`${p.rule} violated at step ${p.step}; case ${p.case}`)}">${esc(rule?.statement ?? '', false)}</failure></testcase>`);
          break;
        }
        case 'error': lines.push(`${open}><error message="${esc(p.message)}"/></testcase>`); break;
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

// ---- TAP 14

/**
 * One test point: a property on a backend, or a backend that could not be loaded or was never
 * started (`entry` null). `key` names it stably within a run; `render` writes it as TAP.
 */
export interface TestPoint {
  key: string;
  backend: BackendReport;
  entry: PropertyReport | null;
  render: (n: number) => string;
}

/** A YAML double-quoted scalar: JSON's escapes, with what YAML also forbids escaped. */
const yamlString = (s: string): string =>
  JSON.stringify(visible(s, true)).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A test point's description: one line, `#` and `\` escaped as TAP 14 asks. */
const description = (s: string): string => visible(s).replace(/[\\#]/g, (c) => `\\${c}`);

function point(ok: boolean, name: string, directive: string | null, diagnostics: Record<string, string | number> | null): (n: number) => string {
  return (n) => {
    const lines = [`${ok ? 'ok' : 'not ok'} ${n} - ${description(name)}${directive ? ` # ${directive}` : ''}`];
    if (diagnostics) {
      lines.push('  ---');
      for (const [k, v] of Object.entries(diagnostics)) lines.push(`  ${k}: ${typeof v === 'number' ? v : yamlString(v)}`);
      lines.push('  ...');
    }
    return lines.join('\n');
  };
}

function propertyPoint(backend: string, p: PropertyReport): (n: number) => string {
  const name = `${backend}: ${p.property}`;
  switch (p.status) {
    case 'pass': return point(true, name, null, p.known ? { known: p.known.map((k) => `${k.rule} in ${k.cases} cases`).join(', ') } : null);
    case 'skip': return point(true, name, `SKIP ${visible(p.reason)}`, null);
    case 'fail': return point(false, name, null, { message: `${p.rule} violated at step ${p.step}`, rule: p.rule, step: p.step, case: p.case, ops: p.ops, shrunkFrom: p.shrunkFrom });
    case 'error': return point(false, name, null, { message: p.message, ...(p.case ? { case: p.case } : {}) });
  }
}

/** The test points of the run so far, in report order. */
export function testPoints(backends: readonly BackendReport[]): TestPoint[] {
  const out: TestPoint[] = [];
  backends.forEach((b, i) => {
    if (b.error) out.push({ key: `${i}`, backend: b, entry: null, render: point(false, `${b.backend}: ${backendStep(b)}`, null, { message: b.error }) });
    else if (b.skipped && b.properties.length === 0) out.push({ key: `${i}`, backend: b, entry: null, render: point(true, b.backend, `SKIP ${visible(b.skipped)}`, null) });
    b.properties.forEach((p, j) => out.push({ key: `${i}/${j}`, backend: b, entry: p, render: propertyPoint(b.backend, p) }));
  });
  return out;
}

export const tapHeader = (r: RunReport): string[] =>
  ['TAP version 14', `# ${r.suite}, seed ${r.options.seed}${r.options.shard ? `, shard ${r.options.shard}` : ''}`];

/** What follows the last test point: the plan once the run is over, and a bail-out when it was cut short. */
export function tapTrailer(r: RunReport, points: number): string[] {
  if (!r.finished) return [];
  return [`1..${points}`, ...(r.interrupted ? [`Bail out! interrupted by ${visible(r.interrupted)}`] : [])];
}

export function tapReport(r: RunReport): string {
  const points = testPoints(r.backends);
  return [...tapHeader(r), ...points.map((p, i) => p.render(i + 1)), ...tapTrailer(r, points.length)].join('\n') + '\n';
}
