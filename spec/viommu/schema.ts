// The protocol as JSON Schema (draft 2020-12) for emulated-IOMMU backends, generated from the
// field tables of wire.ts, for backend authors in other languages.
import { PROTOCOL_VERSION } from '../protocol.ts';
import { envelopeSchema, schemaObject } from '../schema-envelope.ts';
import { CAPABILITIES, PROFILES } from './backend.ts';
import { ERRNOS, PERMS } from './ops.ts';
import { ACCESSES, EVENT_TYPES, OP_FIELDS, OUTCOMES, SCOPE_FIELDS, SCOPES, TARGETS, type Fields, type FieldType } from './wire.ts';

const u64 = { $ref: '#/$defs/u64' };
const id = { $ref: '#/$defs/id' };
const FIELD: Record<FieldType, unknown> = {
  u64,
  id,
  flags: { type: 'integer', minimum: 0, maximum: 0xffffffff, description: 'IOMMUNotifierFlag bits: UNMAP 1, MAP 2, DEVIOTLB 4' },
  perm: { $ref: '#/$defs/perm' },
  access: { enum: [...ACCESSES] },
  scope: { enum: [...SCOPES] },
  bool: { type: 'boolean' },
};

const object = schemaObject;

/** An object schema with properties that may be left out. */
const withOptional = (schema: ReturnType<typeof object>, optional: Record<string, unknown>) =>
  ({ ...schema, properties: { ...schema.properties, ...optional } });

const opSchema = (op: string, fields: Fields, fixed: Record<string, unknown> = {}) =>
  object({ op: { const: op }, ...fixed, ...Object.fromEntries(Object.entries(fields).map(([f, t]) => [f, FIELD[t]])) });

export function protocolSchema(): Record<string, unknown> {
  const ops = Object.entries(OP_FIELDS).flatMap(([op, fields]) =>
    op === 'invalidate'
      ? SCOPES.map((scope) => opSchema(op, SCOPE_FIELDS[scope], { scope: { const: scope } }))
      : [opSchema(op, fields)]);
  const count = { type: 'integer', minimum: 0 };
  const bool = { type: 'boolean' };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `vfio-conform out-of-process protocol, version ${PROTOCOL_VERSION}, family viommu (spec/protocol.md, spec/viommu/operations.md)`,
    $defs: {
      u64: { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' },
      id: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1, description: 'an endpoint, domain, index or notifier' },
      perm: { enum: [...PERMS] },
      op: { oneOf: ops },
      entry: object({ iova: u64, translatedAddr: u64, addrMask: u64, perm: { $ref: '#/$defs/perm' }, target: { enum: [...TARGETS] } }),
      result: {
        description: 'dma answers the outcome forms, translate the entry form, faults the records form, every other operation the events form',
        oneOf: [
          object({ ok: { const: false }, errno: { enum: [...ERRNOS] } }),
          object({ ok: { const: true }, events: { type: 'array', items: object({ notifier: id, type: { enum: [...EVENT_TYPES] }, entry: { $ref: '#/$defs/entry' } }) } }),
          object({ ok: { const: true }, outcome: { const: 'memory' }, addr: u64 }),
          object({ ok: { const: true }, outcome: { enum: OUTCOMES.filter((o) => o !== 'memory') } }),
          object({ ok: { const: true }, entry: { $ref: '#/$defs/entry' } }),
          object({ ok: { const: true }, faults: { type: 'array', items: object({ endpoint: id, iova: u64, access: { enum: ['read', 'write'] } }) } }),
        ],
      },
      info: withOptional(object({
        name: { type: 'string' }, description: { type: 'string' }, family: { const: 'viommu' }, profile: { enum: [...PROFILES] },
        capabilities: { type: 'array', items: { enum: [...CAPABILITIES] } },
        iovaBits: { type: 'integer', minimum: 12, maximum: 64 },
        pageSizes: { type: 'array', minItems: 1, items: u64 },
        indexes: count, endpoints: count, domains: count,
        cachingMode: bool, mapNotifiers: bool, deviceIotlb: bool,
        unattached: { enum: ['fault', 'bypass'] },
      }), { ram: object({ start: u64, size: u64 }), perms: { type: 'array', minItems: 1, items: { enum: [...PERMS] } }, vfio: object({ endpoint: id, notifiers: { type: 'array', minItems: 1, items: object({ notifier: id, start: u64, end: u64 }) } }) }),
    },
    oneOf: envelopeSchema('viommu'),
  };
}
