// The generators and the oracle agree with themselves: a backend that answers with the model
// passes every property, on both profiles, and every generated case ends clean.
import { describe, expect, test } from 'vitest';
import { PROPERTIES } from '../properties/catalog.ts';
import { runProperty } from '../harness/run.ts';
import { modelBackend } from './support/model-backend.ts';
import { testInfo } from './support/info.ts';

describe('oracle self-consistency', () => {
  for (const profile of ['type1v2', 'type1v1'] as const) {
    for (const property of PROPERTIES) {
      test(`${property.id} holds on the model itself (${profile})`, async () => {
        const outcome = await runProperty(modelBackend(testInfo(profile)), property, { seed: 11, runs: 40, maxOps: 40 });
        expect(outcome.status).toBe('pass');
      });
    }
  }
});
