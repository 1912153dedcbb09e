// The two processes sharing the container: address spaces, locked_vm, RLIMIT_MEMLOCK,
// CAP_IPC_LOCK, and the CPU's view of memory (T1-HOST-ENV).
//
// Sizes that are not page aligned fail with EINVAL (spec/type1/operations.md) where Linux would round
// them up; everything else follows mm/mmap.c, mm/mremap.c and mm/mprotect.c, including their
// partial effects: mremap unmaps its destination before it validates the source, and mprotect
// keeps the VMAs it changed before it met a hole.
import type { Backing, Errno, Proc, Prot } from '../../../spec/type1/ops.ts';
import { AddressSpace, frameAt, moveTo, type Segment } from './address-space.ts';
import { MMAP_MIN_ADDR, PAGE_SHIFT, PAGE_SIZE, U64_MAX, isAligned } from './constants.ts';
import { PresentPages, Tokens, type MemObject } from './frames.ts';
import type { SimHost } from './options.ts';
import { hasBug, type Policy } from './policy.ts';

const alignUp = (v: bigint, alignment: bigint): bigint => (v + alignment - 1n) & ~(alignment - 1n);

export class Process {
  readonly space: AddressSpace;
  /** mm->locked_vm, in pages. */
  lockedVm = 0n;
  /** RLIMIT_MEMLOCK in bytes; U64_MAX is RLIM_INFINITY. */
  rlimitMemlock = U64_MAX;
  capIpcLock = false;
  /** PFNMAP pages whose page-table entry a fault inserted (T1-MAP-UNBACKED). */
  readonly ptes = new PresentPages();

  constructor(hugePageSize: bigint) {
    this.space = new AddressSpace(hugePageSize);
  }

  get memlockLimitPages(): bigint {
    return this.rlimitMemlock >> PAGE_SHIFT;
  }

  /** __account_locked_vm(inc = false): a decrement never takes locked_vm below zero. */
  uncharge(pages: bigint): void {
    this.lockedVm = this.lockedVm > pages ? this.lockedVm - pages : 0n;
  }
}

export class Host {
  readonly procs: readonly [Process, Process];
  readonly tokens = new Tokens();
  private nextObjectId = 1;
  /** mutant reuse-pinned-frame: frames munmap freed although pinned, newest last. */
  private readonly freed: Segment[] = [];

  private readonly huge: bigint;
  /** TASK_SIZE: one past the highest address a process may map. */
  private readonly taskSize: bigint;

  constructor(private readonly policy: Policy, machine: SimHost) {
    this.huge = machine.hugePageSize;
    this.taskSize = machine.taskSize;
    this.procs = [new Process(this.huge), new Process(this.huge)];
  }

  mmap(proc: Proc, vaddr: bigint, size: bigint, prot: Prot, backing: Backing): Errno | undefined {
    const alignment = backing === 'hugetlb' ? this.huge : PAGE_SIZE;
    if (size === 0n || !isAligned(vaddr, alignment) || !isAligned(size, alignment)) return 'EINVAL';
    if (size > this.taskSize || vaddr > this.taskSize - size) return 'ENOMEM';
    if (vaddr < MMAP_MIN_ADDR) return 'EPERM';
    const space = this.procs[proc].space;
    const err = this.unmapRange(space, vaddr, vaddr + size);
    if (err !== undefined) return err;
    space.put([this.allocate(vaddr, vaddr + size, prot, backing)]);
    return undefined;
  }

  munmap(proc: Proc, vaddr: bigint, size: bigint): Errno | undefined {
    if (size === 0n || !isAligned(vaddr, PAGE_SIZE) || !isAligned(size, PAGE_SIZE)) return 'EINVAL';
    if (vaddr > this.taskSize || size > this.taskSize - vaddr) return 'EINVAL';
    return this.unmapRange(this.procs[proc].space, vaddr, vaddr + size);
  }

  /** mremap(MREMAP_MAYMOVE | MREMAP_FIXED), in the order of the syscall and mremap_to. */
  mremap(proc: Proc, vaddr: bigint, size: bigint, newVaddr: bigint, newSize: bigint): Errno | undefined {
    if (!isAligned(vaddr, PAGE_SIZE) || !isAligned(size, PAGE_SIZE) || !isAligned(newSize, PAGE_SIZE)) return 'EINVAL';
    if (size === 0n || newSize === 0n) return 'EINVAL';
    const space = this.procs[proc].space;
    if (space.find(vaddr)?.obj.backing === 'hugetlb') {
      if (!isAligned(vaddr, this.huge) || !isAligned(newVaddr, this.huge)) return 'EINVAL';
      size = alignUp(size, this.huge);
      newSize = alignUp(newSize, this.huge);
      if (newSize > size) return 'EINVAL'; // hugetlb reservations cannot be expanded
    }
    if (!isAligned(newVaddr, PAGE_SIZE)) return 'EINVAL';
    if (newSize > this.taskSize || newVaddr > this.taskSize - newSize) return 'EINVAL';
    if (vaddr + size > newVaddr && newVaddr + newSize > vaddr) return 'EINVAL';
    let err = this.unmapRange(space, newVaddr, newVaddr + newSize);
    if (err !== undefined) return err;
    if (size > newSize) {
      err = this.unmapRange(space, vaddr + newSize, vaddr + size);
      if (err !== undefined) return err;
      size = newSize;
    }
    // vma_to_resize
    if (!space.withinOneVma(vaddr, vaddr + size)) return 'EFAULT';
    const vma = space.find(vaddr) as Segment;
    if (newSize > size && vma.obj.backing === 'mmio') return 'EFAULT'; // VM_PFNMAP cannot grow
    space.put(space.take(vaddr, vaddr + size).map((s) => moveTo(s, newVaddr + (s.start - vaddr))));
    if (newSize > size) space.put([this.allocate(newVaddr + size, newVaddr + newSize, vma.prot, vma.obj.backing)]);
    return undefined;
  }

