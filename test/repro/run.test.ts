// kernel/repro/run.ts: which guest a recorded case needs, and whether a program's lines show
// the case doing what its file records.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCase } from '../../harness/case-file.ts';
import { guestFor, judge } from '../../kernel/repro/run.ts';

const CASES = new URL('../../kernel/divergences/cases/', import.meta.url).pathname;

describe('kernel reproducers: the guest of a case', () => {
  it('is read from the bundled kernel backend the case names', () => {
    expect(guestFor('linux-type1@virtio-iommu').args).toEqual(['--iommu', 'virtio-iommu', '--guest-args', '@edu']);
    expect(guestFor('linux-iommufd@virtio-iommu').args).toEqual(['--iommu', 'virtio-iommu', '--guest-args', '@edu-cdev', '--family', 'iommufd']);
    expect(guestFor('linux-type1-v1@intel-iommu').args).toContain('v1');
    expect(() => guestFor('sim-type1')).toThrow(/not one of the bundled kernel backends/);
  });
  it('an sPAPR case boots the pseries guest of its profile, its program given every edu group', () => {
    const v2 = guestFor('linux-spapr-v2@pseries');
    expect(v2.runner).toMatch(/ppc64[\\/]backend\.ts$/);
    expect(v2.args).toEqual(['--profile', 'v2', '--guest-args', '@groups']);
    expect(guestFor('linux-spapr-v1@pseries').key).toBe('spapr-v1@pseries');
    expect(guestFor('linux-type1@virtio-iommu').runner).toMatch(/vm[\\/]backend\.ts$/);
    expect(() => guestFor('linux-spapr-v3@pseries')).toThrow(/not one of the bundled kernel backends/);
  });
});

describe('kernel reproducers: a case as recorded', () => {
  const lines = ['repro: a: #3 counters -> ok lockedVm=[0x1]', 'repro: a: step 3 T1-CLOSE-RELEASE: expected ok lockedVm=[0x0], got ok lockedVm=[0x1]',
    'repro: a: exit 1 (departs from the spec)', 'repro: b: exit 0 (every step as expected)', 'repro: c: cannot run: open /dev/vfio/vfio: x', 'repro: c: exit 2 (not run to its end)'];
  it('a divergence departs at its recorded step and rule', () => {
    expect(judge('a', { step: 3, rule: 'T1-CLOSE-RELEASE' }, lines).ok).toBe(true);
    expect(judge('a', { step: 2, rule: 'T1-CLOSE-RELEASE' }, lines).ok).toBe(false);
    expect(judge('a', { step: 3, rule: 'T1-UNMAP-TOP' }, lines).ok).toBe(false);
    expect(judge('b', { step: 3, rule: 'T1-CLOSE-RELEASE' }, lines).got).toBe('exit 0');
  });
  it('a control answers every step as expected; a case that could not run is neither', () => {
    expect(judge('b', null, lines).ok).toBe(true);
    expect(judge('a', null, lines).ok).toBe(false);
    expect(judge('c', null, lines)).toMatchObject({ ok: false, got: 'exit 2' });
    expect(judge('d', null, lines)).toMatchObject({ ok: false, got: 'no exit line' });
  });
});

describe('kernel reproducers: the recorded cases', () => {
  const files = readdirSync(CASES).filter((f) => f.endsWith('.case.json')).map((f) => readCase(CASES + f));
  const expectations = (name: string): string[] => {
    const text = JSON.parse(readFileSync(new URL(`../../expectations/${name}`, import.meta.url), 'utf8')) as { known: { rule: string }[] };
    return text.known.map((k) => k.rule);
  };
  it('every known divergence of a bundled kernel backend has a case, recorded on that backend', () => {
    for (const backend of ['linux-type1@virtio-iommu', 'linux-iommufd@virtio-iommu', 'linux-spapr-v2@pseries', 'linux-spapr-v1@pseries']) {
      const recorded = files.filter((c) => c.backend === backend && c.rule !== null).map((c) => c.rule).sort();
      expect(recorded).toEqual(expectations(`${backend}.json`).sort());
    }
  });
  it('each family with a kernel backend has a control that records no failure (sPAPR one per profile)', () => {
    expect(files.filter((c) => c.rule === null).map((c) => `${c.family.id} ${c.backend}`).sort())
      .toEqual(['iommufd linux-iommufd@virtio-iommu', 'spapr linux-spapr-v1@pseries', 'spapr linux-spapr-v2@pseries', 'type1 linux-type1@virtio-iommu']);
  });
});
