// Symbolic iommufd operations: what the generators produce and fast-check shrinks.
//
// A symbolic operation names existing state or the declaration instead of raw addresses: "right
// after the 2nd area of IOAS 0", "from inside the 1st area to inside the 3rd", "one unit below
// the start of a reserved region", "allowed ranges exactly one length wide". `pick` values are
// taken modulo the length of the list they index, so every shrink is still a valid sequence.
import fc from 'fast-check';
import { MAX_IOAS, type Backing, type Prot } from '../../spec/iommufd/ops.ts';
import { SLOTS } from './layout.ts';
import { U64_MAX } from '../../spec/u64.ts';

/** Where an iova goes: relative to the areas of the IOAS, or to an anchor of the layout. */
export type IovaChoice =
  | { at: 'busy'; offset: number }
  | { at: 'anchor'; pick: number; delta: number }
  | { at: 'after'; pick: number; gap: number }
  | { at: 'before'; pick: number; gap: number }
  | { at: 'overlap'; pick: number; shift: number }
  | { at: 'raw'; value: bigint };

/** Where a map's memory comes from: a slot's VMA (or the empty slot), or the vaddr of an existing area. */
export type VaddrChoice =
  | { from: 'slot'; slot: number; page: number }
  | { from: 'area'; pick: number };

/** A length in units (cut to what the VMA holds), or a shape. */
export type LengthChoice =
  | { units: number }
  | { shape: 'fit' | 'overrun' | 'zero' | 'odd' | 'huge' | 'max' };

/** What an unmap covers, relative to the areas of its IOAS. */
export type UnmapRange =
  | { of: 'area'; pick: number }
  | { of: 'span'; pick: number; count: number; cutEnd: boolean; cutStart: boolean }
  | { of: 'around'; pick: number }
  | { of: 'gap'; pick: number }
  | { of: 'raw'; iova: IovaChoice; length: 'zero' | 'wrap' | 'max' | 'unit' };

/** The source of a copy, relative to the areas of the source IOAS. */
export type CopySource =
  | { of: 'area'; pick: number }
  | { of: 'inside'; pick: number }
  | { of: 'span'; pick: number; count: number; cut: boolean }
  | { of: 'gap'; pick: number };

/** An allowed-ranges list: tight around a length, around holes, on reserved ranges, malformed, or none. */
export type AllowShape =
  | { shape: 'tight'; at: IovaChoice; units: number; then: boolean }
  | { shape: 'holes'; pick: number }
  | { shape: 'reserved'; pick: number }
  | { shape: 'inverted' | 'overlapping' | 'clear' };

/** Failing conditions a MAP may carry at once (errno and check order, IOMMUFD-MAP-*). */
export const MAP_FAULTS = ['flags', 'perm', 'zero', 'overflow', 'misalign', 'reserved', 'overlap', 'dead'] as const;
export type MapFault = (typeof MAP_FAULTS)[number];

export type SymOp =
  | { k: 'mmap'; slot: number; units: number; prot: Prot; backing: Backing }
  | { k: 'munmap'; slot: number }
  | { k: 'alloc'; ioas: number }
  /** IOMMU_IOAS_ALLOC of a live handle: it names the new IOAS, the old one lives on unnamed (IOMMUFD-OBJ-ALLOC). */
  | { k: 'realloc'; ioas: number }
  | { k: 'destroy'; ioas: number }
  | { k: 'map'; ioas: number; perm: number; fixed: boolean; iova: IovaChoice; vaddr: VaddrChoice; length: LengthChoice }
  | { k: 'badMap'; ioas: number; faults: MapFault[]; vaddr: VaddrChoice }
  | { k: 'unmap'; ioas: number; range: UnmapRange }
  | { k: 'unmapAll'; ioas: number }
  | { k: 'copy'; dst: number; src: number; perm: number; fixed: boolean; source: CopySource; iova: IovaChoice }
  | { k: 'allow'; ioas: number; allow: AllowShape }
  | { k: 'ranges'; ioas: number }
  | { k: 'bind'; dev: number }
  /** `away`: to an IOAS other than the one a device of its group is attached to (IOMMUFD-ATTACH-GROUP). */
  | { k: 'attach'; dev: number; ioas: number; away: boolean }
  | { k: 'detach'; dev: number }
  | { k: 'hwInfo'; dev: number }
  | { k: 'rlimit'; headroom: number }
  | { k: 'cap'; enabled: boolean }
  | { k: 'mode'; value: number }
  | { k: 'getMode' }
  | { k: 'close' }
  | { k: 'dmaWrite'; dev: number; pick: number; page: number };

