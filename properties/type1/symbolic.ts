// Symbolic operations: what the generators produce and fast-check shrinks.
//
// A symbolic operation names existing state instead of raw addresses: "the 3rd live mapping",
// "one page past the end of it", "the last page of the 2nd VMA". Random 64-bit addresses
// almost never hit existing state; symbolic ones hit it by construction, and they stay
// meaningful while fast-check shrinks the sequence around them. `pick` values are taken
// modulo the length of the list they index, so every shrink is still a valid sequence.
import fc from 'fast-check';
import type { Backing, Proc, Prot } from '../../spec/type1/ops.ts';
import { U64_MAX } from '../../spec/type1/wire.ts';

/** Where a mapping's iova goes, relative to existing mappings or to the IOVA geometry. */
export type IovaChoice =
  | { at: 'after'; pick: number; gap: number }
  | { at: 'before'; pick: number; gap: number }
  | { at: 'overlapHead'; pick: number }
  | { at: 'overlapTail'; pick: number }
  | { at: 'same'; pick: number }
  | { at: 'rangeStart'; range: number; shift: number }
  | { at: 'rangeEnd'; range: number; shift: number }
  | { at: 'low'; page: number }
  | { at: 'anywhere'; value: bigint };

/** Where a mapping's vaddr comes from. */
export type VaddrChoice =
  | { from: 'vma'; pick: number; page: number }
  | { from: 'mapping'; pick: number; page: number }
  | { from: 'slot'; slot: number }
  | { from: 'anywhere'; value: bigint };

/** A size in IOMMU pages (cut to what the VMA holds), or a shape that depends on the target. */
export type SizeChoice =
  | { pages: number }
  | { shape: 'zero' | 'fitVma' | 'overrunVma' | 'huge' | 'wrap' | 'toTop' };

/** A range of iovas for UNMAP, relative to live mappings. */
export type UnmapRange =
  | { of: 'mapping'; pick: number }
  | { of: 'span'; pick: number; count: number }
  /** A span that cuts its first mapping (starts inside it) or its last (ends inside it). */
  | { of: 'spanCut'; pick: number; count: number; cut: 'first' | 'last' }
  | { of: 'headCut'; pick: number }
  | { of: 'tailCut'; pick: number }
  | { of: 'inside'; pick: number }
  | { of: 'around'; pick: number }
  | { of: 'gap'; pick: number }
  | { of: 'toTop'; pages: number }
  | { of: 'raw'; iova: IovaChoice; size: SizeChoice };

/** A range of a process's address space, relative to live VMAs or the vaddr of a mapping. */
export type VaddrRange =
  | { of: 'mappingVaddr'; pick: number; part: 'whole' | 'head' | 'tail' | 'middle' }
  | { of: 'vma'; pick: number; part: 'whole' | 'head' | 'tail' | 'middle' };

/** One piece of the memory behind a multi-VMA request: its size in IOMMU pages, protection and backing. */
export interface Part { pages: number; prot: Prot; backing: Backing }

/**
 * A MAP_DMA across adjacent VMAs: `parts` are mmapped next to each other (a hole of one page
 * before part `hole`, none when `hole` is 0), then one request maps from the first part
 * (`from` its first page, or its last) to the last (`to` its end, or its first page).
 */
export interface Across { parts: Part[]; hole: number; from: 'first' | 'last'; to: 'end' | 'first' }

/**
 * 0: aligned; 1: iova, 2: vaddr, 3: size off by half an IOMMU page. An unmap has no vaddr: 2
 * puts its size off by half a page, 3 by one byte, so that its last byte is the first of the
 * next page (where the compat layer's v1 cut leaves a mapping whole, T1-COMPAT-UNMAP-V1-CUT).
 */
export type Misalign = 0 | 1 | 2 | 3;

export type SymOp =
  | { k: 'mmap'; proc: Proc; slot: number; pages: number; prot: Prot; backing: Backing }
  | { k: 'munmap'; proc: Proc; range: VaddrRange }
  | { k: 'remmap'; proc: Proc; range: VaddrRange }
  | { k: 'mremap'; proc: Proc; range: VaddrRange; slot: number; grow: number }
  | { k: 'mprotect'; proc: Proc; range: VaddrRange; prot: Prot }
  | { k: 'cpuWrite'; proc: Proc; at: VaddrChoice }
  | { k: 'cpuRead'; proc: Proc; at: VaddrChoice }
  | { k: 'rlimit'; proc: Proc; headroom: number }
  | { k: 'cap'; proc: Proc; enabled: boolean }
  | { k: 'map'; proc: Proc; flags: number; iova: IovaChoice; vaddr: VaddrChoice; size: SizeChoice; misalign: Misalign }
  | { k: 'mapMany'; proc: Proc; count: number }
  | ({ k: 'mapAcross'; proc: Proc; slot: number; flags: number; iova: IovaChoice } & Across)
  | { k: 'unmap'; proc: Proc; flags: number; range: UnmapRange; misalign: Misalign }
  | { k: 'unmapAll'; proc: Proc; flags: number; nonZero: boolean }
  | { k: 'invalidate'; proc: Proc; range: UnmapRange; all: boolean }
  | { k: 'update'; proc: Proc; pick: number; vaddr: VaddrChoice; exact: boolean }
  | { k: 'dmaWrite'; pick: number; page: number }
  | { k: 'getInfo' }
  | { k: 'dirtyPages'; flags: number }
  | { k: 'migrationInfo' }
  | { k: 'close' };

