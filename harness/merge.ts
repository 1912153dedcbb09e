// Joining the shards of one run (`run --shard i/n --json ...`) into the report of the whole run.
//
// Every shard must come from the same suite with the same options, each of 1..n exactly once,
// and each finished; anything else is refused, so a merged report never claims more than was
// run. The pairs of a backend come back in the order an unsharded run goes through them, so a
// merged report is the report of the same run without --shard, byte for byte, as long as no
// backend faulted (a fault ends a backend's run in one shard only) and no shard bailed.
import { isRecord } from '../spec/u64.ts';
import { REPORT_FORMAT, runReport, type ReportOptions, type RunReport } from './report.ts';
import { planPairs, shardPairs, UsageError, type BackendReport, type PropertyReport, type Shard } from './suite.ts';

export interface ShardReport { path: string; doc: unknown }

function parseShard(text: unknown): Shard | null {
  const m = typeof text === 'string' ? /^(\d+)\/(\d+)$/.exec(text) : null;
  return m ? { index: Number(m[1]), count: Number(m[2]) } : null;
}

/** The report in `doc`, checked for the fields merging relies on. */
function checked({ path, doc }: ShardReport): RunReport {
  const bad = (what: string) => new UsageError(`${path}: ${what}`);
  if (!isRecord(doc) || doc.format !== REPORT_FORMAT) throw bad(`not a vfio-conform JSON report (no "format": "${REPORT_FORMAT}")`);
  if (typeof doc.suite !== 'string' || !isRecord(doc.options) || !Array.isArray(doc.backends)) throw bad('a report needs "suite", "options" and "backends"');
  const options = doc.options;
  if (!Array.isArray(options.backends) || !options.backends.every((b) => typeof b === 'string') || !Array.isArray(options.rules)) {
    throw bad('"options" needs the "backends" and "rules" of the run');
  }
  for (const [i, b] of doc.backends.entries()) {
    if (!isRecord(b) || typeof b.backend !== 'string' || !Array.isArray(b.properties)) throw bad(`backends[${i}] is not a backend's report`);
  }
  if (doc.finished !== true) throw bad('the run it reports had not finished (a snapshot taken while it ran)');
  return doc as unknown as RunReport;
}

export function mergeReports(inputs: readonly ShardReport[]): RunReport {
  if (inputs.length === 0) throw new UsageError('merge needs the JSON reports of the shards');
  const reports = inputs.map(checked);
  const first = reports[0]!;
  const { shard: _, ...common } = first.options;
  const key = (o: ReportOptions) => {
    const { shard: _s, ...rest } = o;
    return JSON.stringify(rest);
  };
  const shards = new Map<number, string>();
  let count: number | null = null;
  reports.forEach((r, i) => {
    const path = inputs[i]!.path;
    if (r.suite !== first.suite) throw new UsageError(`${path} was written by ${r.suite}, ${inputs[0]!.path} by ${first.suite}`);
    if (key(r.options) !== key(first.options)) {
      const differs = Object.keys({ ...common, ...r.options }).filter((k) => k !== 'shard'
        && JSON.stringify((r.options as unknown as Record<string, unknown>)[k]) !== JSON.stringify((first.options as unknown as Record<string, unknown>)[k]));
      throw new UsageError(`${path} and ${inputs[0]!.path} are not shards of one run: their ${differs.join(', ')} differ`);
    }
    const shard = parseShard(r.options.shard);
    if (!shard) throw new UsageError(`${path} is not the report of a shard (run it with --shard i/n)`);
    if (count !== null && shard.count !== count) throw new UsageError(`${path} is shard ${r.options.shard}, the others are of ${count}`);
    count = shard.count;
    const twice = shards.get(shard.index);
    if (twice) throw new UsageError(`shard ${r.options.shard} appears twice: ${twice} and ${path}`);
    shards.set(shard.index, path);
  });
  const missing = Array.from({ length: count! }, (_, i) => i + 1).filter((i) => !shards.has(i));
  if (missing.length) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing`);

  const options: ReportOptions = { ...first.options, shard: null };
  const plan = planPairs(options);
  const order = (backend: number, family: string | null, property: string) => {
    const k = plan.findIndex((p) => p.backend === backend && p.family === family && p.property === property);
    return k < 0 ? plan.length : k;
  };
  // Each shard holds one entry per backend it had pairs of, in the order of the run.
  const parts: BackendReport[][] = options.backends.map(() => []);
  reports.forEach((r, i) => {
    const shard = parseShard(r.options.shard)!;
    const owned = [...new Set(shardPairs({ ...options, shard }).map((p) => p.backend))];
    if (owned.length !== r.backends.length) throw new UsageError(`${inputs[i]!.path}: holds ${r.backends.length} backends, its shard runs ${owned.length}`);
    owned.forEach((b, j) => {
      const entry = r.backends[j]!;
      if (entry.backend !== options.backends[b]) throw new UsageError(`${inputs[i]!.path}: backends[${j}] is ${entry.backend}, its shard runs ${options.backends[b]} there`);
      parts[b]!.push(entry);
    });
  });
  const backends = parts.flatMap((entries, b): BackendReport[] => {
    if (entries.length === 0) return [];
    const properties: PropertyReport[] = [];
    const seen = new Set<string>();
    const family = entries.find((e) => e.family !== null)?.family ?? null;
    for (const e of entries) {
      for (const p of e.properties) {
        if (seen.has(p.property)) throw new UsageError(`property ${p.property} of backend ${options.backends[b]} is in two shards`);
        seen.add(p.property);
        properties.push(p);
      }
    }
    properties.sort((x, y) => order(b, family, x.property) - order(b, family, y.property));
    return [{
      backend: options.backends[b]!,
      family,
      description: entries.find((e) => e.description)?.description ?? '',
      profile: entries.find((e) => e.profile !== null)?.profile ?? null,
      error: entries.find((e) => e.error !== null)?.error ?? null,
      skipped: entries.every((e) => e.skipped) ? entries[0]!.skipped : null,
      properties,
    }];
  });
  const interrupted = reports.find((r) => r.interrupted)?.interrupted ?? null;
  return runReport(options, backends, true, interrupted);
}
