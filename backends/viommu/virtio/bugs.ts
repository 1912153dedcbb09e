// The deliberate bugs a sim-virtio-iommu mutant switches on, one each (see mutants.ts for the
// rule each breaks). Each bug's code path is tagged `// mutant <id>` where it lives.
export const VIRTIO_BUG_IDS = [
  'virtio-no-pow2-split',
  'virtio-unmap-other-split',
  'virtio-attach-no-replay',
  'virtio-no-crop',
  'virtio-fault-wrong-endpoint',
  'virtio-lookup-next-byte',
] as const;
export type VirtioBug = (typeof VIRTIO_BUG_IDS)[number];
export type VirtioBugs = ReadonlySet<VirtioBug>;
