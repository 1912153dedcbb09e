// Runs the C reproducer of every recorded kernel divergence (kernel/divergences/cases/) in the
// project's VMs (x86 for type1 and iommufd, the pseries guest of kernel/ppc64 for sPAPR): one
// program per guest configuration, so one boot runs all its cases. A
// divergence must depart at the step and rule its case file records (exit 1), a control (a
// case file that records no failure) must answer every step as expected (exit 0).
//
//   node --import tsx kernel/repro/run.ts [--cases DIR] [--only NAME]... [--keep DIR]
//
// Exit 0 when every case does what its file says; 1 otherwise.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCase, type LoadedCase } from '../../harness/case-file.ts';
import { caseName, emitReproducer } from '../../harness/repro.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const X86 = path.join(HERE, '..', 'vm', 'backend.ts');
const PPC64 = path.join(HERE, '..', 'ppc64', 'backend.ts');
const DEFAULT_CASES = path.join(HERE, '..', 'divergences', 'cases');

/** What the VM must be for a case: from the bundled kernel backend its file names. */
interface Guest { key: string; runner: string; args: string[] }

export function guestFor(backend: string): Guest {
  // one boot per profile: its cases take a PHB each (repro/c/spapr.c: group_of), 8 of them
  const sp = /^linux-spapr-(v[12])@pseries$/.exec(backend);
  if (sp) return { key: `spapr-${sp[1]}@pseries`, runner: PPC64, args: ['--profile', sp[1]!, '--guest-args', '@groups'] };
  const m = /^linux-(type1|iommufd)(-v1)?@(intel-iommu|virtio-iommu)$/.exec(backend);
  if (!m) throw new Error(`backend ${backend}: not one of the bundled kernel backends linux-type1[-v1]@IOMMU, linux-iommufd@IOMMU, linux-spapr-v1|v2@pseries`);
  const [, family, v1, iommu] = m;
  const args = ['--iommu', iommu!, '--guest-args', family === 'iommufd' ? '@edu-cdev' : '@edu'];
  if (family === 'iommufd') args.push('--family', 'iommufd');
  if (v1) args.push('--profile', 'v1');
  return { key: `${family}${v1 ?? ''}@${iommu}`, runner: X86, args };
}

export interface Verdict { name: string; want: string; got: string; ok: boolean }

/** What one case's file says it must do, against the program's lines about it. */
export function judge(name: string, recorded: { step: number; rule: string } | null, lines: readonly string[]): Verdict {
  const exit = lines.map((l) => new RegExp(`^repro: ${name}: exit (\\d+)`).exec(l)).find((m) => m)?.[1];
  const depart = lines.map((l) => new RegExp(`^repro: ${name}: step (\\d+) (\\S+): `).exec(l)).find((m) => m);
  const want = recorded ? `exit 1 at step ${recorded.step} ${recorded.rule}` : 'exit 0';
  const got = exit === undefined ? 'no exit line' : depart ? `exit ${exit} at step ${depart[1]} ${depart[2]}` : `exit ${exit}`;
  return { name, want, got, ok: want === got };
}

async function bootWith(source: string, guest: Guest, keep: string | null): Promise<{ status: number | null; lines: string[]; seconds: number }> {
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-repro-'));
  const file = path.join(dir, `repro-${guest.key.replace(/[^a-z0-9-]/gi, '-')}.c`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, source);
  const t0 = Date.now();
  const p = spawn('nice', ['-n', '10', process.execPath, '--import', 'tsx', guest.runner, ...guest.args, '--guest-program', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const status = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  return { status, lines: out.split('\n').map((l) => l.trimEnd()), seconds: (Date.now() - t0) / 1000 };
}

async function main(argv: string[]): Promise<number> {
  let dir = DEFAULT_CASES;
  let keep: string | null = null;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, v = argv[i + 1];
    if ((a === '--cases' || a === '--only' || a === '--keep') && v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--cases') dir = argv[++i]!;
    else if (a === '--only') only.push(argv[++i]!);
    else if (a === '--keep') keep = path.resolve(argv[++i]!);
    else throw new Error(`unknown argument ${a}`);
  }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.case.json')).sort()
    .filter((f) => only.length === 0 || only.includes(caseName(f))).map((f) => path.join(dir, f));
  if (files.length === 0) throw new Error(`no case files in ${dir}`);
  const groups = new Map<string, { guest: Guest; files: string[]; failures: LoadedCase['failure'][] }>();
  for (const f of files) {
    const { backend, failure } = readCase(f);
    const guest = guestFor(backend);
    const g = groups.get(guest.key) ?? { guest, files: [], failures: [] };
    g.files.push(f);
    g.failures.push(failure);
    groups.set(guest.key, g);
  }
  const verdicts: Verdict[] = [];
  for (const { guest, files: group, failures } of groups.values()) {
    const { source } = emitReproducer(group);
    process.stderr.write(`[repro] ${guest.key}: ${group.length} cases in one boot\n`);
    const run = await bootWith(source, guest, keep);
    for (const l of run.lines.filter((x) => x.startsWith('repro: '))) console.log(`  ${guest.key}| ${l}`);
    console.log(`${guest.key}: guest program exit ${run.status}, ${run.seconds.toFixed(0)} s`);
    for (const [i, f] of group.entries()) {
      const failure = failures[i];
      const recorded = failure && typeof failure.step === 'number' && typeof failure.rule === 'string' ? { step: failure.step, rule: failure.rule } : null;
      verdicts.push(judge(caseName(f), recorded, run.lines));
    }
  }
  for (const v of verdicts) console.log(`${v.ok ? 'as recorded ' : 'NOT AS RECORDED'}  ${v.name.padEnd(48)} want ${v.want}, got ${v.got}`);
  const bad = verdicts.filter((v) => !v.ok).length;
  console.log(`repro: ${verdicts.length - bad} as recorded, ${bad} not, in ${groups.size} boots`);
  return bad === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => {
    console.error(`repro: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  });
}
