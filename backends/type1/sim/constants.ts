// Host and address-space constants of the simulated x86-64 machine. What a backend declares
// (huge page size, arena, TASK_SIZE) has defaults here and can be changed by options.ts.
export { U64_MAX } from '../../../spec/type1/wire.ts';

export const PAGE_SHIFT = 12n;
/** PAGE_SIZE: the CPU page, the unit of locked_vm and of every token. */
export const PAGE_SIZE = 1n << PAGE_SHIFT;
/** The default huge page size behind `backing: 'hugetlb'` (x86-64 default hstate). */
export const DEFAULT_HUGE_PAGE_SIZE = 2n << 20n;
/** 2^64: one past the last iova; `end` values (exclusive) may equal it. */
export const ADDRESS_SPACE_END = 1n << 64n;

/** Where the suite places its mmaps by default. */
export const DEFAULT_ARENA = { start: 0x7f0000000000n, size: 1n << 40n } as const;
/**
 * The default TASK_SIZE: 2^47, where the default arena ends. (Linux on x86-64 with 4-level
 * paging keeps the last page below 2^47 out of user space too: its TASK_SIZE is 2^47 - 4096.)
 */
export const DEFAULT_TASK_SIZE = DEFAULT_ARENA.start + DEFAULT_ARENA.size;
/** vm.mmap_min_addr: MAP_FIXED below it is refused. */
export const MMAP_MIN_ADDR = 0x10000n;

export const isAligned = (value: bigint, alignment: bigint): boolean => (value & (alignment - 1n)) === 0n;

export const pagesIn = (bytes: bigint): bigint => bytes >> PAGE_SHIFT;

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
