// The reference model of a VFIO type1 container (v1 and v2 as a policy).
//
// Each method follows the order of checks of drivers/vfio/vfio_iommu_type1.c and returns the
// outcome together with the rule that decides it. Mappings are kept in an interval map by
// iova: an operation costs O(log n) to find its place and O(k) for the k mappings it touches.
import type { Errno, MappingDump } from '../../spec/type1/ops.ts';
import { DIRTY_FLAG, MAP_FLAG, UNMAP_FLAG } from '../../spec/type1/ops.ts';
import { profileTraits, type Geometry, type Profile } from '../../spec/type1/backend.ts';
import type { RuleId } from '../../spec/type1/rules.ts';
import { PAGE_SIZE, type FrameRun, type Process } from '../host.ts';
import { IntervalMap, type ReadonlyIntervalMap } from '../interval-map.ts';
import { PinIndex } from '../pin-index.ts';

export const U64_LIMIT = 1n << 64n;

export interface Dma {
  iova: bigint;
  size: bigint;
  vaddr: bigint;
  read: boolean;
  write: boolean;
  /** The process whose mm was charged (dma->mm). */
  owner: number;
  /** Frames pinned at map time, offsets relative to `iova`. */
  frames: FrameRun[];
  /** Pages charged to the owner's locked_vm (dma->locked_vm). */
  lockedVm: bigint;
  vaddrValid: boolean;
  /**
   * Set when a failed VADDR invalidate covered this mapping while it was valid: the only way
   * to observe that the call left it valid (T1-VADDR-INVALIDATE-ATOMIC) is a later update.
   */
  survivedFailedInvalidate?: boolean;
}

export type Outcome<T = {}> =
  | ({ ok: true; rule: RuleId; accept?: Errno[] } & T)
  | { ok: false; errno: Errno; rule: RuleId; accept?: Errno[]; alsoBroken?: RuleId[]; laterErrnos?: Errno[] };

/** A check that fails: its errno and the rule that states it. */
export interface Check { errno: Errno; rule: RuleId }

export interface PinScan { runs: FrameRun[]; charge: bigint; failed: Check[]; faulted: FrameRun[] }

/**
 * How pinning meets a PFNMAP (MMIO) page: type1 follows its page-table entry (vaddr_get_pfns,
 * follow_fault_pfn); iommufd's pin_user_pages refuses it (T1-COMPAT-MAP-PFNMAP).
 */
export type PfnmapPolicy = 'follow' | 'refuse';

export const failWith = (errno: Errno, rule: RuleId, extra: { accept?: Errno[]; alsoBroken?: RuleId[]; laterErrnos?: Errno[] } = {}) =>
  ({ ok: false as const, errno, rule, ...extra });

/**
 * The first of `failed` decides; the others fail too, later in kernel order. Answering one of
 * their errnos instead breaks the first check's rule and T1-MAP-CHECK-ORDER.
 */
export function firstOf(failed: readonly Check[]) {
  const [first, ...rest] = failed;
  if (!first) return undefined;
  const later = [...new Set(rest.map((c) => c.errno))].filter((e) => e !== first.errno);
  return failWith(first.errno, first.rule, rest.length ? { alsoBroken: ['T1-MAP-CHECK-ORDER'], ...(later.length ? { laterErrnos: later } : {}) } : {});
}

/** What GET_INFO's MIGRATION capability reports (T1-INFO-MIGRATION); present false: absent. */
export interface MigrationCap { present: boolean; pgsizes: bigint; maxDirtyBitmapSize: bigint }

/** DIRTY_BITMAP_SIZE_MAX: DIRTY_BITMAP_BYTES(INT_MAX), INT_MAX bits rounded up to u64s, in bytes. */
export const DIRTY_BITMAP_SIZE_MAX = ((0x7fffffffn + 63n) / 64n) * 8n;

/** What kernels since v6.18 return for a wrapping range instead of EINVAL (T1-MAP-WRAP). */
const WRAP_ACCEPT: Errno[] = ['EOVERFLOW'];

