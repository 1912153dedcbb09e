// Every bundled iommufd mutant is caught, with the rule it breaks, within a stated number of
// cases; its minimized case is short and replays from the written CASE.json. Every correct
// simulator passes every property.
import { afterAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { iommufd } from '../../../families/iommufd.ts';
import { BUNDLED } from '../../../backends/iommufd/index.ts';
import { runProperty } from '../../../harness/run.ts';
import type { Backend } from '../../../spec/family.ts';
import { expectCaughtOnRule } from '../../support/mutants.ts';
import { toPlain } from '../../../spec/u64.ts';

/** The budget every mutant must be caught within, per property aimed at its rule. */
const RUNS = 200;
const SEED = 1;
const MAX_MINIMIZED = 10;

const subject = (backend: Backend) => ({ family: iommufd, backend });
const dir = mkdtempSync(join(tmpdir(), 'vfio-conform-iommufd-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iommufd mutants are caught on their own rule', () => {
  for (const mutant of BUNDLED.filter((b) => b.kind === 'mutant')) {
    test(`${mutant.name} breaks ${mutant.rule}`, async () => {
      await expectCaughtOnRule(iommufd, mutant, { seed: SEED, runs: RUNS, maxOps: 60, maxMinimized: MAX_MINIMIZED, dir });
    }, 180_000);
  }
});

describe('iommufd simulators conform', () => {
  for (const sim of BUNDLED.filter((b) => b.kind === 'correct')) {
    for (const seed of [1, 2]) {
      test(`${sim.name} passes every property (seed ${seed})`, async () => {
        const backend = sim.create({});
        for (const property of iommufd.properties) {
          const outcome = await runProperty(subject(backend), property, { seed, runs: 80, maxOps: 60 });
          expect(outcome.status, `${property.id}: ${JSON.stringify(toPlain(outcome.status === 'fail' ? { violation: outcome.violation, ops: outcome.ops } : outcome))}`).toBe('pass');
        }
      }, 300_000);
    }
  }
});
