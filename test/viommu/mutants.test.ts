// Every bundled viommu mutant is caught, with the rule it breaks, within a stated number of
// cases; its minimized case is short and replays from the written CASE.json. Every correct
// simulator passes every property.
import { afterAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { viommu } from '../../families/viommu.ts';
import { runProperty } from '../../harness/run.ts';
import type { Backend } from '../../spec/family.ts';
import { expectCaughtOnRule } from '../support/mutants.ts';

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
      await expectCaughtOnRule(viommu, mutant, { seed: SEED, runs: RUNS, maxOps: 60, maxMinimized: MAX_MINIMIZED, dir });
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
