// The out-of-process protocol (spec/protocol.md): the message envelope, whatever the family.
import { isRecord, WireError } from './u64.ts';

/**
 * Version 2 names the family in the hello reply. Version 1 peers (type1 only, no family) are
 * still accepted: a peer that refuses a version-2 hello is greeted again with version 1.
 */
export const PROTOCOL_VERSION = 2;
export const PROTOCOL_VERSIONS: readonly number[] = [1, 2];
/** The family of a version-1 peer, which predates families. */
export const V1_FAMILY = 'type1';
/** The most operations one `execute` request carries. */
export const MAX_BATCH = 256;

export type Request =
  | { id: number; type: 'hello'; protocol: number; suite: string }
  | { id: number; type: 'reset' }
  | { id: number; type: 'execute'; ops: Record<string, unknown>[] }
  | { id: number; type: 'bye' };

/** Check a reply's envelope: an object with the expected id and type, or an error reply. */
export function checkReply(v: unknown, id: number, type: string): Record<string, unknown> {
  if (!isRecord(v)) throw new WireError(`reply to request ${id}: expected a JSON object`);
  if (v.id !== id) throw new WireError(`reply out of order: expected id ${id}, got ${JSON.stringify(v.id)}`);
  if (v.type === 'error') throw new WireError(`backend reported an error: ${typeof v.message === 'string' ? v.message : JSON.stringify(v.message)}`);
  if (v.type !== type) throw new WireError(`reply to request ${id}: expected type "${type}", got ${JSON.stringify(v.type)}`);
  return v;
}
