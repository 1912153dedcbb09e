// The wire codec of a family whose operations and results are flat records of typed fields,
// driven by its field tables: the family says how one field of each type travels, this file
// does the records. Decoding is strict (spec/protocol.md): a missing, unknown or wrongly typed
// field is an error naming its path.
import { decodeOutcome, describeValue, expectedError, expectKeys, isRecord, WireError } from './u64.ts';

export type Fields<T extends string> = Readonly<Record<string, T>>;

export interface FieldCodec<T extends string> {
  /** One field's value from the wire; with `bigints` u64s may also arrive as bigints (in-process backends). */
  decode(type: T, v: unknown, where: string, bigints: boolean): unknown;
  /** One field's value for the wire. */
  encode(type: T, v: unknown): unknown;
  /** Field names a record may leave out: absent on the wire exactly when undefined in the value. */
  optional?: ReadonlySet<string>;
}

export interface TableWire<Op, Result> {
  encodeOp(op: Op): Record<string, unknown>;
  decodeOp(v: unknown, where?: string): Op;
  /** `{ok: false, errno}`, or `{ok: true}` with the values the result table gives the op's kind. */
  decodeResult(op: { op: string }, raw: unknown, where?: string): Result;
  /** A result as a server sends it: u64 as hex strings, fields in table order. */
  encodeResult(op: { op: string }, r: Result): Record<string, unknown>;
}

export function tableWire<Op extends { op: string }, Result extends { ok: boolean }, T extends string>(
  opFields: Readonly<Record<Op['op'], Fields<T>>>,
  resultFields: Readonly<Record<Op['op'], Fields<T>>>,
  codec: FieldCodec<T>,
): TableWire<Op, Result> {
  const optional = codec.optional ?? new Set<string>();
  const table = (tables: Readonly<Record<string, Fields<T>>>, kind: string) => tables[kind] as Fields<T>;

  function encodeFields(fields: Fields<T>, v: Record<string, unknown>, out: Record<string, unknown>): Record<string, unknown> {
    for (const [name, type] of Object.entries(fields)) {
      if (optional.has(name) && v[name] === undefined) continue;
      out[name] = codec.encode(type, v[name]);
    }
    return out;
  }

  function decodeFields(fields: Fields<T>, v: Record<string, unknown>, where: string, head: string, bigints: boolean): Record<string, unknown> {
    const names = Object.keys(fields);
    expectKeys(v, names.filter((n) => !optional.has(n)), where, [head, ...names.filter((n) => optional.has(n))]);
    const out: Record<string, unknown> = { [head]: v[head] };
    for (const [name, type] of Object.entries(fields)) {
      if (optional.has(name) && v[name] === undefined) continue;
      out[name] = codec.decode(type, v[name], `${where}.${name}`, bigints);
    }
    return out;
  }

  return {
    encodeOp: (op) => encodeFields(table(opFields, op.op), op as unknown as Record<string, unknown>, { op: op.op }),
    decodeOp(v, where = 'op') {
      if (!isRecord(v)) throw expectedError(where, 'an object', v);
      if (typeof v.op !== 'string' || !Object.hasOwn(opFields, v.op)) {
        throw new WireError(`${where}.op: unknown operation ${describeValue(v.op)}`);
      }
      return decodeFields(table(opFields, v.op), v, where, 'op', false) as unknown as Op;
    },
    decodeResult(op, raw, where = 'result') {
      const v = decodeOutcome(raw, where);
      if (!v.ok) return v as unknown as Result;
      return decodeFields(table(resultFields, op.op), v, where, 'ok', true) as unknown as Result;
    },
    encodeResult(op, r) {
      const v = r as unknown as Record<string, unknown>;
      if (!r.ok) return { ok: false, errno: v.errno };
      return encodeFields(table(resultFields, op.op), v, { ok: true });
    },
  };
}
