// The VFIO type1 family: VFIO_TYPE1v2_IOMMU and VFIO_TYPE1_IOMMU containers over the shared
// host-memory model. This file only assembles what spec/type1, models/type1, properties/type1
// and backends/type1 define.
import { fileURLToPath } from 'node:url';
import type { Family } from '../spec/family.ts';
import { CAPABILITIES, PROFILES, capabilitiesFor, type BackendInfo } from '../spec/type1/backend.ts';
import { OBSERVATIONS, type Op, type Result } from '../spec/type1/ops.ts';
import { GROUPS, RULE_BY_ID, RULES } from '../spec/type1/rules.ts';
import { decodeOp, decodeResult, encodeOp } from '../spec/type1/wire.ts';
import { checkInfo, decodeInfo, encodeInfo } from '../spec/type1/info.ts';
import { formatOp, formatResult } from '../spec/type1/format.ts';
import { protocolSchema } from '../spec/type1/schema.ts';
import { renderRuleDoc } from '../spec/rule-doc.ts';
import { SystemModel } from '../models/type1/system.ts';
import { type1View } from '../models/type1/view.ts';
import { PROPERTIES } from '../properties/type1/catalog.ts';
import { expand } from '../properties/type1/expand.ts';
import { symSequence } from '../properties/type1/symbolic.ts';
import { BUNDLED } from '../backends/type1/index.ts';
import { type1Reproducer } from '../backends/type1/repro-c.ts';
import { tsProgram } from './runner.ts';

/** The real Linux kernel in a QEMU guest (kernel/README.md), one name per emulated IOMMU. */
const KERNEL_RUNNER = fileURLToPath(new URL('../kernel/vm/backend.ts', import.meta.url));
const kernel = (name: string, args: string, description: string) => ({
  name, description, kind: 'real' as const,
  command: `${tsProgram(KERNEL_RUNNER)} ${args}`,
  // The first request waits for the VM to boot.
  timeoutMs: 300_000,
  note: 'boots a VM; needs root for apt-get on first use',
});


/** A rule's container type, and the one implementation it binds when it binds only one. */
function ruleBinding(rule: { id: string; profile: string }): string {
  const container = RULE_BY_ID.get(rule.id)?.container;
  return `${rule.profile === 'both' ? 'v1 and v2' : rule.profile}${container ? `, ${container} only` : ''}`;
}

export const type1: Family<Op, Result, BackendInfo> = {
  id: 'type1',
  title: 'VFIO type1: VFIO_TYPE1v2_IOMMU and VFIO_TYPE1_IOMMU containers, served by type1 or by iommufd\'s compat layer',
  rules: RULES,
  ruleBinding,
  groups: GROUPS,
  profiles: PROFILES,
  capabilities: CAPABILITIES,
  observations: OBSERVATIONS,
  properties: PROPERTIES.map((p) => ({
    ...p,
    cases: (info: BackendInfo, maxOps: number) => symSequence(p.weights, maxOps).map((syms) => expand(syms, info)),
  })),
  bundled: [
    ...BUNDLED,
    kernel('linux-type1@intel-iommu', '--iommu intel-iommu', 'Linux 6.12 (Debian) VFIO_TYPE1v2_IOMMU in a QEMU guest with intel-iommu and the edu device'),
    kernel('linux-type1@virtio-iommu', '--iommu virtio-iommu', 'Linux 6.12 (Debian) VFIO_TYPE1v2_IOMMU in a QEMU guest with virtio-iommu and the edu device'),
    kernel('linux-type1-v1@intel-iommu', '--iommu intel-iommu --profile v1', 'Linux 6.12 (Debian) VFIO_TYPE1_IOMMU in a QEMU guest with intel-iommu and the edu device'),
    // Linux 7.3 has the v6.18 top-of-space fixes and EOVERFLOW for a wrapping range (spec/type1/rules.ts)
    kernel('linux-7.3-type1@intel-iommu', '--iommu intel-iommu --kernel debian-7.3', 'Linux 7.3 (Debian trixie-backports) VFIO_TYPE1v2_IOMMU in a QEMU guest with intel-iommu and the edu device'),
    kernel('linux-7.3-type1@virtio-iommu', '--iommu virtio-iommu --kernel debian-7.3', 'Linux 7.3 (Debian trixie-backports) VFIO_TYPE1v2_IOMMU in a QEMU guest with virtio-iommu and the edu device'),
    kernel('linux-7.3-type1-v1@intel-iommu', '--iommu intel-iommu --profile v1 --kernel debian-7.3', 'Linux 7.3 (Debian trixie-backports) VFIO_TYPE1_IOMMU in a QEMU guest with intel-iommu and the edu device'),
    kernel('linux-type1-compat@intel-iommu', '--iommu intel-iommu --kernel iommufd-compat', 'Linux 6.12 (Debian source, built with IOMMUFD_VFIO_CONTAINER) VFIO_TYPE1v2_IOMMU served by iommufd\'s compat layer in a QEMU guest with intel-iommu and the edu device'),
  ],
  defaultBackends: BUNDLED.filter((b) => b.kind === 'correct').map((b) => b.name),

  model: (info) => new SystemModel(info),
  capabilitiesFor,
  encodeOp,
  decodeOp,
  decodeResult: (op, v, where, info) => decodeResult(op.op, v, where, info.capabilities.includes('secondProcess') ? 2 : 1),
  encodeInfo,
  decodeInfo,
  checkInfo,
  formatOp,
  formatResult,
  reproducer: type1Reproducer,
  view: type1View,
  schema: protocolSchema,
  docs: () => [
    {
      path: 'spec/type1/rules.md',
      text: renderRuleDoc({
        title: 'VFIO type1: the rules',
        intro: [
          'Generated from `spec/type1/rules.ts` by `npm run spec`; do not edit by hand.',
          '',
          'Each rule has a stable ID, a level (MUST or MAY), the container profile it binds (v1 is',
          '`VFIO_TYPE1_IOMMU`, v2 is `VFIO_TYPE1v2_IOMMU`; "type1 only" or "compat only" when it binds',
          'only the container served by `drivers/vfio/vfio_iommu_type1.c` or only the one served by',
          'iommufd\'s compat layer, `drivers/iommu/iommufd/vfio_compat.c`), the source it was read from',
          '(`L` = the Linux kernel tree), and the properties that check it (`properties/type1/catalog.ts`).',
          'A variant that begins "Compat:" is how the compat layer answers under a rule that binds both',
          'containers; the profiles `type1v2-compat` and `type1v1-compat` are judged by it.',
        ],
        rules: RULES, groups: GROUPS, properties: PROPERTIES,
        profileLabel: (_p, r) => ruleBinding(r),
      }),
    },
    { path: 'spec/type1/protocol.schema.json', text: JSON.stringify(protocolSchema(), null, 2) + '\n' },
  ],
};
