// sim-spapr-v2 and sim-spapr-v1 on hand-written sequences: each answer exact, each step named by
// the rule it follows (spec/spapr/rules.ts). Then every mutant departs from its base on a short
// witness, on an operation its rule decides.
import { describe, expect, it } from 'vitest';
import { BUNDLED, MUTANTS, findBundled } from '../../backends/spapr/index.ts';
import type { BugId } from '../../backends/spapr/sim/policy.ts';
import type { Backend } from '../../spec/spapr/backend.ts';
import type { Backing, Op, Proc, Prot, Result } from '../../spec/spapr/ops.ts';

const P = 0x1000n;
const M2 = 0x200000n;
const A = 0x7f0000000000n;
const B = A + 0x10000000n;
const DDW = 1n << 59n;
/** The pseries default window's table: 1 GiB of 4 KiB TCEs, 8 bytes each, in pages. */
const DEF = 512n;

const sim = (name = 'sim-spapr-v2', options: Record<string, string> = {}): Backend => findBundled(name)!.create(options);
const run = (b: Backend, ops: Op[]): Result[] => b.execute(ops) as Result[];
const last = (b: Backend, ops: Op[]): Result => run(b, ops).at(-1)!;

const mmap = (vaddr: bigint, size: bigint, prot: Prot = 'rw', backing: Backing = 'anon', proc: Proc = 0): Op => ({ op: 'mmap', proc, vaddr, size, prot, backing });
const munmap = (vaddr: bigint, size: bigint): Op => ({ op: 'munmap', proc: 0, vaddr, size });
const mremap = (vaddr: bigint, size: bigint, newVaddr: bigint): Op => ({ op: 'mremap', proc: 0, vaddr, size, newVaddr, newSize: size });
const reg = (vaddr: bigint, size: bigint, ct = 0, proc: Proc = 0, flags = 0): Op => ({ op: 'register', proc, ct, flags, vaddr, size });
const unreg = (vaddr: bigint, size: bigint, ct = 0, proc: Proc = 0, flags = 0): Op => ({ op: 'unregister', proc, ct, flags, vaddr, size });
const map = (iova: bigint, vaddr: bigint, size: bigint, flags = 3, ct = 0, proc: Proc = 0): Op => ({ op: 'map', proc, ct, flags, iova, vaddr, size });
const unmap = (iova: bigint, size: bigint, ct = 0, flags = 0): Op => ({ op: 'unmap', proc: 0, ct, flags, iova, size });
const create = (pageShift: number, windowSize: bigint, levels = 1, ct = 0, proc: Proc = 0): Op => ({ op: 'create', proc, ct, flags: 0, pageShift, windowSize, levels });
const remove = (startAddr: bigint, ct = 0): Op => ({ op: 'remove', proc: 0, ct, flags: 0, startAddr });
const enable = (ct = 0, proc: Proc = 0): Op => ({ op: 'enable', proc, ct });
const disable = (ct = 0): Op => ({ op: 'disable', proc: 0, ct });
const info = (ct = 0, proc: Proc = 0): Op => ({ op: 'getInfo', proc, ct });
const close = (ct = 0): Op => ({ op: 'closeContainer', ct });
const cpuWrite = (vaddr: bigint, token: bigint): Op => ({ op: 'cpuWrite', proc: 0, vaddr, token });
const dmaRead = (iova: bigint, ct = 0): Op => ({ op: 'dmaRead', ct, iova });
const dmaWrite = (iova: bigint, token: bigint, ct = 0): Op => ({ op: 'dmaWrite', ct, iova, token });
const rlimit = (pages: bigint, proc: Proc = 0): Op => ({ op: 'setRlimitMemlock', proc, bytes: pages * P });
const counters: Op = { op: 'counters' };

const ok = (values: object = {}): Result => ({ ok: true, ...values }) as Result;
const err = (errno: string): Result => ({ ok: false, errno }) as Result;
const locked = (p0: bigint, p1 = 0n): Result => ok({ lockedVm: [p0, p1] });

