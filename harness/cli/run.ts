// `vfio-conform run`: the conformance suite, with its results on disk as they happen.
//
// Everything a user can get wrong (flags, backend names, output paths) is checked before the
// first backend starts. The reports are rewritten after every property and the event log is
// appended to as things happen, so a run that is stopped keeps all it finished. The first
// SIGINT, SIGTERM or SIGHUP ends the run after the case under way: what was not run is recorded
// as skipped, every report says the run was interrupted and by what, and the exit status is
// 128 + the signal's number. A second signal quits at once, after the same final write.
import { FAMILIES } from '../../families/index.ts';
import { checkBackendSpec } from '../backend-spec.ts';
import { readExpectations } from '../expectations.ts';
import { checkOutputs } from '../outputs.ts';
import { Recorder } from '../recorder.ts';
import { reportOptions } from '../report.ts';
import { checkRulePatterns, recordNotRun, runSuite, totals, type BackendReport, type SuiteOptions } from '../suite.ts';
import { visible } from '../text.ts';
import { endPeers } from '../stream-backend.ts';
import { commonRunOptions, durationOption, familyOption, integer, onSignals, parse, runsOption, seedOption, shardOption, SIGNAL_EXIT, timeoutOption } from './options.ts';
import { printCase, Progress } from './output.ts';

export const RUN_HELP = `usage: vfio-conform run [options]
  run every property against every backend (default: the bundled correct ones)
    --backend SPEC   bundled name, NAME:key=value,..., a module path, exec:CMD or unix:PATH (repeatable)
    --family ID      only backends and rules of this family (\`vfio-conform families\`)
    --seed N|random  base seed, 0..4294967295 (default 1); random picks one and prints it
    --runs N         cases per property (default 100; with --duration, a cap)
    --duration SECS  a time budget per property instead of a number of cases
    --max-ops N      symbolic operations per case (default 40)
    --rules PATTERN  only properties aimed at matching rule IDs, * wildcard (repeatable)
    --bail           stop at the first failing property or faulting backend
    --shard I/N      run only this share of the (backend, property) pairs (\`merge\` joins the shards)
    --cases DIR      where failing cases are written (default cases)
    --json FILE      write a JSON report (rewritten after every property)
    --junit FILE     write a JUnit XML report (rewritten after every property)
    --tap FILE|-     write TAP 14 to FILE; - writes it to stdout as it happens (the rest goes to stderr)
    --events FILE    an event log, one JSON line per event, written as it happens
    --timeout SECS   per-request limit for backend modules and out-of-process backends (default 30)
    --expect FILE    an expectations file: rules a backend is known to break (repeatable)`;

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...commonRunOptions, family: { type: 'string' },
    json: { type: 'string' }, junit: { type: 'string' }, tap: { type: 'string' }, events: { type: 'string' },
    expect: { type: 'string', multiple: true }, bail: { type: 'boolean' }, shard: { type: 'string' },
  });
  const family = familyOption(values);
  const backends = (values.backend as string[] | undefined) ?? (family ? [family] : FAMILIES).flatMap((f) => f.defaultBackends);
  for (const spec of backends) checkBackendSpec(spec);
  const durationMs = durationOption(values);
  const options: SuiteOptions = {
    backends,
    family: family?.id ?? null,
    seed: 0,
    runs: runsOption(values, durationMs),
    ...(durationMs !== undefined ? { durationMs } : {}),
    maxOps: values['max-ops'] === undefined ? 40 : integer(values['max-ops'], '--max-ops', 1),
    rules: (values.rules as string[] | undefined) ?? [],
    casesDir: (values.cases as string | undefined) ?? 'cases',
    timeoutMs: timeoutOption(values),
    expectations: ((values.expect as string[] | undefined) ?? []).map(readExpectations),
    bail: values.bail === true,
    shard: shardOption(values),
  };
  checkRulePatterns(options.rules, family ? [family] : FAMILIES);
  const outputs = {
    json: values.json as string | undefined, junit: values.junit as string | undefined,
    tap: values.tap as string | undefined, events: values.events as string | undefined,
  };
  checkOutputs([['--json', outputs.json], ['--junit', outputs.junit], ['--tap', outputs.tap === '-' ? undefined : outputs.tap], ['--events', outputs.events]],
    [['--cases', options.casesDir]]);
  // Only now, with everything checked: a random seed is said once, for a run that happens.
  options.seed = seedOption(values, (line) => process.stderr.write(line + '\n'));

  // With TAP on stdout, stdout holds TAP only: what a person reads goes to stderr.
  const out = outputs.tap === '-' ? process.stderr : process.stdout;
  const recorder = new Recorder(outputs, reportOptions(options), process.stdout, (line) => process.stderr.write(line + '\n'));
  let live: BackendReport[] = [];
  const summary = (signal: string | null) => {
    const t = totals(live);
    out.write(`vfio-conform: ${t.passed} passed, ${t.failed + t.errors} failed, ${t.skipped} skipped${signal ? ` (interrupted by ${signal})` : ''}\n`);
  };
  const signals = onSignals('stopping after the current case, then writing the reports',
    (signal) => {
      recorder.signal(signal);
      // A CI cancel or a hang-up does not wait for a backend that may never answer.
      if (signal !== 'SIGINT') void endPeers();
    },
    (signal) => {
      // The second signal: what was not run is recorded as such, and the reports are final.
      recordNotRun(live, options, `not run: interrupted by ${signal}`);
      recorder.finish(live, SIGNAL_EXIT[signal]!);
      summary(signal);
    });
  options.interrupted = signals.received;

  recorder.start();
  const progress = new Progress(process.stderr);
  try {
    live = await runSuite(options, {
      backendStart: (spec, subject) => {
        recorder.backend(spec, subject); // on disk before it is on the terminal
        progress.backend(spec, subject);
      },
      caseDone: (property, done, total) => progress.tick(property.id, done, total),
      shrinking: (property, tried, length) => progress.shrink(property.id, tried, length),
      propertyDone: (_, outcome, report, subject) => {
        progress.property(report);
        if (outcome.status === 'fail') printCase(out, subject, outcome.ops, outcome.violation, report, outcome.results);
      },
      update: (reports) => {
        live = reports as BackendReport[];
        recorder.update(reports);
      },
    });
  } catch (err) {
    // An internal error still leaves the reports of what was done, marked unfinished.
    recorder.update(live);
    throw err;
  }
  signals.close();
  progress.clear();
  for (const r of live) if (r.error) process.stderr.write(`vfio-conform: ${visible(r.error)}\n`);
  const signal = signals.received();
  const t = totals(live);
  const code = signal ? SIGNAL_EXIT[signal]! : t.failed + t.errors > 0 || recorder.writeFailed ? 1 : 0;
  recorder.finish(live, code);
  summary(signal);
  return code;
}
