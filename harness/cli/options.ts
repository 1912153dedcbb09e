// Flags shared by the commands, each checked up front with a one-line message.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Family } from '../../spec/family.ts';
import { FAMILIES, findFamily } from '../../families/index.ts';
import { oneLine } from '../check.ts';
import { UsageError } from '../suite.ts';

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

export const commonRunOptions = {
  backend: { type: 'string', multiple: true }, seed: { type: 'string' }, runs: { type: 'string' },
  'max-ops': { type: 'string' }, rules: { type: 'string', multiple: true }, cases: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/**
 * The first Ctrl-C ends the command after the step under way and keeps what it has; the
 * second quits at once.
 */
export function onInterrupt(what: string): () => boolean {
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\ninterrupted: ${what} (Ctrl-C again to quit now)\n`);
  });
  return () => interrupted;
}