export class Type1Container {
  /** By iova: [iova, iova + size). */
  protected readonly dmas = new IntervalMap<Dma>();
  protected readonly pins = new PinIndex<Dma>();
  readonly minPageSize: bigint;
  readonly v2: boolean;

  constructor(
    readonly geometry: Geometry,
    profile: Profile,
    protected readonly procs: readonly Process[],
  ) {
    this.v2 = profileTraits(profile).v2;
    this.minPageSize = geometry.pgsizes & -geometry.pgsizes;
  }

  get mappings(): ReadonlyIntervalMap<Dma> {
    return this.dmas;
  }

  get dmaAvail(): bigint {
    return this.geometry.dmaEntryLimit - BigInt(this.dmas.size);
  }

  map(proc: number, flags: number, iova: bigint, vaddr: bigint, size: bigint): Outcome {
    const read = (flags & MAP_FLAG.READ) !== 0;
    const write = (flags & MAP_FLAG.WRITE) !== 0;
    const setVaddr = (flags & MAP_FLAG.VADDR) !== 0;
    if (flags & ~(MAP_FLAG.READ | MAP_FLAG.WRITE | MAP_FLAG.VADDR)) return failWith('EINVAL', 'T1-MAP-FLAGS');
    // Since v6.18 a wrap is reported (EOVERFLOW) before the permission and alignment checks.
    const wraps = size > 0n && (iova + size > U64_LIMIT || vaddr + size > U64_LIMIT);
    const orWrap = wraps ? { accept: WRAP_ACCEPT } : {};
    if ((read || write) === setVaddr) return failWith('EINVAL', 'T1-MAP-PERM', orWrap);
    const pg = this.minPageSize;
    if (size === 0n) return failWith('EINVAL', 'T1-MAP-SIZE-ZERO');
    if ((size | iova | vaddr) % pg !== 0n) return failWith('EINVAL', 'T1-MAP-ALIGN', orWrap);
    if (wraps) return failWith('EINVAL', 'T1-MAP-WRAP', orWrap);

    const overlapping = this.overlapping(iova, iova + size);
    if (setVaddr) return this.updateVaddr(proc, overlapping, iova, vaddr, size);
    const pin = this.pinScan(proc, vaddr, size, write);
    const before = this.laterMapChecks(iova, size, overlapping.length > 0);
    // The walk runs only when the checks before it pass; what it faults in stays, even on failure.
    if (before.length === 0) for (const run of pin.faulted) this.procs[proc]!.faultIn(run.object, run.pgoff, run.pages);
    const failure = firstOf([...before, ...pin.failed]);
    if (failure) return failure;
    return this.commitMap(proc, iova, vaddr, size, read, write, pin);
  }

  /** The checks after the wrap check and before pinning, in kernel order; every one that fails. */
  private laterMapChecks(iova: bigint, size: bigint, overlaps: boolean): Check[] {
    const failed: Check[] = [];
    if (overlaps) failed.push({ errno: 'EEXIST', rule: 'T1-MAP-OVERLAP' });
    if (this.dmaAvail <= 0n) failed.push({ errno: 'ENOSPC', rule: 'T1-MAP-ENTRY-LIMIT' });
    if (!this.iovaValid(iova, iova + size - 1n)) failed.push({ errno: 'EINVAL', rule: 'T1-MAP-IOVA-RANGE' });
    return failed;
  }

  protected iovaValid(first: bigint, last: bigint): boolean {
    return this.geometry.iovaRanges.some((r) => r.start <= first && last <= r.end);
  }

