// The protocol as JSON Schema (draft 2020-12) for iommufd backends, generated from the field
// tables of wire.ts, for backend authors in other languages. `npm run spec` writes
// spec/iommufd/protocol.schema.json.
import { PROTOCOL_VERSION } from '../protocol.ts';
import { envelopeSchema, schemaObject } from '../schema-envelope.ts';
import { CAPABILITIES, PROFILES } from './backend.ts';
import { ERRNOS, MAX_IOAS } from './ops.ts';
import { BACKINGS, OP_FIELDS, PROTS, RESULT_FIELDS, type Fields, type FieldType } from './wire.ts';

const u64 = { $ref: '#/$defs/u64' };
const FIELD: Record<FieldType, unknown> = {
  u64,
  u32: { type: 'integer', minimum: 0, maximum: 0xffffffff },
  ioas: { $ref: '#/$defs/ioas' },
  dev: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1, description: 'a device: 0 .. devices-1 of the declaration' },
  prot: { enum: [...PROTS] },
  backing: { enum: [...BACKINGS] },
  bool: { type: 'boolean' },
  ranges: { type: 'array', items: { $ref: '#/$defs/range' } },
};

const object = schemaObject;

const withFields = (fixed: Record<string, unknown>, fields: Fields) =>
  object({ ...fixed, ...Object.fromEntries(Object.entries(fields).map(([f, t]) => [f, FIELD[t]])) });

export function protocolSchema(): Record<string, unknown> {
  const ops = Object.entries(OP_FIELDS).map(([op, fields]) => withFields({ op: { const: op } }, fields));
  // One success form per distinct set of values; which operation answers which is in operations.md.
  const shapes = new Map<string, Fields>();
  for (const fields of Object.values(RESULT_FIELDS)) shapes.set(Object.keys(fields).join(','), fields);
  const range = object({ start: u64, last: u64 });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `vfio-conform out-of-process protocol, version ${PROTOCOL_VERSION}, family iommufd (spec/protocol.md, spec/iommufd/operations.md)`,
    $defs: {
      u64: { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' },
      ioas: { type: 'integer', minimum: 0, maximum: MAX_IOAS - 1, description: 'the suite\'s handle of an IOAS' },
      range,
      op: { oneOf: ops },
      result: {
        description: 'a failure, or a success with the values of its operation (RESULT_FIELDS of spec/iommufd/wire.ts)',
        oneOf: [
          object({ ok: { const: false }, errno: { enum: [...ERRNOS] } }),
          ...[...shapes.values()].map((fields) => withFields({ ok: { const: true } }, fields)),
        ],
      },
      info: object({
        name: { type: 'string' }, description: { type: 'string' }, family: { const: 'iommufd' }, profile: { enum: [...PROFILES] },
        devices: {
          type: 'array', minItems: 1,
          items: object({
            pgsizes: u64, aperture: range, reserved: { type: 'array', items: range },
            hwInfoType: { type: 'integer', minimum: 0, maximum: 0xffffffff }, group: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
          }),
        },
        host: {
          ...object({ pageSize: u64, hugePageSize: u64, arena: object({ start: u64, size: u64 }) }),
          properties: { pageSize: u64, hugePageSize: u64, arena: object({ start: u64, size: u64 }), taskSize: u64 },
        },
        capabilities: { type: 'array', items: { enum: [...CAPABILITIES] } },
      }),
    },
    oneOf: envelopeSchema('iommufd'),
  };
}
