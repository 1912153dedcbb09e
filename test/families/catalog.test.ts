// Every family's rule index is complete: IDs unique across families and prefixed by their
// family, every rule sourced and checked by a property, every property aimed at real rules.
// (Whether a property really exercises its rules is tested per family, e.g. test/type1/catalog.test.ts.)
import { describe, expect, test } from 'vitest';
import { FAMILIES } from '../../families/index.ts';

describe('rule and property index, every family', () => {
  test('rule IDs are unique across families', () => {
    const ids = FAMILIES.flatMap((f) => f.rules.map((r) => r.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  for (const family of FAMILIES) {
    describe(family.id, () => {
      test('rule IDs share one prefix, and every rule is in a documented group', () => {
        const prefixes = new Set(family.rules.map((r) => r.id.split('-')[0]));
        expect(prefixes.size).toBe(1);
        for (const r of family.rules) {
          expect(r.id).toMatch(/^[A-Z0-9]+-[A-Z0-9-]+$/);
          expect(Object.keys(family.groups), r.id).toContain(r.group);
        }
      });

      test('every rule cites a source and is checked by at least one property', () => {
        for (const rule of family.rules) {
          expect(rule.sources.length, rule.id).toBeGreaterThan(0);
          expect(family.properties.some((p) => p.rules.includes(rule.id)), `${rule.id} has no property`).toBe(true);
        }
      });

      test('every property names rules of its own family, and capabilities it declares', () => {
        const ids = new Set(family.rules.map((r) => r.id));
        for (const p of family.properties) {
          for (const id of p.rules) expect(ids.has(id), `${p.id}: ${id}`).toBe(true);
          for (const c of p.requires) expect(family.capabilities, `${p.id}: ${c}`).toContain(c);
          for (const profile of p.profiles ?? []) expect(family.profiles, `${p.id}: ${profile}`).toContain(profile);
        }
      });

      test('bundled backends have unique names, mutants name a rule of the family', () => {
        const names = family.bundled.map((b) => b.name);
        expect(new Set(names).size).toBe(names.length);
        for (const b of family.bundled) if (b.kind === 'mutant') expect(family.rules.map((r) => r.id), b.name).toContain(b.rule);
      });
    });
  }
});
