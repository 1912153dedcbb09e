// The process that owns the iommufd context: its memory (the type1 simulator's host, one
// process of it), its counters, and how iopt_pages charge them.
//
// Charges follow drivers/iommu/iommufd/pages.c: do_update_pinned. An iopt_pages carries the
// account mode fixed when it was created (iopt_alloc_pages: NONE with CAP_IPC_LOCK, else USER;
// iopt_map_user_pages: USER becomes MM in a context set to RLIMIT_MODE 1). USER charges the
// user's locked_vm (incr_user_locked_vm), MM the mm's (__account_locked_vm, bypass_rlim false),
// both against RLIMIT_MEMLOCK and with no capability check at charge time; every mode adds to
// mm->pinned_vm.
import type { Errno } from '../../../spec/iommufd/ops.ts';
import { PAGE_SHIFT, U64_MAX } from '../../type1/sim/constants.ts';
import { Host, type Process } from '../../type1/sim/host.ts';
import type { SimHost } from '../../type1/sim/options.ts';
import { hasBug, type Policy } from './policy.ts';

export type AccountMode = 'none' | 'user' | 'mm';

export class IommufdHost {
  /** Memory, VMAs and frames; process 0 is the context's owner, process 1 is never used. */
  readonly memory: Host;
  /** user_struct->locked_vm, in pages: not visible in /proc, but limited by RLIMIT_MEMLOCK. */
  userLockedVm = 0n;
  /** mm->pinned_vm, in pages. */
  pinnedVm = 0n;

  constructor(private readonly policy: Policy, machine: SimHost) {
    this.memory = new Host({ v2: true, compat: false, bugs: new Set() }, machine);
    // A fresh backend holds CAP_IPC_LOCK (spec/iommufd/backend.ts: Backend).
    this.process.capIpcLock = true;
    this.process.rlimitMemlock = U64_MAX;
  }

  get process(): Process {
    return this.memory.procs[0];
  }

  /** The account mode of a new iopt_pages (pages.c: iopt_alloc_pages). */
  modeAtMap(): AccountMode {
    return this.process.capIpcLock ? 'none' : 'user';
  }

  /** do_update_pinned(inc = true): ENOMEM leaves every counter as it was. */
  charge(mode: AccountMode, pages: bigint): Errno | undefined {
    const limit = this.process.rlimitMemlock >> PAGE_SHIFT;
    // mutant user-mode-charges-mm: USER pages are charged like MM ones.
    const effective = mode === 'user' && hasBug(this.policy, 'user-mode-charges-mm') ? 'mm' : mode;
    if (effective === 'user') {
      if (this.userLockedVm + pages > limit) return 'ENOMEM';
      this.userLockedVm += pages;
    } else if (effective === 'mm') {
      if (this.process.lockedVm + pages > limit) return 'ENOMEM';
      this.process.lockedVm += pages;
    }
    this.pinnedVm += pages;
    return undefined;
  }

  /** do_update_pinned(inc = false). */
  uncharge(mode: AccountMode, pages: bigint): void {
    const effective = mode === 'user' && hasBug(this.policy, 'user-mode-charges-mm') ? 'mm' : mode;
    if (effective === 'user') this.userLockedVm -= pages;
    else if (effective === 'mm') this.process.lockedVm -= pages;
    this.pinnedVm -= pages;
  }
}