export type SymKind = SymOp['k'];

const pick = fc.nat({ max: 63 });
const proc = fc.constantFrom<Proc>(0, 0, 0, 1);
const page = fc.oneof(fc.constantFrom(0, 1, -1, -2), fc.integer({ min: -16, max: 16 }));
const slot = fc.nat({ max: 15 });
const anyU64 = fc.bigInt({ min: 0n, max: U64_MAX });

export const iovaChoice: fc.Arbitrary<IovaChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ at: fc.constant('after' as const), pick, gap: fc.constantFrom(0, 0, 1, 3) }) },
  { weight: 3, arbitrary: fc.record({ at: fc.constant('before' as const), pick, gap: fc.constantFrom(0, 0, 1) }) },
  { weight: 2, arbitrary: fc.record({ at: fc.constant('overlapHead' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ at: fc.constant('overlapTail' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ at: fc.constant('same' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ at: fc.constant('rangeStart' as const), range: pick, shift: fc.constantFrom(0, 0, -1, 1) }) },
  { weight: 2, arbitrary: fc.record({ at: fc.constant('rangeEnd' as const), range: pick, shift: fc.constantFrom(0, 0, -1, 1) }) },
  { weight: 6, arbitrary: fc.record({ at: fc.constant('low' as const), page: fc.nat({ max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ at: fc.constant('anywhere' as const), value: anyU64 }) },
);

export const vaddrChoice: fc.Arbitrary<VaddrChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ from: fc.constant('vma' as const), pick, page }) },
  { weight: 3, arbitrary: fc.record({ from: fc.constant('mapping' as const), pick, page }) },
  { weight: 1, arbitrary: fc.record({ from: fc.constant('slot' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ from: fc.constant('anywhere' as const), value: anyU64 }) },
);

export const sizeChoice: fc.Arbitrary<SizeChoice> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ pages: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ shape: fc.constant('fitVma' as const) }) },
  { weight: 1, arbitrary: fc.record({ shape: fc.constantFrom('zero' as const, 'overrunVma' as const, 'huge' as const, 'wrap' as const, 'toTop' as const) }) },
);

const unmapRange: fc.Arbitrary<UnmapRange> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ of: fc.constant('mapping' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ of: fc.constant('span' as const), pick, count: fc.integer({ min: 2, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('spanCut' as const), pick, count: fc.integer({ min: 2, max: 4 }), cut: fc.constantFrom('first' as const, 'last' as const) }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('headCut' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('tailCut' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('inside' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('around' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('gap' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('toTop' as const), pages: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('raw' as const), iova: iovaChoice, size: sizeChoice }) },
);

const part = fc.constantFrom('whole' as const, 'whole' as const, 'head' as const, 'tail' as const, 'middle' as const);
const vaddrRange: fc.Arbitrary<VaddrRange> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ of: fc.constant('mappingVaddr' as const), pick, part }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('vma' as const), pick, part }) },
);

const misalign = fc.oneof({ weight: 12, arbitrary: fc.constant<Misalign>(0) }, { weight: 1, arbitrary: fc.constantFrom<Misalign>(1, 2, 3) });
/** READ|WRITE mostly; every other combination sometimes, including VADDR and an unknown bit. */
const mapFlags = fc.oneof({ weight: 12, arbitrary: fc.constant(3) }, { weight: 3, arbitrary: fc.constantFrom(1, 2) },
  { weight: 1, arbitrary: fc.constantFrom(0, 5, 7, 8, 11) });
/** START or STOP mostly, in any order; GET_BITMAP, none, several and an unknown bit sometimes. */
const dirtyFlags = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.constantFrom(4, 0, 3, 5, 6, 7, 8, 9) });
const unmapFlags = fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 3, 5, 8) });
const prot = fc.constantFrom<Prot>('rw', 'rw', 'rw', 'rw', 'rw', 'r', 'none');
const backing = fc.constantFrom<Backing>('anon', 'anon', 'anon', 'anon', 'hugetlb', 'mmio');

