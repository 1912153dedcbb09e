// The properties of the emulated-IOMMU family: each a generator aimed at a group of rules.
//
// The reference model judges every answer, so a property is only a choice of where to aim:
// which operations its steps mix, over which scene. Every case is derived from the backend's
// declaration (geometry, profile, capabilities, vetoes), so an unusual but valid backend gets
// valid cases. The catalog as a whole names every rule of spec/viommu/rules.ts.
import type { Property } from '../../spec/family.ts';
import type { BackendInfo, Capability, Profile } from '../../spec/viommu/backend.ts';
import type { Op } from '../../spec/viommu/ops.ts';
import type { RuleId } from '../../spec/viommu/rules.ts';
import { argsStep } from './args.ts';
import { caseArb } from './build.ts';
import { contextStep } from './context.ts';
import { mpcStep } from './mpc.ts';
import { registrationStep } from './registration.ts';
import { shadowFlags, shadowStep, unmapNotifierStep, watchers } from './shadow.ts';
import { vfioStep } from './vfio.ts';
import { virtioStep } from './virtio.ts';
import { staleStep, walkStep } from './walk.ts';

interface ViommuProperty extends Property<Op, BackendInfo> {
  rules: RuleId[];
  requires: Capability[];
  profiles?: Profile[];
}

export const PROPERTIES: ViommuProperty[] = [
  {
    id: 'walk',
    title: 'translate and DMA after page-table writes and requests: entries, levels, permissions, large leaves, fault records',
    rules: ['VIOMMU-XLATE-ENTRY', 'VIOMMU-XLATE-TABLES', 'VIOMMU-XLATE-PERM-AND', 'VIOMMU-XLATE-LARGE', 'VIOMMU-DMA-TRANSLATE', 'VIOMMU-ATTR-INDEX', 'VIOMMU-VIRTIO-RANGE',
      'VIOMMU-DMA-FAULT-RECORD'],
    requires: ['domains', 'dma'],
    cases: (info, maxOps) => caseArb(info, maxOps, walkStep, { faults: true }),
  },
  {
    id: 'stale',
    title: 'Cached translations before and after invalidations of every scope, ranges off by a page or cutting large leaves',
    rules: ['VIOMMU-INVAL-STALE', 'VIOMMU-INVAL-RANGE', 'VIOMMU-INVAL-DOMAIN', 'VIOMMU-DMA-TRANSLATE', 'VIOMMU-DMA-FAULT-RECORD'],
    requires: ['domains', 'tables', 'dma'],
    profiles: ['vtd', 'smmuv3'],
    cases: (info, maxOps) => caseArb(info, maxOps, staleStep, { faults: true }),
  },
  {
    id: 'context',
    title: 'Endpoints attached, detached and moved between domains, probed before and after their context invalidation',
    rules: ['VIOMMU-INVAL-CONTEXT', 'VIOMMU-DMA-UNATTACHED', 'VIOMMU-DMA-FAULT-RECORD'],
    requires: ['domains', 'dma'],
    cases: (info, maxOps) => caseArb(info, maxOps, contextStep, { unbound: true, faults: true }),
  },
  {
    id: 'shadow',
    title: 'MAP|UNMAP shadows over whole and partial ranges through remaps, splits, merges, partial invalidations and replays',
    rules: ['VIOMMU-SHADOW-SOUND', 'VIOMMU-SHADOW-COMPLETE', 'VIOMMU-SHADOW-NO-DUP', 'VIOMMU-SHADOW-NO-CUT', 'VIOMMU-SHADOW-NO-LOSS',
      'VIOMMU-SHADOW-UNMAP-COVER', 'VIOMMU-EVENT-FORM', 'VIOMMU-EVENT-RANGE', 'VIOMMU-EVENT-FLAGS', 'VIOMMU-REPLAY-ALL',
      'VIOMMU-REPLAY-NO-UNMAP', 'VIOMMU-REG-QUIET', 'VIOMMU-VFIO-HOST'],
    requires: ['notifiers'],
    cases: (info, maxOps) => caseArb(info, maxOps, shadowStep, { sparse: true, prelude: (scene) => watchers(scene, shadowFlags(scene)) }),
  },
  {
    id: 'vfio-shadow',
    title: 'QEMU\'s VFIO notifier, registered before the case: what VFIO was told through remaps, splits, merges, partial invalidations and moves of its endpoint',
    rules: ['VIOMMU-SHADOW-SOUND', 'VIOMMU-SHADOW-COMPLETE', 'VIOMMU-SHADOW-NO-DUP', 'VIOMMU-SHADOW-NO-CUT', 'VIOMMU-SHADOW-NO-LOSS',
      'VIOMMU-EVENT-FORM', 'VIOMMU-EVENT-RANGE', 'VIOMMU-VFIO-HOST', 'VIOMMU-INVAL-CONTEXT'],
    requires: ['vfio'],
    cases: (info, maxOps) => caseArb(info, maxOps, vfioStep, { sparse: true }),
  },
  {
    id: 'unmap-notifiers',
    title: 'UNMAP-only notifiers (vhost) told of every removal and change when it becomes visible',
    rules: ['VIOMMU-SHADOW-UNMAP-COVER', 'VIOMMU-EVENT-FORM', 'VIOMMU-EVENT-RANGE', 'VIOMMU-EVENT-FLAGS'],
    requires: ['notifiers'],
    cases: (info, maxOps) => caseArb(info, maxOps, unmapNotifierStep, { sparse: true, prelude: (scene) => watchers(scene, 1) }),
  },
  {
    id: 'registration',
    title: 'Notifier registration: arguments, MAP and DEVIOTLB vetoes, ids in use and unknown, silence after unregister',
    rules: ['VIOMMU-REG-ARGS', 'VIOMMU-REG-VETO-MAP', 'VIOMMU-REG-VETO-DEVIOTLB', 'VIOMMU-REG-QUIET', 'VIOMMU-EVENT-FLAGS'],
    requires: ['notifiers'],
    cases: (info, maxOps) => caseArb(info, maxOps, registrationStep, { sparse: true }),
  },
  {
    id: 'virtio',
    title: 'virtio-iommu MAP, UNMAP, ATTACH and DETACH: overlaps, partial unmaps, domains without endpoints, odd sizes',
    rules: ['VIOMMU-VIRTIO-MAP', 'VIOMMU-VIRTIO-UNMAP', 'VIOMMU-VIRTIO-ATTACH', 'VIOMMU-EVENT-FORM'],
    requires: ['domains'],
    profiles: ['virtio-iommu'],
    cases: (info, maxOps) => caseArb(info, maxOps, virtioStep, { unbound: true }),
  },
  {
    id: 'mpc',
    title: 'The TrustZone MPC: LUT writes and resets seen through both indexes, by DMA, translate and notifiers',
    rules: ['VIOMMU-MPC-LUT', 'VIOMMU-MPC-RESET', 'VIOMMU-ATTR-INDEX', 'VIOMMU-ATTR-SEPARATE', 'VIOMMU-EVENT-INDEX'],
    requires: ['lut'],
    profiles: ['mpc'],
    cases: (info, maxOps) => caseArb(info, maxOps, mpcStep),
  },
  {
    id: 'args',
    title: 'Operations outside the declared geometry fail with EINVAL and change nothing',
    rules: ['VIOMMU-OP-ARGS', 'VIOMMU-REG-ARGS'],
    requires: [],
    cases: (info, maxOps) => caseArb(info, maxOps, argsStep),
  },
];

export const PROPERTY_BY_ID: ReadonlyMap<string, ViommuProperty> = new Map(PROPERTIES.map((p) => [p.id, p]));
