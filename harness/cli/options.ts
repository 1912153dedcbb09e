// Flags shared by the commands, each checked up front with a one-line message.
import { randomInt } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Family } from '../../spec/family.ts';
import { FAMILIES, findFamily } from '../../families/index.ts';
import { oneLine } from '../check.ts';
import { UsageError, type Shard } from '../suite.ts';

export type Values = Record<string, string | string[] | boolean | undefined>;

export function parse(args: string[], options: ParseArgsConfig['options'], positionals = 0): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(oneLine(err).replace(/\. To specify a positional.*$/, ''));
  }
}

export function integer(value: unknown, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(String(value)) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} needs an integer from ${min} to ${max}, got "${String(value)}"`);
  }
  return n;
}

/** The family named by --family, if any. */
export function familyOption(values: Values): Family | null {
  if (values.family === undefined) return null;
  const family = findFamily(values.family as string);
  if (!family) throw new UsageError(`--family ${String(values.family)}: unknown family (known: ${FAMILIES.map((f) => f.id).join(', ')})`);
  return family;
}

/** Seconds to a timer's milliseconds: Node's timers fire at once beyond 2^31-1 ms. */
export const timeoutOption = (values: Values): number | undefined =>
  values.timeout === undefined ? undefined : integer(values.timeout, '--timeout', 1, 2_147_483) * 1000;

export const SEED_MAX = 0xffffffff;

/** --seed N, or --seed random: a seed picked now, said on stderr so the run can be repeated. */
export function seedOption(values: Values, say: (line: string) => void): number {
  if (values.seed === undefined) return 1;
  if (values.seed !== 'random') return integer(values.seed, '--seed', 0, SEED_MAX);
  const seed = randomInt(0, SEED_MAX + 1);
  say(`vfio-conform: --seed random picked seed ${seed} (the same run again: --seed ${seed})`);
  return seed;
}

/** --duration SECS, a time budget per property, in milliseconds. */
export const durationOption = (values: Values): number | undefined =>
  values.duration === undefined ? undefined : integer(values.duration, '--duration', 1, 2_147_483) * 1000;

/** --runs N; with --duration and no --runs, no cap (null). */
export const runsOption = (values: Values, durationMs: number | undefined): number | null =>
  values.runs !== undefined ? integer(values.runs, '--runs', 1) : durationMs !== undefined ? null : 100;

/** --shard i/n: this job's share of a run split n ways. */
export function shardOption(values: Values): Shard | null {
  if (values.shard === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(String(values.shard));
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard needs i/n with 1 <= i <= n, got "${String(values.shard)}"`);
  }
  return { index, count };
}

export const commonRunOptions = {
  backend: { type: 'string', multiple: true }, seed: { type: 'string' }, runs: { type: 'string' },
  'max-ops': { type: 'string' }, rules: { type: 'string', multiple: true }, cases: { type: 'string' },
  timeout: { type: 'string' }, duration: { type: 'string' },
} as const;

/** The exit status of a command ended by a signal: 128 + its number, as a shell shows it. */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export interface Signals {
  /** The first signal received, or null. */
  received(): string | null;
  /** Stops listening (the command is over). */
  close(): void;
}

/**
 * SIGINT, SIGTERM and SIGHUP: the first ends the command after the step under way (`first` is
 * told at once); a second quits now, after `now` has saved what it can, with the exit status of
 * the first.
 */
export function onSignals(what: string, first: (signal: string) => void = () => {}, now: (signal: string) => void = () => {}): Signals {
  let received: string | null = null;
  const handlers = Object.keys(SIGNAL_EXIT).map((signal) => {
    const handler = () => {
      if (received) {
        try {
          now(received);
        } finally {
          process.exit(SIGNAL_EXIT[received]);
        }
      }
      received = signal;
      process.stderr.write(`\n${signal}: ${what} (${signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'} quits at once)\n`);
      first(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    received: () => received,
    close: () => { for (const [signal, handler] of handlers) process.off(signal, handler); },
  };
}

/** For a command that has no step to finish: a signal ends it at once, with its exit status. */
export function exitOnSignals(): void {
  for (const signal of Object.keys(SIGNAL_EXIT)) process.on(signal, () => process.exit(SIGNAL_EXIT[signal]));
}
