// The protocol as JSON Schema (draft 2020-12) for sPAPR TCE backends, generated from the field
// tables of wire.ts, for backend authors in other languages. `npm run spec` writes
// spec/spapr/protocol.schema.json.
import { PROTOCOL_VERSION } from '../protocol.ts';
import { envelopeSchema, schemaObject as object } from '../schema-envelope.ts';
import { CAPABILITIES, PROFILES } from './backend.ts';
import { TABLE_SIZINGS, WINDOW_SLOTS } from './info.ts';
import { ERRNOS } from './ops.ts';
import { BACKINGS, CT_LIMIT, OP_FIELDS, OPTIONAL_FIELDS, PROTS, RESULT_FIELDS, type FieldType } from './wire.ts';
import type { Fields } from '../wire-table.ts';

const u64 = { $ref: '#/$defs/u64' };
const u32 = { type: 'integer', minimum: 0, maximum: 0xffffffff };
const ddw = object({ pgsizes: u64, maxDynamicWindows: u32, levels: u32 });
const FIELD: Record<FieldType, unknown> = {
  u64,
  u32,
  proc: { enum: [0, 1] },
  ct: { type: 'integer', minimum: 0, maximum: CT_LIMIT - 1, description: 'a container: 0 .. containers-1 of the declaration' },
  prot: { enum: [...PROTS] },
  backing: { enum: [...BACKINGS] },
  bool: { type: 'boolean' },
  u64s: { type: 'array', items: u64 },
  ddw: { ...ddw, description: 'present exactly when GET_INFO\'s flags has VFIO_IOMMU_SPAPR_INFO_DDW' },
};

function withFields(fixed: Record<string, unknown>, fields: Fields<FieldType>) {
  const properties = { ...fixed, ...Object.fromEntries(Object.entries(fields).map(([f, t]) => [f, FIELD[t]])) };
  return object(properties, { required: Object.keys(properties).filter((f) => !OPTIONAL_FIELDS.has(f)) });
}

export function protocolSchema(): Record<string, unknown> {
  const ops = Object.entries(OP_FIELDS).map(([op, fields]) => withFields({ op: { const: op } }, fields));
  // One success form per distinct set of values; which operation answers which is in operations.md.
  const shapes = new Map<string, Fields<FieldType>>();
  for (const fields of Object.values(RESULT_FIELDS)) shapes.set(Object.keys(fields).join(','), fields);
  const span = object({ start: u64, size: u64 });
  const container = object(
    { dma32: span, ddw, windowStarts: { type: 'array', items: u64, minItems: WINDOW_SLOTS, maxItems: WINDOW_SLOTS }, tableSizing: { enum: [...TABLE_SIZINGS] } },
    { required: ['dma32', 'windowStarts', 'tableSizing'] },
  );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `vfio-conform out-of-process protocol, version ${PROTOCOL_VERSION}, family spapr (spec/protocol.md, spec/spapr/operations.md)`,
    $defs: {
      u64: { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' },
      op: { oneOf: ops },
      result: {
        description: 'a failure, or a success with the values of its operation (RESULT_FIELDS of spec/spapr/wire.ts)',
        oneOf: [
          object({ ok: { const: false }, errno: { enum: [...ERRNOS] } }),
          ...[...shapes.values()].map((fields) => withFields({ ok: { const: true } }, fields)),
        ],
      },
      info: object({
        name: { type: 'string' }, description: { type: 'string' }, family: { const: 'spapr' }, profile: { enum: [...PROFILES] },
        containers: { type: 'array', minItems: 1, items: container },
        host: object({ pageSize: u64, hugePageSize: u64, arena: span, taskSize: u64 }, { required: ['pageSize', 'hugePageSize', 'arena'] }),
        capabilities: { type: 'array', items: { enum: [...CAPABILITIES] } },
      }),
    },
    oneOf: envelopeSchema('spapr'),
  };
}
