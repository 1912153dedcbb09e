// One process's mm as the sPAPR container sees it: its address space (the shared host model),
// its locked_vm with RLIMIT_MEMLOCK and CAP_IPC_LOCK, and its preregistered regions.
import type { Process } from '../host.ts';
import { Registry } from './regions.ts';

export class Mm {
  readonly registry = new Registry();

  constructor(readonly proc: Process, readonly pageSize: bigint) {}

  /**
   * account_locked_vm(mm, pages, true) (mm/util.c: __account_locked_vm): refused over
   * RLIMIT_MEMLOCK, in pages, without CAP_IPC_LOCK; nothing for 0 pages.
   */
  charge(pages: bigint): boolean {
    if (pages === 0n) return true;
    const limit = this.proc.rlimitMemlock / this.pageSize;
    if (this.proc.lockedVm + pages > limit && !this.proc.capIpcLock) return false;
    this.proc.lockedVm += pages;
    return true;
  }

  /** account_locked_vm(mm, pages, false): never below 0 (the kernel warns and clamps). */
  uncharge(pages: bigint): void {
    this.proc.lockedVm = pages > this.proc.lockedVm ? 0n : this.proc.lockedVm - pages;
  }
}
