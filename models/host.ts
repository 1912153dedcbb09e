// The host side of the model: processes, their VMAs, and the frames behind them.
//
// A frame is named by the memory object it belongs to and its page index in it. mmap creates
// a fresh object, so frames are never reused; mremap moves a VMA's window onto the same object,
// so frames keep their identity across a move (T1-HOST-ENV). Every operation costs O(number
// of VMAs), never O(bytes): a VMA is a window [start, end) onto pages [pgoff, ...) of one object.
//
// For PFNMAP (mmio) memory a process also knows which pages have a page-table entry: vfio-pci
// inserts one per fault, and MAP_DMA of a PROT_NONE page depends on it (T1-MAP-UNBACKED).
import type { Backing, Errno, Prot } from '../spec/type1/ops.ts';
import { partitionPoint } from './search.ts';
import { U64_MAX } from '../spec/type1/wire.ts';

export const PAGE_SIZE = 4096n;

export interface Vma {
  start: bigint;
  end: bigint;
  prot: Prot;
  backing: Backing;
  object: number;
  /** Page index in `object` of the page at `start`. */
  pgoff: bigint;
}

/** A run of frames: `pages` consecutive pages of `object` from page `pgoff`. */
export interface FrameRun {
  object: number;
  pgoff: bigint;
  pages: bigint;
  backing: Backing;
  prot: Prot;
  /** Offset of the run in bytes from the start of the range it was looked up for. */
  offset: bigint;
}

export const frameKey = (object: number, page: bigint): string => `${object}:${page}`;

/** RLIM_INFINITY: the all-ones u64. */
export const RLIM_INFINITY = U64_MAX;

/** Memory objects and the tokens written into their frames, shared by all processes. */
export class FrameStore {
  private nextObject = 1;
  private readonly tokens = new Map<string, bigint>();

  newObject(): number {
    return this.nextObject++;
  }
  read(object: number, page: bigint): bigint {
    return this.tokens.get(frameKey(object, page)) ?? 0n;
  }
  write(object: number, page: bigint, token: bigint): void {
    this.tokens.set(frameKey(object, page), token);
  }
}

const aligned = (v: bigint, to: bigint): boolean => v % to === 0n;

/**
 * Pages of memory objects, as sorted disjoint [first, end) intervals per object: O(intervals)
 * per call, never O(pages).
 */
export class PageSet {
  private readonly byObject = new Map<number, [bigint, bigint][]>();

  has(object: number, first: bigint, pages: bigint): boolean {
    const end = first + pages;
    return (this.byObject.get(object) ?? []).some(([s, e]) => s <= first && end <= e);
  }

  add(object: number, first: bigint, pages: bigint): void {
    let s = first;
    let e = first + pages;
    const keep: [bigint, bigint][] = [];
    for (const [a, b] of this.byObject.get(object) ?? []) {
      if (b < s || e < a) keep.push([a, b]);
      else [s, e] = [a < s ? a : s, b > e ? b : e]; // overlapping or adjacent: merge
    }
    keep.push([s, e]);
    this.byObject.set(object, keep.sort((x, y) => (x[0] < y[0] ? -1 : 1)));
  }
}
const roundUp = (v: bigint, to: bigint): bigint => ((v + to - 1n) / to) * to;

export class Process {
  /** Sorted by start, disjoint. */
  private vmas: Vma[] = [];
  lockedVm = 0n;
  rlimitMemlock = RLIM_INFINITY;
  capIpcLock = false;
  /**
   * PFNMAP pages whose page-table entry is present: faulted in by a CPU access or a MAP_DMA.
   * mprotect keeps an entry (PROT_NONE makes it inaccessible, still present), mremap moves it
   * with the frame, munmap and a new mmap leave the frame unreachable.
   */
  private readonly ptes = new PageSet();

  /**
   * `taskSize`: TASK_SIZE, one past the highest address the process may map (HostInfo.taskSize):
   * do_mmap refuses a range reaching above it with ENOMEM, mremap and munmap with EINVAL.
   */
  constructor(
    private readonly frames: FrameStore,
    readonly hugePageSize: bigint,
    readonly taskSize: bigint,
  ) {}

  get vmaList(): readonly Vma[] {
    return this.vmas;
  }

  /** RLIMIT_MEMLOCK in pages, as __account_locked_vm compares it. */
  get memlockLimitPages(): bigint {
    return this.rlimitMemlock / PAGE_SIZE;
  }

  private granule(backing: Backing): bigint {
    return backing === 'hugetlb' ? this.hugePageSize : PAGE_SIZE;
  }

