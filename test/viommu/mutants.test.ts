// Every bundled viommu mutant is caught, with the rule it breaks, within a stated number of
// cases; its minimized case is short and replays from the written CASE.json. Every correct
// simulator passes every property.
import { afterAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { viommu } from '../../families/viommu.ts';
import { runProperty } from '../../harness/run.ts';
import { checkCase } from '../../harness/check.ts';
import { readCase, writeCase } from '../../harness/case-file.ts';
import type { Backend } from '../../spec/family.ts';

/** The budget every mutant must be caught within, per property aimed at its rule. */
const RUNS = 300;
const SEED = 1;
const MAX_MINIMIZED = 8;

const subject = (backend: Backend) => ({ family: viommu, backend });
const dir = mkdtempSync(join(tmpdir(), 'vfio-conform-viommu-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('viommu mutants are caught on their own rule', () => {
  for (const mutant of viommu.bundled.filter((b) => b.kind === 'mutant')) {
    if (mutant.kind !== 'mutant') continue;
    test(`${mutant.name} breaks ${mutant.rule}`, async () => {
      const backend = mutant.create({});
      const aimed = viommu.properties.filter((p) => p.rules.includes(mutant.rule!));
      expect(aimed.length).toBeGreaterThan(0);
      const outcomes = [];
      for (const property of aimed) {
        const outcome = await runProperty(subject(backend), property, { seed: SEED, runs: RUNS, maxOps: 60 });
        outcomes.push(outcome);
        if (outcome.status === 'fail' && outcome.violation.rule === mutant.rule) break;
      }
      const caught = outcomes.find((o) => o.status === 'fail' && o.violation.rule === mutant.rule);
      expect(caught, `not caught with its rule: ${JSON.stringify(outcomes.map((o) => [o.property, o.status, o.status === 'fail' ? o.violation.rule : '']))}`).toBeDefined();
      if (caught?.status !== 'fail') return;
      expect(caught.ops.length).toBeLessThanOrEqual(MAX_MINIMIZED);

      const path = join(dir, `${mutant.name}.case.json`);
      writeCase(path, { family: viommu, profile: backend.info.profile, backend: mutant.name, property: caught.property, seed: SEED, ops: caught.ops, violation: caught.violation });
      const replayed = await checkCase(subject(mutant.create({})), readCase(path).ops);
      expect(replayed.ok).toBe(false);
      if (!replayed.ok) expect(replayed.violation).toEqual(caught.violation);
    }, 120_000);
  }
});

describe('viommu simulators conform', () => {
  for (const sim of viommu.bundled.filter((b) => b.kind === 'correct')) {
    if (sim.kind !== 'correct') continue;
    for (const seed of [1, 2]) {
      test(`${sim.name} passes every property it declares the capabilities for (seed ${seed})`, async () => {
        const backend = sim.create({});
        let ran = 0;
        for (const property of viommu.properties) {
          const outcome = await runProperty(subject(backend), property, { seed, runs: 80, maxOps: 60 });
          if (outcome.status === 'skip') continue;
          ran++;
          expect(outcome.status, `${property.id}: ${JSON.stringify(outcome.status === 'fail' ? outcome.violation : outcome, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`).toBe('pass');
        }
        expect(ran).toBeGreaterThan(2);
      }, 120_000);
    }
  }
});
