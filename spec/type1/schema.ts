// The protocol as JSON Schema (draft 2020-12) for type1 backends, generated from OP_FIELDS, for
// backend authors in other languages. `npm run spec` writes spec/type1/protocol.schema.json.
import { CAPABILITIES, PROFILES } from './backend.ts';
import { ERRNOS } from './ops.ts';
import { PROTOCOL_VERSION } from '../protocol.ts';
import { envelopeSchema, schemaObject } from '../schema-envelope.ts';
import { OP_FIELDS } from './wire.ts';

const u64 = { $ref: '#/$defs/u64' };
const FIELD = {
  u64,
  u32: { type: 'integer', minimum: 0, maximum: 0xffffffff },
  proc: { enum: [0, 1] },
  prot: { enum: ['none', 'r', 'rw'] },
  backing: { enum: ['anon', 'hugetlb', 'mmio'] },
  bool: { type: 'boolean' },
} as const;

const object = schemaObject;

export function protocolSchema(): Record<string, unknown> {
  const ops = Object.entries(OP_FIELDS).map(([op, fields]) =>
    object({ op: { const: op }, ...Object.fromEntries(Object.entries(fields).map(([f, t]) => [f, FIELD[t]])) }));
  const range = object({ start: u64, end: u64 });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `vfio-conform out-of-process protocol, version ${PROTOCOL_VERSION}, family type1 (spec/protocol.md)`,
    $defs: {
      u64: { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' },
      op: { oneOf: ops },
      result: {
        oneOf: [
          object({ ok: { const: false }, errno: { enum: [...ERRNOS] } }),
          {
            type: 'object', required: ['ok'],
            properties: {
              ok: { const: true }, token: u64, unmapped: u64, pgsizes: u64, dmaAvail: u64,
              present: { type: 'boolean' }, maxDirtyBitmapSize: u64,
              iovaRanges: { type: 'array', items: range },
              lockedVm: { type: 'array', items: u64 },
              mappings: { type: 'array', items: object({ iova: u64, size: u64, read: { type: 'boolean' }, write: { type: 'boolean' } }) },
            },
            additionalProperties: false,
          },
        ],
      },
      info: object({
        name: { type: 'string' }, description: { type: 'string' }, profile: { enum: [...PROFILES] },
        geometry: object({ pgsizes: u64, iovaRanges: { type: 'array', items: range }, dmaEntryLimit: u64 }),
        host: {
          ...object({ pageSize: u64, hugePageSize: u64, arena: object({ start: u64, size: u64 }) }),
          properties: { pageSize: u64, hugePageSize: u64, arena: object({ start: u64, size: u64 }), taskSize: u64 },
        },
        capabilities: { type: 'array', items: { enum: [...CAPABILITIES] } },
      }),
    },
    oneOf: envelopeSchema('type1', [object({ id: { type: 'integer' }, type: { const: 'hello' }, protocol: { const: 1 }, info: { $ref: '#/$defs/info' } })]),
  };
}