  mmap(vaddr: bigint, size: bigint, prot: Prot, backing: Backing): Errno | null {
    const g = this.granule(backing);
    if (size === 0n || !aligned(vaddr, g) || !aligned(size, g)) return 'EINVAL';
    if (this.beyondTask(vaddr, size)) return 'ENOMEM';
    const err = this.munmap(vaddr, size);
    if (err) return err;
    this.insert({ start: vaddr, end: vaddr + size, prot, backing, object: this.frames.newObject(), pgoff: 0n });
    return null;
  }

  munmap(vaddr: bigint, size: bigint): Errno | null {
    if (size === 0n || !aligned(vaddr, PAGE_SIZE) || !aligned(size, PAGE_SIZE)) return 'EINVAL';
    if (this.beyondTask(vaddr, size)) return 'EINVAL';
    if (this.splitsHugetlb(vaddr) || this.splitsHugetlb(vaddr + size)) return 'EINVAL';
    this.cut(vaddr, vaddr + size);
    return null;
  }

  mprotect(vaddr: bigint, size: bigint, prot: Prot): Errno | null {
    if (!aligned(vaddr, PAGE_SIZE) || !aligned(size, PAGE_SIZE)) return 'EINVAL';
    if (size === 0n) return null;
    if (this.splitsHugetlb(vaddr) || this.splitsHugetlb(vaddr + size)) return 'EINVAL';
    if (this.lookup(vaddr, size).hole !== null) return 'ENOMEM';
    const pieces = this.cut(vaddr, vaddr + size);
    for (const v of pieces) this.insert({ ...v, prot });
    return null;
  }

  /** mremap(MREMAP_MAYMOVE | MREMAP_FIXED), checked in the order of the syscall and mremap_to. */
  mremap(vaddr: bigint, size: bigint, newVaddr: bigint, newSize: bigint): Errno | null {
    for (const v of [vaddr, size, newSize]) if (!aligned(v, PAGE_SIZE)) return 'EINVAL';
    if (size === 0n || newSize === 0n) return 'EINVAL';
    if (this.beyondTask(newVaddr, newSize)) return 'EINVAL'; // check_mremap_params, before any VMA is looked at
    const found = this.vmaAt(vaddr);
    if (!found) return 'EFAULT';
    if (found.backing === 'hugetlb') {
      const g = this.hugePageSize;
      if (!aligned(vaddr, g) || !aligned(newVaddr, g)) return 'EINVAL';
      size = roundUp(size, g);
      newSize = roundUp(newSize, g);
      if (newSize > size) return 'EINVAL';
    }
    if (!aligned(newVaddr, PAGE_SIZE)) return 'EINVAL';
    if (newVaddr < vaddr + size && vaddr < newVaddr + newSize) return 'EINVAL';
    // mremap_to unmaps the destination, then the source's tail, before it looks at the source.
    const err = this.munmap(newVaddr, newSize) ?? (newSize < size ? this.munmap(vaddr + newSize, size - newSize) : null);
    if (err) return err;
    if (newSize < size) size = newSize;
    // vma_to_resize: the old range lies in one VMA as Linux sees it, adjacent mmaps merged.
    const vma = this.vmaAt(vaddr);
    if (!vma || vaddr + size > this.linuxVmaEnd(vma)) return 'EFAULT';
    if (vma.backing === 'mmio' && newSize > size) return 'EFAULT';
    const pieces = this.cut(vaddr, vaddr + size);
    for (const p of pieces) this.insert({ ...p, start: newVaddr + (p.start - vaddr), end: newVaddr + (p.end - vaddr) });
    if (newSize > size) {
      // Growth of an anonymous VMA: fresh zero pages after the moved ones.
      const last = pieces[pieces.length - 1]!;
      this.insert({ ...last, start: newVaddr + size, end: newVaddr + newSize, object: this.frames.newObject(), pgoff: 0n });
    }
    return null;
  }

  /**
   * The end of the VMA Linux has where `first` starts: mmap merges an anonymous mapping into an
   * adjacent one of the same protection (mm/vma.c: vma_merge_new_range), and a split of a
   * hugetlb or PFNMAP mapping is undone only by the same object at the next page.
   */
  private linuxVmaEnd(first: Vma): bigint {
    let prev = first;
    for (let v = this.vmaAt(prev.end); v && v.start === prev.end && v.prot === prev.prot && v.backing === prev.backing; v = this.vmaAt(prev.end)) {
      const sameObject = v.object === prev.object && v.pgoff === prev.pgoff + (prev.end - prev.start) / PAGE_SIZE;
      if (v.backing !== 'anon' && !sameObject) break;
      prev = v;
    }
    return prev.end;
  }

