// Opt-in (boots a VM per guest configuration, about a minute each; the sPAPR cases a pseries
// guest per profile):
//   VFIO_REPRO_KERNEL_TEST=1 npx vitest run test/repro/kernel.test.ts
// The C reproducer of every recorded kernel divergence, compiled and run in the project's VM,
// departs at the step and rule its case file records; each control answers as expected.
//   VFIO_REPRO_KERNEL_TEST=spapr: the sPAPR cases only (no x86 VM).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { root } from '../support/cli.ts';

const enabled = process.env.VFIO_REPRO_KERNEL_TEST === '1' || process.env.VFIO_REPRO_KERNEL_TEST === 'spapr';
const CASES = new URL('../../kernel/divergences/cases/', import.meta.url);
const spaprOnly = process.env.VFIO_REPRO_KERNEL_TEST === 'spapr';

describe.skipIf(!enabled)('kernel reproducers in the VM', () => {
  test('every divergence reproduces at its recorded step and rule, every control conforms', () => {
    const all = readdirSync(CASES).filter((f) => f.endsWith('.case.json'));
    const cases = spaprOnly ? all.filter((f) => f.startsWith('spapr')) : all;
    const names = spaprOnly ? cases.flatMap((f) => ['--only', f.replace(/\.case\.json$/, '')]) : [];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'kernel/repro/run.ts', ...names], { cwd: root, encoding: 'utf8', timeout: 1_500_000 });
    const summary = /^repro: (\d+) as recorded, (\d+) not, in (\d+) boots$/m.exec(r.stdout);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('NOT AS RECORDED'))).toEqual([]);
    expect(summary?.[2]).toBe('0');
    expect(Number(summary?.[1])).toBe(cases.length);
    expect(r.status).toBe(0);
  }, 1_600_000);
});
