// The protocol's envelope as JSON Schema (draft 2020-12): the requests and replies every family
// shares (spec/protocol.md); each family's schema.ts adds its own INFO, OP and RESULT forms.
import { ACCEPTED_PROTOCOLS, MAX_BATCH, PROTOCOL_VERSION } from './protocol.ts';

/** An object with exactly these properties, all required. */
export const schemaObject = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false, ...extra });

/**
 * The top-level `oneOf` of a family's protocol: requests, and the replies of a backend whose
 * hello names `family`. `olderHellos`: the other hello replies the family accepts.
 */
export function envelopeSchema(family: string, olderHellos: readonly unknown[] = []): unknown[] {
  const object = schemaObject;
  return [
    { title: 'request', oneOf: [
      object({ id: { type: 'integer' }, type: { const: 'hello' }, protocol: { enum: [...ACCEPTED_PROTOCOLS] }, suite: { type: 'string' } }),
      object({ id: { type: 'integer' }, type: { const: 'reset' } }),
      object({ id: { type: 'integer' }, type: { const: 'execute' }, ops: { type: 'array', maxItems: MAX_BATCH, items: { $ref: '#/$defs/op' } } }),
      object({ id: { type: 'integer' }, type: { const: 'bye' } }),
    ] },
    { title: 'reply', oneOf: [
      object({ id: { type: 'integer' }, type: { const: 'hello' }, protocol: { const: PROTOCOL_VERSION }, family: { const: family }, info: { $ref: '#/$defs/info' } }),
      ...olderHellos,
      object({ id: { type: 'integer' }, type: { enum: ['reset', 'bye'] } }),
      object({ id: { type: 'integer' }, type: { const: 'results' }, results: { type: 'array', items: { $ref: '#/$defs/result' } } }),
      object({ id: {}, type: { const: 'error' }, message: { type: 'string' } }),
    ] },
  ];
}
