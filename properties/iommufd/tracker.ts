// What the generator believes the backend holds, from the operations of the case and the answers
// the reference model expects to them: live IOASes and their areas, devices bound and attached,
// the host memory of each slot, what is pinned. It only aims the next operations (at existing
// areas, their edges and the holes between them); the model judges. A wrong belief (a
// backend's allocation the model does not fix) makes an operation miss its aim, never invalid.
import { MAX_IOAS, type Op, type Result } from '../../spec/iommufd/ops.ts';
import { U64_MAX } from '../../spec/u64.ts';
import type { Prot, Backing } from '../../spec/iommufd/ops.ts';

export interface Area { iova: bigint; length: bigint; vaddr: bigint; writable: boolean }
export interface Vma { vaddr: bigint; size: bigint; prot: Prot; backing: Backing }

/** The end (one past the last byte) of an area. */
export const areaEnd = (a: Area): bigint => a.iova + a.length;

/** The IOAS a device is attached to when no handle names it any more. */
const UNNAMED = -2;

export class Tracker {
  /** Per IOAS handle: its areas in ascending iova order, or null when the handle is dead. */
  readonly ioas: (Area[] | null)[] = Array.from({ length: MAX_IOAS }, () => null);
  /** Per device: bound to the context, and the IOAS it is attached to (-1: none, UNNAMED: one no handle names). */
  readonly bound: boolean[];
  readonly attached: number[];
  /** Per slot of the arena: the VMA the case mapped there, if any. */
  readonly vmas = new Map<number, Vma>();
  /** Pages pinned and charged, from the last `counters` the model answered. */
  pinned = 0n;
  locked = 0n;
  rlimitMode = 0n;

  constructor(devices: number) {
    this.bound = Array.from({ length: devices }, () => false);
    this.attached = Array.from({ length: devices }, () => -1);
  }

  live(): number[] {
    return this.ioas.flatMap((a, h) => (a ? [h] : []));
  }

  areas(h: number): Area[] {
    return this.ioas[h] ?? [];
  }

  /** Devices attached to `h`. */
  attachedTo(h: number): number[] {
    return this.attached.flatMap((x, d) => (x === h ? [d] : []));
  }

  /** Any object in the context (RLIMIT_MODE can only change without). */
  hasObjects(): boolean {
    return this.live().length > 0 || this.bound.some((b) => b);
  }

  apply(op: Op, r: Result, slotOf: (vaddr: bigint) => number | undefined): void {
    if (!r.ok) {
      if (op.op === 'unmap' && r.errno === 'ENOENT') this.removeInside(op.ioas, op.iova, op.length, true);
      return;
    }
    switch (op.op) {
      case 'ioasAlloc':
        // A live handle re-allocated: its devices stay on the old IOAS, which no handle names now.
        for (const d of this.attachedTo(op.ioas)) this.attached[d] = UNNAMED;
        this.ioas[op.ioas] = [];
        break;
      case 'destroy': this.ioas[op.ioas] = null; break;
      case 'map': if ('iova' in r) this.insert(op.ioas, { iova: r.iova, length: op.length, vaddr: op.vaddr, writable: (op.flags & 2) !== 0 }); break;
      case 'copy': {
        const src = this.areas(op.srcIoas).find((a) => a.iova <= op.srcIova && op.srcIova < areaEnd(a));
        const vaddr = src ? src.vaddr + (op.srcIova - src.iova) : 0n;
        if ('iova' in r) this.insert(op.dstIoas, { iova: r.iova, length: op.length, vaddr, writable: (op.flags & 2) !== 0 });
        break;
      }
      case 'unmap':
        if (op.iova === 0n && op.length === U64_MAX) { if (this.ioas[op.ioas]) this.ioas[op.ioas] = []; }
        else this.removeInside(op.ioas, op.iova, op.length, false);
        break;
      case 'bind': this.bound[op.dev] = true; break;
      case 'attach': this.attached[op.dev] = op.ioas; break;
      case 'detach': this.attached[op.dev] = -1; break;
      case 'closeCtx':
        this.ioas.fill(null);
        this.bound.fill(false);
        this.attached.fill(-1);
        break;
      case 'setRlimitMode': this.rlimitMode = op.value; break;
      case 'counters': if ('pinnedVm' in r) { this.pinned = r.pinnedVm; this.locked = r.lockedVm; } break;
      case 'mmap': case 'munmap': {
        const slot = slotOf(op.vaddr);
        if (slot === undefined) break;
        if (op.op === 'mmap') this.vmas.set(slot, { vaddr: op.vaddr, size: op.size, prot: op.prot, backing: op.backing });
        else this.vmas.delete(slot);
        break;
      }
      default: break;
    }
  }

  private insert(h: number, area: Area): void {
    const list = this.ioas[h];
    if (!list) return;
    list.push(area);
    list.sort((a, b) => (a.iova < b.iova ? -1 : a.iova > b.iova ? 1 : 0));
  }

  /**
   * The areas of [iova, iova + length) an unmap removes: each wholly inside, in ascending
   * order; a failed one (`failed`) stops at the first area it meets that is not (IOMMUFD-UNMAP-PARTIAL).
   */
  private removeInside(h: number, iova: bigint, length: bigint, failed: boolean): void {
    const list = this.ioas[h];
    if (!list || length === 0n) return;
    const last = iova + length - 1n;
    const kept: Area[] = [];
    let stopped = false;
    for (const a of list) {
      const meets = a.iova <= last && iova < areaEnd(a);
      const inside = a.iova >= iova && areaEnd(a) - 1n <= last;
      if (meets && !inside) stopped = true;
      if (meets && inside && !(failed && stopped)) continue;
      kept.push(a);
    }
    this.ioas[h] = kept;
  }
}
