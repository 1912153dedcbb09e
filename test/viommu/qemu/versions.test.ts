// QEMU 7.2 against 11.1 on the same generated cases, the way `npm run diff:qemu` runs them:
// through qemu/diff-versions.ts with --fail-on departure. A difference the spec allows (virtio-
// iommu's input range, 2^64 on 7.2 and 2^39 on 11.1; 11.1 forgetting a detached endpoint) is
// printed but passes; a side departing from the spec fails. Where no rule names a difference
// between the versions, the answers must be the same.
//   VFIO_CONFORM_QEMU=1 npx vitest run test/viommu/qemu/versions.test.ts
import { describe, expect, test } from 'vitest';
import { bundledQemu, diffSummary, diffVersions, enabled } from './support.ts';

/** IOMMUs with no version variant in spec/viommu/rules.ts: 7.2 and 11.1 answer alike. */
const SAME = ['intel-iommu', 'intel-iommu-cm', 'smmuv3', 'mpc'];

const onBoth = (() => {
  const bundled = bundledQemu();
  const on = (v: string) => new Set(bundled.filter(([version]) => version === v).map(([, name]) => name));
  const [old, now] = [on('7.2'), on('11.1')];
  return [...old].filter((name) => now.has(name));
})();

describe('the summary line of a diff', () => {
  test('says how many properties differ and how many of them depart from the spec', () => {
    expect(diffSummary('vfio-conform diff: 0 properties differ\n')).toEqual({ differ: 0, departing: 0 });
    expect(diffSummary('vfio-conform diff: 1 property differs (0 departing from the spec)')).toEqual({ differ: 1, departing: 0 });
    expect(diffSummary('vfio-conform diff: 3 properties differ (2 departing from the spec), 1 backend faults')).toEqual({ differ: 3, departing: 2 });
    expect(diffSummary('diff-versions: no IOMMU is bundled for both QEMU 7.2 and 11.1')).toBeNull();
  });
});

describe.skipIf(!enabled)('QEMU 7.2 against 11.1 through qemu/diff-versions.ts', () => {
  test('every IOMMU bundled on both versions is compared here', () => {
    expect(onBoth.length).toBeGreaterThan(0);
    for (const iommu of SAME) expect(onBoth).toContain(iommu);
  });

  test.each(onBoth)('%s: no answer departs from the spec', (iommu) => {
    const { status, summary, log } = diffVersions(iommu);
    expect(summary, log).not.toBeNull();
    expect(summary!.departing, log).toBe(0);
    if (SAME.includes(iommu)) expect(summary!.differ, `${iommu} has no version variant: ${log}`).toBe(0);
    expect(status, log).toBe(0);
  }, 600_000);
});
