// The iommufd generators: deterministic, inside the declared geometry, and aimed where bugs
// live: each property reaches the situations it is built for in a good share of its cases, and
// every rule it claims decides at least one expectation of the model.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { IommufdModel } from '../../models/iommufd/system.ts';
import { BUNDLED } from '../../backends/iommufd/index.ts';
import { PROPERTIES } from '../../properties/iommufd/catalog.ts';
import { Tracker } from '../../properties/iommufd/tracker.ts';
import type { BackendInfo } from '../../spec/iommufd/backend.ts';
import { MAX_IOAS, type Errno, type Op, type Result } from '../../spec/iommufd/ops.ts';
import { encodeOp, U64_MAX } from '../../spec/iommufd/wire.ts';

const simInfo = (name: string): BackendInfo => BUNDLED.find((b) => b.name === name)!.create({}).info;

/**
 * A valid but unusual declaration: two devices of one group, an aperture from 1M to 2^39-1 with a
 * reserved range at its bottom, 2M and 1G pages beside 4K on one and 4K only on the other, a small arena.
 */
const ODD: BackendInfo = {
  name: 'odd', description: 'unusual geometry', family: 'iommufd', profile: 'iommufd',
  devices: [
    { pgsizes: 0x1000n | 0x200000n | 0x40000000n, aperture: { start: 0x100000n, last: (1n << 39n) - 1n }, reserved: [{ start: 0x100000n, last: 0x1fffffn }, { start: 0x8000000n, last: 0x80fffffn }], hwInfoType: 2, group: 0 },
    { pgsizes: 0x1000n, aperture: { start: 0n, last: U64_MAX }, reserved: [], hwInfoType: 0, group: 0 },
  ],
  host: { pageSize: 4096n, hugePageSize: 0x200000n, arena: { start: 0x10000000n, size: 0x800000n } },
  capabilities: ['dma', 'dmaWrite', 'rlimit', 'capIpcLock', 'rlimitMode', 'hwInfo', 'pinnedVm'],
};

const INFOS: [string, BackendInfo][] = [['sim-iommufd', simInfo('sim-iommufd')], ['sim-iommufd-2dev', simInfo('sim-iommufd-2dev')], ['odd', ODD]];

const sample = (id: string, info: BackendInfo, runs: number, seed = 11): Op[][] =>
  fc.sample(PROPERTIES.find((p) => p.id === id)!.cases(info, 40), { seed, numRuns: runs });

describe('generation is deterministic', () => {
  for (const p of PROPERTIES) {
    test(`${p.id}: the same seed gives the same cases`, () => {
      const once = sample(p.id, ODD, 5, 3).map((c) => c.map(encodeOp));
      const again = sample(p.id, ODD, 5, 3).map((c) => c.map(encodeOp));
      expect(JSON.stringify(again)).toBe(JSON.stringify(once));
      expect(JSON.stringify(sample(p.id, ODD, 5, 4).map((c) => c.map(encodeOp)))).not.toBe(JSON.stringify(once));
    });
  }
});

describe('cases stay in the declared geometry', () => {
  for (const [name, info] of INFOS) {
    test(`${name}: host memory in the arena, devices declared, handles in range, capabilities held`, () => {
      const { start, size } = info.host.arena;
      const page = info.host.pageSize;
      for (const p of PROPERTIES) {
        for (const ops of sample(p.id, info, 15)) {
          for (const op of ops) {
            if (op.op === 'mmap' || op.op === 'munmap') {
              expect(op.vaddr >= start && op.vaddr + op.size <= start + size, `${p.id}: ${op.op} outside the arena`).toBe(true);
            }
            if (op.op === 'cpuWrite' || op.op === 'cpuRead') expect(op.vaddr % page).toBe(0n);
            if (op.op === 'dmaRead' || op.op === 'dmaWrite') expect(op.iova % page).toBe(0n);
            if ('dev' in op) expect(op.dev).toBeLessThan(info.devices.length);
            for (const h of ['ioas', 'srcIoas', 'dstIoas'] as const) if (h in op) expect((op as Record<string, unknown>)[h]).toBeLessThan(MAX_IOAS);
          }
          if (!info.capabilities.includes('cpuRead')) expect(ops.some((o) => o.op === 'cpuRead')).toBe(false);
          if (!info.capabilities.includes('mmio')) expect(ops.some((o) => o.op === 'mmap' && o.backing === 'mmio')).toBe(false);
          expect(ops.at(-1)?.op === 'closeCtx' || ops.some((o) => o.op === 'closeCtx')).toBe(true);
        }
      }
    });
  }
});

