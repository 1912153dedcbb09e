// Symbolic sPAPR operations: what the generators produce and fast-check shrinks.
//
// A symbolic operation names state or the declaration instead of raw addresses: "the 2nd
// registered region, shifted by a page", "the window in slot 1, from its 3rd TCE past its end",
// "RLIMIT_MEMLOCK one page above locked_vm". `pick` values are taken modulo the length of the
// list they index, so every shrink is still a valid sequence.
import fc from 'fast-check';
import type { Backing, Prot } from '../../spec/spapr/ops.ts';

export const REG_SHAPES = ['vma', 'part', 'again', 'overlap', 'hole', 'flags', 'unaligned', 'zero', 'wrap'] as const;
export const UNREG_SHAPES = ['region', 'other', 'half', 'flags', 'unaligned'] as const;
export const MAP_SHAPES = ['fit', 'crossRegion', 'pastEnd', 'misalignIova', 'misalignVaddr', 'zero', 'badFlags', 'noDir', 'overwrite', 'outside', 'unregistered'] as const;
export const UNMAP_SHAPES = ['run', 'cut', 'span', 'empty', 'pastEnd', 'misalign', 'flags', 'outside'] as const;
export const CREATE_SHAPES = ['dynamic', 'default', 'tiny', 'odd', 'badShift', 'levels', 'flags'] as const;
export const REMOVE_SHAPES = ['window', 'inside', 'zero', 'bogus', 'flags'] as const;

/** Which process issues the op: the second one only when `other` (and the backend has it). */
interface Who { ct: number; other: boolean }

export type SymOp =
  | { k: 'mmap'; slot: number; units: number; prot: Prot; backing: Backing; other: boolean }
  | { k: 'munmap'; slot: number; other: boolean }
  | { k: 'mremap'; slot: number; to: number; other: boolean }
  | { k: 'cpuWrite'; slot: number; page: number; other: boolean }
  | { k: 'cpuRead'; slot: number; page: number; other: boolean }
  | ({ k: 'register'; shape: (typeof REG_SHAPES)[number]; slot: number; page: number; pages: number; pick: number } & Who)
  | ({ k: 'unregister'; shape: (typeof UNREG_SHAPES)[number]; pick: number } & Who)
  | ({ k: 'map'; shape: (typeof MAP_SHAPES)[number]; win: number; entry: number; pick: number; page: number; pages: number; dir: number } & Who)
  | ({ k: 'unmap'; shape: (typeof UNMAP_SHAPES)[number]; win: number; pick: number; pages: number } & Who)
  | ({ k: 'create'; shape: (typeof CREATE_SHAPES)[number]; pgsize: number; entriesShift: number; levels: number } & Who)
  | ({ k: 'remove'; shape: (typeof REMOVE_SHAPES)[number]; win: number } & Who)
  | ({ k: 'enable' } & Who)
  | ({ k: 'disable' } & Who)
  | ({ k: 'getInfo' } & Who)
  | { k: 'rlimit'; headroom: number; other: boolean }
  | { k: 'cap'; enabled: boolean; other: boolean }
  | { k: 'close'; ct: number }
  | { k: 'dmaWrite'; ct: number; win: number; pick: number };

export type SymKind = SymOp['k'];
export type Weights = Partial<Record<SymKind, number>>;

const small = (max: number) => fc.nat(max);
const other = fc.nat(9).map((v) => v === 0);
const who = { ct: small(3), other };

const ARBS: Record<SymKind, fc.Arbitrary<SymOp>> = {
  mmap: fc.record({ k: fc.constant('mmap' as const), slot: small(7), units: fc.integer({ min: 1, max: 8 }), prot: fc.constantFrom<Prot>('rw', 'rw', 'rw', 'r', 'none'), backing: fc.constantFrom<Backing>('anon', 'anon', 'hugetlb'), other }),
  munmap: fc.record({ k: fc.constant('munmap' as const), slot: small(7), other }),
  mremap: fc.record({ k: fc.constant('mremap' as const), slot: small(7), to: small(7), other }),
  cpuWrite: fc.record({ k: fc.constant('cpuWrite' as const), slot: small(7), page: small(15), other }),
  cpuRead: fc.record({ k: fc.constant('cpuRead' as const), slot: small(7), page: small(15), other }),
  register: fc.record({ k: fc.constant('register' as const), shape: fc.constantFrom(...REG_SHAPES, 'vma', 'vma', 'part'), slot: small(7), page: small(7), pages: fc.integer({ min: 1, max: 8 }), pick: small(15), ...who }),
  unregister: fc.record({ k: fc.constant('unregister' as const), shape: fc.constantFrom(...UNREG_SHAPES, 'region', 'region'), pick: small(15), ...who }),
  map: fc.record({ k: fc.constant('map' as const), shape: fc.constantFrom(...MAP_SHAPES, 'fit', 'fit', 'fit', 'overwrite', 'crossRegion'), win: small(3), entry: small(31), pick: small(15), page: small(15), pages: fc.integer({ min: 1, max: 8 }), dir: fc.constantFrom(3, 3, 1, 2), ...who }),
  unmap: fc.record({ k: fc.constant('unmap' as const), shape: fc.constantFrom(...UNMAP_SHAPES, 'run', 'cut'), win: small(3), pick: small(15), pages: fc.integer({ min: 1, max: 16 }), ...who }),
  create: fc.record({ k: fc.constant('create' as const), shape: fc.constantFrom(...CREATE_SHAPES, 'dynamic', 'dynamic'), pgsize: small(7), entriesShift: fc.integer({ min: 0, max: 12 }), levels: fc.integer({ min: 1, max: 3 }), ...who }),
  remove: fc.record({ k: fc.constant('remove' as const), shape: fc.constantFrom(...REMOVE_SHAPES, 'window'), win: small(3), ...who }),
  enable: fc.record({ k: fc.constant('enable' as const), ...who }),
  disable: fc.record({ k: fc.constant('disable' as const), ...who }),
  getInfo: fc.record({ k: fc.constant('getInfo' as const), ...who }),
  rlimit: fc.record({ k: fc.constant('rlimit' as const), headroom: fc.constantFrom(-1, 0, 1, 1, 2, 16, 1024), other }),
  cap: fc.record({ k: fc.constant('cap' as const), enabled: fc.boolean(), other }),
  close: fc.record({ k: fc.constant('close' as const), ct: small(3) }),
  dmaWrite: fc.record({ k: fc.constant('dmaWrite' as const), ct: small(3), win: small(3), pick: small(15) }),
};

/** A sequence of up to `maxOps` symbolic ops, each kind as often as its weight says. */
export function symSequence(weights: Weights, maxOps: number): fc.Arbitrary<SymOp[]> {
  const kinds = (Object.entries(weights) as [SymKind, number][]).filter(([, w]) => w > 0);
  const one = fc.oneof(...kinds.map(([k, weight]) => ({ arbitrary: ARBS[k], weight })));
  return fc.array(one, { minLength: 1, maxLength: Math.max(1, Math.floor(maxOps / 3)) });
}
