// The iommufd family: the IOAS uAPI of /dev/iommu and the VFIO device cdev's iommufd ioctls.
// This file only assembles what spec/iommufd, models/iommufd, properties/iommufd and
// backends/iommufd define.
import { fileURLToPath } from 'node:url';
import type { Family } from '../spec/family.ts';
import { CAPABILITIES, capabilitiesFor, PROFILES, type BackendInfo } from '../spec/iommufd/backend.ts';
import { OBSERVATIONS, type Op, type Result } from '../spec/iommufd/ops.ts';
import { GROUPS, RULES } from '../spec/iommufd/rules.ts';
import { decodeOp, decodeResult, encodeOp } from '../spec/iommufd/wire.ts';
import { checkInfo, decodeInfo, encodeInfo } from '../spec/iommufd/info.ts';
import { formatOp, formatResult } from '../spec/iommufd/format.ts';
import { protocolSchema } from '../spec/iommufd/schema.ts';
import { renderRuleDoc } from '../spec/rule-doc.ts';
import { IommufdModel } from '../models/iommufd/system.ts';
import { PROPERTIES } from '../properties/iommufd/catalog.ts';
import { BUNDLED } from '../backends/iommufd/index.ts';
import { iommufdReproducer } from '../backends/iommufd/repro-c.ts';
import { tsProgram } from './runner.ts';

/** The real Linux kernel in a QEMU guest (kernel/README.md), one name per emulated IOMMU. */
const KERNEL_RUNNER = fileURLToPath(new URL('../kernel/vm/backend.ts', import.meta.url));
const kernel = (iommu: string) => ({
  name: `linux-iommufd@${iommu}`,
  description: `Linux 6.12 (Debian) /dev/iommu and the VFIO device cdev in a QEMU guest with ${iommu} and the edu device`,
  kind: 'real' as const,
  command: `${tsProgram(KERNEL_RUNNER)} --family iommufd --kernel iommufd-legacy --iommu ${iommu}`,
  // The first request waits for the VM to boot.
  timeoutMs: 300_000,
  note: 'boots a VM; needs root for apt-get on first use',
});

export const iommufd: Family<Op, Result, BackendInfo> = {
  id: 'iommufd',
  title: 'The IOAS uAPI of /dev/iommu and the VFIO device cdev (IOMMU_IOAS_*, IOMMU_OPTION, BIND, ATTACH and DETACH_IOMMUFD_PT)',
  rules: RULES,
  groups: GROUPS,
  profiles: PROFILES,
  capabilities: CAPABILITIES,
  observations: OBSERVATIONS,
  properties: PROPERTIES,
  bundled: [...BUNDLED, kernel('intel-iommu'), kernel('virtio-iommu')],
  defaultBackends: BUNDLED.filter((b) => b.kind === 'correct').map((b) => b.name),

  model: (info) => new IommufdModel(info),
  capabilitiesFor,
  encodeOp,
  decodeOp,
  decodeResult: (op, v, where) => decodeResult(op, v, where),
  encodeInfo,
  decodeInfo,
  checkInfo,
  formatOp,
  formatResult,
  reproducer: iommufdReproducer,
  schema: protocolSchema,
  docs: () => [
    {
      path: 'spec/iommufd/rules.md',
      text: renderRuleDoc({
        title: 'iommufd: the rules',
        intro: [
          'Generated from `spec/iommufd/rules.ts` by `npm run spec`; do not edit by hand.',
          '',
          'Each rule has a stable ID, a level (MUST or MAY), the profile it binds (`iommufd`, the native',
          '`/dev/iommu` interface), the source it was read from (`L` = the Linux kernel tree), and the',
          'properties that check it (`properties/iommufd/catalog.ts`). What each operation does is in',
          '`spec/iommufd/operations.md`; the order of each ioctl\'s checks in `spec/iommufd/README.md`.',
        ],
        rules: RULES, groups: GROUPS, properties: PROPERTIES,
        profileLabel: (p) => p,
      }),
    },
    { path: 'spec/iommufd/protocol.schema.json', text: JSON.stringify(protocolSchema(), null, 2) + '\n' },
  ],
};
