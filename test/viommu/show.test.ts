// A viommu case is drawn as the backend ran it: its model follows the events the backend
// delivered before the failing step, which the case file keeps, not events of its own.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { viommu } from '../../families/viommu.ts';
import { runProperty } from '../../harness/run.ts';
import { readCase, writeCase } from '../../harness/case-file.ts';
import { loadShownCase } from '../../harness/show/case.ts';
import { scratch } from '../support/cli.ts';

describe('show follows the recorded answers', () => {
  test('a cut UNMAP after a large leaf was notified whole is still the violation when drawn', async () => {
    const mutant = viommu.bundled.find((b) => b.name === 'sim-vtd~split-unmap-cut')!;
    if (mutant.kind !== 'mutant') throw new Error('not a mutant');
    const backend = mutant.create({});
    const property = viommu.properties.find((p) => p.id === 'shadow')!;
    const outcome = await runProperty({ family: viommu, backend }, property, { seed: 1, runs: 300, maxOps: 60 });
    expect(outcome.status).toBe('fail');
    if (outcome.status !== 'fail') return;
    const path = join(scratch('vfio-conform-viommu-show-'), 'cut.case.json');
    const answers = outcome.results.slice(0, outcome.violation.step);
    writeCase(path, { family: viommu, profile: backend.info.profile, backend: mutant.name, property: property.id, seed: 1, ops: outcome.ops, info: backend.info, violation: outcome.violation, answers });
    expect(readCase(path).answers).toEqual(answers);
    const shown = loadShownCase(path);
    expect(shown.notes.filter((n) => n.includes('accepts the recorded answer'))).toEqual([]);
    expect(shown.failure).toMatchObject({ kind: 'violation', rule: 'VIOMMU-SHADOW-NO-CUT' });
    expect(shown.answers.slice(0, answers.length)).toEqual(answers);
  });
});