/** What happened in one case, by the model's answers: the situations a property aims at. */
function situations(info: BackendInfo, ops: readonly Op[]): Set<string> {
  const model = new IommufdModel(info);
  const tracker = new Tracker(info.devices.length);
  const seen = new Set<string>();
  let lastAllowOk = false;
  for (const op of ops) {
    const r: Result = model.apply(op).result;
    const before = tracker.live().map((h) => tracker.areas(h).length).reduce((a, b) => a + b, 0);
    const wasAttached = 'dev' in op ? tracker.attached[op.dev] : undefined;
    const areasThere = op.op === 'attach' ? tracker.areas(op.ioas).length : 0;
    tracker.apply(op, r, () => undefined);
    const after = tracker.live().map((h) => tracker.areas(h).length).reduce((a, b) => a + b, 0);
    const tag = r.ok ? 'ok' : r.errno;
    if (op.op === 'unmap' && !r.ok && r.errno === 'ENOENT' && after < before) seen.add('partial unmap failure');
    if (op.op === 'unmap' && r.ok && before - after >= 2) seen.add('unmap of several areas');
    if (op.op === 'unmap' && !r.ok && r.errno === 'ENOENT' && after === before && before > 0) seen.add('unmap refused inside an area');
    if (op.op === 'copy' && r.ok) seen.add('copy');
    if (op.op === 'map' && !(op.flags & 1) && r.ok && lastAllowOk) seen.add('automatic map in tight allowed ranges');
    if (op.op === 'map' && !r.ok) seen.add(`map ${tag}`);
    if (op.op === 'map' && r.ok && wasAttached === undefined && !(op.flags & 1)) seen.add('automatic map');
    if (op.op === 'attach' && r.ok && areasThere > 0) seen.add('attach after mapping');
    if (op.op === 'attach' && r.ok && wasAttached !== undefined && wasAttached >= 0 && wasAttached !== op.ioas) seen.add('replace');
    if (op.op === 'attach' && !r.ok && r.errno === 'EADDRINUSE') seen.add('attach conflict');
    if (op.op === 'destroy' && !r.ok && r.errno === 'EBUSY') seen.add('destroy busy');
    if (op.op === 'setRlimitMode' && r.ok && op.value === 1n) seen.add('rlimit mode 1');
    if (op.op === 'setRlimitMode' && !r.ok && r.errno === 'EBUSY') seen.add('rlimit mode busy');
    if (op.op === 'allowIovas' && !r.ok) seen.add(`allow ${tag}`);
    if (op.op === 'hwInfo' && r.ok) seen.add('hw info');
    if (op.op === 'dmaRead' && r.ok) seen.add('dma reaches');
    if (op.op === 'counters' && r.ok && 'pinnedVm' in r && r.pinnedVm > 0n) seen.add('pinned');
    lastAllowOk = op.op === 'allowIovas' ? r.ok : op.op === 'map' ? false : lastAllowOk;
  }
  return seen;
}

/** The share of `runs` cases of `property` on `info` in which each situation happened. */
function shares(property: string, info: BackendInfo, runs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ops of sample(property, info, runs)) for (const s of situations(info, ops)) counts.set(s, (counts.get(s) ?? 0) + 1);
  return new Map([...counts].map(([s, n]) => [s, n / runs]));
}

/** Per property, the situations it is built to reach and the least share of cases that must reach each. */
const AIMS: Record<string, [string, number][]> = {
  'map-validation': [['map EOPNOTSUPP', 0.2], ['map EINVAL', 0.3], ['map EOVERFLOW', 0.1], ['map EEXIST', 0.2], ['map EFAULT', 0.2], ['map ENOENT', 0.2]],
  'unmap-areas': [['partial unmap failure', 0.1], ['unmap of several areas', 0.15], ['unmap refused inside an area', 0.15], ['dma reaches', 0.5]],
  'copy-sharing': [['copy', 0.3], ['dma reaches', 0.5]],
  'iova-allocation': [['automatic map in tight allowed ranges', 0.3], ['map ENOSPC', 0.2], ['allow EADDRINUSE', 0.1], ['allow EINVAL', 0.1]],
  'attach-domains': [['attach after mapping', 0.2], ['replace', 0.1], ['attach conflict', 0.05]],
  accounting: [['map ENOMEM', 0.08], ['pinned', 0.4]],
  'rlimit-mode': [['rlimit mode 1', 0.2], ['rlimit mode busy', 0.2]],
  objects: [['destroy busy', 0.15]],
  'hw-info': [['hw info', 0.5]],
};

describe('each property reaches what it aims at', () => {
  test('every property has aims', () => {
    expect(Object.keys(AIMS).sort()).toEqual(PROPERTIES.filter((p) => p.id !== 'host-memory').map((p) => p.id).sort());
  });
  for (const [property, aims] of Object.entries(AIMS)) {
    test(`${property}`, () => {
      const got = shares(property, simInfo('sim-iommufd-2dev'), 60);
      for (const [situation, least] of aims) expect(got.get(situation) ?? 0, `${property}: ${situation}`).toBeGreaterThanOrEqual(least);
    });
  }
});

describe('properties exercise the rules they claim', () => {
  for (const p of PROPERTIES) {
    test(`${p.id}`, () => {
      const seen = new Set<string>();
      for (const info of [simInfo('sim-iommufd-2dev'), ODD]) {
        for (const ops of sample(p.id, info, 60)) {
          const model = new IommufdModel(info);
          for (const op of ops) {
            const e = model.apply(op);
            seen.add(e.rule);
            for (const r of e.alsoBroken ?? []) seen.add(r);
            // The rules that decide only what a wrong answer breaks: counters a page off either way, a later check's errno.
            const r = e.result;
            if (r.ok && 'pinnedVm' in r) {
              seen.add(model.blame(op, e, { ...r, lockedVm: r.lockedVm + 1n }));
              if (r.lockedVm > 0n) seen.add(model.blame(op, e, { ...r, lockedVm: r.lockedVm - 1n }));
              seen.add(model.blame(op, e, { ...r, pinnedVm: r.pinnedVm + 1n }));
            }
            const later = (e as { laterErrnos?: readonly Errno[] }).laterErrnos?.[0];
            if (!r.ok && later) seen.add(model.blame(op, e, { ok: false, errno: later }));
          }
        }
      }
      const missing = p.rules.filter((r) => !seen.has(r));
      expect(missing, `${p.id} never exercises ${missing.join(', ')}`).toEqual([]);
    });
  }
});
