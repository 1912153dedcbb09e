// The sPAPR generators: deterministic, inside the declared geometry with small TCE tables, and
// aimed where bugs live: each property reaches the situations it is built for in a good share
// of its cases, every rule it claims decides at least one expectation of the model, and every
// rule of the family is claimed by a property.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SpaprModel } from '../../models/spapr/system.ts';
import { tableBytes } from '../../models/spapr/platform.ts';
import { BUNDLED } from '../../backends/spapr/index.ts';
import { PROPERTIES } from '../../properties/spapr/catalog.ts';
import { capabilitiesFor, type BackendInfo } from '../../spec/spapr/backend.ts';
import type { Op } from '../../spec/spapr/ops.ts';
import { RULES } from '../../spec/spapr/rules.ts';
import { decodeOp, encodeOp } from '../../spec/spapr/wire.ts';
import { info, powernv } from './helpers.ts';

const simInfo = (name: string): BackendInfo => BUNDLED.find((b) => b.name === name)!.create({}).info;

/** A valid but unusual declaration: powernv tables, 3 containers, a small arena, no second process. */
const ODD: BackendInfo = {
  ...info('spapr-v2', powernv, 3),
  host: { pageSize: 0x1000n, hugePageSize: 0x200000n, arena: { start: 0x10000000n, size: 0x1000000n } },
  capabilities: ['dma', 'dmaWrite', 'hugetlb', 'rlimit', 'capIpcLock', 'mremap'],
};

const INFOS: [string, BackendInfo][] = [
  ['sim-spapr-v2', simInfo('sim-spapr-v2')], ['sim-spapr-v1', simInfo('sim-spapr-v1')], ['odd', ODD], ['odd-v1', { ...ODD, profile: 'spapr-v1' }],
];

const applies = (id: string, inf: BackendInfo): boolean => {
  const p = PROPERTIES.find((q) => q.id === id)!;
  return (!p.profiles || p.profiles.includes(inf.profile)) && p.requires.every((c) => inf.capabilities.includes(c as never));
};

const sample = (id: string, inf: BackendInfo, runs: number, seed = 11): Op[][] =>
  fc.sample(PROPERTIES.find((p) => p.id === id)!.cases(inf, 60), { seed, numRuns: runs });

describe('generation is deterministic', () => {
  for (const p of PROPERTIES) {
    test(`${p.id}: the same seed gives the same cases, another seed others`, () => {
      const inf = INFOS.map(([, i]) => i).find((i) => applies(p.id, i))!;
      const once = JSON.stringify(sample(p.id, inf, 5, 3).map((c) => c.map(encodeOp)));
      expect(JSON.stringify(sample(p.id, inf, 5, 3).map((c) => c.map(encodeOp)))).toBe(once);
      expect(JSON.stringify(sample(p.id, inf, 5, 4).map((c) => c.map(encodeOp)))).not.toBe(once);
    });
  }
});

describe('cases stay in the declaration', () => {
  for (const [name, inf] of INFOS) {
    test(`${name}: host memory in the arena, declared containers, capabilities held, small tables, every container closed`, () => {
      const { start, size } = inf.host.arena;
      for (const p of PROPERTIES.filter((q) => applies(q.id, inf))) {
        for (const ops of fc.sample(p.cases(inf, 60), { seed: 1, numRuns: 20 })) {
          for (const op of ops) {
            expect(decodeOp(JSON.parse(JSON.stringify(encodeOp(op))), 'op')).toEqual(op);
            expect(capabilitiesFor(op).every((c) => inf.capabilities.includes(c)), `${p.id}: ${op.op} needs a capability`).toBe(true);
            if (op.op === 'mmap' || op.op === 'munmap') expect(op.vaddr >= start && op.vaddr + op.size <= start + size, `${p.id}: ${op.op} outside the arena`).toBe(true);
            if ('ct' in op) expect(op.ct).toBeLessThan(inf.containers.length);
            if (op.op === 'create' && ((inf.containers[op.ct]!.ddw?.pgsizes ?? 0n) >> BigInt(op.pageShift)) & 1n) {
              const g = inf.containers[op.ct]!;
              // A table of at most 1 MiB beside the default window's, whatever the platform: a big
              // one soft-locks a small guest.
              const bound = [1n << 20n, tableBytes(g.tableSizing, { pageShift: 12, windowSize: g.dma32.size, levels: 1 }, 12)];
              const most = bound[0]! > bound[1]! ? bound[0]! : bound[1]!;
              expect(tableBytes(g.tableSizing, op, 12), `${p.id}: create ${op.pageShift}/${op.windowSize}`).toBeLessThanOrEqual(most);
            }
          }
          const closed = new Set(ops.filter((o) => o.op === 'closeContainer').map((o) => (o as { ct: number }).ct));
          expect(closed.size).toBe(inf.containers.length);
        }
      }
    });
  }
});

