// The C reproducer of a family's cases (spec/family.ts: Reproducer): one translation unit made
// of the shared runtime (repro/c/common.c), the family's runtime, one function per case with a
// call and a check per step, and repro/c/main.c, which runs each case in a process of its own.
// It compiles with `cc -static -O2` against libc and the kernel's uAPI headers only.
import { readFileSync } from 'node:fs';
import type { FamilyOp, FamilyResult, ReproCase } from '../spec/family.ts';
import { ERRNOS } from '../spec/errno.ts';

const RUNTIME_DIR = new URL('../repro/c/', import.meta.url);
export const runtimeFile = (name: string): string => readFileSync(new URL(name, RUNTIME_DIR), 'utf8');

export const u64 = (v: bigint): string => `0x${v.toString(16)}ULL`;

/** A C string literal of printable ASCII (anything else escaped). */
export function cString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c >= 0x20 && c < 0x7f && ch !== '?') out += ch; // `?` never starts a trigraph
    else if (ch === '?') out += '\\?';
    else out += c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}""` : '?';
  }
  return out + '"';
}

/** The host-memory operations both families share (spec/type1/ops.ts), in wire-neutral form. */
type HostOp =
  | { op: 'mmap'; vaddr: bigint; size: bigint; prot: 'none' | 'r' | 'rw'; backing: string }
  | { op: 'munmap' | 'mprotect'; vaddr: bigint; size: bigint; prot?: 'none' | 'r' | 'rw' }
  | { op: 'mremap'; vaddr: bigint; size: bigint; newVaddr: bigint; newSize: bigint }
  | { op: 'cpuWrite'; vaddr: bigint; token: bigint }
  | { op: 'cpuRead'; vaddr: bigint }
  | { op: 'setRlimitMemlock'; bytes: bigint }
  | { op: 'setCapIpcLock'; enabled: boolean };

const PROT = { none: 0, r: 1, rw: 2 } as const;

/** The call of repro/c/common.c for a host-memory operation, or null for any other. */
export function hostCall(o: FamilyOp): string | null {
  const op = o as HostOp;
  switch (op.op) {
    case 'mmap': return `host_mmap(&r, ${u64(op.vaddr)}, ${u64(op.size)}, ${PROT[op.prot]}, ${op.backing === 'hugetlb' ? 1 : 0});`;
    case 'munmap': return `host_munmap(&r, ${u64(op.vaddr)}, ${u64(op.size)});`;
    case 'mremap': return `host_mremap(&r, ${u64(op.vaddr)}, ${u64(op.size)}, ${u64(op.newVaddr)}, ${u64(op.newSize)});`;
    case 'mprotect': return `host_mprotect(&r, ${u64(op.vaddr)}, ${u64(op.size)}, ${PROT[op.prot!]});`;
    case 'cpuWrite': return `host_cpu_write(&r, ${u64(op.vaddr)}, ${u64(op.token)});`;
    case 'cpuRead': return `host_cpu_read(&r, ${u64(op.vaddr)});`;
    case 'setRlimitMemlock': return `host_rlimit_memlock(&r, ${u64(op.bytes)});`;
    case 'setCapIpcLock': return `host_cap_ipc_lock(&r, ${op.enabled ? 1 : 0});`;
    default: return null;
  }
}

/** The host virtual addresses a host-memory operation touches, [start, end), or null. */
export function hostSpan(o: FamilyOp): [bigint, bigint] | null {
  const op = o as HostOp;
  switch (op.op) {
    case 'mmap': case 'munmap': case 'mprotect': return [op.vaddr, op.vaddr + op.size];
    case 'mremap': {
      const [a, b] = [op.vaddr + op.size, op.newVaddr + op.newSize];
      return [op.vaddr < op.newVaddr ? op.vaddr : op.newVaddr, a > b ? a : b];
    }
    case 'cpuRead': case 'cpuWrite': return [op.vaddr, op.vaddr + 8n];
    default: return null;
  }
}

/** Text that is safe inside a C block comment. */
const comment = (s: string): string => s.replace(/\*\//g, '* /').replace(/[^\x20-\x7e]/g, '?');

/** How a family's steps become C: the calls of its runtime file, and checks on `struct res r`. */
export interface FamilyC<O extends FamilyOp, R extends FamilyResult> {
  /** Its runtime file in repro/c/, and C put before all runtime files (declarations), read
   *  only when a program is written. */
  runtime: string;
  prelude?: () => string;
  /** Statements that bring a fresh process to the family's fresh state (return 2 when not). */
  open(c: ReproCase<O, R>): string;
  /** Why the program cannot perform `op`, or null. */
  refusal(op: O): string | null;
  /** The statement performing `op` into `r` (one `refusal` lets through). */
  call(op: O, c: ReproCase<O, R>): string;
  /** C conditions on `r` that hold when the op's values are those of the successful `result`. */
  values(op: O, result: R): string[];
  formatOp(op: O): string;
  formatResult(r: R): string;
}

function matches<O extends FamilyOp, R extends FamilyResult>(f: FamilyC<O, R>, op: O, r: R, judged: boolean): string {
  if (!r.ok) return `r.err == ${(r as { errno: string }).errno}`;
  return ['r.err == 0', ...(judged ? [] : f.values(op, r))].join(' && ');
}

/** The rule a departure breaks: by the errno when the model blames some errnos elsewhere. */
function ruleOf(rule: string, byErrno: Readonly<Record<string, string>> = {}): string {
  return Object.entries(byErrno).map(([e, r]) => `r.err == ${e} ? ${cString(r)} : `).join('') + cString(rule);
}

function caseFunction<O extends FamilyOp, R extends FamilyResult>(f: FamilyC<O, R>, c: ReproCase<O, R>, index: number): string {
  const head = `/* ${comment(c.name)}: ${comment(c.origin)} */\nstatic int case_${index}(void)\n{\n`;
  const lines: string[] = [];
  for (const [i, s] of c.steps.entries()) {
    const why = f.refusal(s.op);
    if (why !== null) return `${head}\treturn refuse(${cString(`step ${i} ${f.formatOp(s.op)}: ${why}`)});\n}\n`;
    const expected = s.judged
      ? `${s.allowed.map((r) => (r.ok ? 'ok' : f.formatResult(r))).join(' or ')} (the values are judged by the suite, not compared here)`
      : s.allowed.map((r) => f.formatResult(r)).join(' or ');
    lines.push(
      `\t/* #${i} ${comment(f.formatOp(s.op))}: ${comment(expected)} (${comment(s.rule)}) */`,
      `\t${f.call(s.op, c)}`,
      `\ttrace(${i}, ${cString(f.formatOp(s.op))}, &r);`,
      `\tif (!(${[...new Set(s.allowed.map((r) => `(${matches(f, s.op, r, s.judged === true)})`))].join(' || ')}))`,
      `\t\treturn departs(${i}, ${ruleOf(s.rule, s.failureRules)}, ${cString(expected)}, &r);`,
    );
  }
  const spans = c.steps.map((s) => hostSpan(s.op)).filter((x): x is [bigint, bigint] => x !== null);
  const open: string[] = [];
  if (spans.length) {
    const lo = spans.reduce((a, s) => (s[0] < a ? s[0] : a), spans[0]![0]);
    const hi = spans.reduce((a, s) => (s[1] > a ? s[1] : a), spans[0]![1]);
    open.push(`\tif (!span_is_free(${u64(lo)}, ${u64(hi)}))`,
      `\t\treturn refuse("the case's addresses [0x%" PRIx64 ", 0x%" PRIx64 ") are in use in this process", ${u64(lo)}, ${u64(hi)});`);
  }
  return `${head}\tstruct res r;\n${[...open, f.open(c), ...lines].join('\n')}\n\treturn 0;\n}\n`;
}

export function emitC<O extends FamilyOp, R extends FamilyResult>(f: FamilyC<O, R>, title: string, cases: readonly ReproCase<O, R>[]): string {
  // Names are unique (harness/repro.ts refuses two case files of one name); they go into C strings.
  for (const c of cases) {
    if (!/^[A-Za-z0-9_.@-]+$/.test(c.name)) throw new Error(`case name ${JSON.stringify(c.name)}: letters, digits, '-', '_', '.', '@' only`);
  }
  const errnos = ERRNOS.map((e) => `\t{ ${e}, "${e}" },`).join('\n');
  return [
    `/* ${comment(title)}\n * Each case runs in a process of its own and prints every step's answer; the exit status is\n * 0 when every step answers as expected, 1 when a step departs (the line says which, with its\n * rule), 2 when a case cannot run here. Compile: cc -static -O2 -o repro THIS.c */`,
    '#define _GNU_SOURCE',
    '/* the runtime holds every operation of the family; a program uses some of them */',
    '#pragma GCC diagnostic ignored "-Wunused-function"',
    f.prelude?.() ?? '',
    runtimeFile('errnos.h').replace('ERRNO_TABLE', errnos),
    runtimeFile('common.c'),
    runtimeFile(f.runtime),
    ...cases.map((c, i) => caseFunction(f, c, i)),
    `static const struct { const char *name; int (*run)(void); } cases[] = {\n${cases.map((c, i) => `\t{ ${cString(c.name)}, case_${i} },`).join('\n')}\n};\n`,
    runtimeFile('main.c'),
  ].join('\n');
}
