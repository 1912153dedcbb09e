// `vfio-conform diff --backend A --backend B`: where two backends of one family answer
// differently, minimized, with each answer judged by its own backend's model.
import { join } from 'node:path';
import type { FamilyOp, FamilyResult } from '../../spec/family.ts';
import { readCase, writeCase } from '../case-file.ts';
import type { Subject } from '../check.ts';
import { answer, diffProperty, judgeDifference, type Difference, type DiffOutcome } from '../diff.ts';
import { everyDifference, type Kind } from '../diff-every.ts';
import type { RunOptions } from '../run.ts';
import { checkBackendSpec } from '../backend-spec.ts';
import { loadBackend } from '../load-backend.ts';
import { checkOutputDir } from '../outputs.ts';
import { checkRulePatterns, selectProperties, UsageError } from '../suite.ts';
import { visible } from '../text.ts';
import { commonRunOptions, durationOption, integer, onSignals, parse, runsOption, seedOption, SIGNAL_EXIT, timeoutOption } from './options.ts';
import { printedSteps, Progress, widest } from './output.ts';

const VERDICT: Record<Difference['verdict'], (a: string, b: string) => string> = {
  'a-departs': (a) => `${a} departs from the spec`,
  'b-departs': (_, b) => `${b} departs from the spec`,
  'both-conform': () => 'the spec allows both answers',
  'both-depart': () => 'both depart from the spec',
};

export async function diffCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { ...commonRunOptions, case: { type: 'string' }, 'fail-on': { type: 'string' }, every: { type: 'boolean' } });
  const failOn = values['fail-on'] ?? 'difference';
  if (failOn !== 'difference' && failOn !== 'departure') throw new UsageError(`--fail-on ${String(failOn)}: expected difference or departure`);
  const specs = (values.backend as string[] | undefined) ?? [];
  if (specs.length !== 2) throw new UsageError('diff needs exactly two --backend SPEC');
  for (const spec of specs) checkBackendSpec(spec);
  const recorded = values.case === undefined ? null : readCase(values.case as string);
  const timeoutMs = timeoutOption(values);
  const durationMs = durationOption(values);
  const runs = runsOption(values, durationMs);
  const maxOps = values['max-ops'] === undefined ? 40 : integer(values['max-ops'], '--max-ops', 1);
  const rules = (values.rules as string[] | undefined) ?? [];
  const casesDir = (values.cases as string | undefined) ?? 'cases';
  if (!recorded) checkOutputDir(casesDir, '--cases');
  const seed = recorded ? 1 : seedOption(values, (line) => process.stderr.write(line + '\n'));
  const a = await loadBackend(specs[0]!, timeoutMs);
  const b = await loadBackend(specs[1]!, timeoutMs);
  const signals = onSignals('stopping after the current case');
  try {
    if (a.family.id !== b.family.id) throw new UsageError(`diff compares backends of one family: ${specs[0]} is ${a.family.id}, ${specs[1]} is ${b.family.id}`);
    if (recorded) return await replayDifference(a, b, recorded.ops, values.case as string);
    checkRulePatterns(rules, [a.family]);
    const options = { seed, runs: runs ?? 2 ** 31 - 1, maxOps, ...(durationMs !== undefined ? { durationMs } : {}) };
    const interrupted = () => signals.received() !== null;
    const progress = new Progress(process.stderr);
    process.stderr.write(visible(`${a.backend.info.name} (${a.backend.info.profile}) against ${b.backend.info.name} (${b.backend.info.profile})`) + '\n');
    if (values.every) {
      const found = await everyKind(a, b, specs as [string, string], rules, { ...options, interrupted }, progress, casesDir, seed);
      const signal = signals.received();
      const failing = failOn === 'departure' ? found.departures : found.kinds;
      return signal ? SIGNAL_EXIT[signal]! : failing + found.faults > 0 ? 1 : 0;
    }
    let differ = 0;
    let departures = 0;
    let faults = 0;
    for (const property of selectProperties(a.family, rules)) {
      if (interrupted()) break;
      const outcome = await diffProperty(a, b, property, {
        ...options, interrupted,
        onCase: (done) => progress.tick(property.id, done, runs),
        onShrink: (tried, length) => progress.shrink(property.id, tried, length),
      });
      progress.clear();
      process.stderr.write(`  ${visible(summary(outcome))}\n`);
      if (outcome.status === 'error') faults++;
      if (outcome.status !== 'differ') continue;
      differ++;
      if (outcome.difference.verdict !== 'both-conform') departures++;
      const path = join(casesDir, `${stem(a)}--vs--${stem(b)}--${property.id}.case.json`);
      writeCase(path, {
        family: a.family, profile: a.backend.info.profile, backend: specs[0]!, property: property.id, seed, ops: outcome.ops, info: a.backend.info,
        difference: { step: outcome.difference.step, against: specs[1]!, verdict: outcome.difference.verdict },
      });
      printDifference(a, b, outcome.ops, outcome.results, outcome.difference);
      console.log(`  case:   ${path}\n  again:  npx vfio-conform diff --backend '${specs[0]}' --backend '${specs[1]}' --case ${path}\n`);
    }
    const signal = signals.received();
    console.log(`vfio-conform diff: ${differ} ${differ === 1 ? 'property differs' : 'properties differ'}${differ ? ` (${departures} departing from the spec)` : ''}${faults ? `, ${faults} backend faults` : ''}${signal ? ` (interrupted by ${signal})` : ''}`);
    const failing = failOn === 'departure' ? departures : differ;
    return signal ? SIGNAL_EXIT[signal]! : failing + faults > 0 ? 1 : 0;
  } finally {
    signals.close();
    await a.backend.dispose?.();
    await b.backend.dispose?.();
  }
}

