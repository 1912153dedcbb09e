// The sPAPR TCE family: VFIO's sPAPR TCE container (v1 and v2) with its memory preregistration
// and DMA windows. This file only assembles what spec/spapr, models/spapr, properties/spapr and
// backends/spapr define.
import { fileURLToPath } from 'node:url';
import type { Family } from '../spec/family.ts';
import { CAPABILITIES, capabilitiesFor, PROFILES, type BackendInfo } from '../spec/spapr/backend.ts';
import { OBSERVATIONS, type Op, type Result } from '../spec/spapr/ops.ts';
import { GROUPS, ruleDoc, RULES } from '../spec/spapr/rules.ts';
import { decodeOp, decodeResult, encodeOp } from '../spec/spapr/wire.ts';
import { checkInfo, decodeInfo, encodeInfo } from '../spec/spapr/info.ts';
import { formatOp, formatResult } from '../spec/spapr/format.ts';
import { protocolSchema } from '../spec/spapr/schema.ts';
import { renderRuleDoc } from '../spec/rule-doc.ts';
import { SpaprModel } from '../models/spapr/system.ts';
import { PROPERTIES } from '../properties/spapr/catalog.ts';
import { BUNDLED } from '../backends/spapr/index.ts';
import { tsProgram } from './runner.ts';

/** Linux 6.12 ppc64le in a pseries guest (kernel/ppc64/backend.ts), one name per container type. */
const KERNEL_RUNNER = fileURLToPath(new URL('../kernel/ppc64/backend.ts', import.meta.url));
const kernel = (profile: 'v1' | 'v2') => ({
  name: `linux-spapr-${profile}@pseries`,
  description: `Linux 6.12 (Debian ppc64le) VFIO sPAPR TCE ${profile} containers in a pseries guest under QEMU TCG with edu devices`,
  kind: 'real' as const,
  command: `${tsProgram(KERNEL_RUNNER)} --profile ${profile}`,
  // The first request waits for the guest to boot under TCG.
  timeoutMs: 600_000,
  note: 'boots a ppc64 VM under TCG; needs root for apt-get on first use',
});

export const spapr: Family<Op, Result, BackendInfo> = {
  id: 'spapr',
  title: 'VFIO sPAPR TCE containers (v1 ENABLE, v2 REGISTER_MEMORY, TCE_CREATE/REMOVE, MAP/UNMAP on TCE windows)',
  rules: RULES,
  groups: GROUPS,
  profiles: PROFILES,
  capabilities: CAPABILITIES,
  observations: OBSERVATIONS,
  properties: PROPERTIES,
  bundled: [...BUNDLED, kernel('v2'), kernel('v1')],
  defaultBackends: BUNDLED.filter((b) => b.kind === 'correct').map((b) => b.name),

  model: (info) => new SpaprModel(info),
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
    { path: 'spec/spapr/rules.md', text: renderRuleDoc(ruleDoc(PROPERTIES)) },
    { path: 'spec/spapr/protocol.schema.json', text: JSON.stringify(protocolSchema(), null, 2) + '\n' },
  ],
};