describe('every address and size is a u64', () => {
  // Resolution subtracts a page from a window's end: a window that holds no whole TCE must not
  // make it wrap below zero (a case file then fails to load, and backends disagree on garbage).
  const u64 = (v: unknown): boolean => typeof v !== 'bigint' || (v >= 0n && v < 1n << 64n);
  for (const id of ['windows', 'map-unmap', 'mm-binding']) {
    test(id, () => {
      const inf = simInfo('sim-spapr-v2');
      for (const ops of sample(id, inf, 1000, 5)) {
        for (const op of ops) expect(Object.values(op).every(u64), `${id}: ${JSON.stringify(encodeOp(op))}`).toBe(true);
      }
    });
  }
});

/** What happened in one case, by the model's answers: the situations a property aims at. */
function situations(inf: BackendInfo, ops: readonly Op[]): Set<string> {
  const model = new SpaprModel(inf);
  const seen = new Set<string>();
  for (const op of ops) {
    const e = model.apply(op);
    const tag = e.result.ok ? 'ok' : e.result.errno;
    if (!['counters', 'dmaRead'].includes(op.op)) seen.add(`${op.op} ${tag}`);
    seen.add(`rule ${e.rule}`);
    if (op.op === 'counters' && e.result.ok && (e.result as { lockedVm: bigint[] }).lockedVm.some((v) => v > 0n)) seen.add('charged');
    if (op.op === 'dmaRead' && e.result.ok) seen.add('dma reaches');
  }
  return seen;
}

function shares(id: string, inf: BackendInfo, runs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ops of sample(id, inf, runs)) for (const s of situations(inf, ops)) counts.set(s, (counts.get(s) ?? 0) + 1);
  return new Map([...counts].map(([s, n]) => [s, n / runs]));
}

/** Per property, the situations it is built to reach, and the least share of cases reaching each. */
const AIMS: Record<string, [string, number][]> = {
  registration: [['register ok', 0.5], ['register EBUSY', 0.05], ['register EINVAL', 0.3], ['register EFAULT', 0.2], ['rule SPAPR-REG-SHARED', 0.05],
    ['unregister ENOENT', 0.1], ['rule SPAPR-UNREG-RELEASE', 0.05], ['unregister EBUSY', 0.02]],
  windows: [['create ok', 0.4], ['create ENOSPC', 0.15], ['create EINVAL', 0.2], ['create ENODEV', 0.1], ['create EPERM', 0.03], ['remove ok', 0.3], ['remove EINVAL', 0.1], ['rule SPAPR-DEFAULT-WINDOW', 0.3]],
  'map-unmap': [['map ok', 0.35], ['rule SPAPR-MAP-WINDOW-END', 0.15], ['rule SPAPR-MAP-PREREG', 0.05], ['map ENXIO', 0.1], ['rule SPAPR-MAP-ATOMIC', 0.1], ['unmap ok', 0.3], ['dma reaches', 0.25]],
  'host-memory': [['mremap ok', 0.1], ['munmap ok', 0.3], ['map ok', 0.2], ['dma reaches', 0.15]],
  accounting: [['register ENOMEM', 0.05], ['create ENOMEM', 0.03], ['charged', 0.5]],
  v1: [['enable ok', 0.4], ['enable EBUSY', 0.1], ['disable ok', 0.2], ['map EPERM', 0.2], ['register ENOTTY', 0.1], ['map ok', 0.1]],
  release: [['closeContainer ok', 0.9], ['charged', 0.5]],
  'mm-binding': [['rule SPAPR-MM-BIND', 0.1]],
};

describe('each property reaches what it aims at', () => {
  test('every property has aims', () => {
    expect(Object.keys(AIMS).sort()).toEqual(PROPERTIES.map((p) => p.id).sort());
  });
  for (const [id, aims] of Object.entries(AIMS)) {
    test(id, () => {
      const inf = id === 'v1' ? simInfo('sim-spapr-v1') : simInfo('sim-spapr-v2');
      const got = shares(id, inf, 60);
      for (const [situation, least] of aims) expect(got.get(situation) ?? 0, `${id}: ${situation}`).toBeGreaterThanOrEqual(least);
    });
  }
});

describe('properties exercise the rules they claim', () => {
  test('every rule of the family is claimed by a property', () => {
    const claimed = new Set(PROPERTIES.flatMap((p) => p.rules));
    expect(RULES.map((r) => r.id).filter((id) => !claimed.has(id))).toEqual([]);
  });
  for (const p of PROPERTIES) {
    test(p.id, () => {
      const seen = new Set<string>();
      for (const [, inf] of INFOS.filter(([, i]) => applies(p.id, i))) {
        for (const ops of sample(p.id, inf, 60)) {
          const model = new SpaprModel(inf);
          for (const op of ops) {
            const e = model.apply(op);
            seen.add(e.rule);
            if (op.op === 'counters' || op.op === 'dmaRead' || op.op === 'dmaWrite') seen.add(model.blame(op, e));
          }
        }
      }
      const missing = p.rules.filter((r) => !seen.has(r));
      expect(missing, `${p.id} never exercises ${missing.join(', ')}`).toEqual([]);
    });
  }
});