/** 16 pages at A registered in container 0: the v2 container enabled. */
const registered: Op[] = [mmap(A, 16n * P), reg(A, 16n * P)];

describe('SPAPR-MM-BIND, SPAPR-V1-*, SPAPR-V2-NO-ENABLE: the container', () => {
  it('SPAPR-MM-BIND: the first REGISTER binds, even one that fails its flags check; another mm is refused first', () => {
    const b = sim();
    expect(run(b, [info(0, 1), reg(A, P, 0, 0, 1), info(0, 1), enable(0, 1), unreg(A, P, 0, 1), info(1, 1)]))
      .toEqual([ok({ dma32WindowStart: 0n, dma32WindowSize: 1n << 30n, ddw: { pgsizes: 0x1211000n, maxDynamicWindows: 2, levels: 1 } }), err('EINVAL'), err('EPERM'), err('EPERM'), err('EPERM'), expect.objectContaining({ ok: true })]);
  });

  it('SPAPR-MM-BIND: MAP, UNMAP and GET_INFO never bind; TCE_CREATE and TCE_REMOVE do', () => {
    const b = sim();
    expect(run(b, [map(0n, A, P, 3, 0, 1), unmap(0n, P, 0), info(0, 1), remove(0n, 1), reg(A, P, 1, 1)])).toEqual([err('EPERM'), err('EPERM'), expect.objectContaining({ ok: true }), ok(), err('EPERM')]);
  });

  it('SPAPR-V1-ENABLE: charges the whole 32-bit window once; EBUSY when enabled; ENOMEM over the limit leaves it disabled', () => {
    const b = sim('sim-spapr-v1');
    expect(run(b, [rlimit(0x3ffffn), enable(), counters, rlimit(0x40000n), enable(), counters, enable()]))
      .toEqual([ok(), err('ENOMEM'), locked(0n), ok(), ok(), locked(0x40000n), err('EBUSY')]);
  });

  it('SPAPR-V1-DISABLE: uncharges, MAP and UNMAP then fail EPERM, the TCEs stay reachable', () => {
    const b = sim('sim-spapr-v1');
    expect(run(b, [mmap(A, P), cpuWrite(A, 7n), enable(), map(0n, A, P), counters, disable(), counters, map(P, A, P), unmap(0n, P), dmaRead(0n), disable()]))
      .toEqual([ok(), ok(), ok(), ok(), locked(0x40000n + DEF), ok(), locked(DEF), err('EPERM'), err('EPERM'), ok({ token: 7n }), ok()]);
  });

  it('SPAPR-V1-NO-V2-OPS and SPAPR-V2-NO-ENABLE: ENOTTY, nothing bound', () => {
    const v1 = sim('sim-spapr-v1');
    expect(run(v1, [reg(A, P), unreg(A, P), create(16, 1n << 30n), remove(0n), info(0, 1)]))
      .toEqual([err('ENOTTY'), err('ENOTTY'), err('ENOTTY'), err('ENOTTY'), ok({ dma32WindowStart: 0n, dma32WindowSize: 1n << 30n })]);
    expect(run(sim(), [enable(), disable(), info(0, 1)]).slice(0, 2)).toEqual([err('ENOTTY'), err('ENOTTY')]);
  });
});

