// The out-of-process protocol (spec/protocol.md): message shapes and the BackendInfo codec.
import { CAPABILITIES, type BackendInfo, type Capability } from './type1/backend.ts';
import { hex, WireError } from './type1/wire.ts';

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

/** The reply to a hello: protocol 2 names the operation family; protocol 1 has no `family`. */
export type HelloReply =
  | { id: number; type: 'hello'; protocol: 2; family: string; info: unknown }
  | { id: number; type: 'hello'; protocol: 1; info: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function u64(v: unknown, where: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(v)) throw new WireError(`${where}: expected a u64 as a "0x..." hex string, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new WireError(`${where}: expected a string`);
  return v;
}

export function encodeInfo(info: BackendInfo): Record<string, unknown> {
  const { geometry: g, host: h } = info;
  return {
    name: info.name, description: info.description, profile: info.profile,
    geometry: { pgsizes: hex(g.pgsizes), iovaRanges: g.iovaRanges.map((r) => ({ start: hex(r.start), end: hex(r.end) })), dmaEntryLimit: hex(g.dmaEntryLimit) },
    host: { pageSize: hex(h.pageSize), hugePageSize: hex(h.hugePageSize), arena: { start: hex(h.arena.start), size: hex(h.arena.size) } },
    capabilities: info.capabilities,
  };
}

export function decodeInfo(v: unknown, where = 'info'): BackendInfo {
  if (!isRecord(v)) throw new WireError(`${where}: expected an object`);
  const g = v.geometry;
  const h = v.host;
  if (!isRecord(g)) throw new WireError(`${where}.geometry: expected an object`);
  if (!isRecord(h) || !isRecord(h.arena)) throw new WireError(`${where}.host: expected an object with an arena`);
  if (v.profile !== 'type1v2' && v.profile !== 'type1v1') throw new WireError(`${where}.profile: expected "type1v2" or "type1v1"`);
  if (!Array.isArray(g.iovaRanges)) throw new WireError(`${where}.geometry.iovaRanges: expected an array`);
  if (!Array.isArray(v.capabilities)) throw new WireError(`${where}.capabilities: expected an array`);
  const capabilities = v.capabilities.map((c, i) => {
    if (!(CAPABILITIES as readonly unknown[]).includes(c)) throw new WireError(`${where}.capabilities[${i}]: unknown capability ${JSON.stringify(c)}`);
    return c as Capability;
  });
  return {
    name: str(v.name, `${where}.name`),
    description: str(v.description, `${where}.description`),
    profile: v.profile,
    geometry: {
      pgsizes: u64(g.pgsizes, `${where}.geometry.pgsizes`),
      iovaRanges: g.iovaRanges.map((r, i) => {
        if (!isRecord(r)) throw new WireError(`${where}.geometry.iovaRanges[${i}]: expected an object`);
        return { start: u64(r.start, `${where}.geometry.iovaRanges[${i}].start`), end: u64(r.end, `${where}.geometry.iovaRanges[${i}].end`) };
      }),
      dmaEntryLimit: u64(g.dmaEntryLimit, `${where}.geometry.dmaEntryLimit`),
    },
    host: {
      pageSize: u64(h.pageSize, `${where}.host.pageSize`),
      hugePageSize: u64(h.hugePageSize, `${where}.host.hugePageSize`),
      arena: { start: u64(h.arena.start, `${where}.host.arena.start`), size: u64(h.arena.size, `${where}.host.arena.size`) },
    },
    capabilities,
  };
}

/** Check a reply's envelope: an object with the expected id and type, or an error reply. */
export function checkReply(v: unknown, id: number, type: string): Record<string, unknown> {
  if (!isRecord(v)) throw new WireError(`reply to request ${id}: expected a JSON object`);
  if (v.id !== id) throw new WireError(`reply out of order: expected id ${id}, got ${JSON.stringify(v.id)}`);
  if (v.type === 'error') throw new WireError(`backend reported an error: ${typeof v.message === 'string' ? v.message : JSON.stringify(v.message)}`);
  if (v.type !== type) throw new WireError(`reply to request ${id}: expected type "${type}", got ${JSON.stringify(v.type)}`);
  return v;
}
