// vfio-conform: the command line.
//
// Every failure a user can cause (bad flags, unknown backend, unwritable output, unreadable case
// file, a backend that throws or answers garbage) ends in one line on stderr and a non-zero
// exit, never a stack trace. Exit status, the same in every command: 0 conforming (or, for diff,
// no difference), 1 violations, differences or backend faults, 2 bad usage or input, and for a
// command ended by a signal 128 + its number: 130 SIGINT, 143 SIGTERM, 129 SIGHUP.
import { FAMILIES } from '../../families/index.ts';
import { checkBackendSpec } from '../backend-spec.ts';
import { CaseFileError, readCase } from '../case-file.ts';
import { BackendFault, checkCase, oneLine } from '../check.ts';
import { BackendLoadError, isBundledSimulator, loadBackend } from '../load-backend.ts';
import { UsageError } from '../suite.ts';
import { printCase } from './output.ts';
import { serveStdio } from '../serve.ts';
import { ExpectationsError } from '../expectations.ts';
import { diffCommand } from './diff.ts';
import { mergeCommand, MERGE_HELP } from './merge.ts';
import { REPRO_HELP, reproCommand } from './repro.ts';
import { runCommand, RUN_HELP } from './run.ts';
import { SHOW_HELP, showCommand } from './show.ts';
import { visible } from '../text.ts';
import { SUITE_VERSION } from '../version.ts';
import { exitOnSignals, familyOption, parse, timeoutOption } from './options.ts';

const HELP: Record<string, string> = {
  run: RUN_HELP,
  diff: `usage: vfio-conform diff --backend A --backend B [options]
  run the same generated cases against two backends of one family; report and minimize the
  first case of each property where their answers differ, and which side departs from the spec
    --seed N|random, --runs N, --duration SECS, --max-ops N, --rules PATTERN, --cases DIR,
    --timeout SECS   as for run
    --case FILE      re-run a recorded difference instead of generating cases
    --fail-on difference|departure
                     exit 1 on any difference (the default), or only where a side departs from
                     the spec; a difference the spec allows is still printed and written
    --every          run every case to its end and report each kind of difference (the
                     operation, both answers, the rules they are judged by) with one minimized
                     example, not only the first per property; differences in observations do
                     not stop a case, a difference in anything else ends what it can tell`,
  merge: MERGE_HELP,
  replay: `usage: vfio-conform replay CASE.json [--backend SPEC] [--timeout SECS]
  re-run a written case on the bundled backend it names, or on --backend SPEC; a case file
  never starts a process or loads a module by itself`,
  show: SHOW_HELP,
  repro: REPRO_HELP,
  serve: `usage: vfio-conform serve --backend SPEC
  serve a backend on stdin/stdout with the protocol of spec/protocol.md`,
  rules: `usage: vfio-conform rules [--family ID]
  list the rules and the properties that check them`,
  backends: `usage: vfio-conform backends [--family ID]
  list the bundled backends: correct simulators, mutants and real implementations`,
  families: `usage: vfio-conform families
  list the families of DMA-remapping semantics the suite checks`,
};

