// vfio-conform: the command line.
//
// Every failure a user can cause (bad flags, unknown backend, unreadable case file, a backend
// that throws or answers garbage) ends in one line on stderr and a non-zero exit, never a stack
// trace. Exit status: 0 conforming, 1 violations or backend faults, 2 bad usage or input.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BUNDLED } from '../../backends/type1/index.ts';
import { FAMILIES, RULES } from '../../spec/type1/rules.ts';
import { PROPERTIES } from '../../properties/type1/catalog.ts';
import { CaseFileError, readCase } from '../case-file.ts';
import { BackendFault, checkCase, oneLine } from '../check.ts';
import { BackendLoadError, KERNEL_BACKENDS, loadBackend } from '../load-backend.ts';
import { writeJsonReport, writeJunitReport } from '../report.ts';
import { runSuite, totals, UsageError, type SuiteOptions } from '../suite.ts';
import { printCase, Progress } from './output.ts';
import { serve } from '../serve.ts';
import { ExpectationsError, readExpectations } from '../expectations.ts';

const USAGE = `usage: vfio-conform <command> [options]

commands:
  run       run the conformance suite (default backends: the bundled correct ones)
              --backend SPEC   bundled name, NAME:key=value,..., or a module path (repeatable)
              --seed N         base seed (default 1)
              --runs N         cases per property (default 100)
              --max-ops N      symbolic operations per case (default 40)
              --rules PATTERN  only properties aimed at matching rule IDs, * wildcard (repeatable)
              --cases DIR      where failing cases are written (default cases)
              --json FILE      write a JSON report
              --junit FILE     write a JUnit XML report
              --timeout SECS   per-request limit for exec: and unix: backends (default 30)
              --expect FILE    an expectations file: rules a backend is known to break (repeatable)
  replay    CASE.json [--backend SPEC]   re-run a written case and show the verdict
  serve     --backend SPEC   serve a backend on stdin/stdout with the protocol of spec/protocol.md
  rules     list the rules and the properties that check them
  backends  list the bundled backends (correct ones and mutants)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run': return run(rest);
    case 'replay': return replay(rest);
    case 'serve': return serveBackend(rest);
    case 'rules': return listRules(rest);
    case 'backends': return listBackends(rest);
    case undefined: case '-h': case '--help': case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}" (commands: run, replay, serve, rules, backends)`);
  }
}

type Values = Record<string, string | string[] | boolean | undefined>;

function parse(args: string[], options: ParseArgsConfig['options'], positionals = 0): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(oneLine(err).replace(/\. To specify a positional.*$/, ''));
  }
}