  /**
   * vfio_pin_pages_remote over [vaddr, vaddr + size), looked at without pinning: the frames and
   * their charge, and the pinning checks that fail. In address order, a page of no VMA or of a
   * PROT_NONE VMA fails with EFAULT (T1-MAP-UNBACKED), a page a WRITE map cannot write with
   * EFAULT (T1-MAP-READONLY), a charge over RLIMIT_MEMLOCK with ENOMEM (T1-MAP-RLIMIT); the first
   * decides. The other errno, when pinning could also give it (the limit against the charge of
   * the whole range, a fault past the page that crossed the limit), follows it. `faulted`: the
   * PFNMAP runs whose page-table entries the walk faults in before its first failure; they stay
   * even when the map fails (T1-MAP-UNBACKED).
   */
  protected pinScan(proc: number, vaddr: bigint, size: bigint, write: boolean, pfnmap: PfnmapPolicy = 'follow'): PinScan {
    const mm = this.procs[proc]!;
    const failed: Check[] = [];
    const faulted: FrameRun[] = [];
    const has = (errno: Errno) => failed.some((c) => c.errno === errno);
    const end = vaddr + size;
    const first = mm.lookup(vaddr, size);
    let charge = 0n;
    // The backed pieces of the range in address order, hole by hole (one lookup per hole).
    for (let at: bigint | undefined = vaddr, piece = first; at !== undefined && at < end;) {
      for (const run of piece.runs) {
        if (run.backing === 'mmio' && pfnmap === 'refuse') {
          if (!has('EFAULT')) failed.push({ errno: 'EFAULT', rule: 'T1-COMPAT-MAP-PFNMAP' });
          continue;
        }
        if (run.backing === 'mmio') {
          // vaddr_get_pfns: GUP refuses a PFNMAP VMA, so follow_fault_pfn reads the page-table
          // entry. A present entry is taken as it is, PROT_NONE included, and only a WRITE map
          // needs it writable; a missing one is faulted in, which the VMA's protection must allow.
          const refused = write ? run.prot !== 'rw' : run.prot === 'none' && !mm.ptesPresent(run);
          if (!refused && failed.length === 0) faulted.push(run);
          if (refused && !has('EFAULT')) failed.push({ errno: 'EFAULT', rule: run.prot === 'none' ? 'T1-MAP-UNBACKED' : 'T1-MAP-READONLY' });
          continue;
        }
        const fault: RuleId | null = run.prot === 'none' ? 'T1-MAP-UNBACKED' : write && run.prot !== 'rw' ? 'T1-MAP-READONLY' : null;
        if (fault && !has('EFAULT')) failed.push({ errno: 'EFAULT', rule: fault });
        charge += run.pages;
        if (!mm.capIpcLock && mm.lockedVm + charge > mm.memlockLimitPages && !has('ENOMEM')) failed.push({ errno: 'ENOMEM', rule: 'T1-MAP-RLIMIT' });
      }
      if (piece.hole === null) break;
      if (!has('EFAULT')) failed.push({ errno: 'EFAULT', rule: 'T1-MAP-UNBACKED' });
      at = mm.nextVmaStart(at + piece.hole);
      if (at !== undefined && at < end) piece = mm.lookup(at, end - at);
    }
    return { runs: first.runs, charge, failed, faulted };
  }

  /** vfio_pin_map_dma once every check passed: pin, charge and map (T1-MAP-EXACT, T1-ACCT-CHARGE). */
  protected commitMap(proc: number, iova: bigint, vaddr: bigint, size: bigint, read: boolean, write: boolean,
    pin: { runs: FrameRun[]; charge: bigint }): Outcome {
    const mm = this.procs[proc]!;
    mm.lockedVm += pin.charge;
    const dma: Dma = { iova, size, vaddr, read, write, owner: proc, frames: pin.runs, lockedVm: pin.charge, vaddrValid: true };
    this.dmas.insert(iova, iova + size, dma);
    for (const run of pin.runs) this.pins.add(run.object, run.pgoff, run.pages, dma);
    return { ok: true, rule: 'T1-MAP-EXACT' };
  }