describe('SPAPR-REG-* and SPAPR-UNREG-*: preregistration', () => {
  it('SPAPR-REG-CHECKS: flags, alignment, size 0 and a wrapping range are EINVAL', () => {
    const b = sim();
    expect(run(b, [reg(A, P, 0, 0, 2), reg(A + 8n, P), reg(A, P + 8n), reg(A, 0n), reg(0xfffffffffffff000n, P), counters]))
      .toEqual([err('EINVAL'), err('EINVAL'), err('EINVAL'), err('EINVAL'), err('EINVAL'), locked(0n)]);
  });

  it('SPAPR-REG-CHARGE: a new region charges its pages; one page over RLIMIT_MEMLOCK is ENOMEM, at the limit it fits', () => {
    const b = sim();
    expect(run(b, [mmap(A, 16n * P), rlimit(15n), reg(A, 16n * P), counters, rlimit(16n), reg(A, 16n * P), counters]))
      .toEqual([ok(), ok(), err('ENOMEM'), locked(0n), ok(), ok(), locked(16n)]);
  });

  it('SPAPR-REG-FAULT: unmapped or read-only memory is EFAULT, nothing charged; EFAULT wins over an overlap', () => {
    const b = sim();
    expect(run(b, [mmap(A, P), reg(A, 2n * P), mmap(B, P, 'r'), reg(B, P), ...[reg(A, P)], reg(A, 2n * P), counters]))
      .toEqual([ok(), err('EFAULT'), ok(), err('EFAULT'), ok(), err('EFAULT'), locked(1n)]);
  });

  it('SPAPR-REG-BUSY, SPAPR-REG-SHARED, SPAPR-REG-OVERLAP: same container EBUSY, another joins free, a different overlap EINVAL', () => {
    const b = sim();
    expect(run(b, [...registered, reg(A, 16n * P), reg(A, 16n * P, 1), counters, reg(A, 8n * P, 1), reg(A + 15n * P, 2n * P, 1), mmap(A + 16n * P, P), reg(A + 16n * P, P, 1), counters]))
      .toEqual([ok(), ok(), err('EBUSY'), ok(), locked(16n), err('EINVAL'), err('EFAULT'), ok(), ok(), locked(17n)]);
  });

  it('SPAPR-REG-SHARED: the region stays until the last container lets it go', () => {
    const b = sim();
    expect(run(b, [...registered, reg(A, 16n * P, 1), unreg(A, 16n * P), counters, unreg(A, 16n * P), unreg(A, 16n * P, 1), counters]).slice(2))
      .toEqual([ok(), ok(), locked(16n), err('ENOENT'), ok(), locked(0n)]);
  });

  it('SPAPR-REG-PAGESHIFT and SPAPR-MAP-PREREG: hugetlb memory takes 2 MiB TCEs, anonymous memory only 4 KiB ones', () => {
    const b = sim();
    const w = DDW;
    expect(run(b, [mmap(A, 2n * M2, 'rw', 'hugetlb'), reg(A, 2n * M2), remove(0n), create(21, 1n << 30n), map(w, A, 2n * M2), mmap(B, M2), reg(B, M2), map(w + 2n * M2, B, M2)]))
      .toEqual([ok(), ok(), ok(), ok({ startAddr: w }), ok(), ok(), ok(), err('EINVAL')]);
  });

  it('SPAPR-REG-PAGESHIFT: a region not aligned to the huge page takes its natural alignment', () => {
    const b = sim();
    expect(run(b, [mmap(A, 2n * M2, 'rw', 'hugetlb'), reg(A, M2 + 0x10000n), create(16, 1n << 30n), map(DDW, A, 0x10000n), create(21, 1n << 30n)]).slice(3))
      .toEqual([ok(), err('ENOSPC')]);
    expect(last(sim(), [mmap(A, 2n * M2, 'rw', 'hugetlb'), reg(A, M2 + 0x10000n), remove(0n), create(21, 1n << 30n), map(DDW, A, M2)])).toEqual(err('EINVAL'));
  });

  it('SPAPR-MAP-PAGE-SIZE: anonymous pages after a first hugetlb page keep the huge shift; a large TCE over them is EPERM', () => {
    const b = sim();
    expect(run(b, [mmap(A, M2, 'rw', 'hugetlb'), mmap(A + M2, M2), reg(A, 2n * M2), remove(0n), create(21, 1n << 30n), map(DDW, A, 2n * M2), dmaRead(DDW)]).slice(5))
      .toEqual([err('EPERM'), err('EFAULT')]);
  });

  it('SPAPR-REG-SNAPSHOT: after munmap and mmap, and after mremap, TCEs reach the pages pinned at REGISTER', () => {
    const b = sim();
    expect(run(b, [...registered, cpuWrite(A, 7n), munmap(A, 16n * P), mmap(A, 16n * P), cpuWrite(A, 9n), map(0n, A, P), dmaRead(0n)]).slice(2))
      .toEqual([ok(), ok(), ok(), ok(), ok(), ok({ token: 7n })]);
    const m = sim();
    expect(run(m, [...registered, cpuWrite(A + P, 5n), mremap(A, 16n * P, B), map(0n, B, P), map(0n, A + P, P), dmaRead(0n), { op: 'cpuRead', proc: 0, vaddr: B + P }]).slice(2))
      .toEqual([ok(), ok(), err('EINVAL'), ok(), ok({ token: 5n }), ok({ token: 5n })]);
  });

  it('SPAPR-UNREG-CHECKS and SPAPR-UNREG-ENOENT', () => {
    const b = sim();
    expect(run(b, [unreg(A, P), ...registered, unreg(A, 16n * P, 0, 0, 1), unreg(A + 8n, P), unreg(A, 8n * P), reg(B, P, 1), unreg(A, 16n * P, 1)]))
      .toEqual([err('EPERM'), ok(), ok(), err('EINVAL'), err('EINVAL'), err('ENOENT'), err('EFAULT'), err('ENOENT')]);
  });

  it('SPAPR-UNREG-MAPPED and SPAPR-UNREG-RELEASE: EBUSY while a TCE points in, released once cleared', () => {
    const b = sim();
    expect(run(b, [...registered, map(0n, A, 2n * P), unreg(A, 16n * P), counters, unmap(0n, P), unreg(A, 16n * P), unmap(P, P), unreg(A, 16n * P), counters, unreg(A, 16n * P)]).slice(2))
      .toEqual([ok(), err('EBUSY'), locked(16n + DEF), ok(), err('EBUSY'), ok(), ok(), locked(DEF), err('ENOENT')]);
  });

  it('SPAPR-UNREG-MAPPED, SPAPR-MAP-PREREG, SPAPR-REG-ENABLES: any container\'s TCEs count; MAP takes any region of the mm', () => {
    const b = sim();
    expect(run(b, [...registered, mmap(B, P), reg(B, P, 1), map(0n, A, P, 3, 1), unreg(A, 16n * P), unmap(0n, P, 1), unreg(A, 16n * P), map(0n, B, P)]).slice(4))
      .toEqual([ok(), err('EBUSY'), ok(), ok(), ok()]);
  });
});

