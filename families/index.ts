// The registry of families: the only way the harness reaches a family's rules, model,
// generators, wire form and bundled backends. Adding a family is one line here.
import type { Family, Rule } from '../spec/family.ts';
import { type1 } from './type1.ts';
import { viommu } from './viommu.ts';
import { iommufd } from './iommufd.ts';
import { spapr } from './spapr.ts';

const registered: Family[] = [type1, viommu, iommufd, spapr];

export const FAMILIES: readonly Family[] = registered;

/** Adds a family at run time (a test's own, or a plugin's); its id must be new. */
export function registerFamily(family: Family): void {
  if (registered.some((f) => f.id === family.id)) throw new Error(`family ${family.id} is already registered`);
  registered.push(family);
}

/** The family of a backend that names none: type1 predates families. */
export const DEFAULT_FAMILY = 'type1';

export const findFamily = (id: string): Family | undefined => registered.find((f) => f.id === id);

/** A rule of any family, by its ID (IDs carry their family's prefix, so they never collide). */
export function findRule(id: string): { family: Family; rule: Rule } | undefined {
  for (const family of registered) {
    const rule = family.rules.find((r) => r.id === id);
    if (rule) return { family, rule };
  }
  return undefined;
}
