// The deliberate bugs a mutant switches on. A mutant is the correct simulator with exactly one
// of them; each bug's code path is small and tagged `// mutant <id>` where it lives (see
// backends/iommufd/mutants.ts for the rule each one breaks).

export const BUG_IDS = [
  'unmap-split',
  'unmap-rollback',
  'unmap-stale-tail',
  'unmap-all-empty-enoent',
  'copy-charges-again',
  'copy-unmap-unpins',
  'eager-pin',
  'map-eexist-first',
  'alloc-iova-zero',
  'alloc-ignores-allowed',
  'alloc-over-reserved',
  'attach-no-replay',
  'attach-conflict-keeps-reservation',
  'detach-stale',
  'destroy-attached',
  'rlimit-mode-busy-ignored',
  'user-mode-charges-mm',
] as const;
export type BugId = (typeof BUG_IDS)[number];

export interface Policy {
  readonly bugs: ReadonlySet<BugId>;
}

export const hasBug = (policy: Policy, id: BugId): boolean => policy.bugs.has(id);