  /** MAP_DMA with FLAG_VADDR (T1-VADDR-UPDATE, T1-VADDR-UPDATE-ERRNO). */
  private updateVaddr(proc: number, overlapping: Dma[], iova: bigint, vaddr: bigint, size: bigint): Outcome {
    const dma = overlapping[0];
    if (!dma) return failWith('ENOENT', 'T1-VADDR-UPDATE-ERRNO');
    if (dma.iova !== iova || dma.size !== size) return failWith('EINVAL', 'T1-VADDR-UPDATE-ERRNO');
    if (dma.vaddrValid) return failWith('EINVAL', dma.survivedFailedInvalidate ? 'T1-VADDR-INVALIDATE-ATOMIC' : 'T1-VADDR-UPDATE-ERRNO');
    if (dma.owner !== proc) {
      // vfio_change_dma_owner: the charge moves to the caller's mm, limit-checked there.
      const to = this.procs[proc]!;
      // __account_locked_vm checks the limit only when it adds pages: an uncharged move never fails.
      const over = dma.lockedVm > 0n && to.lockedVm + dma.lockedVm > to.memlockLimitPages;
      if (!to.capIpcLock && over) return failWith('ENOMEM', 'T1-VADDR-UPDATE');
      to.lockedVm += dma.lockedVm;
      this.procs[dma.owner]!.lockedVm -= dma.lockedVm;
      dma.owner = proc;
    }
    dma.vaddr = vaddr;
    dma.vaddrValid = true;
    return { ok: true, rule: 'T1-VADDR-UPDATE' };
  }

  unmap(flags: number, iova: bigint, size: bigint): Outcome<{ unmapped: bigint }> {
    const all = (flags & UNMAP_FLAG.ALL) !== 0;
    const invalidate = (flags & UNMAP_FLAG.VADDR) !== 0;
    const dirty = (flags & UNMAP_FLAG.GET_DIRTY_BITMAP) !== 0;
    if (flags & ~(UNMAP_FLAG.GET_DIRTY_BITMAP | UNMAP_FLAG.ALL | UNMAP_FLAG.VADDR)) return failWith('EINVAL', 'T1-UNMAP-FLAGS');
    // With ALL or VADDR; alone, argsz leaves no room for the bitmap (vfio_iommu_type1_unmap_dma),
    // whether DIRTY_PAGES started tracking or not.
    if (dirty) return failWith('EINVAL', 'T1-UNMAP-FLAGS');
    const pg = this.minPageSize;
    if (iova % pg !== 0n) return failWith('EINVAL', all ? 'T1-UNMAP-ALL' : 'T1-UNMAP-ARGS');
    let end: bigint;
    if (all) {
      if (iova !== 0n || size !== 0n) return failWith('EINVAL', 'T1-UNMAP-ALL');
      end = U64_LIMIT;
    } else {
      if (size === 0n || size % pg !== 0n) return failWith('EINVAL', 'T1-UNMAP-ARGS');
      if (iova + size > U64_LIMIT) return failWith('EINVAL', 'T1-UNMAP-ARGS', { accept: WRAP_ACCEPT });
      end = iova + size;
    }
    if (this.v2 && !all) {
      const head = this.containing(iova);
      const tail = this.containing(end - 1n);
      if ((head && head.iova !== iova) || (tail && tail.iova + tail.size !== end)) return failWith('EINVAL', 'T1-UNMAP-V2-BISECT');
    }
    const targets = this.overlapping(iova, end);
    if (!this.v2 && targets[0] && targets[0].iova < iova) {
      return { ok: true, unmapped: 0n, rule: invalidate ? 'T1-VADDR-INVALIDATE' : 'T1-UNMAP-V1-START-INSIDE' };
    }
    const unmapped = targets.reduce((sum, d) => sum + d.size, 0n);
    if (invalidate) {
      if (targets.some((d) => !d.vaddrValid)) {
        for (const d of targets) if (d.vaddrValid) d.survivedFailedInvalidate = true;
        return failWith('EINVAL', 'T1-VADDR-INVALIDATE-ATOMIC');
      }
      for (const d of targets) {
        d.vaddrValid = false;
        d.survivedFailedInvalidate = false;
      }
      return { ok: true, unmapped, rule: 'T1-VADDR-INVALIDATE' };
    }
    for (const d of targets) {
      this.release(d);
      this.dmas.remove(d.iova);
    }
    const rule: RuleId = all ? 'T1-UNMAP-ALL'
      : unmapped === 0n ? 'T1-UNMAP-EMPTY'
      : end === U64_LIMIT ? 'T1-UNMAP-TOP'
      : this.v2 ? 'T1-UNMAP-V2-EXACT' : 'T1-UNMAP-V1-WHOLE';
    return { ok: true, unmapped, rule };
  }

