// Host and address-space constants of the simulated x86-64 machine.
export { U64_MAX } from '../../../spec/type1/wire.ts';

export const PAGE_SHIFT = 12n;
/** PAGE_SIZE: the CPU page, the unit of locked_vm and of every token. */
export const PAGE_SIZE = 1n << PAGE_SHIFT;
/** The huge page size behind `backing: 'hugetlb'` (x86-64 default hstate). */
export const HUGE_PAGE_SIZE = 2n << 20n;
/** 2^64: one past the last iova; `end` values (exclusive) may equal it. */
export const ADDRESS_SPACE_END = 1n << 64n;

/** Where the suite places its mmaps. */
export const ARENA = { start: 0x7f0000000000n, size: 1n << 40n } as const;
/** TASK_SIZE of x86-64 with 4-level paging (2^47); the arena ends exactly there. */
export const TASK_SIZE = ARENA.start + ARENA.size;

export const isAligned = (value: bigint, alignment: bigint): boolean => (value & (alignment - 1n)) === 0n;

export const pagesIn = (bytes: bigint): bigint => bytes >> PAGE_SHIFT;

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