function integer(value: unknown, flag: string, min: number): number {
  if (value === undefined) return NaN;
  const n = Number(value);
  if (!/^-?\d+$/.test(String(value)) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} needs an integer >= ${min}, got "${String(value)}"`);
  return n;
}

async function run(args: string[]): Promise<number> {
  const { values } = parse(args, {
    backend: { type: 'string', multiple: true }, seed: { type: 'string' }, runs: { type: 'string' },
    'max-ops': { type: 'string' }, rules: { type: 'string', multiple: true }, cases: { type: 'string' },
    json: { type: 'string' }, junit: { type: 'string' }, timeout: { type: 'string' }, expect: { type: 'string', multiple: true },
  });
  const options: SuiteOptions = {
    backends: (values.backend as string[] | undefined) ?? BUNDLED.filter((b) => b.kind === 'correct').map((b) => b.name),
    seed: values.seed === undefined ? 1 : integer(values.seed, '--seed', -(2 ** 31)),
    runs: values.runs === undefined ? 100 : integer(values.runs, '--runs', 1),
    maxOps: values['max-ops'] === undefined ? 40 : integer(values['max-ops'], '--max-ops', 1),
    rules: (values.rules as string[] | undefined) ?? [],
    casesDir: (values.cases as string | undefined) ?? 'cases',
    timeoutMs: values.timeout === undefined ? undefined : integer(values.timeout, '--timeout', 1) * 1000,
    expectations: ((values.expect as string[] | undefined) ?? []).map(readExpectations),
  };
  // The first Ctrl-C ends the run after the case under way and writes the reports; the second quits.
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping after the current case, then writing the reports (Ctrl-C again to quit now)\n');
  });
  options.interrupted = () => interrupted;
  const progress = new Progress(process.stderr);
  const reports = await runSuite(options, {
    backendStart: (spec, backend) => progress.backend(spec, backend),
    caseDone: (property, done, total) => progress.tick(property.id, done, total),
    propertyDone: (_, outcome, report, backend) => {
      progress.property(report);
      if (outcome.status === 'fail') printCase(process.stdout, backend, outcome.ops, outcome.violation, report, outcome.results);
    },
  });
  for (const r of reports) if (r.error && r.properties.length === 0) console.error(`vfio-conform: ${r.error}`);
  if (values.json) writeJsonReport(values.json as string, options, reports);
  if (values.junit) writeJunitReport(values.junit as string, reports);
  const t = totals(reports);
  console.log(`vfio-conform: ${t.passed} passed, ${t.failed + t.errors} failed, ${t.skipped} skipped${interrupted ? ' (interrupted)' : ''}`);
  return interrupted ? 130 : t.failed + t.errors > 0 ? 1 : 0;
}

async function replay(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { backend: { type: 'string' }, timeout: { type: 'string' } }, 1);
  const path = positionals[0];
  if (!path) throw new UsageError('replay needs a CASE.json path');
  const loaded = readCase(path);
  const timeoutMs = values.timeout === undefined ? undefined : integer(values.timeout, '--timeout', 1) * 1000;
  const backend = await loadBackend((values.backend as string | undefined) ?? loaded.backend, timeoutMs);
  try {
    const verdict = await checkCase(backend, loaded.ops);
    if (verdict.ok) {
      console.log(`not reproduced: ${backend.info.name} answers all ${loaded.ops.length} operations of ${path} as the model expects`);
      return 0;
    }
    printCase(process.stdout, backend, loaded.ops, verdict.violation, null, verdict.results);
    const same = loaded.rule === null || loaded.rule === verdict.violation.rule;
    console.log(same ? `reproduced: ${verdict.violation.rule} at step ${verdict.violation.step}`
      : `reproduced a different violation: ${verdict.violation.rule} (the case recorded ${loaded.rule})`);
    return 1;
  } finally {
    await backend.dispose?.();
  }
}

async function serveBackend(args: string[]): Promise<number> {
  const { values } = parse(args, { backend: { type: 'string' } });
  if (!values.backend) throw new UsageError('serve needs --backend SPEC');
  await serve(await loadBackend(values.backend as string), process.stdin, process.stdout);
  return 0;
}

function listRules(args: string[]): number {
  parse(args, {});
  for (const family of Object.keys(FAMILIES) as (keyof typeof FAMILIES)[]) {
    console.log(`${FAMILIES[family]}`);
    for (const rule of RULES.filter((r) => r.family === family)) {
      const by = PROPERTIES.filter((p) => (p.rules as readonly string[]).includes(rule.id)).map((p) => p.id);
      console.log(`  ${rule.id.padEnd(28)} ${rule.level.padEnd(4)} ${rule.profile.padEnd(4)} checked by: ${by.join(', ') || 'NONE'}`);
      console.log(`      ${rule.statement}`);
    }
  }
  return 0;
}

function listBackends(args: string[]): number {
  parse(args, {});
  for (const b of BUNDLED) {
    console.log(`${b.name.padEnd(40)} ${b.kind === 'mutant' ? `mutant, breaks ${b.rule}` : 'correct'}`);
    console.log(`    ${b.description}`);
  }
  for (const [name, k] of Object.entries(KERNEL_BACKENDS)) {
    console.log(`${name.padEnd(40)} real kernel (boots a VM; needs root for apt-get on first use)`);
    console.log(`    ${k.description}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    const input = err instanceof UsageError || err instanceof CaseFileError || err instanceof BackendLoadError || err instanceof ExpectationsError;
    console.error(`vfio-conform: ${input || err instanceof BackendFault ? err.message : `internal error: ${oneLine(err)}`}`);
    process.exitCode = input ? 2 : 1;
  },
);