const USAGE = `usage: vfio-conform <command> [options]

commands:
  run       run the conformance suite
  merge     join the JSON reports of the shards of one run
  diff      compare two backends of one family on the same cases
  replay    re-run a written case file
  show      print a written case file, or draw it as HTML (--html)
  repro     write a case file as a standalone C program for the real system
  serve     serve a backend over the out-of-process protocol
  rules     list the rules
  backends  list the bundled backends
  families  list the families

\`vfio-conform <command> --help\` describes each; \`--version\` prints the version.
exit status: 0 pass, 1 violation, difference or backend fault, 2 bad usage or input,
  130/143/129 ended by SIGINT/SIGTERM/SIGHUP`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command && HELP[command] && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(HELP[command]);
    return 0;
  }
  switch (command) {
    case 'run': return runCommand(rest);
    case 'merge': return mergeCommand(rest);
    case 'diff': return diffCommand(rest);
    case 'replay': return replay(rest);
    case 'show': return showCommand(rest);
    case 'repro': return reproCommand(rest);
    case 'serve': return serveBackend(rest);
    case 'rules': return listRules(rest);
    case 'backends': return listBackends(rest);
    case 'families': return listFamilies(rest);
    case '--version': case 'version':
      console.log(SUITE_VERSION);
      return 0;
    case '-h': case '--help': case 'help':
      console.log(USAGE);
      return 0;
    case undefined:
      console.error(USAGE);
      return 2;
    default:
      throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(HELP).join(', ')})`);
  }
}

async function replay(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { backend: { type: 'string' }, timeout: { type: 'string' } }, 1);
  const path = positionals[0];
  if (!path) throw new UsageError('replay needs a CASE.json path');
  if (values.backend !== undefined) checkBackendSpec(values.backend as string);
  const loaded = readCase(path);
  const timeoutMs = timeoutOption(values);
  exitOnSignals();
  let spec = values.backend as string | undefined;
  if (spec === undefined) {
    // A case file travels by mail and bug tracker: what it names is data, never a command.
    if (!isBundledSimulator(loaded.backend)) {
      throw new UsageError(`${path} names backend ${JSON.stringify(loaded.backend)}, which is not a bundled simulator; a case file never starts a process or loads a module by itself: run it deliberately with --backend SPEC`);
    }
    checkBackendSpec(loaded.backend);
    spec = loaded.backend;
  }
  const subject = await loadBackend(spec, timeoutMs);
  try {
    if (subject.family.id !== loaded.family.id) throw new UsageError(`${path} is a ${loaded.family.id} case; backend ${spec} is of family ${subject.family.id}`);
    const verdict = await checkCase(subject, loaded.ops);
    if (verdict.ok) {
      console.log(`not reproduced: ${visible(subject.backend.info.name)} answers all ${loaded.ops.length} operations of ${path} as the model expects`);
      return 0;
    }
    printCase(process.stdout, subject, loaded.ops, verdict.violation, null, verdict.results);
    const same = loaded.rule === null || loaded.rule === verdict.violation.rule;
    console.log(same ? `reproduced: ${verdict.violation.rule} at step ${verdict.violation.step}`
      : `reproduced a different violation: ${verdict.violation.rule} (the case recorded ${loaded.rule})`);
    return 1;
  } finally {
    await subject.backend.dispose?.();
  }
}

async function serveBackend(args: string[]): Promise<number> {
  const { values } = parse(args, { backend: { type: 'string' } });
  if (!values.backend) throw new UsageError('serve needs --backend SPEC');
  checkBackendSpec(values.backend as string);
  await serveStdio(values.backend as string);
  return 0;
}

function listRules(args: string[]): number {
  const family = familyOption(parse(args, { family: { type: 'string' } }).values);
  for (const f of family ? [family] : FAMILIES) {
    console.log(`# ${f.id}: ${f.title}`);
    for (const [group, heading] of Object.entries(f.groups)) {
      console.log(heading);
      for (const rule of f.rules.filter((r) => r.group === group)) {
        const by = f.properties.filter((p) => p.rules.includes(rule.id)).map((p) => p.id);
        console.log(`  ${rule.id.padEnd(28)} ${rule.level.padEnd(4)} ${(f.ruleBinding?.(rule) ?? rule.profile).padEnd(4)} checked by: ${by.join(', ') || 'NONE'}`);
        console.log(`      ${rule.statement}`);
      }
    }
  }
  return 0;
}

function listBackends(args: string[]): number {
  const family = familyOption(parse(args, { family: { type: 'string' } }).values);
  for (const f of family ? [family] : FAMILIES) {
    for (const b of f.bundled) {
      const kind = b.kind === 'mutant' ? `mutant, breaks ${b.rule}` : b.kind === 'real' ? `real (${b.note})` : 'correct';
      console.log(`${b.name.padEnd(40)} ${f.id.padEnd(8)} ${kind}`);
      console.log(`    ${b.description}`);
    }
  }
  return 0;
}

function listFamilies(args: string[]): number {
  parse(args, {});
  for (const f of FAMILIES) {
    console.log(`${f.id.padEnd(10)} ${f.title}`);
    console.log(`    profiles: ${f.profiles.join(', ')}; ${f.rules.length} rules, ${f.properties.length} properties, ${f.bundled.length} bundled backends`);
  }
  return 0;
}

// Output piped into `head` closes early: the reader is gone, not the run. Nothing more is
// printed there, and the command goes on to write its reports and exit with its true status.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'EIO' || err.code === 'ERR_STREAM_DESTROYED') return;
    throw err;
  });
}

// A command whose work is left pending with nothing to wake it (an in-process backend's
// promise that never settles) would end with status 0 and no summary: it fails instead.
let settled = false;
process.once('beforeExit', () => {
  if (settled) return;
  console.error('vfio-conform: internal error: the command stopped before it finished (a promise that never settles); nothing it printed is a result');
  process.exitCode = 1;
});

main(process.argv.slice(2)).finally(() => { settled = true; }).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // A backend that cannot be started faults (1); what the user typed was checked up front (2).
    const input = err instanceof UsageError || err instanceof CaseFileError || err instanceof ExpectationsError;
    const known = input || err instanceof BackendFault || err instanceof BackendLoadError;
    console.error(`vfio-conform: ${visible(known ? err.message : `internal error: ${oneLine(err)}`)}`);
    process.exitCode = input ? 2 : 1;
  },
);