describe('SPAPR-INFO, SPAPR-DEFAULT-WINDOW, SPAPR-CREATE-*, SPAPR-WINDOW-CHARGE, SPAPR-REMOVE: windows', () => {
  it('SPAPR-DEFAULT-WINDOW: the first MAP creates it, charged; it stays when the MAP then fails', () => {
    const b = sim();
    expect(run(b, [...registered, counters, map(0n, A + 8n, P), counters, map(1n << 30n, A, P)]).slice(2))
      .toEqual([locked(16n), err('EINVAL'), locked(16n + DEF), err('ENXIO')]);
  });

  it('SPAPR-DEFAULT-WINDOW: TCE_REMOVE of 0 while pending cancels it; ENOMEM creating it keeps it pending', () => {
    const b = sim();
    expect(run(b, [...registered, remove(0n), map(0n, A, P), counters, remove(0n)]).slice(2)).toEqual([ok(), err('ENXIO'), locked(16n), err('EINVAL')]);
    const c = sim();
    expect(run(c, [...registered, rlimit(16n + DEF - 1n), map(0n, A, P), rlimit(16n + DEF), map(0n, A, P), counters]).slice(2))
      .toEqual([ok(), err('ENOMEM'), ok(), ok(), locked(16n + DEF)]);
  });

  it('SPAPR-CREATE-CHECKS, SPAPR-CREATE-START, SPAPR-WINDOW-CHARGE: a 64K-page window at 2^59, then no free slot', () => {
    const b = sim();
    expect(run(b, [create(16, 1n << 30n), counters, create(16, 1n << 30n), create(13, 1n << 30n)]))
      .toEqual([ok({ startAddr: DDW }), locked(DEF + 32n), err('ENOSPC'), err('ENOSPC')]);
    expect(run(sim(), [remove(0n), create(13, 1n << 30n), create(12, 3n << 20n), { op: 'create', proc: 0, ct: 0, flags: 1, pageShift: 12, windowSize: P, levels: 1 }]))
      .toEqual([ok(), err('EINVAL'), err('EINVAL'), err('EINVAL')]);
  });

  it('SPAPR-WINDOW-CHARGE: ENOMEM changes nothing; a failed creation after the charge gives it back', () => {
    const b = sim();
    expect(run(b, [remove(0n), rlimit(31n), create(16, 1n << 30n), counters, rlimit(1n << 40n), create(16, 3n << 30n), create(16, 1n << 30n, 2), counters]))
      .toEqual([ok(), ok(), err('ENOMEM'), locked(0n), ok(), err('EINVAL'), err('EINVAL'), locked(0n)]);
  });

  it('SPAPR-CREATE-PSERIES: one dynamic window; slot 0 refuses while it exists; a window smaller than its page', () => {
    const b = sim();
    expect(run(b, [remove(0n), create(16, 1n << 30n), create(16, 1n << 30n)])).toEqual([ok(), ok({ startAddr: DDW }), err('ENODEV')]);
    expect(run(sim(), [create(16, 1n << 30n), remove(0n), create(12, 1n << 20n), create(16, 1n << 30n), remove(DDW), create(12, 1n << 20n), create(16, 0x8000n)]))
      .toEqual([ok({ startAddr: DDW }), ok(), err('EPERM'), err('EPERM'), ok(), ok({ startAddr: 0n }), err('ENODEV')]);
  });

  it('SPAPR-CREATE-START: a default-shaped window smaller than its page has no TCE, so no MAP, UNMAP or TCE_REMOVE finds it', () => {
    // pseries restores the default window with it_size = window_size >> 12 = 0 entries;
    // tce_iommu_find_table compares entries, so [it_offset, it_offset + 0) holds nothing.
    const b = sim();
    expect(run(b, [...registered, remove(0n), create(12, 0x800n), map(0n, A, P), unmap(0n, P), remove(0n), create(16, 1n << 30n), create(16, 1n << 30n)]).slice(2))
      .toEqual([ok(), ok({ startAddr: 0n }), err('ENXIO'), err('ENXIO'), err('EINVAL'), ok({ startAddr: DDW }), err('ENOSPC')]);
  });

  it('SPAPR-REMOVE: any address inside a window names it; its TCEs and charge go', () => {
    const b = sim();
    expect(run(b, [...registered, map(0n, A, P), create(16, 1n << 30n), counters, remove(0x1000n), counters, dmaRead(0n), unreg(A, 16n * P), remove(0x1000n)]).slice(4))
      .toEqual([locked(16n + DEF + 32n), ok(), locked(16n + 32n), err('EFAULT'), ok(), err('EINVAL')]);
  });

  it('SPAPR-WINDOW-CHARGE on powernv: the IODA2 size, twice for the userspace copy; slot 1 at the bypass base', () => {
    const b = sim('sim-spapr-v2', { platform: 'powernv' });
    expect(run(b, [create(12, 1n << 30n), counters, remove(0n), counters, create(16, 1n << 40n, 2), counters, create(12, 1n << 30n, 0), create(12, 1n << 30n, 6)]))
      // The default 2 GiB of 4K TCEs: 4 MiB, twice; 1 GiB of 4K: 2 MiB, twice; 1 TiB of 64K in
      // two levels: 128 MiB of TCEs and one 32 KiB directory, twice.
      .toEqual([ok({ startAddr: DDW }), locked(2048n + 1024n), ok(), locked(1024n), ok({ startAddr: 0n }), locked(1024n + 65536n + 16n), err('ENOSPC'), err('ENOSPC')]);
  });

  it('SPAPR-CREATE-CHECKS on powernv: levels whose index bits and page pass 60 bits are EINVAL, the charge given back', () => {
    const b = sim('sim-spapr-v2', { platform: 'powernv', pgsizes: '0x1011000' });
    // 16 MiB of 16 MiB pages: one TCE; four levels of 4 KiB tables, 9 bits each: 36 + 24 = 60.
    expect(run(b, [remove(0n), create(24, 1n << 24n, 4), counters, create(24, 1n << 24n, 3), counters]))
      .toEqual([ok(), err('EINVAL'), locked(0n), ok({ startAddr: 0n }), locked(6n)]);
  });

  it('SPAPR-INFO: v1 has no DDW; options change the declaration', () => {
    expect(last(sim('sim-spapr-v1'), [info()])).toEqual(ok({ dma32WindowStart: 0n, dma32WindowSize: 1n << 30n }));
    const b = sim('sim-spapr-v2', { containers: '3', dma32: '0x10000000-0x20000000', pgsizes: '0x11000', windowStarts: '0x1000000000+0x2000000000' });
    expect(b.info.containers).toHaveLength(3);
    // Only start_addr 0 cancels a pending default window, wherever it would start.
    expect(run(b, [info(2), remove(0x10000000n), remove(0n), create(12, 1n << 20n), create(16, 1n << 20n)]))
      .toEqual([ok({ dma32WindowStart: 0x10000000n, dma32WindowSize: 0x20000000n, ddw: { pgsizes: 0x11000n, maxDynamicWindows: 2, levels: 1 } }), err('EINVAL'), ok(), ok({ startAddr: 0x10000000n }), ok({ startAddr: 0x2000000000n })]);
    expect(() => sim('sim-spapr-v2', { bogus: '1' })).toThrow(/unknown option/);
    expect(() => sim('sim-spapr-v2', { platform: 'pmac' })).toThrow(/platform/);
  });
});