export type SymKind = SymOp['k'];
/** The kinds a property weighs: every symbolic kind, and `autoMap`, a map without FIXED_IOVA. */
export type WeightKind = SymKind | 'autoMap';

const pick = fc.nat({ max: 63 });
/**
 * An IOAS: below MAX_IOAS a handle as is (live or dead), from MAX_IOAS on one of the live
 * handles, picked modulo their number, so that most operations meet an IOAS that exists.
 */
const ioas = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: MAX_IOAS, max: 63 }) }, { weight: 1, arbitrary: fc.nat({ max: MAX_IOAS - 1 }) });
/** A device, taken modulo the devices the case uses. */
const dev = fc.constantFrom(0, 0, 1, 1, 2);
/** A slot of the arena: below SLOTS as is, from SLOTS on one of the slots holding memory. */
const slot = fc.nat({ max: SLOTS - 1 });
const memorySlot = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: SLOTS, max: 63 }) }, { weight: 1, arbitrary: slot });
/** READABLE|WRITEABLE mostly, sometimes one of them (include/uapi/linux/iommufd.h: WRITEABLE 2, READABLE 4). */
const perm = fc.constantFrom(6, 6, 6, 6, 4, 2);
/** A copy's permission, and now and then none or an unknown bit (IOMMUFD-COPY-FLAGS). */
const copyPerm = fc.oneof({ weight: 12, arbitrary: perm }, { weight: 1, arbitrary: fc.constantFrom(0, 6 | 8, 6 | 0x100) });

export const iovaChoice: fc.Arbitrary<IovaChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ at: fc.constant('busy' as const), offset: fc.nat({ max: 47 }) }) },
  { weight: 3, arbitrary: fc.record({ at: fc.constant('anchor' as const), pick, delta: fc.constantFrom(-2, -1, -1, 0, 0, 0, 1, 2) }) },
  { weight: 5, arbitrary: fc.record({ at: fc.constant('after' as const), pick, gap: fc.constantFrom(0, 0, 0, 1, 2) }) },
  { weight: 3, arbitrary: fc.record({ at: fc.constant('before' as const), pick, gap: fc.constantFrom(0, 0, 1) }) },
  { weight: 2, arbitrary: fc.record({ at: fc.constant('overlap' as const), pick, shift: fc.constantFrom(-1, 0, 1) }) },
  { weight: 1, arbitrary: fc.record({ at: fc.constant('raw' as const), value: fc.bigInt({ min: 0n, max: U64_MAX }) }) },
);

const vaddrChoice: fc.Arbitrary<VaddrChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ from: fc.constant('slot' as const), slot: memorySlot, page: fc.constantFrom(0, 0, 0, 1, 2, -1) }) },
  { weight: 2, arbitrary: fc.record({ from: fc.constant('area' as const), pick }) },
);

const lengthChoice: fc.Arbitrary<LengthChoice> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ units: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 3, arbitrary: fc.record({ shape: fc.constant('fit' as const) }) },
  { weight: 1, arbitrary: fc.record({ shape: fc.constantFrom('overrun' as const, 'zero' as const, 'odd' as const, 'huge' as const, 'max' as const) }) },
);

const unmapRange: fc.Arbitrary<UnmapRange> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ of: fc.constant('area' as const), pick }) },
  { weight: 6, arbitrary: fc.record({ of: fc.constant('span' as const), pick, count: fc.integer({ min: 2, max: 4 }), cutEnd: fc.boolean(), cutStart: fc.constantFrom(false, false, false, true) }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('around' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ of: fc.constant('gap' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('raw' as const), iova: iovaChoice, length: fc.constantFrom('zero' as const, 'wrap' as const, 'max' as const, 'unit' as const) }) },
);

const copySource: fc.Arbitrary<CopySource> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ of: fc.constant('area' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ of: fc.constant('inside' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ of: fc.constant('span' as const), pick, count: fc.integer({ min: 2, max: 3 }), cut: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ of: fc.constant('gap' as const), pick }) },
);

