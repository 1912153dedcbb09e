// Random valid machine declarations for the bundled simulators, as their options
// (backends/type1/sim/options.ts). They aim at the unusual corners a real backend may declare:
// a large smallest IOMMU page, one IOVA range far from 0, ranges ending at 2^39-1 or 2^64-1,
// an entry limit of 0 or 1, 1 GiB huge pages, tiny arenas, arenas ending at TASK_SIZE.
import fc from 'fast-check';

const K = 1024n;
const M = K * K;
const G = K * M;
const U64_MAX = (1n << 64n) - 1n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

export interface Declaration {
  v2: boolean;
  options: Record<string, string>;
}

const pow2 = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => 1n << BigInt(n));

/** iova_pgsizes: the smallest page (4 KiB .. 2 MiB, often 64 KiB) and some larger ones. */
const pgsizes = fc.tuple(fc.oneof(fc.constantFrom(12, 16, 21), fc.integer({ min: 12, max: 21 })), fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }))
  .map(([shift, extra]) => (1n << BigInt(shift)) | (extra & ~((1n << BigInt(shift + 1)) - 1n)));

const end = fc.constantFrom(U64_MAX, (1n << 48n) - 1n, (1n << 39n) - 1n);

const iovaRanges: fc.Arbitrary<{ start: bigint; end: bigint }[]> = fc.oneof(
  // x86: the aperture with the MSI window cut out
  end.map((e) => [{ start: 0n, end: 0xfedfffffn }, { start: 0xfef00000n, end: e }]),
  // one range, possibly far from 0
  fc.tuple(fc.constantFrom(0n, 1n << 32n, 1n << 38n, 1n << 40n, 1n << 63n), end)
    .filter(([s, e]) => s < e).map(([start, e]) => [{ start, end: e }]),
  // a few ranges with holes, the last ending anywhere
  fc.tuple(fc.integer({ min: 1, max: 0xfff }), fc.integer({ min: 1, max: 0xfff }), fc.integer({ min: 1, max: 0xfff }), end)
    .map(([a, b, c, e]) => {
      const s1 = BigInt(a) * 2n * M;
      const e1 = s1 + BigInt(b) * 64n * K - 1n;
      const s2 = e1 + 1n + BigInt(c) * 4n * K;
      return s2 < e ? [{ start: s1, end: e1 }, { start: s2, end: e }] : [{ start: s1, end: e1 }];
    }),
);

const taskSize = fc.constantFrom((1n << 47n) - 4n * K, 1n << 47n, (1n << 56n) - 4n * K, 1n << 39n);

/** The arena: tiny to 1 TiB, ending at TASK_SIZE or placed anywhere page aligned below it. */
const arena = (task: bigint) => fc.tuple(
  fc.constantFrom(4n * K, 64n * K, 1n * M, 8n * M, 64n * M, 1n * G, 1n << 40n),
  fc.oneof(fc.constant(-1n), fc.bigInt({ min: 0n, max: 1n << 40n })),
).map(([size, at]) => {
  const room = task - 0x10000n;
  const s = size < room ? size : room - (room % (4n * K));
  const start = at < 0n ? task - s : 0x10000n + ((at * 4n * K) % (room - s + 4n * K));
  return { start: start - (start % (4n * K)), size: s };
});

export const declaration: fc.Arbitrary<Declaration> = fc.record({
  v2: fc.boolean(),
  pgsizes,
  iovaRanges,
  dmaEntryLimit: fc.oneof(fc.constantFrom(0n, 1n, 1n, 2n, 3n), fc.constantFrom(32n, 65535n)),
  hugePageSize: fc.oneof(fc.constantFrom(2n * M, G), pow2(16, 30)),
  taskSize,
}).chain((d) => arena(d.taskSize).map((a) => ({
  v2: d.v2,
  options: {
    pgsizes: hex(d.pgsizes),
    iovaRanges: d.iovaRanges.map((r) => `${hex(r.start)}-${hex(r.end)}`).join('+'),
    dmaEntryLimit: String(d.dmaEntryLimit),
    hugePageSize: hex(d.hugePageSize),
    taskSize: hex(d.taskSize),
    arenaStart: hex(a.start),
    arenaSize: hex(a.size),
  },
})));

/** The declarations the brief calls out by name, always tried. */
export const NAMED_DECLARATIONS: Declaration[] = [
  // a 64 MiB arena ending at 2^47, sliced into 4 MiB slots
  { v2: true, options: { arenaStart: hex((1n << 47n) - 64n * M), arenaSize: hex(64n * M) } },
  { v2: true, options: { pgsizes: '0x10000', iovaRanges: `${hex(1n << 40n)}-${hex((1n << 48n) - 1n)}`, dmaEntryLimit: '1' } },
  { v2: false, options: { pgsizes: '0x10000', iovaRanges: `0x0-${hex((1n << 39n) - 1n)}`, hugePageSize: hex(G) } },
  { v2: true, options: { hugePageSize: hex(G), arenaStart: hex(4n * G), arenaSize: hex(2n * G), taskSize: hex((1n << 47n) - 4n * K) } },
  { v2: true, options: { arenaStart: '0x10000', arenaSize: '0x1000', taskSize: hex(1n << 39n) } },
  { v2: false, options: { iovaRanges: `${hex(1n << 63n)}-${hex(U64_MAX)}`, pgsizes: '0x200000', dmaEntryLimit: '0' } },
];
