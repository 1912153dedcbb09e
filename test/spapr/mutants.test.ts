// Every bundled sPAPR mutant is caught, with the rule it breaks, by a property aimed at that rule
// within a stated number of cases; its minimized case is short and replays from the written
// CASE.json. Every correct simulator passes every property of its profile, on more than one
// platform.
import { afterAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spapr } from '../../families/spapr.ts';
import { BUNDLED } from '../../backends/spapr/index.ts';
import { runProperty } from '../../harness/run.ts';
import type { Backend } from '../../spec/family.ts';
import { expectCaughtOnRule } from '../support/mutants.ts';
import { toPlain } from '../../spec/u64.ts';

/** The budget every mutant must be caught within, per property aimed at its rule. */
const RUNS = 200;
const SEED = 1;
const MAX_MINIMIZED = 10;

const subject = (backend: Backend) => ({ family: spapr, backend });
const dir = mkdtempSync(join(tmpdir(), 'vfio-conform-spapr-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sPAPR mutants are caught on their own rule', () => {
  for (const mutant of BUNDLED.filter((b) => b.kind === 'mutant')) {
    test(`${mutant.name} breaks ${mutant.rule}`, async () => {
      await expectCaughtOnRule(spapr, mutant, { seed: SEED, runs: RUNS, maxOps: 60, maxMinimized: MAX_MINIMIZED, dir });
    }, 180_000);
  }
});

describe('sPAPR simulators conform', () => {
  const runs: [string, Record<string, string>, number][] = [
    ['sim-spapr-v2', {}, 1], ['sim-spapr-v2', {}, 2], ['sim-spapr-v2', { platform: 'powernv', containers: '3' }, 3],
    ['sim-spapr-v1', {}, 1], ['sim-spapr-v1', { platform: 'powernv' }, 2],
  ];
  for (const [name, options, seed] of runs) {
    test(`${name} ${JSON.stringify(options)} passes every property of its profile (seed ${seed})`, async () => {
      const backend = BUNDLED.find((b) => b.name === name)!.create(options);
      for (const property of spapr.properties) {
        const outcome = await runProperty(subject(backend), property, { seed, runs: 80, maxOps: 60 });
        const expected = property.profiles === undefined || property.profiles.includes(backend.info.profile) ? 'pass' : 'skip';
        expect(outcome.status, `${property.id}: ${JSON.stringify(toPlain(outcome.status === 'fail' ? { violation: outcome.violation, ops: outcome.ops } : outcome))}`).toBe(expected);
      }
    }, 300_000);
  }
});