/**
 * Parts of different backing or protection, so that neighbours are different VMAs: an
 * anonymous part of the protection of the anonymous part before it (they would merge) is MMIO.
 */
const parts: fc.Arbitrary<Part[]> = fc.array(fc.record({
  pages: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.constant(512) }),
  prot: fc.constantFrom<Prot>('rw', 'rw', 'rw', 'rw', 'r', 'r', 'none'),
  backing: fc.constantFrom<Backing>('anon', 'anon', 'hugetlb', 'mmio', 'mmio'),
}), { minLength: 2, maxLength: 3 }).map((list) => list.map((p, i) => {
  const before = list[i - 1];
  if (!before || before.backing !== p.backing || before.prot !== p.prot || p.backing !== 'anon') return p;
  return { ...p, backing: 'mmio' as const };
}));

export const SYM_ARBITRARIES: { [K in SymKind]: fc.Arbitrary<Extract<SymOp, { k: K }>> } = {
  mmap: fc.record({ k: fc.constant('mmap'), proc, slot, pages: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constantFrom(512, 4096)), prot, backing }),
  munmap: fc.record({ k: fc.constant('munmap'), proc, range: vaddrRange }),
  remmap: fc.record({ k: fc.constant('remmap'), proc, range: vaddrRange }),
  mremap: fc.record({ k: fc.constant('mremap'), proc, range: vaddrRange, slot, grow: fc.constantFrom(0, 0, -1, 1) }),
  mprotect: fc.record({ k: fc.constant('mprotect'), proc, range: vaddrRange, prot }),
  cpuWrite: fc.record({ k: fc.constant('cpuWrite'), proc, at: vaddrChoice }),
  cpuRead: fc.record({ k: fc.constant('cpuRead'), proc, at: vaddrChoice }),
  rlimit: fc.record({ k: fc.constant('rlimit'), proc, headroom: fc.integer({ min: -1, max: 12 }) }),
  cap: fc.record({ k: fc.constant('cap'), proc, enabled: fc.boolean() }),
  map: fc.record({ k: fc.constant('map'), proc, flags: mapFlags, iova: iovaChoice, vaddr: vaddrChoice, size: sizeChoice, misalign }),
  mapMany: fc.record({ k: fc.constant('mapMany'), proc, count: fc.integer({ min: 2, max: 40 }) }),
  mapAcross: fc.record({
    k: fc.constant('mapAcross'), proc, slot, flags: fc.constantFrom(3, 3, 3, 3, 1, 1, 2), iova: iovaChoice, parts,
    hole: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2) }),
    from: fc.constantFrom('first' as const, 'first' as const, 'last' as const),
    to: fc.constantFrom('end' as const, 'end' as const, 'first' as const),
  }),
  unmap: fc.record({ k: fc.constant('unmap'), proc, flags: unmapFlags, range: unmapRange, misalign }),
  unmapAll: fc.record({ k: fc.constant('unmapAll'), proc, flags: fc.constantFrom(2, 2, 2, 6), nonZero: fc.boolean() }),
  invalidate: fc.record({ k: fc.constant('invalidate'), proc, range: unmapRange, all: fc.boolean() }),
  update: fc.record({ k: fc.constant('update'), proc, pick, vaddr: vaddrChoice, exact: fc.boolean() }),
  dmaWrite: fc.record({ k: fc.constant('dmaWrite'), pick, page }),
  getInfo: fc.record({ k: fc.constant('getInfo') }),
  dirtyPages: fc.record({ k: fc.constant('dirtyPages'), flags: dirtyFlags }),
  migrationInfo: fc.record({ k: fc.constant('migrationInfo') }),
  close: fc.record({ k: fc.constant('close') }),
};

export type Weights = Partial<Record<SymKind, number>>;

/** A sequence of symbolic operations drawn with the given weights. */
export function symSequence(weights: Weights, maxOps: number): fc.Arbitrary<SymOp[]> {
  const choices = (Object.entries(weights) as [SymKind, number][])
    .filter(([, w]) => w > 0)
    .map(([kind, weight]) => ({ weight, arbitrary: SYM_ARBITRARIES[kind] as fc.Arbitrary<SymOp> }));
  // Every case starts with memory to map, or most early maps would only test EFAULT.
  const first = fc.record({ k: fc.constant('mmap' as const), proc: fc.constant<Proc>(0), slot, pages: fc.integer({ min: 1, max: 64 }),
    prot: fc.constant<Prot>('rw'), backing: fc.constant<Backing>('anon') });
  return fc.tuple(first, fc.array(fc.oneof(...choices), { maxLength: Math.max(0, maxOps - 1), size: 'max' }))
    .map(([m, rest]): SymOp[] => [m, ...rest]);
}