describe('SPAPR-MAP-*, SPAPR-UNMAP-*: TCEs', () => {
  it('SPAPR-MAP-ENABLED, SPAPR-MAP-FLAGS, SPAPR-MAP-WINDOW, SPAPR-MAP-ALIGN, SPAPR-MAP-WINDOW-END in the kernel\'s order', () => {
    const b = sim();
    expect(run(b, [map(0n, A, P), ...registered, map(0n, A, P, 4), counters, map(1n << 40n, A, P, 0), map(0n, A, P + 1n, 0), map(0n, A, P, 0), map(8n, A, P), map((1n << 30n) - P, A, 2n * P), map(0n, A, 0n)]))
      .toEqual([err('EPERM'), ok(), ok(), err('EINVAL'), locked(16n), err('ENXIO'), err('EINVAL'), err('EINVAL'), err('EINVAL'), err('EINVAL'), ok()]);
  });

  it('SPAPR-MAP-PREREG: a range across two adjacent regions maps; one past their end fails', () => {
    const b = sim();
    expect(run(b, [mmap(A, 4n * P), reg(A, 2n * P), reg(A + 2n * P, 2n * P), map(0n, A, 4n * P), map(0n, A, 5n * P)]).slice(3)).toEqual([ok(), err('EINVAL')]);
  });

  it('SPAPR-MAP-OVERWRITE: MAP replaces a TCE, the old region loses its mapping', () => {
    const b = sim();
    expect(run(b, [...registered, mmap(B, P), reg(B, P), cpuWrite(A, 1n), cpuWrite(B, 2n), map(0n, A, P), map(0n, B, P, 1), dmaRead(0n), dmaWrite(0n, 3n), unreg(A, 16n * P)]).slice(6))
      .toEqual([ok(), ok(), ok({ token: 2n }), err('EFAULT'), ok()]);
  });

  it('SPAPR-MAP-ATOMIC: a failing MAP clears what it set, even the TCEs it replaced; later ones stay', () => {
    const b = sim();
    // Pages 0..3 mapped; a MAP of 4 pages from A + 14P fails at its third page (past the region):
    // the first two are cleared, the rest keep their old TCEs.
    expect(run(b, [...registered, map(0n, A, 4n * P), map(0n, A + 14n * P, 4n * P), dmaRead(0n), dmaRead(P), dmaRead(2n * P), dmaRead(3n * P)]).slice(2))
      .toEqual([ok(), err('EINVAL'), err('EFAULT'), err('EFAULT'), ok({ token: 0n }), ok({ token: 0n })]);
  });

  it('SPAPR-MAP-V1-PIN: v1 pins at MAP; read-only memory takes a READ map only; unmapped memory is EFAULT', () => {
    const b = sim('sim-spapr-v1');
    expect(run(b, [enable(), mmap(A, P, 'r'), map(0n, A, P, 1), map(P, A, P, 2), map(2n * P, B, P), mmap(B, P), cpuWrite(B, 4n), map(3n * P, B, P), munmap(B, P), dmaRead(3n * P)]))
      .toEqual([ok(), ok(), ok(), err('EFAULT'), err('EFAULT'), ok(), ok(), ok(), ok(), ok({ token: 4n })]);
  });

  it('SPAPR-UNMAP-CHECKS and SPAPR-UNMAP-CLEAR: empty entries and size 0 are no error', () => {
    const b = sim();
    expect(run(b, [unmap(0n, P), ...registered, unmap(0n, P, 0, 1), unmap(0n, 64n * P), unmap(0n, 0n), unmap(0n, P + 1n), unmap(8n, P), unmap((1n << 30n) - P, 2n * P), unmap(1n << 31n, P)]))
      .toEqual([err('EPERM'), ok(), ok(), err('EINVAL'), ok(), ok(), err('EINVAL'), err('EINVAL'), err('EINVAL'), err('ENXIO')]);
  });
});

