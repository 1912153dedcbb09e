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
import { QEMU_VERSIONS, type QemuSystem, type QemuVersion } from '../qemu/build.ts';

/** QEMU's real IOMMUs over qtest (qemu/README.md); 7.2 is Debian 12's, 11.1 runs from a cached trixie tree. */
const CLI = fileURLToPath(new URL('../harness/cli/main.ts', import.meta.url));
const module = (path: string): string => fileURLToPath(new URL(`../qemu/${path}`, import.meta.url));
const NOTE: Record<QemuVersion, string> = {
  '7.2': 'Debian 12\'s, installed on first use',
  '11.1': 'from a Debian trixie tree built once per machine, about a minute, as root',
};
const qemu = (version: QemuVersion, system: QemuSystem, iommu: string, path: string, options: string, description: string) => ({
  name: `qemu-${version}:${iommu}`, description: `QEMU ${version} ${description}`, kind: 'real' as const,
  command: `${tsProgram(CLI)} serve --backend "${module(path)}:version=${version}${options}"`,
  timeoutMs: 120_000,
  note: `starts qemu-system-${system} ${version} (${NOTE[version]}) over qtest`,
});
const QEMU_BUNDLED = QEMU_VERSIONS.flatMap((v) => [
  qemu(v, 'x86_64', 'intel-iommu', 'intel-iommu.ts', '', 'intel-iommu (VT-d) on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'x86_64', 'intel-iommu-cm', 'intel-iommu.ts', ',cm=on', 'intel-iommu (VT-d) in caching mode on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'aarch64', 'smmuv3', 'smmuv3/backend.ts', '', 'SMMUv3 (stage 1) on virt over qtest, edu devices as endpoints'),
  qemu(v, 'x86_64', 'virtio-iommu', 'virtio-iommu/backend.ts', '', 'virtio-iommu-pci on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'x86_64', 'virtio-iommu-bypass', 'virtio-iommu/backend.ts', ',bypass=on', 'virtio-iommu-pci with boot-bypass=on (unattached endpoints pass untranslated) on q35 over qtest, edu devices as endpoints'),
  qemu(v, 'arm', 'mpc', 'mpc/backend.ts', '', 'tz-mpc on mps2-an505 over qtest, Secure and Non-secure DMA from a PL081'),
  // 7.2's intel-iommu has no first-stage translation: 11.1 only.
  ...(v === '11.1' ? [qemu(v, 'x86_64', 'intel-iommu-flts', 'intel-iommu.ts', ',mode=flts', 'intel-iommu (VT-d) in scalable mode with first-stage tables (a PASID table per endpoint, RID_PASID 0) on q35 over qtest, edu devices as endpoints')] : []),
  // vfio-user-pci arrived in QEMU 10.1: 11.1 only.
  ...(v === '11.1' ? [
    qemu(v, 'x86_64', 'intel-iommu-vfio-user', 'vfio-user/backend.ts', '', 'intel-iommu (VT-d, caching mode) on q35 over qtest, QEMU\'s vfio-user-pci client as endpoint 0: its DMA_MAP and DMA_UNMAP messages are VFIO\'s notifier events'),
    qemu(v, 'x86_64', 'virtio-iommu-vfio-user', 'vfio-user/backend.ts', ',iommu=virtio-iommu', 'virtio-iommu-pci (boot-bypass=off) on q35 over qtest, QEMU\'s vfio-user-pci client as endpoint 0: its DMA_MAP and DMA_UNMAP messages are VFIO\'s notifier events'),
  ] : []),
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
