// Random well-typed op sequences never make a bundled backend throw, and the correct
// simulator's own bookkeeping stays consistent (sorted, disjoint mappings; dmaAvail; counters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUNDLED, findBundled } from '../../../backends/type1/index.ts';
import type { MappingDump, Op, Proc, Result } from '../../../spec/type1/ops.ts';
import { A, HUGE, P, TOP } from './ops.ts';

const proc = fc.constantFrom<Proc>(0, 1);
const vaddr = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 24 }).map((i) => A + BigInt(i) * P) },
  fc.nat({ max: 6 }).map((i) => A + BigInt(i) * HUGE),
  fc.constantFrom(0n, TOP - P, A + 0x800n),
);
const iova = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 24 }).map((i) => 0x100000n + BigInt(i) * P) },
  fc.constantFrom(0n, 0xfee00000n, 0xfedff000n, TOP - P, TOP - 2n * P, TOP - HUGE, 0x800n),
);
const size = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => BigInt(n) * P) },
  fc.constantFrom(0n, HUGE, 2n * HUGE, 0x800n, TOP - P, 1n << 63n),
);
const prot = fc.constantFrom('none', 'r', 'rw' as const);
const backing = fc.constantFrom('anon', 'hugetlb', 'mmio' as const);
const token = fc.bigInt({ min: 0n, max: 0xffffn });

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('mmap' as const), proc, vaddr, size, prot, backing }),
  fc.record({ op: fc.constant('munmap' as const), proc, vaddr, size }),
  fc.record({ op: fc.constant('mremap' as const), proc, vaddr, size, newVaddr: vaddr, newSize: size }),
  fc.record({ op: fc.constant('mprotect' as const), proc, vaddr, size, prot }),
  fc.record({ op: fc.constant('cpuWrite' as const), proc, vaddr, token }),
  fc.record({ op: fc.constant('cpuRead' as const), proc, vaddr }),
  fc.record({ op: fc.constant('setRlimitMemlock' as const), proc, bytes: fc.constantFrom(0n, 4n * P, 64n * P, TOP - 1n) }),
  fc.record({ op: fc.constant('setCapIpcLock' as const), proc, enabled: fc.boolean() }),
  fc.record({ op: fc.constant('map' as const), proc, flags: fc.constantFrom(0, 1, 2, 3, 4, 5, 8), iova, vaddr, size }),
  fc.record({
    op: fc.constant('map' as const), proc: fc.constant<Proc>(0), flags: fc.constantFrom(1, 3), iova,
    vaddr: fc.nat({ max: 8 }).map((i) => A + BigInt(i) * P), size: fc.integer({ min: 1, max: 4 }).map((n) => BigInt(n) * P),
  }),
  fc.record({ op: fc.constant('unmap' as const), proc, flags: fc.constantFrom(0, 4), iova, size }),
  fc.record({ op: fc.constant('dmaWrite' as const), iova, token }),
  fc.record({ op: fc.constant('dmaRead' as const), iova }),
  fc.record({ op: fc.constant('unmap' as const), proc, flags: fc.constantFrom(0, 0, 1, 2, 3, 4, 6, 8), iova, size: fc.oneof(size, fc.constant(0n)) }),
  fc.constant<Op>({ op: 'getInfo' }),
  fc.constant<Op>({ op: 'closeContainer' }),
  fc.record({ op: fc.constant('dmaRead' as const), iova }),
  fc.record({ op: fc.constant('dmaWrite' as const), iova, token }),
);

/** Memory to map first, so that MAP_DMA gets past pinning often. */
const setup = fc.record({
  op: fc.constant('mmap' as const), proc: fc.constantFrom<Proc>(0, 0, 0, 1), size: fc.integer({ min: 1, max: 16 }).map((n) => BigInt(n) * P),
  vaddr: fc.nat({ max: 8 }).map((i) => A + BigInt(i) * P), prot: fc.constantFrom('r', 'rw', 'rw' as const),
  backing: fc.constantFrom('anon', 'anon', 'mmio' as const),
});
const hugeSetup = fc.constant<Op>({ op: 'mmap', proc: 0, vaddr: A + 2n * HUGE, size: 2n * HUGE, prot: 'rw', backing: 'hugetlb' });
const ops = fc.tuple(fc.array(fc.oneof(setup, hugeSetup), { minLength: 1, maxLength: 4 }), fc.array(op, { minLength: 10, maxLength: 60 }))
  .map(([before, rest]) => [...before, ...rest]);

/** A small entry limit where there is one: iommufd's compat container has none and refuses the option. */
const LIMIT = 6n;
const options = (name: string): Record<string, string> => (name.startsWith('sim-type1-compat') ? {} : { dmaEntryLimit: String(LIMIT) });

describe('robustness', () => {
  it('no bundled backend throws', () => {
    const backends = BUNDLED.map((b) => b.create(options(b.name)));
    fc.assert(fc.property(ops, (sequence) => {
      for (const backend of backends) {
        backend.reset();
        expect(backend.execute(sequence)).toHaveLength(sequence.length);
      }
    }), { numRuns: 300 });
  });

  it('the correct simulators keep their bookkeeping consistent', () => {
    for (const name of ['sim-type1', 'sim-type1-v1', 'sim-type1-compat', 'sim-type1-compat-v1']) {
      const backend = findBundled(name)!.create(options(name));
      // T1-INFO-DMA-AVAIL: type1 counts down from the limit, the compat layer always says U32_MAX.
      const avail = (count: number): bigint => (name.includes('compat') ? 0xffffffffn : LIMIT - BigInt(count));
      fc.assert(fc.property(ops, (sequence) => {
        backend.reset();
        const check: Op[] = [{ op: 'dumpMappings' }, { op: 'getInfo' }, { op: 'counters' }];
        for (const o of sequence) {
          const [dump, info, counters] = (backend.execute([o, ...check]) as Result[]).slice(1);
          const mappings = (dump as { mappings: MappingDump[] }).mappings;
          for (let i = 1; i < mappings.length; i++) {
            expect(mappings[i - 1]!.iova + mappings[i - 1]!.size).toBeLessThanOrEqual(mappings[i]!.iova);
          }
          expect((info as { dmaAvail: bigint }).dmaAvail).toBe(avail(mappings.length));
          for (const v of (counters as { lockedVm: bigint[] }).lockedVm) expect(v).toBeGreaterThanOrEqual(0n);
        }
        backend.execute([{ op: 'closeContainer' }]);
        expect((backend.execute([{ op: 'counters' }]) as Result[])[0]).toEqual({ ok: true, lockedVm: [0n, 0n] });
      }), { numRuns: 300 });
    }
  });
});
