// The bugs the engine can be built with: each turns a correct simulator into one mutant of
// mutants.ts. The correct simulators have none.
export const TABLE_BUGS = [
  'psi-mask-short',
  'perm-leaf-only',
  'replay-unmap-first',
  'change-map-only',
  'no-range-crop',
  'split-unmap-cut',
  'tlbi-num-off-by-one',
  'context-cache-sticky',
  'vtd-fault-unattached-unrecorded',
  'context-move-unsynced',
] as const;
export type TableBug = (typeof TABLE_BUGS)[number];

export type Bugs = ReadonlySet<TableBug>;
