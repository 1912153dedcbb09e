// The sPAPR TCE family: VFIO's sPAPR TCE container (v1 and v2) with its memory preregistration
// and DMA windows. This file only assembles what spec/spapr, models/spapr, properties/spapr and
// backends/spapr define.
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
import { SPAPR_KERNEL_BACKENDS } from '../kernel/ppc64/bundled.ts';
import { spaprReproducer } from '../backends/spapr/repro-c.ts';

export const spapr: Family<Op, Result, BackendInfo> = {
  id: 'spapr',
  title: 'VFIO sPAPR TCE containers (v1 ENABLE, v2 REGISTER_MEMORY, TCE_CREATE/REMOVE, MAP/UNMAP on TCE windows)',
  rules: RULES,
  groups: GROUPS,
  profiles: PROFILES,
  capabilities: CAPABILITIES,
  observations: OBSERVATIONS,
  properties: PROPERTIES,
  bundled: [...BUNDLED, ...SPAPR_KERNEL_BACKENDS],
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
  reproducer: spaprReproducer,
  docs: () => [
    { path: 'spec/spapr/rules.md', text: renderRuleDoc(ruleDoc(PROPERTIES)) },
    { path: 'spec/spapr/protocol.schema.json', text: JSON.stringify(protocolSchema(), null, 2) + '\n' },
  ],
};
