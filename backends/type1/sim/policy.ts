// What varies between the bundled simulators: the container type and the deliberate bugs.
//
// A mutant is the correct simulator with exactly one bug switched on. Each bug's code path is
// small and tagged `// mutant <id>` where it lives, so that a reader can check the bug is the
// one the mutant claims to be (see backends/type1/mutants.ts for what each one violates).

export const MUTANT_IDS = [
  'unmap-stale-tail',
  'close-keeps-charge',
  'failed-map-keeps-charge',
  'overlap-off-by-one',
  'v2-bisect-allowed',
  'entry-limit-off-by-one',
  'charge-once',
  'uncharge-caller',
  'rlimit-ge',
  'mmio-charged',
  'relookup-vaddr',
  'reuse-pinned-frame',
  'readonly-write-allowed',
  'top-of-space-unmap',
  'dma-avail-stale',
  'readonly-dma-write',
  'vaddr-no-revert',
  'v1-unmap-inside',
  'empty-unmap-enoent',
  'compat-bisect-atomic',
  'compat-v1-no-cut',
  'compat-dma-avail-limit',
  'compat-mmio-followed',
  'compat-dirty-pages',
  'migration-cap-missing',
] as const;
export type MutantId = (typeof MUTANT_IDS)[number];

export interface Policy {
  /** VFIO_TYPE1v2_IOMMU (true) or VFIO_TYPE1_IOMMU (false): `iommu->v2`. */
  readonly v2: boolean;
  /** Served by iommufd's compat layer (drivers/iommu/iommufd/vfio_compat.c) instead of type1. */
  readonly compat: boolean;
  /** The bugs switched on; empty for the correct simulator. */
  readonly bugs: ReadonlySet<MutantId>;
}

export const hasBug = (policy: Policy, id: MutantId): boolean => policy.bugs.has(id);
