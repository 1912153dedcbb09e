// The sim-virtio-iommu mutants: the correct simulator with one realistic bug each. A suite
// that passes sim-virtio-iommu must fail every one, on the rule named here.
import type { RuleId } from '../../../spec/viommu/rules.ts';
import type { VirtioBug } from './bugs.ts';

export interface VirtioMutant {
  /** The bundled backend name: `${base}~${id}`. */
  readonly name: string;
  readonly id: VirtioBug;
  readonly base: 'sim-virtio-iommu';
  /** The rule of spec/viommu/rules.ts the bug violates. */
  readonly rule: RuleId;
  readonly description: string;
}

const mutant = (id: VirtioBug, rule: RuleId, description: string): VirtioMutant =>
  ({ name: `sim-virtio-iommu~${id}`, id, base: 'sim-virtio-iommu', rule, description });

export const VIRTIO_MUTANT_LIST: readonly VirtioMutant[] = [
  mutant('virtio-no-pow2-split', 'VIOMMU-EVENT-FORM',
    'Each mapping is notified as one event with addr_mask = size - 1, even when its size is not a power of two or its start is not aligned to it.'),
  mutant('virtio-unmap-other-split', 'VIOMMU-SHADOW-NO-CUT',
    'UNMAP notifications are cut from the top with an off-by-one chunk bound, a different decomposition from the MAPs\', so an UNMAP bisects a MAPped chunk.'),
  mutant('virtio-attach-no-replay', 'VIOMMU-VIRTIO-ATTACH',
    'ATTACH to a domain with mappings does not MAP them to the endpoint\'s notifiers, so a consumer\'s shadow misses them.'),
  mutant('virtio-no-crop', 'VIOMMU-EVENT-RANGE',
    'Notifications are not cropped to the notifier\'s range: a chunk straddling its edge is delivered whole.'),
  mutant('virtio-fault-wrong-endpoint', 'VIOMMU-DMA-FAULT-RECORD',
    'A fault event of an attached endpoint carries its domain id where the endpoint id belongs.'),
  mutant('virtio-lookup-next-byte', 'VIOMMU-VIRTIO-RANGE',
    'A DMA looks up [iova, iova + 1] instead of iova, so the byte before a mapping is translated by it (found in QEMU\'s virtio_iommu_translate).'),
];
