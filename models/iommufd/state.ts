// The iommufd context and its process: the IOASes (named by handles, or alive unnamed), the
// devices, the account mode, and the pinning and charging every IOAS shares.
//
// Counters are derived, never kept: a page is charged to its iopt_pages' account mode exactly
// while it is pinned (IOMMUFD-ACCT-EXACT), so locked_vm and pinned_vm are sums over the live
// pages, and undoing a failed fill is restoring the pins it added.
import type { BackendInfo } from '../../spec/iommufd/backend.ts';
import type { Errno } from '../../spec/iommufd/ops.ts';
import type { Process } from '../host.ts';
import { pageSpan, type Area, type Ioas } from './ioas.ts';
import type { AccountMode, IoptPages, PinnedRun } from './pages.ts';
import { union } from './spans.ts';

export interface DeviceState { bound: boolean; ioas: Ioas | null }

export class Context {
  /** The IOAS each live handle names. */
  readonly handles = new Map<number, Ioas>();
  /** Every live IOAS object, named or not (IOMMUFD-OBJ-ALLOC). */
  readonly ioases = new Set<Ioas>();
  readonly devices: DeviceState[];
  /** IOMMU_OPTION_RLIMIT_MODE: 0 per user, 1 per mm. */
  rlimitMode = 0n;

  constructor(readonly info: BackendInfo, readonly proc: Process) {
    this.devices = info.devices.map(() => ({ bound: false, ioas: null }));
  }

  /** Whether the context holds any object: an IOAS, a bound device (and so any domain). */
  hasObjects(): boolean {
    return this.ioases.size > 0 || this.devices.some((d) => d.bound);
  }

  /** The account mode of pages created now (pages.c: iopt_alloc_pages; io_pagetable.c: iopt_map_user_pages). */
  newPagesMode(): AccountMode {
    if (this.proc.capIpcLock) return 'none';
    return this.rlimitMode === 1n ? 'mm' : 'user';
  }

  livePages(): Set<IoptPages> {
    const out = new Set<IoptPages>();
    for (const ioas of this.ioases) for (const a of ioas.areas) out.add(a.pages);
    return out;
  }

  /** Pages charged in `mode`: the user's locked_vm for 'user', mm->locked_vm for 'mm'. */
  charged(mode: AccountMode): bigint {
    let n = 0n;
    for (const p of this.livePages()) if (p.mode === mode) n += p.npinned;
    return n;
  }

  /** mm->pinned_vm: every pinned page in every mode (IOMMUFD-ACCT-PINNED). */
  pinnedVm(): bigint {
    let n = 0n;
    for (const p of this.livePages()) n += p.npinned;
    return n;
  }

  /**
   * Pins the pages of `areas` in order, charging each area once it is pinned (pages.c:
   * iopt_area_fill_domain, pfn_reader_update_pinned): EFAULT or ENOMEM undo every pin it made.
   */
  fill(areas: readonly Area[]): Errno | null {
    const saved = new Map<IoptPages, PinnedRun[]>();
    const undo = (errno: Errno): Errno => {
      for (const [p, runs] of saved) p.restore(runs);
      return errno;
    };
    for (const a of areas) {
      if (!saved.has(a.pages)) saved.set(a.pages, a.pages.snapshot());
      const before = this.charged(a.pages.mode);
      const added = a.pages.pin(this.proc, [pageSpan(a)]);
      if (typeof added === 'string') return undo(added);
      if (a.pages.mode !== 'none' && before + added > this.proc.memlockLimitPages) return undo('ENOMEM');
    }
    return null;
  }

  /** Unpins every page of `pages` that no area of an IOAS with a domain covers any more. */
  refresh(pages: Iterable<IoptPages>): void {
    for (const p of pages) p.keepOnly(union([...p.areas].filter((a) => a.ioas.domains.size > 0).map(pageSpan)));
  }

  /** The IOAS the devices of `group` are attached to, if any. */
  groupIoas(group: number): Ioas | null {
    for (const [i, d] of this.devices.entries()) if (d.ioas && this.info.devices[i]!.group === group) return d.ioas;
    return null;
  }
}
