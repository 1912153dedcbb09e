// Differential runs on type1: v2 and v1 containers differ on named rules, and a backend
// agrees with itself (the C example's agreement is in c-backend.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { diffProperty } from '../../harness/diff.ts';
import { everyDifference, type Kind } from '../../harness/diff-every.ts';
import { loadBackend } from '../../harness/load-backend.ts';
import { PROPERTIES } from './support/subject.ts';

const unmap = PROPERTIES.find((p) => p.id === 'unmap-semantics')!;

describe('diff', () => {
  test('sim-type1 against sim-type1-v1: they differ, the spec allows both, and each answer is named by its rule', async () => {
    const outcome = await diffProperty(await loadBackend('sim-type1'), await loadBackend('sim-type1-v1'), unmap, { seed: 1, runs: 100, maxOps: 40 });
    expect(outcome.status).toBe('differ');
    if (outcome.status !== 'differ') return;
    expect(outcome.runs).toBeGreaterThan(0); // the cases it took, counted without a progress callback
    const { a, b, verdict, step } = outcome.difference;
    expect(verdict).toBe('both-conform');
    expect(outcome.ops[step]!.op).toBe('unmap');
    expect(a.rule).toMatch(/^T1-UNMAP-V2-/);
    expect(b.rule).toMatch(/^T1-UNMAP-(V1-|EMPTY)/);
    expect(outcome.ops.length).toBeLessThanOrEqual(6);
  });

  test('sim-type1 against sim-type1-compat: both conform, each named by the rule the other\'s answer breaks (T1-INFO-DMA-AVAIL)', async () => {
    const info = PROPERTIES.find((p) => p.id === 'info')!;
    const outcome = await diffProperty(await loadBackend('sim-type1'), await loadBackend('sim-type1-compat'), info, { seed: 1, runs: 20, maxOps: 40 });
    expect(outcome.status).toBe('differ');
    if (outcome.status !== 'differ') return;
    const { a, b, verdict, step } = outcome.difference;
    expect(verdict).toBe('both-conform');
    expect(outcome.ops[step]!.op).toBe('getInfo');
    expect([a.rule, b.rule]).toEqual(['T1-INFO-DMA-AVAIL', 'T1-INFO-DMA-AVAIL']);
    expect(b.answer).toMatchObject({ dmaAvail: 0xffffffffn });
  });

  test('a mutant against its correct base: the mutant departs from the spec', async () => {
    const outcome = await diffProperty(await loadBackend('sim-type1'), await loadBackend('sim-type1~v2-bisect-allowed'), unmap, { seed: 1, runs: 100, maxOps: 40 });
    expect(outcome.status).toBe('differ');
    if (outcome.status !== 'differ') return;
    expect(outcome.difference.verdict).toBe('b-departs');
    expect(outcome.difference.b.rule).toBe('T1-UNMAP-V2-BISECT');
  });

  test('a backend against another instance of itself: no difference', async () => {
    for (const property of PROPERTIES) {
      const outcome = await diffProperty(await loadBackend('sim-type1'), await loadBackend('sim-type1'), property, { seed: 2, runs: 20, maxOps: 40 });
      expect(outcome.status, property.id).toBe('same');
    }
  });
});

describe('diff --fail-on', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const diff = (b: string, ...extra: string[]) => {
    const cases = mkdtempSync(join(tmpdir(), 'diff-fail-on-'));
    try {
      return spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/main.ts', 'diff', '--backend', 'sim-type1', '--backend', b,
        '--rules', 'T1-UNMAP-*', '--runs', '100', '--seed', '1', '--cases', cases, ...extra], { cwd: root, encoding: 'utf8' });
    } finally {
      rmSync(cases, { recursive: true, force: true });
    }
  };

  test('a difference the spec allows fails by default and passes with --fail-on departure', () => {
    expect(diff('sim-type1-v1').status).toBe(1);
    const r = diff('sim-type1-v1', '--fail-on', 'departure');
    expect(r.stdout).toMatch(/the spec allows both answers/);
    expect(r.stdout).toMatch(/propert(y|ies) differs? \(0 departing from the spec\)/);
    expect(r.status).toBe(0);
  });

  test('a departure fails with --fail-on departure', () => {
    const r = diff('sim-type1~v2-bisect-allowed', '--fail-on', 'departure');
    expect(r.stdout).toMatch(/departs from the spec/);
    expect(r.status).toBe(1);
  });

  test('any other value is bad usage', () => {
    const r = diff('sim-type1-v1', '--fail-on', 'never');
    expect(r.stderr.trim()).toBe('vfio-conform: --fail-on never: expected difference or departure');
    expect(r.status).toBe(2);
  });
});

describe('diff --every', () => {
  const run = async (a: string, b: string, runs = 30) => {
    const known = new Map<string, Kind>();
    for (const property of PROPERTIES) {
      const outcome = await everyDifference(await loadBackend(a), await loadBackend(b), property, { seed: 1, runs, maxOps: 40 }, known);
      expect(outcome.status, property.id).not.toBe('error');
    }
    return [...known.values()];
  };

  test('sim-type1 against sim-type1-compat: past the first difference (DMA_AVAIL at GET_INFO) to every kind, each allowed by its own profile', async () => {
    const kinds = await run('sim-type1', 'sim-type1-compat');
    const signatures = kinds.map((k) => k.signature);
    expect(signatures).toContain('getInfo: ok / ok, both-conform (T1-INFO-DMA-AVAIL / T1-INFO-DMA-AVAIL)');
    expect(signatures.some((s) => s.startsWith('unmap: EINVAL / ENOENT, both-conform (T1-UNMAP-V2-BISECT / T1-COMPAT-UNMAP-V2-BISECT)'))).toBe(true);
    expect(signatures.some((s) => s.startsWith('map: ok / EFAULT, both-conform') && s.includes('T1-COMPAT-MAP-PFNMAP'))).toBe(true);
    expect(kinds.every((k) => k.difference.verdict === 'both-conform')).toBe(true);
    // Each example is minimized and ends at its differing step.
    for (const k of kinds) expect(k.difference.step).toBe(k.ops.length - 1);
  });

  test('a mutant against its base: the departing kind is found and named by the mutant\'s rule', async () => {
    const kinds = await run('sim-type1', 'sim-type1~v2-bisect-allowed');
    expect(kinds.some((k) => k.difference.verdict === 'b-departs' && k.difference.b.rule === 'T1-UNMAP-V2-BISECT')).toBe(true);
  });

  test('a backend against itself: no kind of difference', async () => {
    expect(await run('sim-type1', 'sim-type1', 10)).toEqual([]);
  });
});
