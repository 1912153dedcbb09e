// Random well-typed op sequences never make a bundled iommufd backend throw, answer the same
// twice, and leave the correct simulators' counters consistent: never negative, and zero once
// the context is closed (IOMMUFD-OBJ-CLOSE).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUNDLED } from '../../../backends/iommufd/index.ts';
import type { Op } from '../../../spec/iommufd/ops.ts';
import { A, HUGE, P, U64_MAX, run } from './ops.ts';

const handle = fc.constantFrom(0, 0, 1, 2, 5);
const dev = fc.constantFrom(0, 0, 1, 3);
const vaddr = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 16 }).map((i) => A + BigInt(i) * P) },
  fc.constantFrom(0n, A + 0x800n, U64_MAX - P),
);
const iova = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 16 }).map((i) => 0x100000n + BigInt(i) * P) },
  fc.constantFrom(0n, 0xfee00000n, 0x8000000n, 1n << 48n, U64_MAX, U64_MAX - P + 1n, 0x800n),
);
const length = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }).map((n) => BigInt(n) * P) },
  fc.constantFrom(0n, 1n, HUGE, U64_MAX, U64_MAX - 1n, 1n << 63n),
);
const flags = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 6, 8);
const range = fc.record({ start: iova, last: iova });

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('mmap' as const), vaddr, size: length, prot: fc.constantFrom('none', 'r', 'rw', 'rw' as const), backing: fc.constantFrom('anon', 'anon', 'hugetlb', 'mmio' as const) }),
  fc.record({ op: fc.constant('munmap' as const), vaddr, size: length }),
  fc.record({ op: fc.constant('cpuWrite' as const), vaddr, token: fc.bigInt({ min: 1n, max: 0xffffn }) }),
  fc.record({ op: fc.constant('setRlimitMemlock' as const), bytes: fc.constantFrom(0n, 4n * P, U64_MAX) }),
  fc.record({ op: fc.constant('setCapIpcLock' as const), enabled: fc.boolean() }),
  fc.record({ op: fc.constant('ioasAlloc' as const), ioas: handle }),
  fc.record({ op: fc.constant('destroy' as const), ioas: handle }),
  fc.record({ op: fc.constant('map' as const), ioas: handle, flags, iova, vaddr, length }),
  fc.record({ op: fc.constant('unmap' as const), ioas: handle, iova, length }),
  fc.record({ op: fc.constant('copy' as const), dstIoas: handle, srcIoas: handle, flags, dstIova: iova, srcIova: iova, length }),
  fc.record({ op: fc.constant('iovaRanges' as const), ioas: handle }),
  fc.record({ op: fc.constant('allowIovas' as const), ioas: handle, ranges: fc.array(range, { maxLength: 2 }) }),
  fc.record({ op: fc.constant('setRlimitMode' as const), value: fc.constantFrom(0n, 1n, 2n) }),
  fc.record({ op: fc.constant('bind' as const), dev }),
  fc.record({ op: fc.constant('attach' as const), dev, ioas: handle }),
  fc.record({ op: fc.constant('attach' as const), dev, ioas: handle }),
  fc.record({ op: fc.constant('detach' as const), dev }),
  fc.record({ op: fc.constant('hwInfo' as const), dev }),
  fc.record({ op: fc.constant('dmaRead' as const), dev, iova }),
  fc.record({ op: fc.constant('dmaWrite' as const), dev, iova, token: fc.bigInt({ min: 1n, max: 0xffffn }) }),
  fc.constant<Op>({ op: 'counters' }),
  fc.constant<Op>({ op: 'closeCtx' }),
);
const setup: Op[] = [{ op: 'mmap', vaddr: A, size: 16n * P, prot: 'rw', backing: 'anon' }, { op: 'ioasAlloc', ioas: 0 }, { op: 'bind', dev: 0 }];
const ops = fc.array(op, { minLength: 10, maxLength: 60 }).map((rest) => [...setup, ...rest]);

describe('random sequences', () => {
  for (const b of BUNDLED) {
    it(`${b.name} answers every op, the same each time`, () => {
      const backend = b.create({});
      fc.assert(fc.property(ops, (seq) => {
        const first = run(backend, seq);
        expect(first).toHaveLength(seq.length);
        expect(run(backend, seq)).toEqual(first);
      }), { seed: 1, numRuns: 60 });
    });
  }

  for (const b of BUNDLED.filter((x) => x.kind === 'correct')) {
    it(`${b.name} never shows a negative counter and returns every charge at close`, () => {
      const backend = b.create({});
      fc.assert(fc.property(ops, (seq) => {
        const results = run(backend, [...seq, { op: 'closeCtx' }, { op: 'counters' }]);
        for (const r of results) if (r.ok && 'pinnedVm' in r) expect(r.pinnedVm >= 0n && r.lockedVm >= 0n).toBe(true);
        expect(results.at(-1)).toEqual({ ok: true, lockedVm: 0n, pinnedVm: 0n });
      }), { seed: 2, numRuns: 200 });
    });
  }
});