describe('SPAPR-CLOSE-RELEASE, SPAPR-DMA-REACH, SPAPR-ACCT-EXACT', () => {
  it('SPAPR-CLOSE-RELEASE: every charge back, the mm unbound, the default window pending again', () => {
    const b = sim();
    expect(run(b, [...registered, map(0n, A, P), create(16, 1n << 30n), close(), counters, mmap(A, P, 'rw', 'anon', 1), reg(A, P, 0, 1), map(0n, A, P, 3, 0, 1), counters]).slice(4))
      .toEqual([ok(), locked(0n), ok(), ok(), ok(), locked(0n, 1n + DEF)]);
  });

  it('SPAPR-CLOSE-RELEASE: a region another container holds survives; v1 gives back ENABLE and its table', () => {
    const b = sim();
    expect(run(b, [...registered, reg(A, 16n * P, 1), close(), counters, map(0n, A, P, 3, 1), dmaRead(0n, 1)]).slice(3))
      .toEqual([ok(), locked(16n), ok(), ok({ token: 0n })]);
    expect(run(sim('sim-spapr-v1'), [enable(), mmap(A, P), map(0n, A, P), close(), counters, dmaRead(0n)]).slice(3)).toEqual([ok(), locked(0n), err('EFAULT')]);
  });

  it('SPAPR-DMA-REACH: the direction decides; registration alone reaches nothing; two processes keep their own counters', () => {
    const b = sim();
    expect(run(b, [...registered, dmaRead(0n), map(0n, A, P, 1), dmaWrite(0n, 5n), map(P, A, P, 2), dmaRead(P), dmaWrite(P, 6n), { op: 'cpuRead', proc: 0, vaddr: A }, mmap(A, P, 'rw', 'anon', 1), reg(A, P, 1, 1), counters]).slice(2))
      .toEqual([err('EFAULT'), ok(), err('EFAULT'), ok(), err('EFAULT'), ok(), ok({ token: 6n }), ok(), ok(), locked(16n + DEF, 1n)]);
  });

  it('a 1 TiB window and a 1 GiB map cost their runs, not their pages', () => {
    const b = sim('sim-spapr-v2', { hugePageSize: '0x40000000' });
    const G = 1n << 30n;
    expect(run(b, [mmap(A, 2n * G, 'rw', 'hugetlb'), reg(A, 2n * G), remove(0n), create(24, 1n << 40n), map(DDW, A, 2n * G), unmap(DDW, 1n << 40n), counters]))
      .toEqual([ok(), ok(), ok(), ok({ startAddr: DDW }), ok(), ok(), locked((2n * G) / P + 128n)]);
  });
});

