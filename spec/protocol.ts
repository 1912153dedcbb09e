// The out-of-process protocol (spec/protocol.md): the message envelope, whatever the family.

/** The protocol version the suite speaks first. */
export const PROTOCOL_VERSION = 2;
/** Every version the suite accepts, newest first: a peer that answers a hello with an error is offered the next. */
export const ACCEPTED_PROTOCOLS: readonly number[] = [2, 1];
/** The family of a peer whose hello names none (protocol 1 predates families). */
export const PROTOCOL_1_FAMILY = 'type1';
/** The most operations one `execute` request carries. */
export const MAX_BATCH = 256;

export type Request =
  | { id: number; type: 'hello'; protocol: number; suite: string }
  | { id: number; type: 'reset' }
  | { id: number; type: 'execute'; ops: Record<string, unknown>[] }
  | { id: number; type: 'bye' };

/** The reply to a hello: protocol 2 names the family; protocol 1 has no `family`. */
export type HelloReply =
  | { id: number; type: 'hello'; protocol: 2; family: string; info: unknown }
  | { id: number; type: 'hello'; protocol: 1; info: unknown };
