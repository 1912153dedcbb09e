// The generators and the oracle agree with themselves: a backend that answers with the model
// passes every property, on both profiles, and every generated case ends clean.
import { describe, expect, test } from 'vitest';
import { PROPERTIES, subject } from './support/subject.ts';
import { runProperty } from '../../harness/run.ts';
import { modelBackend } from './support/model-backend.ts';
import { testInfo } from './support/info.ts';

describe('oracle self-consistency', () => {
  for (const profile of ['type1v2', 'type1v1'] as const) {
    for (const property of PROPERTIES) {
      test(`${property.id} holds on the model itself (${profile})`, async () => {
        const outcome = await runProperty(subject(modelBackend(testInfo(profile))), property, { seed: 11, runs: 40, maxOps: 40 });
        expect(outcome.status).toBe('pass');
      });
    }
  }
});

describe('capabilities', () => {
  test('a property whose capability the backend lacks is skipped, not passed', async () => {
    const info = testInfo('type1v2', { capabilities: [] });
    const vaddr = PROPERTIES.find((p) => p.id === 'vaddr')!;
    const outcome = await runProperty(subject(modelBackend(info)), vaddr, { seed: 1, runs: 5, maxOps: 10 });
    expect(outcome).toEqual({ status: 'skip', property: 'vaddr', reason: 'backend lacks vaddr' });
  });

  test('without optional capabilities the other properties still run and use none of them', async () => {
    const info = testInfo('type1v2', { capabilities: [] });
    for (const property of PROPERTIES.filter((p) => p.requires.length === 0)) {
      const outcome = await runProperty(subject(modelBackend(info)), property, { seed: 3, runs: 20, maxOps: 30 });
      expect(outcome.status, property.id).toBe('pass');
    }
  });
});
