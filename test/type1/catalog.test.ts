// Every type1 property really exercises the rules it claims (the index itself is checked for
// every family in test/families/catalog.test.ts).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RULE_BY_ID, ruleBinds } from '../../spec/type1/rules.ts';
import { PROPERTIES } from '../../properties/type1/catalog.ts';
import { expand } from '../../properties/type1/expand.ts';
import { symSequence } from '../../properties/type1/symbolic.ts';
import { SystemModel } from '../../models/type1/system.ts';
import { pinsPages, vaddrShape } from '../../properties/type1/shape.ts';
import { PROFILES, type Profile } from '../../spec/type1/backend.ts';
import { testInfo } from './support/info.ts';

/** The rules whose outcome decides at least one expectation in `samples` generated cases. */
function exercised(propertyId: string, profile: Profile, samples: number): Set<string> {
  const property = PROPERTIES.find((p) => p.id === propertyId)!;
  const info = testInfo(profile);
  const seen = new Set<string>();
  for (const syms of fc.sample(symSequence(property.weights, 40), { seed: 7, numRuns: samples })) {
    const model = new SystemModel(info);
    for (const op of expand(syms, info)) {
      const e = model.apply(op);
      seen.add(e.rule);
      for (const r of [...(e.alsoBroken ?? []), ...(e.covers ?? [])]) seen.add(r);
    }
  }
  return seen;
}

describe('properties exercise the rules they claim', () => {
  for (const property of PROPERTIES) {
    test(`${property.id}`, () => {
      const seen = PROFILES.map((profile) => ({ profile, rules: exercised(property.id, profile, 150) }));
      for (const id of property.rules) {
        const rule = RULE_BY_ID.get(id)!;
        const by = seen.filter((s) => ruleBinds(rule, s.profile) && s.rules.has(id));
        expect(by.length, `${property.id} never exercises ${id}`).toBeGreaterThan(0);
      }
    });
  }
});

describe('MAP_DMA requests across VMAs', () => {
  // Linux pins a request in batches whose behaviour changes at every VMA boundary
  // (vfio_pin_pages_remote, vaddr_get_pfns): requests crossing VMAs of different backing or
  // protection, or running into a hole, must be frequent, not accidents. (info maps only to
  // fill the container.)
  for (const property of PROPERTIES.filter((p) => p.id !== 'info')) {
    test(`${property.id} sends them often: at least 3% cross VMAs, at least 5% cross VMAs or a hole`, () => {
      const info = testInfo('type1v2');
      const count = { maps: 0, vmas: 0, hole: 0 };
      for (const syms of fc.sample(symSequence(property.weights, 40), { seed: 7, numRuns: 100 })) {
        const model = new SystemModel(info);
        for (const op of expand(syms, info)) {
          if (op.op === 'map' && pinsPages(op)) {
            count.maps++;
            const shape = vaddrShape(model.procs[op.proc]!, op.vaddr, op.size);
            if (shape !== 'single') count[shape]++;
          }
          model.apply(op);
        }
      }
      expect(count.vmas / count.maps, JSON.stringify(count)).toBeGreaterThanOrEqual(0.03);
      expect((count.vmas + count.hole) / count.maps, JSON.stringify(count)).toBeGreaterThanOrEqual(0.05);
    });
  }
});
