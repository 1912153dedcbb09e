// What the terminal shows: progress on stderr, failing cases on stdout.
import type { Backend } from '../../spec/type1/backend.ts';
import type { Op, Result } from '../../spec/type1/ops.ts';
import { RULE_BY_ID } from '../../spec/type1/rules.ts';
import type { Violation } from '../check.ts';
import { formatOp, formatResult } from '../format.ts';
import type { PropertyReport } from '../suite.ts';

type Stream = NodeJS.WriteStream;

/** Live counters on a terminal; one line per property everywhere else (CI logs). */
export class Progress {
  private current = '';
  constructor(private readonly out: Stream) {}

  backend(spec: string, backend: Backend | null): void {
    this.out.write(backend ? `${spec}: ${backend.info.description}\n` : `${spec}: could not be loaded\n`);
  }

  private lastLine = Date.now();

  /** A live counter on a terminal; elsewhere a line at most every 10 s, for slow backends. */
  tick(property: string, done: number, total: number): void {
    if (!this.out.isTTY) {
      if (Date.now() - this.lastLine < 10_000) return;
      this.lastLine = Date.now();
      this.out.write(`  ...   ${property.padEnd(16)} ${done}/${total} cases\n`);
      return;
    }
    this.current = `  ${property} ${done}/${total}`;
    this.out.write(`\r${this.current}`);
  }

  property(r: PropertyReport): void {
    if (this.out.isTTY && this.current) this.out.write(`\r${' '.repeat(this.current.length)}\r`);
    this.current = '';
    const detail = r.status === 'pass' ? `${r.runs} cases${r.known ? `; known divergences: ${r.known.map((k) => `${k.rule} in ${k.cases}`).join(', ')}` : ''}`
      : r.status === 'skip' ? r.reason
      : r.status === 'fail' ? `${r.rule} in case ${r.runs}, minimized ${r.shrunkFrom} -> ${r.ops} operations`
      : r.message;
    this.out.write(`  ${r.status.toUpperCase().padEnd(5)} ${r.property.padEnd(16)} ${detail}\n`);
  }
}

export function printCase(out: Stream, backend: Backend, ops: readonly Op[], v: Violation, report: PropertyReport | null, results?: readonly Result[]): void {
  const rule = RULE_BY_ID.get(v.rule);
  const lines = [
    '',
    `VIOLATION ${v.rule} on ${backend.info.name}${report ? ` (property ${report.property})` : ''}`,
    `  ${rule?.statement ?? ''}`,
    ...(rule ? [`  source: ${rule.sources.join('; ')}`] : []),
    ...(v.alsoBroken.length ? [`  also breaks: ${v.alsoBroken.join(', ')}`] : []),
    '',
  ];
  const width = Math.max(...ops.map((op) => formatOp(op).length)) + 2;
  ops.forEach((op, i) => {
    const mark = i === v.step ? '>' : ' ';
    const got = results?.[i];
    const text = i === v.step
      ? `expected ${[v.expected, ...v.accepted].map(formatResult).join(' or ')}, got ${formatResult(v.actual)}`
      : got ? formatResult(got) : '';
    if (i <= v.step) lines.push(`${mark} #${String(i).padEnd(3)} ${formatOp(op).padEnd(width)} ${text}`);
  });
  if (report?.status === 'fail') lines.push('', `  case:   ${report.case}`, `  replay: npx vfio-conform replay ${report.case}`);
  out.write(lines.join('\n') + '\n\n');
}
