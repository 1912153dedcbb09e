// What the terminal shows: progress on stderr, failing cases on stdout.
import { readFileSync } from 'node:fs';
import type { FamilyOp as Op, FamilyResult as Result } from '../../spec/family.ts';
import type { Subject, Violation } from '../check.ts';
import { isBundledSimulator } from '../load-backend.ts';
import type { PropertyReport } from '../suite.ts';
import { viewLines } from '../show/write.ts';
import { visible } from '../text.ts';

type Stream = NodeJS.WriteStream;

/** Live counters on a terminal; one line per property everywhere else (CI logs). */
export class Progress {
  private current = '';
  constructor(private readonly out: Stream) {}

  backend(spec: string, subject: Subject | null): void {
    this.out.write(visible(subject ? `${spec}: ${subject.backend.info.description}` : `${spec}: could not be loaded`) + '\n');
  }

  private lastLine = Date.now();

  /** A live counter on a terminal; elsewhere a line at most every 10 s, for slow backends. */
  tick(property: string, done: number, total: number | null): void {
    this.live(`${property.padEnd(16)} ${done}${total === null ? '' : `/${total}`} cases`);
  }

  /** Shrinking a failure can take long with a slow backend: it shows too. */
  shrink(property: string, tried: number, length: number): void {
    this.live(`${property} minimizing: ${tried} candidates tried, ${length} operations left`);
  }

  private live(text: string): void {
    if (!this.out.isTTY) {
      if (Date.now() - this.lastLine < 10_000) return;
      this.lastLine = Date.now();
      this.out.write(`  ...   ${text}\n`);
      return;
    }
    const line = `  ${text}`;
    this.out.write(`\r${line.padEnd(this.current.length)}`);
    this.current = line;
  }

  /** Wipes the live counter before a line of its own. */
  clear(): void {
    if (this.out.isTTY && this.current) this.out.write(`\r${' '.repeat(this.current.length)}\r`);
    this.current = '';
  }

  property(r: PropertyReport): void {
    this.clear();
    const detail = r.status === 'pass' ? `${r.runs} cases${r.known ? `; known divergences: ${r.known.map((k) => `${k.rule} in ${k.cases}`).join(', ')}` : ''}`
      : r.status === 'skip' ? r.reason
      : r.status === 'fail' ? `${r.rule} in case ${r.runs}, minimized ${r.shrunkFrom} -> ${r.ops} operations`
      : r.message;
    this.out.write(`  ${r.status.toUpperCase().padEnd(5)} ${r.property.padEnd(16)} ${visible(detail)}\n`);
  }
}

/** Above this many operations before the failing step, a printed case shows its first and last ones. */
const PRINTED_OPS = 1000;
const PRINTED_ENDS = 100;

/** The widest of `texts`, without spreading them into one call (a case may hold 250k operations). */
export function widest(texts: Iterable<string>): number {
  let width = 0;
  for (const t of texts) if (t.length > width) width = t.length;
  return width;
}

/** The indices of a case's operations up to `last` that are printed: all, or both ends of a long case. */
export function printedSteps(last: number): (number | { omitted: number })[] {
  const count = last + 1;
  if (count <= PRINTED_OPS) return Array.from({ length: count }, (_, i) => i);
  const head = Array.from({ length: PRINTED_ENDS }, (_, i) => i);
  const tail = Array.from({ length: PRINTED_ENDS }, (_, i) => count - PRINTED_ENDS + i);
  return [...head, { omitted: count - 2 * PRINTED_ENDS }, ...tail];
}

export function printCase(out: Stream, { family, backend }: Subject, ops: readonly Op[], v: Violation, report: PropertyReport | null, results?: readonly Result[]): void {
  const rule = family.rules.find((r) => r.id === v.rule);
  const { formatOp, formatResult } = family;
  const lines = [
    '',
    `VIOLATION ${v.rule} on ${visible(backend.info.name)}${report ? ` (property ${report.property})` : ''}`,
    `  ${rule?.statement ?? ''}`,
    ...(rule ? [`  source: ${rule.sources.join('; ')}`] : []),
    ...(v.alsoBroken.length ? [`  also breaks: ${v.alsoBroken.join(', ')}`] : []),
    '',
  ];
  const width = widest(ops.map(formatOp)) + 2;
  const index = Math.max(3, String(v.step).length);
  for (const i of printedSteps(v.step)) {
    if (typeof i !== 'number') {
      lines.push(`  ... ${i.omitted} operations not shown (the case file holds them all)`);
      continue;
    }
    const mark = i === v.step ? '>' : ' ';
    const got = results?.[i];
    const answer = i === v.step
      ? `expected ${[v.expected, ...v.accepted].map(formatResult).join(' or ')}, got ${formatResult(v.actual)}`
      : got ? formatResult(got) : '';
    lines.push(`${mark} #${String(i).padEnd(index)} ${formatOp(ops[i]!).padEnd(width)} ${answer}`);
    if (i === v.step && v.why) lines.push(`  ${' '.repeat(index + 1)} ${v.why}`);
  }
  if (report?.status === 'fail') lines.push('', `  case:   ${report.case}`, ...viewLines(report.case), `  replay: ${replayCommand(report.case)}`);
  out.write(lines.join('\n') + '\n\n');
}

const shellQuote = (s: string): string => (/^(?!~)[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The command that replays a written case. Replay runs only a bundled simulator by the name a
 * case file gives; any other backend (a module, a process, the kernel) is named on the command.
 */
function replayCommand(casePath: string): string {
  const command = `npx vfio-conform replay ${shellQuote(casePath)}`;
  let spec: unknown;
  try {
    spec = (JSON.parse(readFileSync(casePath, 'utf8')) as { backend?: unknown }).backend;
  } catch {
    return command;
  }
  if (typeof spec !== 'string') return command;
  return isBundledSimulator(spec) ? command : `${command} --backend ${shellQuote(spec)}`;
}
