// The acceptance check every family's mutants share: a mutant is caught with the rule it
// breaks by one of the properties aimed at that rule, within a budget of cases; its minimized
// case is short, and written as a CASE.json it replays to the same violation.
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Backend, Family } from '../../spec/family.ts';
import { runProperty } from '../../harness/run.ts';
import { checkCase } from '../../harness/check.ts';
import { readCase, writeCase } from '../../harness/case-file.ts';

export interface CatchBudget {
  seed: number;
  /** Cases per property aimed at the rule. */
  runs: number;
  maxOps: number;
  /** The longest minimized case accepted. */
  maxMinimized: number;
  /** Where the case file is written. */
  dir: string;
}

export async function expectCaughtOnRule(
  family: Family,
  mutant: { name: string; rule?: string; create(options: Record<string, string>): Backend },
  budget: CatchBudget,
): Promise<void> {
  const subject = (backend: Backend) => ({ family, backend });
  const backend = mutant.create({});
  const aimed = family.properties.filter((p) => p.rules.includes(mutant.rule!));
  expect(aimed.length, `no property aims at ${mutant.rule}`).toBeGreaterThan(0);
  const outcomes = [];
  for (const property of aimed) {
    const outcome = await runProperty(subject(backend), property, { seed: budget.seed, runs: budget.runs, maxOps: budget.maxOps });
    outcomes.push(outcome);
    if (outcome.status === 'fail' && outcome.violation.rule === mutant.rule) break;
  }
  const caught = outcomes.find((o) => o.status === 'fail' && o.violation.rule === mutant.rule);
  expect(caught, `not caught with its rule: ${JSON.stringify(outcomes.map((o) => [o.property, o.status, o.status === 'fail' ? o.violation.rule : '']))}`).toBeDefined();
  if (caught?.status !== 'fail') return;
  expect(caught.ops.length).toBeLessThanOrEqual(budget.maxMinimized);

  const path = join(budget.dir, `${mutant.name}.case.json`);
  writeCase(path, { family, profile: backend.info.profile, backend: mutant.name, property: caught.property, seed: budget.seed, ops: caught.ops, violation: caught.violation });
  const replayed = await checkCase(subject(mutant.create({})), readCase(path).ops);
  expect(replayed.ok).toBe(false);
  if (!replayed.ok) expect(replayed.violation).toEqual(caught.violation);
}