  mprotect(proc: Proc, vaddr: bigint, size: bigint, prot: Prot): Errno | undefined {
    if (!isAligned(vaddr, PAGE_SIZE) || !isAligned(size, PAGE_SIZE)) return 'EINVAL';
    if (size === 0n) return undefined;
    const space = this.procs[proc].space;
    const end = vaddr + size;
    if (space.find(vaddr) === undefined) return 'ENOMEM';
    if (space.isBadHugeSplit(vaddr)) return 'EINVAL';
    let covered = vaddr;
    for (const seg of space.overlapping(vaddr, end)) {
      if (seg.start > covered) break;
      covered = seg.end;
    }
    // Linux changes one VMA after another and keeps what it changed when it meets a hole
    // (ENOMEM) or a hugetlb VMA it cannot split at `end` (EINVAL).
    if (covered < end) {
      this.protect(space, vaddr, covered, prot);
      return 'ENOMEM';
    }
    if (space.isBadHugeSplit(end)) {
      this.protect(space, vaddr, space.vmaStart(end), prot);
      return 'EINVAL';
    }
    this.protect(space, vaddr, end, prot);
    return undefined;
  }

  cpuWrite(proc: Proc, vaddr: bigint, token: bigint): Errno | undefined {
    const seg = this.procs[proc].space.find(vaddr);
    if (seg === undefined || seg.prot !== 'rw') return 'EFAULT';
    if (seg.obj.backing === 'mmio') this.procs[proc].ptes.add(frameAt(seg, vaddr), 1n);
    this.tokens.write(frameAt(seg, vaddr), token);
    return undefined;
  }

  cpuRead(proc: Proc, vaddr: bigint): bigint | 'EFAULT' {
    const seg = this.procs[proc].space.find(vaddr);
    if (seg === undefined || seg.prot === 'none') return 'EFAULT';
    if (seg.obj.backing === 'mmio') this.procs[proc].ptes.add(frameAt(seg, vaddr), 1n);
    return this.tokens.read(frameAt(seg, vaddr));
  }

  private protect(space: AddressSpace, start: bigint, end: bigint, prot: Prot): void {
    space.put(space.take(start, end).map((s) => ({ ...s, prot })));
  }

  /** do_vmi_munmap: split the VMAs at both ends, then drop what lies between. */
  private unmapRange(space: AddressSpace, start: bigint, end: bigint): Errno | undefined {
    if (space.isBadHugeSplit(start) || space.isBadHugeSplit(end)) return 'EINVAL';
    const removed = space.take(start, end);
    // mutant reuse-pinned-frame: the frames go back to the allocator although pinned.
    if (hasBug(this.policy, 'reuse-pinned-frame')) this.freed.push(...removed.filter((s) => s.obj.backing !== 'mmio'));
    return undefined;
  }

  /** Fresh zeroed memory for [start, end): a new object (frames are never recycled). */
  private allocate(start: bigint, end: bigint, prot: Prot, backing: Backing): Segment {
    const size = end - start;
    // mutant reuse-pinned-frame: hand out the most recently freed frames again, zeroed.
    if (hasBug(this.policy, 'reuse-pinned-frame')) {
      let i = this.freed.length - 1;
      while (i >= 0 && !(this.freed[i]!.obj.backing === backing && this.freed[i]!.end - this.freed[i]!.start >= size)) i--;
      const spare = this.freed[i];
      if (spare !== undefined) {
        this.freed.splice(i, 1, ...(spare.end - spare.start > size ? [{ ...spare, start: spare.start + size, page: spare.page + (size >> PAGE_SHIFT) }] : []));
        this.tokens.zero({ obj: spare.obj, page: spare.page }, size >> PAGE_SHIFT);
        return { start, end, prot, obj: spare.obj, page: spare.page };
      }
    }
    const obj: MemObject = { id: this.nextObjectId++, backing };
    return { start, end, prot, obj, page: 0n };
  }
}
