// The planned cases of the sPAPR kernel backends (expectations/linux-spapr-*@pseries.json) for
// kernel/repro/record.ts: each the shortest sequence that shows one listed divergence at its
// last step, and a control per profile. Container 0 only; its 32-bit default window starts at
// bus address 0 on pseries (kernel/README.md: the declaration). A PHB keeps what its windows
// did for the life of the guest, so each case of a program takes a PHB of its own
// (repro/c/spapr.c: group_of).
import { x, type Planned } from './planned.ts';

const mmap = (a: bigint, size: bigint, prot = 'rw') => ({ op: 'mmap', proc: 0, vaddr: x(a), size: x(size), prot, backing: 'anon' });
const reg = (op: 'register' | 'unregister', a: bigint, size: bigint) => ({ op, proc: 0, ct: 0, flags: 0, vaddr: x(a), size: x(size) });
const map = (flags: number, iova: bigint, a: bigint, size: bigint) => ({ op: 'map', proc: 0, ct: 0, flags, iova: x(iova), vaddr: x(a), size: x(size) });
const unmap = (iova: bigint, size: bigint) => ({ op: 'unmap', proc: 0, ct: 0, flags: 0, iova: x(iova), size: x(size) });
const create = (pageShift: number, windowSize: bigint) => ({ op: 'create', proc: 0, ct: 0, flags: 0, pageShift, windowSize: x(windowSize), levels: 1 });
const enable = { op: 'enable', proc: 0, ct: 0 };
const counters = { op: 'counters' };
const RW = 3;
/** The 32-bit default window's size on the project's pseries guest (its declaration). */
const DMA32_SIZE = 0x40000000n;

export const SPAPR_V2: Planned[] = [
  { name: 'spapr--unreg-mapped', property: 'registration', rule: 'SPAPR-UNREG-MAPPED',
    ops: (a) => [mmap(a, 0x10000n), reg('register', a, 0x10000n), map(RW, 0n, a, 0x1000n), reg('unregister', a, 0x10000n)] },
  { name: 'spapr--map-align', property: 'map-unmap', rule: 'SPAPR-MAP-ALIGN',
    ops: (a) => [mmap(a, 0x2000n), reg('register', a, 0x2000n), map(RW, 0x800n, a, 0x1000n)] },
  { name: 'spapr--unmap-checks', property: 'map-unmap', rule: 'SPAPR-UNMAP-CHECKS',
    ops: (a) => [mmap(a, 0x2000n), reg('register', a, 0x2000n), map(RW, 0n, a, 0x1000n), unmap(0x800n, 0x1000n)] },
  // the third page is not mapped: pin_user_pages pins two and stops
  { name: 'spapr--reg-fault', property: 'registration', rule: 'SPAPR-REG-FAULT',
    ops: (a) => [mmap(a, 0x2000n), reg('register', a, 0x3000n)] },
  // the pending default window cancelled, so that both slots are free: pseries refuses a second
  // dynamic window (spapr_tce_create_table: ENODEV) after its table was charged; the table is
  // big enough (0x40 pages) to show in locked_vm
  { name: 'spapr--window-charge', property: 'accounting', rule: 'SPAPR-WINDOW-CHARGE',
    ops: () => [{ op: 'remove', proc: 0, ct: 0, flags: 0, startAddr: '0x0' }, create(16, 0x8000000n), create(12, 0x8000000n), counters] },
  // a window smaller than its page, first on its PHB: EINVAL on 6.12 (an undefined shift)
  { name: 'spapr--create-pseries', property: 'windows', rule: 'SPAPR-CREATE-PSERIES',
    ops: () => [create(12, 0x800n)] },
  { name: 'spapr--control', property: 'accounting', rule: null,
    ops: (a) => [mmap(a, 0x4000n), { op: 'cpuWrite', proc: 0, vaddr: x(a), token: '0x5eed' }, reg('register', a, 0x4000n),
      map(RW, 0n, a, 0x2000n), counters, unmap(0n, 0x2000n), reg('unregister', a, 0x4000n), counters,
      { op: 'getInfo', proc: 0, ct: 0 }, { op: 'closeContainer', ct: 0 }, counters, { op: 'cpuRead', proc: 0, vaddr: x(a) }] },
];

export const SPAPR_V1: Planned[] = [
  { name: 'spapr-v1--map-v1-pin', property: 'v1', rule: 'SPAPR-MAP-V1-PIN',
    ops: (a) => [enable, mmap(a, 0x1000n, 'r'), map(1, 0n, a, 0x1000n)] },
  // the last page of the 1 GiB default window and one past it: the hypervisor refuses the second
  // TCE (H_PARAMETER), which 6.12 returns as -EINTR (kernel/README.md)
  { name: 'spapr-v1--map-window-end', property: 'map-unmap', rule: 'SPAPR-MAP-WINDOW-END',
    ops: (a) => [enable, mmap(a, 0x2000n), map(RW, DMA32_SIZE - 0x1000n, a, 0x2000n)] },
  { name: 'spapr-v1--map-align', property: 'v1', rule: 'SPAPR-MAP-ALIGN',
    ops: (a) => [enable, mmap(a, 0x2000n), map(RW, 0x800n, a, 0x1000n)] },
  { name: 'spapr-v1--unmap-checks', property: 'v1', rule: 'SPAPR-UNMAP-CHECKS',
    ops: (a) => [enable, mmap(a, 0x2000n), map(RW, 0n, a, 0x1000n), unmap(0x800n, 0x1000n)] },
  { name: 'spapr-v1--control', property: 'v1', rule: null,
    ops: (a) => [enable, counters, mmap(a, 0x2000n), map(RW, 0n, a, 0x2000n), unmap(0n, 0x2000n),
      { op: 'disable', proc: 0, ct: 0 }, counters, { op: 'getInfo', proc: 0, ct: 0 }] },
];
