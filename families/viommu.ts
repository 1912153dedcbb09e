// The emulated-IOMMU family: QEMU's IOMMUMemoryRegion contract as intel-iommu, SMMUv3,
// virtio-iommu and the TrustZone MPC implement it and VFIO and vhost consume it. This file
// only assembles what spec/viommu, models/viommu, properties/viommu and backends/viommu define.
import { fileURLToPath } from 'node:url';
import type { Family } from '../spec/family.ts';
import { capabilitiesFor, CAPABILITIES, PROFILES, type BackendInfo } from '../spec/viommu/backend.ts';
import type { Op, Result } from '../spec/viommu/ops.ts';
import { GROUPS, RULES } from '../spec/viommu/rules.ts';
import { decodeOp, decodeResult, encodeOp } from '../spec/viommu/wire.ts';
import { checkInfo, decodeInfo, encodeInfo } from '../spec/viommu/info.ts';
import { formatOp, formatResult } from '../spec/viommu/format.ts';
import { protocolSchema } from '../spec/viommu/schema.ts';
import { renderRuleDoc } from '../spec/rule-doc.ts';
import { ViommuModel } from '../models/viommu/model.ts';
import { PROPERTIES } from '../properties/viommu/catalog.ts';
import { VIOMMU_BUNDLED } from '../backends/viommu/index.ts';
import { tsProgram } from './runner.ts';
import { QEMU_VERSIONS, type QemuVersion } from '../qemu/build.ts';

/** QEMU's real IOMMUs over qtest (qemu/README.md): intel-iommu, virtio-iommu, the TrustZone MPC; 7.2 is Debian 12's, 11.1 runs from a cached trixie tree. */
const CLI = fileURLToPath(new URL('../harness/cli/main.ts', import.meta.url));
const QEMU_VTD = fileURLToPath(new URL('../qemu/intel-iommu.ts', import.meta.url));
const QEMU_VIRTIO = fileURLToPath(new URL('../qemu/virtio-iommu/backend.ts', import.meta.url));
const QEMU_MPC = fileURLToPath(new URL('../qemu/mpc/backend.ts', import.meta.url));
const NOTE: Record<QemuVersion, string> = {
  '7.2': 'starts QEMU 7.2 (Debian 12\'s, installed on first use) over qtest',
  '11.1': 'starts QEMU 11.1 over qtest, from a Debian trixie tree built once per machine (about a minute, as root)',
};
const qemu = (version: QemuVersion, iommu: string, module: string, options: string, description: string) => ({
  name: `qemu-${version}:${iommu}`, description: `QEMU ${version} ${description}`, kind: 'real' as const,
  command: `${tsProgram(CLI)} serve --backend "${module}:version=${version}${options}"`,
  timeoutMs: 120_000,
  note: NOTE[version],
});
const QEMU_BUNDLED = QEMU_VERSIONS.flatMap((v) => [
  qemu(v, 'intel-iommu', QEMU_VTD, '', 'intel-iommu (VT-d) on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'intel-iommu-cm', QEMU_VTD, ',cm=on', 'intel-iommu (VT-d) in caching mode on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'virtio-iommu', QEMU_VIRTIO, '', 'virtio-iommu-pci on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'virtio-iommu-bypass', QEMU_VIRTIO, ',bypass=on', 'virtio-iommu-pci with boot-bypass=on (unattached endpoints pass untranslated) on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'mpc', QEMU_MPC, '', 'tz-mpc on mps2-an505 over qtest, Secure and Non-secure DMA from a PL081'),
]);

export const viommu: Family<Op, Result, BackendInfo> = {
  id: 'viommu',
  title: 'Emulated IOMMUs: the IOMMUMemoryRegion contract (intel-iommu, SMMUv3, virtio-iommu, TrustZone MPC)',
  rules: RULES,
  groups: GROUPS,
  profiles: PROFILES,
  capabilities: CAPABILITIES,
  properties: PROPERTIES,
  bundled: [...VIOMMU_BUNDLED, ...QEMU_BUNDLED],
  defaultBackends: VIOMMU_BUNDLED.filter((b) => b.kind === 'correct').map((b) => b.name),

  model: (info) => new ViommuModel(info),
  capabilitiesFor,
  encodeOp,
  decodeOp,
  decodeResult: (op, v, where) => decodeResult(op, v, where),
  encodeInfo,
  decodeInfo,
  checkInfo,
  formatOp,
  formatResult,
  schema: protocolSchema,
  docs: () => [
    {
      path: 'spec/viommu/rules.md',
      text: renderRuleDoc({
        title: 'Emulated IOMMUs: the rules',
        intro: [
          'Generated from `spec/viommu/rules.ts` by `npm run spec`; do not edit by hand.',
          '',
          'Each rule has a stable ID, a level (MUST or MAY), the programming models it binds (`vtd`,',
          '`smmuv3`, `virtio-iommu`, `mpc`), the source it was read from (`Q` = QEMU, `L` = Linux), and',
          'the properties that check it (`properties/viommu/catalog.ts`). What each operation does is in',
          '`spec/viommu/operations.md`.',
        ],
        rules: RULES, groups: GROUPS, properties: PROPERTIES,
        profileLabel: (p) => p,
      }),
    },
    { path: 'spec/viommu/protocol.schema.json', text: JSON.stringify(protocolSchema(), null, 2) + '\n' },
  ],
};
