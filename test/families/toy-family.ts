// A family made for the tests: one 64-bit register behind `write` and `read`. It is as small
// as a family can be, and it is registered without any change to the harness.
import fc from 'fast-check';
import type { Backend, BackendInfoBase, Family, FamilyOp } from '../../spec/family.ts';
import { decodeU64, hex, isRecord, WireError } from '../../spec/u64.ts';

type ToyOp = { op: 'write'; value: bigint } | { op: 'read' };
type ToyResult = { ok: true } | { ok: true; value: bigint };
type ToyInfo = BackendInfoBase & { family: 'toy'; profile: 'toy' };

const RULE = 'TOY-READ-LAST';

function sim(name: string, stale: boolean): Backend<ToyOp, ToyResult, ToyInfo> {
  let value = 0n;
  let previous = 0n;
  return {
    info: { name, description: stale ? 'reads return the value before the last write' : 'a register', family: 'toy', profile: 'toy', capabilities: [] },
    reset() { value = 0n; previous = 0n; },
    execute: (ops) => ops.map((op) => {
      if (op.op === 'read') return { ok: true, value: stale ? previous : value };
      previous = value;
      value = op.value;
      return { ok: true };
    }),
  };
}

const decodeOp = (v: unknown, where: string): ToyOp => {
  if (!isRecord(v)) throw new WireError(`${where}: expected an object`);
  if (v.op === 'read') return { op: 'read' };
  if (v.op === 'write') return { op: 'write', value: decodeU64(v.value, `${where}.value`) };
  throw new WireError(`${where}: unknown operation ${JSON.stringify(v.op)}`);
};

export const toy: Family<ToyOp, ToyResult, ToyInfo> = {
  id: 'toy',
  title: 'A register, for the tests',
  rules: [{ id: RULE, group: 'REG', level: 'MUST', profile: 'toy', statement: 'A read returns the last value written.', sources: [] }],
  groups: { REG: 'The register' },
  profiles: ['toy'],
  capabilities: [],
  properties: [{
    id: 'register', title: 'reads after writes', rules: [RULE], requires: [],
    cases: (_info, maxOps) => fc.array(fc.oneof(
      fc.record({ op: fc.constant('write' as const), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
      fc.constant({ op: 'read' as const }),
    ), { maxLength: maxOps }),
  }],
  bundled: [
    { name: 'toy-sim', description: 'a register', kind: 'correct', create: () => sim('toy-sim', false) },
    { name: 'toy-sim~stale', description: 'a register that reads stale', kind: 'mutant', rule: RULE, create: () => sim('toy-sim~stale', true) },
  ],
  defaultBackends: ['toy-sim'],
  model() {
    let value = 0n;
    return {
      apply: (op) => {
        if (op.op === 'read') return { result: { ok: true, value }, rule: RULE };
        value = op.value;
        return { result: { ok: true }, rule: RULE };
      },
      blame: () => RULE,
    };
  },
  capabilitiesFor: () => [],
  encodeOp: (op) => (op.op === 'write' ? { op: 'write', value: hex(op.value) } : { op: 'read' }),
  decodeOp,
  decodeResult(op, v, where) {
    if (!isRecord(v) || v.ok !== true) throw new WireError(`${where}: expected {ok: true}`);
    if (op.op === 'write') return { ok: true };
    return { ok: true, value: typeof v.value === 'bigint' ? v.value : decodeU64(v.value, `${where}.value`) };
  },
  encodeInfo: (info) => ({ ...info }),
  decodeInfo(v, where) {
    if (!isRecord(v) || typeof v.name !== 'string' || typeof v.description !== 'string') throw new WireError(`${where}: expected a toy info`);
    return { name: v.name, description: v.description, family: 'toy', profile: 'toy', capabilities: [] };
  },
  checkInfo: (info) => ((info as { profile?: unknown }).profile === 'toy' ? null : 'profile must be "toy"'),
  formatOp: (op: FamilyOp) => JSON.stringify(op, (_k, v) => (typeof v === 'bigint' ? hex(v) : v)),
  formatResult: (r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? hex(v) : v)),
  schema: () => ({}),
  docs: () => [],
};
