// Reproducers: a case file as a standalone program (spec/family.ts: Reproducer) that performs
// the case's operations with the real system calls and checks every answer against what the
// reference model expects, for the backend declaration the case records. The model is run here;
// the family's emitter only writes the program.
import { basename } from 'node:path';
import type { Family, FamilyResult, ReproCase, ReproStep } from '../spec/family.ts';
import { ERRNOS } from '../spec/errno.ts';
import { CaseFileError, readCase, type LoadedCase } from './case-file.ts';
import { UsageError } from './suite.ts';

/** A case's name in a program: its file name without `.case.json`. */
export function caseName(path: string): string {
  return basename(path).replace(/\.case\.json$|\.json$/, '').replace(/[^A-Za-z0-9_.@-]/g, '_');
}

/** Every step of a recorded case with the answers the model accepts for it. */
export function reproCase(loaded: LoadedCase, name: string, path: string): ReproCase {
  const { family, info } = loaded;
  if (!info) throw new CaseFileError(`${path}: records no backend declaration ("info"): the model's expectations depend on it`);
  const model = family.model(info);
  const steps: ReproStep[] = loaded.ops.map((op) => {
    const e = model.apply(op);
    const allowed: FamilyResult[] = [e.result, ...(e.accept ?? [])];
    // Every errno asked of the model as `run` asks it, before the next operation changes what
    // it blames: one a judge lets through is allowed, else the rule it breaks.
    const failureRules: Record<string, string> = {};
    for (const errno of ERRNOS) {
      const actual = { ok: false as const, errno };
      if (allowed.some((r) => !r.ok && r.errno === errno)) continue;
      const verdict = e.judge ? e.judge(actual) : undefined;
      if (verdict === null) {
        allowed.push(actual);
        continue;
      }
      const rule = verdict ? verdict.rule : model.blame(op, e, actual);
      if (rule !== e.rule) failureRules[errno] = rule;
    }
    model.observe?.(op, e.result);
    // A judged answer (an iova the kernel's allocator picks, a notifier's events) has no list
    // of conforming values: the program checks success or the errno only.
    return {
      op, allowed, rule: e.rule,
      ...(e.judge ? { judged: true } : {}),
      ...(Object.keys(failureRules).length ? { failureRules } : {}),
    };
  });
  const f = loaded.failure ?? {};
  const recorded = typeof f.rule === 'string' && typeof f.step === 'number' ? `, recorded ${f.rule} at step ${f.step}` : '';
  return { name, profile: loaded.profile ?? info.profile, origin: `backend ${loaded.backend}, property ${loaded.property}${recorded}`, steps };
}

/** One program for the case files, all of one family that has a reproducer. */
export function emitReproducer(paths: readonly string[]): { family: Family; source: string } {
  if (paths.length === 0) throw new UsageError('repro needs at least one CASE.json');
  const loaded = paths.map((p) => ({ path: p, c: readCase(p) }));
  const family = loaded[0]!.c.family;
  const other = loaded.find((l) => l.c.family.id !== family.id);
  if (other) throw new UsageError(`${other.path} is a ${other.c.family.id} case, ${paths[0]} a ${family.id} case: one program holds cases of one family`);
  if (!family.reproducer) throw new UsageError(`the ${family.id} family has no reproducer`);
  const cases = loaded.map((l) => reproCase(l.c, caseName(l.path), l.path));
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new UsageError(`two case files are named ${c.name}`);
    seen.add(c.name);
  }
  return { family, source: family.reproducer.emit(cases) };
}