const allowShape: fc.Arbitrary<AllowShape> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ shape: fc.constant('tight' as const), at: iovaChoice, units: fc.integer({ min: 1, max: 4 }), then: fc.constantFrom(true, true, true, false) }) },
  { weight: 2, arbitrary: fc.record({ shape: fc.constant('holes' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ shape: fc.constant('reserved' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ shape: fc.constantFrom('inverted' as const, 'overlapping' as const, 'clear' as const, 'clear' as const) }) },
);

const mapFaults = fc.subarray([...MAP_FAULTS], { minLength: 1, maxLength: 4 });

export const SYM_ARBITRARIES: { [K in WeightKind]: fc.Arbitrary<Extract<SymOp, { k: K extends 'autoMap' ? 'map' : K }>> } = {
  mmap: fc.record({
    k: fc.constant('mmap'), slot, units: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(512)),
    prot: fc.constantFrom<Prot>('rw', 'rw', 'rw', 'rw', 'r', 'none'), backing: fc.constantFrom<Backing>('anon', 'anon', 'anon', 'hugetlb', 'mmio'),
  }),
  munmap: fc.record({ k: fc.constant('munmap'), slot: memorySlot }),
  alloc: fc.record({ k: fc.constant('alloc'), ioas }),
  realloc: fc.record({ k: fc.constant('realloc'), ioas }),
  destroy: fc.record({ k: fc.constant('destroy'), ioas }),
  map: fc.record({ k: fc.constant('map'), ioas, perm, fixed: fc.constantFrom(true, true, true, false), iova: iovaChoice, vaddr: vaddrChoice, length: lengthChoice }),
  autoMap: fc.record({ k: fc.constant('map'), ioas, perm, fixed: fc.constant(false), iova: iovaChoice, vaddr: vaddrChoice, length: lengthChoice }),
  badMap: fc.record({ k: fc.constant('badMap'), ioas, faults: mapFaults, vaddr: vaddrChoice }),
  unmap: fc.record({ k: fc.constant('unmap'), ioas, range: unmapRange }),
  unmapAll: fc.record({ k: fc.constant('unmapAll'), ioas }),
  copy: fc.record({ k: fc.constant('copy'), dst: ioas, src: ioas, perm: copyPerm, fixed: fc.boolean(), source: copySource, iova: iovaChoice }),
  allow: fc.record({ k: fc.constant('allow'), ioas, allow: allowShape }),
  ranges: fc.record({ k: fc.constant('ranges'), ioas }),
  bind: fc.record({ k: fc.constant('bind'), dev }),
  attach: fc.record({ k: fc.constant('attach'), dev, ioas, away: fc.constantFrom(false, false, false, true) }),
  detach: fc.record({ k: fc.constant('detach'), dev }),
  hwInfo: fc.record({ k: fc.constant('hwInfo'), dev }),
  rlimit: fc.record({ k: fc.constant('rlimit'), headroom: fc.constantFrom(-1, 0, 0, 1, 1, 2, 3, 5, 8) }),
  cap: fc.record({ k: fc.constant('cap'), enabled: fc.boolean() }),
  mode: fc.record({ k: fc.constant('mode'), value: fc.constantFrom(0, 1, 1, 2) }),
  getMode: fc.record({ k: fc.constant('getMode') }),
  close: fc.record({ k: fc.constant('close') }),
  dmaWrite: fc.record({ k: fc.constant('dmaWrite'), dev, pick, page: fc.constantFrom(0, 1, -1) }),
};

export type Weights = Partial<Record<WeightKind, number>>;

/**
 * What every case starts with: memory in slot 0, then, unless `bare`, IOAS 0 and device 0 bound
 * and, when `attach`, attached, so that the first maps already have something to reach. `noCap`
 * drops CAP_IPC_LOCK first, so that RLIMIT_MEMLOCK binds from the first map.
 */
export interface Prelude { attach: boolean; bare?: boolean; noCap?: boolean }

/** A sequence of symbolic operations drawn with the given weights, after the prelude. */
export function symSequence(weights: Weights, maxOps: number, prelude: Prelude): fc.Arbitrary<SymOp[]> {
  const choices = (Object.entries(weights) as [WeightKind, number][])
    .filter(([, w]) => w > 0)
    .map(([kind, weight]) => ({ weight, arbitrary: SYM_ARBITRARIES[kind] as fc.Arbitrary<SymOp> }));
  const start: SymOp[] = [
    { k: 'mmap', slot: 0, units: 16, prot: 'rw', backing: 'anon' },
    ...(prelude.noCap ? [{ k: 'cap', enabled: false } as const] : []),
    ...(prelude.bare ? [] : [{ k: 'alloc', ioas: 0 } as const, { k: 'bind', dev: 0 } as const]),
    ...(prelude.attach && !prelude.bare ? [{ k: 'attach', dev: 0, ioas: 0, away: false } as const] : []),
  ];
  return fc.array(fc.oneof(...choices), { maxLength: Math.max(0, maxOps - start.length), size: 'max' })
    .map((rest): SymOp[] => [...start, ...rest]);
}