  /**
   * VFIO_IOMMU_DIRTY_PAGES with no data after the header (vfio_iommu_type1_dirty_pages).
   * START and STOP are idempotent and change nothing the suite observes, so the tracking state
   * is not kept (T1-DIRTY-START-STOP).
   */
  dirtyPages(flags: number): Outcome {
    if (!this.v2) return failWith('EACCES', 'T1-DIRTY-V1');
    const known = DIRTY_FLAG.START | DIRTY_FLAG.STOP | DIRTY_FLAG.GET_BITMAP;
    // Exactly one known bit: the mask check, then __ffs(flags) != __fls(flags) (none falls through).
    if (flags & ~known || flags === 0 || (flags & (flags - 1)) !== 0) return failWith('EINVAL', 'T1-DIRTY-FLAGS');
    if (flags === DIRTY_FLAG.GET_BITMAP) return failWith('EINVAL', 'T1-DIRTY-GET-BITMAP');
    return { ok: true, rule: 'T1-DIRTY-START-STOP' };
  }

  /** vfio_iommu_migration_build_caps, on v1 as on v2 (T1-INFO-MIGRATION). */
  get migration(): MigrationCap {
    return { present: true, pgsizes: this.minPageSize, maxDirtyBitmapSize: DIRTY_BITMAP_SIZE_MAX };
  }

  /** Close the container fd and open a fresh one (T1-CLOSE-RELEASE). */
  close(): void {
    for (const d of this.dmas) this.release(d);
    this.dmas.clear();
  }

  /** The dma covering `iova`, if any. */
  containing(iova: bigint): Dma | undefined {
    return this.dmas.containing(iova);
  }

  /** The nearest mapping starting below `start`, and the first starting at or above `end`. */
  neighbours(start: bigint, end: bigint): { before?: Dma; after?: Dma } {
    const before = this.dmas.lastBelow(start);
    const after = this.dmas.firstAtOrAbove(end);
    return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
  }

  /** What the device reaches at `iova`: the pinned frame, or nothing. */
  translate(iova: bigint): { dma: Dma; frame: FrameRun; page: bigint } | undefined {
    const dma = this.containing(iova);
    if (!dma) return undefined;
    const offset = iova - dma.iova;
    const frame = dma.frames.find((f) => f.offset <= offset && offset < f.offset + f.pages * PAGE_SIZE)!;
    return { dma, frame, page: frame.pgoff + (offset - frame.offset) / PAGE_SIZE };
  }

  dump(): MappingDump[] {
    return [...this.dmas].map((d) => ({ iova: d.iova, size: d.size, read: d.read, write: d.write }));
  }

  /** The mappings with at least one byte in [start, end), ascending. */
  overlapping(start: bigint, end: bigint): Dma[] {
    return this.dmas.overlapping(start, end);
  }

  /** Whether another live mapping pins a frame `dma` pins. */
  sharesFrames(dma: Dma): boolean {
    return dma.frames.some((f) => this.pins.sharedWithOthers(f.object, f.pgoff, f.pages, dma));
  }

  protected release(d: Dma): void {
    this.procs[d.owner]!.lockedVm -= d.lockedVm;
    for (const run of d.frames) this.pins.remove(run.object, run.pgoff, d);
  }
}
