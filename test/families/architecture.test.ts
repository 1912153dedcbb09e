// One core, many families: the harness knows no family, and a new one plugs in by registering.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { registerFamily, findFamily } from '../../families/index.ts';
import { readCase } from '../../harness/case-file.ts';
import { diffProperty } from '../../harness/diff.ts';
import { loadBackend } from '../../harness/load-backend.ts';
import { runSuite } from '../../harness/suite.ts';
import { toy } from './toy-family.ts';

const root = resolve(new URL('../..', import.meta.url).pathname);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/**
 * Where a harness file may import from: itself, node, fast-check, shared spec files, the
 * registry, and the command that starts one of the suite's programs (no family in it).
 */
function allowed(target: string): boolean {
  const rel = relative(root, target);
  return rel.startsWith('harness/') || rel === 'families/index.ts' || rel === 'families/runner.ts' || /^spec\/[^/]+\.ts$/.test(rel);
}

describe('the harness knows no family', () => {
  test('harness/ imports family modules only through families/index.ts', () => {
    const offending: string[] = [];
    for (const file of sources(join(root, 'harness'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
        const target = resolve(dirname(file), m[1]!);
        if (!allowed(target)) offending.push(`${relative(root, file)} -> ${relative(root, target)}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('a backend shares no code with the oracle', () => {
  // A backend importing the reference model's code (or the harness's) would hide a bug in it:
  // the implementation under test and its judge would be wrong together.
  test('backends/ imports nothing under models/ or harness/', () => {
    const offending: string[] = [];
    for (const file of sources(join(root, 'backends'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
        const target = relative(root, resolve(dirname(file), m[1]!));
        if (/^(models|harness)\//.test(target)) offending.push(`${relative(root, file)} -> ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('a second family registers without any change to the harness', () => {
  registerFamily(toy);
  const dir = mkdtempSync(join(tmpdir(), 'vfio-conform-toy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('its bundled backends load by name, with their family', async () => {
    expect(findFamily('toy')).toBe(toy);
    const { family, backend } = await loadBackend('toy-sim');
    expect(family.id).toBe('toy');
    expect(backend.info.name).toBe('toy-sim');
  });

  test('run passes its correct backend and catches its mutant on its own rule, with a case file that reads back', async () => {
    const reports = await runSuite({ backends: ['toy-sim', 'toy-sim~stale'], family: 'toy', seed: 1, runs: 50, maxOps: 10, rules: [], casesDir: dir });
    expect(reports.map((r) => [r.backend, r.family, r.properties.map((p) => p.status)])).toEqual([
      ['toy-sim', 'toy', ['pass']], ['toy-sim~stale', 'toy', ['fail']],
    ]);
    const failed = reports[1]!.properties[0]!;
    expect(failed.status === 'fail' && failed.rule).toBe('TOY-READ-LAST');
    const loaded = readCase(failed.status === 'fail' ? failed.case : '');
    expect([loaded.family.id, loaded.profile, loaded.rule]).toEqual(['toy', 'toy', 'TOY-READ-LAST']);
  });

  test('a backend of another family is refused by --family', async () => {
    const [report] = await runSuite({ backends: ['sim-type1'], family: 'toy', seed: 1, runs: 1, maxOps: 1, rules: [], casesDir: dir });
    expect(report!.error).toMatch(/is of family type1, not toy/);
  });

  test('diff finds where its two backends differ and says which departs', async () => {
    const [a, b] = [await loadBackend('toy-sim'), await loadBackend('toy-sim~stale')];
    const outcome = await diffProperty(a, b, toy.properties[0]!, { seed: 1, runs: 50, maxOps: 10 });
    expect(outcome.status).toBe('differ');
    if (outcome.status !== 'differ') return;
    expect(outcome.difference.verdict).toBe('b-departs');
    expect(outcome.difference.b.rule).toBe('TOY-READ-LAST');
    expect(outcome.ops.length).toBeLessThanOrEqual(3);
  });
});

describe('real backends start from any working directory', () => {
  test('every real backend\'s command names tsx by the path it resolves to, not by its package name', async () => {
    const { FAMILIES } = await import('../../families/index.ts');
    const real = FAMILIES.flatMap((f) => f.bundled).filter((b) => b.kind === 'real');
    expect(real.length).toBeGreaterThan(0);
    for (const b of real) {
      if (b.kind !== 'real') continue;
      expect(b.command, b.name).not.toMatch(/--import tsx\b/);
      expect(b.command, b.name).toMatch(/--import "file:\/\/[^"]*\/tsx\//);
    }
  });
});
