// `vfio-conform merge`: the shards of one run, joined into the reports of the whole run.
import { readFileSync } from 'node:fs';
import { mergeReports } from '../merge.ts';
import { checkOutputs, writeFileAtomic } from '../outputs.ts';
import { jsonReport, junitXml, tapReport } from '../report.ts';
import { UsageError } from '../suite.ts';
import { parse, SIGNAL_EXIT } from './options.ts';

export const MERGE_HELP = `usage: vfio-conform merge [--json FILE] [--junit FILE] [--tap FILE|-] SHARD.json...
  join the JSON reports of the shards of one run (\`run --shard I/N --json FILE\`, same options
  otherwise) into the reports of the whole run; every shard must be there, once, and finished.
  Exit status: the whole run's (0 pass, 1 failures or faults, 130/143/129 a shard was interrupted)`;

export function mergeCommand(args: string[]): number {
  const { values, positionals } = parse(args, { json: { type: 'string' }, junit: { type: 'string' }, tap: { type: 'string' } }, Infinity);
  if (positionals.length === 0) throw new UsageError('merge needs the JSON reports of the shards');
  const inputs = positionals.map((path) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? 'error'})`}`);
    }
    try {
      return { path, doc: JSON.parse(text) as unknown };
    } catch (err) {
      throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`);
    }
  });
  const merged = mergeReports(inputs);
  const { json, junit, tap } = values as { json?: string; junit?: string; tap?: string };
  checkOutputs([['--json', json], ['--junit', junit], ['--tap', tap === '-' ? undefined : tap]]);
  if (json) writeFileAtomic(json, jsonReport(merged));
  if (junit) writeFileAtomic(junit, junitXml(merged));
  if (tap === '-') process.stdout.write(tapReport(merged));
  else if (tap) writeFileAtomic(tap, tapReport(merged));
  const t = merged.totals;
  const out = tap === '-' ? process.stderr : process.stdout;
  out.write(`vfio-conform: ${t.passed} passed, ${t.failed + t.errors} failed, ${t.skipped} skipped${merged.interrupted ? ` (interrupted by ${merged.interrupted})` : ''}\n`);
  return merged.interrupted ? SIGNAL_EXIT[merged.interrupted] ?? 1 : t.failed + t.errors > 0 ? 1 : 0;
}