/** `--every`: each kind of difference over every property, with one minimized example each. */
async function everyKind(a: Subject, b: Subject, specs: [string, string], rules: string[], options: RunOptions, progress: Progress, casesDir: string, seed: number): Promise<{ kinds: number; departures: number; faults: number }> {
  const known = new Map<string, Kind>();
  let faults = 0;
  let cases = 0;
  for (const property of selectProperties(a.family, rules)) {
    if (options.interrupted?.()) break;
    const outcome = await everyDifference(a, b, property, {
      ...options,
      onCase: (done) => progress.tick(property.id, done, options.runs),
      onShrink: (tried, length) => progress.shrink(property.id, tried, length),
    }, known);
    progress.clear();
    const line = outcome.status === 'done' ? `DONE  ${property.id.padEnd(16)} ${outcome.runs} cases, ${outcome.kinds.length} new kinds of difference`
      : outcome.status === 'skip' ? `SKIP  ${property.id.padEnd(16)} ${outcome.reason}` : `ERROR ${property.id.padEnd(16)} ${outcome.message}`;
    process.stderr.write(`  ${visible(line)}\n`);
    if (outcome.status === 'error') faults++;
    if (outcome.status === 'done') cases += outcome.runs;
  }
  let n = 0;
  for (const kind of known.values()) {
    const path = join(casesDir, `${stem(a)}--vs--${stem(b)}--kind-${++n}.case.json`);
    writeCase(path, {
      family: a.family, profile: a.backend.info.profile, backend: specs[0], property: kind.property, seed, ops: kind.ops, info: a.backend.info,
      difference: { step: kind.difference.step, against: specs[1], verdict: kind.difference.verdict },
    });
    console.log(`KIND ${n}: ${kind.signature}\n  seen in ${kind.cases} ${kind.cases === 1 ? 'case' : 'cases'}, first by ${kind.property}, minimized ${kind.shrunkFrom} -> ${kind.ops.length} operations`);
    printDifference(a, b, kind.ops, kind.results, kind.difference);
    console.log(`  case:   ${path}\n`);
  }
  const departures = [...known.values()].filter((k) => k.difference.verdict !== 'both-conform').length;
  const signal = options.interrupted?.() ? ' (interrupted)' : '';
  console.log(`vfio-conform diff: ${known.size} ${known.size === 1 ? 'kind' : 'kinds'} of difference in ${cases} cases${known.size ? ` (${departures} departing from the spec)` : ''}${faults ? `, ${faults} backend faults` : ''}${signal}`);
  return { kinds: known.size, departures, faults };
}

async function replayDifference(a: Subject, b: Subject, ops: FamilyOp[], path: string): Promise<number> {
  const found = await answer(a, b, ops);
  if (!found) {
    console.log(`no difference: both answer all ${ops.length} operations of ${path} alike`);
    return 0;
  }
  printDifference(a, b, ops, [found.a, found.b], judgeDifference(a, b, found));
  return 1;
}

const stem = (s: Subject): string => s.backend.info.name.replace(/[^\w.~-]+/g, '_');

function summary(o: DiffOutcome): string {
  switch (o.status) {
    case 'same': return `SAME  ${o.property.padEnd(16)} ${o.runs} cases`;
    case 'skip': return `SKIP  ${o.property.padEnd(16)} ${o.reason}`;
    case 'error': return `ERROR ${o.property.padEnd(16)} ${o.message}`;
    case 'differ': return `DIFF  ${o.property.padEnd(16)} at step ${o.difference.step} in case ${o.runs}, minimized ${o.shrunkFrom} -> ${o.ops.length} operations`;
  }
}

function printDifference(a: Subject, b: Subject, ops: readonly FamilyOp[], results: readonly [FamilyResult[], FamilyResult[]], d: Difference): void {
  const { formatOp, formatResult } = a.family;
  const na = visible(a.backend.info.name);
  const nb = visible(b.backend.info.name);
  const width = widest(ops.slice(0, d.step + 1).map(formatOp)) + 2;
  const lines = ['', `DIFFERENCE at step ${d.step}: ${VERDICT[d.verdict](na, nb)}`, ''];
  const index = Math.max(3, String(d.step).length);
  for (const i of printedSteps(d.step - 1)) {
    if (typeof i === 'number') lines.push(`  #${String(i).padEnd(index)} ${formatOp(ops[i]!).padEnd(width)} ${formatResult(results[0][i]!)}`);
    else lines.push(`  ... ${i.omitted} operations not shown (the case file holds them all)`);
  }
  lines.push(`> #${String(d.step).padEnd(index)} ${formatOp(ops[d.step]!)}`);
  for (const [name, side] of [[na, d.a], [nb, d.b]] as const) {
    const expected = side.expected.map(formatResult).join(' or ');
    lines.push(`      ${name}: ${formatResult(side.answer)}  (${side.conforms ? 'conforms to' : 'breaks'} ${side.rule}; its model expects ${expected})`);
  }
  console.log(lines.join('\n') + '\n');
}
