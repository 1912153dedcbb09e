// Every bundled mutant is caught, with the rule it breaks, within a stated number of cases,
// and its minimized case is short and replays from the written CASE.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BUNDLED } from '../../backends/type1/index.ts';
import { PROPERTIES, subject } from './support/subject.ts';
import { type1 } from '../../families/type1.ts';
import { runProperty } from '../../harness/run.ts';
import { checkCase } from '../../harness/check.ts';
import { readCase, writeCase } from '../../harness/case-file.ts';

/** The budget every mutant must be caught within. */
const RUNS = 100;
const SEED = 1;
/** A minimized case is at most this long; filling the entry limit (32) needs that many maps. */
const maxOps = (rule: string): number => (rule === 'T1-MAP-ENTRY-LIMIT' ? 40 : 8);

const dir = mkdtempSync(join(tmpdir(), 'vfio-conform-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mutants are caught', () => {
  for (const mutant of BUNDLED.filter((b) => b.kind === 'mutant')) {
    test(`${mutant.name} breaks ${mutant.rule}`, async () => {
      const backend = mutant.create({});
      const aimed = PROPERTIES.filter((p) => (p.rules as readonly string[]).includes(mutant.rule!));
      expect(aimed.length).toBeGreaterThan(0);
      const outcomes = [];
      for (const property of aimed) {
        const outcome = await runProperty(subject(backend), property, { seed: SEED, runs: RUNS, maxOps: 40 });
        outcomes.push(outcome);
        if (outcome.status === 'fail' && outcome.violation.rule === mutant.rule) break;
      }
      const caught = outcomes.find((o) => o.status === 'fail' && o.violation.rule === mutant.rule);
      expect(caught, `not caught with its rule: ${JSON.stringify(outcomes.map((o) => [o.property, o.status, o.status === 'fail' ? o.violation.rule : '']))}`).toBeDefined();
      if (caught?.status !== 'fail') return;
      expect(caught.runs).toBeLessThanOrEqual(RUNS);
      expect(caught.ops.length).toBeLessThanOrEqual(maxOps(mutant.rule!));

      const path = join(dir, `${mutant.name}.case.json`);
      writeCase(path, { family: type1, profile: backend.info.profile, backend: mutant.name, property: caught.property, seed: SEED, ops: caught.ops, violation: caught.violation });
      const replayed = await checkCase(subject(mutant.create({})), readCase(path).ops);
      expect(replayed.ok).toBe(false);
      if (!replayed.ok) expect(replayed.violation).toEqual(caught.violation);
    });
  }
});

describe('correct backends conform', () => {
  for (const backend of BUNDLED.filter((b) => b.kind === 'correct')) {
    for (const seed of [1, 2, 3]) {
      test(`${backend.name} passes every property (seed ${seed})`, async () => {
        const b = backend.create({});
        for (const property of PROPERTIES) {
          const outcome = await runProperty(subject(b), property, { seed, runs: 60, maxOps: 40 });
          // A property needing a capability the backend lacks (the compat layer's vaddr) is skipped.
          const expected = property.requires.every((c) => (b.info.capabilities as readonly string[]).includes(c)) ? 'pass' : 'skip';
          expect(outcome.status, `${property.id}: ${JSON.stringify(outcome.status === 'fail' ? outcome.violation : outcome)}`).toBe(expected);
        }
      });
    }
  }
});