describe('SPAPR-HOST-ENV: the processes\' memory', () => {
  it('mremap of an unmapped source is EFAULT before the destination is unmapped; adjacent anonymous mmaps move as one VMA', () => {
    const b = sim();
    expect(run(b, [mmap(B, P), cpuWrite(B, 3n), mremap(A, P, B), { op: 'cpuRead', proc: 0, vaddr: B }, mmap(A, P), mmap(A + P, P), mremap(A, 2n * P, B)]))
      .toEqual([ok(), ok(), err('EFAULT'), ok({ token: 3n }), ok(), ok(), ok()]);
  });

  it('the CPU touches one page at a page-aligned address', () => {
    expect(run(sim(), [mmap(A, P), cpuWrite(A + 8n, 1n), { op: 'cpuRead', proc: 0, vaddr: A + 8n }])).toEqual([ok(), err('EINVAL'), err('EINVAL')]);
  });
});

/** A sequence, and what the correct simulator answers to its last op. */
const WITNESSES: Record<BugId, { ops: Op[]; correct: Result }> = {
  'table-free-keeps-charge': { ops: [create(16, 1n << 30n), close(), counters], correct: locked(0n) },
  'remove-uncharges-half': { ops: [create(16, 1n << 30n), remove(DDW), counters], correct: locked(DEF) },
  'map-eexist': { ops: [...registered, map(0n, A, P), map(0n, A + P, P)], correct: ok() },
  'register-charges-per-container': { ops: [...registered, reg(A, 16n * P, 1), counters], correct: locked(16n) },
  'partial-map-success': { ops: [...registered, map(0n, A + 15n * P, 2n * P)], correct: err('EINVAL') },
  'unregister-unpins-mapped': { ops: [...registered, map(0n, A, P), unreg(A, 16n * P)], correct: err('EBUSY') },
  'disable-keeps-charge': { ops: [enable(), disable(), counters], correct: locked(0n) },
  'no-mm-check': { ops: [...registered, map(0n, A, P, 3, 0, 1)], correct: err('EPERM') },
  'unmap-empty-fails': { ops: [...registered, unmap(0n, P)], correct: ok() },
  'default-window-uncharged': { ops: [...registered, map(0n, A, P), counters], correct: locked(16n + DEF) },
  'register-overlap-allowed': { ops: [...registered, reg(A, 8n * P, 1)], correct: err('EINVAL') },
  'map-error-keeps-partial': { ops: [...registered, map(0n, A + 15n * P, 2n * P), dmaRead(0n)], correct: err('EFAULT') },
  'failed-create-keeps-charge': { ops: [create(16, 3n << 30n), counters], correct: locked(DEF) },
};

describe('mutant witnesses', () => {
  for (const m of MUTANTS) {
    it(`${m.name} departs from ${m.base} (${m.rule})`, () => {
      const w = WITNESSES[m.id];
      expect(last(findBundled(m.base)!.create({}), w.ops)).toEqual(w.correct);
      expect(last(findBundled(m.name)!.create({}), w.ops)).not.toEqual(w.correct);
    });
  }

  it('witnesses every bug, and every bundled name is unique', () => {
    expect(Object.keys(WITNESSES).sort()).toEqual(MUTANTS.map((m) => m.id).sort());
    expect(new Set(BUNDLED.map((b) => b.name)).size).toBe(BUNDLED.length);
  });
});
