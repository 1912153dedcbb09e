// Every rule of spec/type1/rules.ts has at least one hand-written model test named after it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { RULES } from '../../../spec/type1/rules.ts';

const here = dirname(fileURLToPath(import.meta.url));

test('every rule in spec/type1/rules.ts leads the name of at least one model test', () => {
  const named = new Set<string>();
  for (const file of readdirSync(here).filter((f) => f.endsWith('.test.ts') && f !== 'coverage.test.ts' && f !== 'blame.test.ts')) {
    const text = readFileSync(join(here, file), 'utf8');
    for (const m of text.matchAll(/\btest\('(T1-[A-Z0-9-]+)(?:, T1-[A-Z0-9-]+)*:/g)) named.add(m[1]!);
  }
  const missing = RULES.map((r) => r.id).filter((id) => !named.has(id));
  expect(missing).toEqual([]);
});
