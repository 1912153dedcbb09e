// Every bundled QEMU backend has its family run in one of this directory's files, so a backend
// bundled later cannot go untested by the opt-in suite. Reads the files; starts no QEMU.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { bundledQemu } from './support.ts';

const dir = new URL('.', import.meta.url);
const familyRunsIn = (file: string): string[] =>
  [...readFileSync(new URL(file, dir), 'utf8').matchAll(/^familyRuns\('([^']+)'/gm)].map((m) => m[1]!);

describe('the opt-in QEMU suite', () => {
  test('runs the family on every bundled qemu-* backend, each in one file', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts'));
    const covered = files.flatMap(familyRunsIn);
    const bundled = [...new Set(bundledQemu().map(([, iommu]) => iommu))];
    expect(covered.length).toBe(new Set(covered).size);
    expect([...covered].sort()).toEqual([...bundled].sort());
  });
});