  cpuWrite(vaddr: bigint, token: bigint): Errno | null {
    const vma = this.vmaAt(vaddr);
    if (!aligned(vaddr, PAGE_SIZE)) return 'EINVAL';
    if (!vma || vma.prot !== 'rw') return 'EFAULT';
    const page = vma.pgoff + (vaddr - vma.start) / PAGE_SIZE;
    if (vma.backing === 'mmio') this.faultIn(vma.object, page, 1n);
    this.frames.write(vma.object, page, token);
    return null;
  }

  cpuRead(vaddr: bigint): bigint | Errno {
    const vma = this.vmaAt(vaddr);
    if (!aligned(vaddr, PAGE_SIZE)) return 'EINVAL';
    if (!vma || vma.prot === 'none') return 'EFAULT';
    const page = vma.pgoff + (vaddr - vma.start) / PAGE_SIZE;
    if (vma.backing === 'mmio') this.faultIn(vma.object, page, 1n);
    return this.frames.read(vma.object, page);
  }

  /** Whether every page of the PFNMAP run has a page-table entry (present, maybe PROT_NONE). */
  ptesPresent(run: FrameRun): boolean {
    return this.ptes.has(run.object, run.pgoff, run.pages);
  }

  /** A fault on every page of the PFNMAP run: vfio-pci inserts their page-table entries. */
  faultIn(object: number, pgoff: bigint, pages: bigint): void {
    this.ptes.add(object, pgoff, pages);
  }

  /**
   * The frames behind [vaddr, vaddr + size) in address order, and the offset of the first page
   * no VMA backs (`hole`), if any. `runs` stops at the hole.
   */
  lookup(vaddr: bigint, size: bigint): { runs: FrameRun[]; hole: bigint | null } {
    const end = vaddr + size;
    const runs: FrameRun[] = [];
    let at = vaddr;
    for (let i = this.firstEndingAfter(vaddr); i < this.vmas.length && at < end; i++) {
      const v = this.vmas[i]!;
      if (v.start > at) break;
      const stop = v.end < end ? v.end : end;
      runs.push({
        object: v.object, pgoff: v.pgoff + (at - v.start) / PAGE_SIZE, pages: (stop - at) / PAGE_SIZE,
        backing: v.backing, prot: v.prot, offset: at - vaddr,
      });
      at = stop;
    }
    return { runs, hole: at < end ? at - vaddr : null };
  }

  /** The start of the first VMA at or above `addr`, if any. */
  nextVmaStart(addr: bigint): bigint | undefined {
    const v = this.vmas[this.firstEndingAfter(addr)];
    return v === undefined ? undefined : v.start > addr ? v.start : addr;
  }

  vmaAt(vaddr: bigint): Vma | undefined {
    const v = this.vmas[this.firstEndingAfter(vaddr)];
    return v && v.start <= vaddr ? v : undefined;
  }

  /** Whether [vaddr, vaddr + size) reaches above TASK_SIZE. */
  private beyondTask(vaddr: bigint, size: bigint): boolean {
    return size > this.taskSize || vaddr > this.taskSize - size;
  }

  private splitsHugetlb(addr: bigint): boolean {
    const v = this.vmaAt(addr);
    return v !== undefined && v.backing === 'hugetlb' && v.start < addr && !aligned(addr - v.start, this.hugePageSize);
  }

  /** Index of the first VMA whose end is above `addr`. */
  private firstEndingAfter(addr: bigint): number {
    return partitionPoint(this.vmas, (v) => v.end <= addr);
  }

  /** Remove [start, end) from the address space; returns the removed windows in order. */
  private cut(start: bigint, end: bigint): Vma[] {
    const removed: Vma[] = [];
    const first = this.firstEndingAfter(start);
    let last = first;
    while (last < this.vmas.length && this.vmas[last]!.start < end) last++;
    const keep: Vma[] = [];
    for (const v of this.vmas.slice(first, last)) {
      if (v.start < start) keep.push({ ...v, end: start });
      if (v.end > end) keep.push({ ...v, start: end, pgoff: v.pgoff + (end - v.start) / PAGE_SIZE });
      const s = v.start > start ? v.start : start;
      const e = v.end < end ? v.end : end;
      removed.push({ ...v, start: s, end: e, pgoff: v.pgoff + (s - v.start) / PAGE_SIZE });
    }
    this.vmas.splice(first, last - first, ...keep);
    return removed;
  }

  private insert(vma: Vma): void {
    this.vmas.splice(this.firstEndingAfter(vma.start), 0, vma);
  }
}
