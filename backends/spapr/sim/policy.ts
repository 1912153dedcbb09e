// What varies between the bundled sPAPR simulators: the container type and the deliberate bugs.
//
// A mutant is a correct simulator with exactly one bug switched on. Each bug's code path is
// small and tagged `// mutant <id>` where it lives (backends/spapr/mutants.ts names the rule each
// one breaks).

export const BUG_IDS = [
  'table-free-keeps-charge',
  'remove-uncharges-half',
  'map-eexist',
  'register-charges-per-container',
  'partial-map-success',
  'unregister-unpins-mapped',
  'disable-keeps-charge',
  'no-mm-check',
  'unmap-empty-fails',
  'default-window-uncharged',
  'register-overlap-allowed',
  'map-error-keeps-partial',
  'failed-create-keeps-charge',
] as const;
export type BugId = (typeof BUG_IDS)[number];

export interface Policy {
  /** VFIO_SPAPR_TCE_v2_IOMMU (true) or VFIO_SPAPR_TCE_IOMMU (false): container->v2. */
  readonly v2: boolean;
  readonly bugs: ReadonlySet<BugId>;
}

export const hasBug = (policy: Policy, id: BugId): boolean => policy.bugs.has(id);
