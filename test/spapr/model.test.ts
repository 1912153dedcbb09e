// The sPAPR reference model on hand-written sequences: for each rule the exact answers, with
// the errno of the kernel's first failing check, and locked_vm after the steps that move it.
import { describe, expect, test } from 'vitest';
import { SpaprModel } from '../../models/spapr/system.ts';
import { tableBytes } from '../../models/spapr/platform.ts';
import type { BackendInfo } from '../../spec/spapr/backend.ts';
import type { Errno, Op, Result } from '../../spec/spapr/ops.ts';
import { RULES } from '../../spec/spapr/rules.ts';
import {
  ARENA, counters, cpuWrite, create, DDW_START, DEFAULT_TABLE_PAGES, disable, dmaRead, dmaWrite, DMA32, enable, HUGE, info, map, mmap,
  munmap, P, powernv, R, reg, remove, rlimit, unmap, unreg, W,
} from './helpers.ts';

type Want = 'ok' | Errno | Record<string, unknown>;

/** Every rule that decided a step of the sequences below (checked last). */
const decided = new Set<string>();

/** Applies `steps` to a fresh model; each answer must be the one given. Returns the model and its rules. */
function run(inf: BackendInfo, steps: [Op, Want][]): { model: SpaprModel; rules: string[] } {
  const model = new SpaprModel(inf);
  const rules: string[] = [];
  steps.forEach(([op, want], i) => {
    const e = model.apply(op);
    rules.push(e.rule);
    decided.add(e.rule);
    const got: Result = e.result;
    const where = `step ${i} ${op.op}`;
    if (want === 'ok') expect(got.ok, where).toBe(true);
    else if (typeof want === 'string') expect(got, where).toEqual({ ok: false, errno: want });
    else expect(got, where).toEqual({ ok: true, ...want });
  });
  return { model, rules };
}

const locked = (...pages: bigint[]): Want => ({ lockedVm: pages.length === 1 ? [pages[0]!, 0n] : pages });
const V2 = info('spapr-v2');
const V1 = info('spapr-v1');
const A = ARENA;
const B = ARENA + 0x1000000n;
const MB = 0x100000n;

describe('SPAPR-MM-BIND and the profiles', () => {
  test('SPAPR-MM-BIND: the first REGISTER binds; every later ioctl of the other mm is EPERM, another container is free', () => {
    const { rules } = run(V2, [
      [mmap(A, MB), 'ok'],
      [{ op: 'getInfo', proc: 1, ct: 0 }, 'ok'],
      [reg(A, MB), 'ok'],
      [{ op: 'getInfo', proc: 1, ct: 0 }, 'EPERM'],
      [reg(A, MB, 0, 1), 'EPERM'],
      [unmap(0n, P, 0, 0, 1), 'EPERM'],
      [create(16, 1n << 24n, 1, 0, 0, 1), 'EPERM'],
      [{ op: 'getInfo', proc: 1, ct: 1 }, 'ok'],
    ]);
    expect(rules[3]).toBe('SPAPR-MM-BIND');
  });

  test('SPAPR-MM-BIND: a TCE_REMOVE binds too, even one that only cancels the default window', () => {
    run(V2, [[remove(0n, 0, 0, 1), 'ok'], [create(16, 1n << 24n), 'EPERM'], [create(16, 1n << 24n, 1, 0, 0, 1), { startAddr: DDW_START }]]);
  });

  test('SPAPR-V1-NO-V2-OPS and SPAPR-V2-NO-ENABLE: the other profile\'s ioctls are ENOTTY', () => {
    run(V1, [[reg(A, MB), 'ENOTTY'], [unreg(A, MB), 'ENOTTY'], [create(16, 1n << 24n), 'ENOTTY'], [remove(0n), 'ENOTTY']]);
    run(V2, [[enable(), 'ENOTTY'], [disable(), 'ENOTTY']]);
  });
});

describe('SPAPR-V1-*: ENABLE and DISABLE', () => {
  test('SPAPR-V1-ENABLE: the whole 32-bit window is charged once; EBUSY after; ENOMEM over the limit changes nothing', () => {
    const window = DMA32 / P;
    run(V1, [
      [rlimit((window - 1n) * P), 'ok'],
      [enable(), 'ENOMEM'],
      [counters, locked(0n)],
      [rlimit(window * P), 'ok'],
      [enable(), 'ok'],
      [counters, locked(window)],
      [enable(), 'EBUSY'],
      [enable(0, 1), 'EPERM'],
    ]);
  });

  test('SPAPR-V1-DISABLE: uncharges; TCEs stay reachable; MAP and UNMAP are EPERM', () => {
    run(V1, [
      [mmap(A, MB), 'ok'], [cpuWrite(A, 7n), 'ok'], [enable(), 'ok'],
      [map(0n, A, P), 'ok'],
      [counters, locked(DMA32 / P + DEFAULT_TABLE_PAGES)],
      [disable(), 'ok'],
      [counters, locked(DEFAULT_TABLE_PAGES)],
      [dmaRead(0n), { token: 7n }],
      [map(P, A, P), 'EPERM'],
      [unmap(0n, P), 'EPERM'],
      [disable(), 'ok'],
    ]);
  });

  test('SPAPR-MAP-V1-PIN: v1 pins at MAP, charges nothing for it, and pins read-only memory for a READ map only', () => {
    const { rules } = run(V1, [
      [enable(), 'ok'],
      [mmap(A, 4n * P, { prot: 'r' }), 'ok'],
      [map(0n, A, P, R), 'ok'],
      [map(P, A, P, R | W), 'EFAULT'],
      [map(2n * P, B, P, R), 'EFAULT'],
      [counters, locked(DMA32 / P + DEFAULT_TABLE_PAGES)],
      [mmap(B, P), 'ok'],
      [map(3n * P, B, P, R), 'ok'],
    ]);
    // the READ map of read-only memory succeeds by this rule alone (6.12 pins it for write: EFAULT)
    expect(rules[2]).toBe('SPAPR-MAP-V1-PIN');
    expect(rules[7]).toBe('SPAPR-MAP-OVERWRITE');
  });
});

describe('SPAPR-REG-*: REGISTER_MEMORY', () => {
  test('SPAPR-REG-CHECKS: flags, unaligned vaddr or size, a wrapping range: EINVAL; size 0 EINVAL or the ENOMEM of 6.12', () => {
    run(V2, [
      [mmap(A, MB), 'ok'],
      [reg(A, MB, 0, 0, 1), 'EINVAL'],
      [reg(A + 1n, MB), 'EINVAL'],
      [reg(A, MB - 1n), 'EINVAL'],
      [reg(A, 0n), 'EINVAL'],
      [reg(0xfffffffffffff000n, 0x2000n), 'EINVAL'],
      [counters, locked(0n)],
    ]);
  });

  test('SPAPR-REG-CHECKS: an empty REGISTER is EINVAL, and the ENOMEM of 6.12 is accepted', () => {
    const e = new SpaprModel(V2).apply(reg(A, 0n));
    expect(e.accept).toEqual([{ ok: false, errno: 'ENOMEM' }]);
  });

  test('SPAPR-REG-CHARGE: its pages charged before pinning; one page over the limit is ENOMEM and nothing changes', () => {
    const pages = MB / P;
    run(V2, [
      [mmap(A, MB), 'ok'],
      [rlimit((pages - 1n) * P), 'ok'],
      [reg(A, MB), 'ENOMEM'],
      [counters, locked(0n)],
      [map(0n, A, P), 'EPERM'],
      [rlimit(pages * P), 'ok'],
      [reg(A, MB), 'ok'],
      [counters, locked(pages)],
    ]);
  });

  test('SPAPR-REG-FAULT: an unmapped page, read-only memory, PROT_NONE: EFAULT, nothing charged', () => {
    run(V2, [
      [mmap(A, MB), 'ok'],
      [reg(A, 2n * MB), 'EFAULT'],
      [mmap(B, MB, { prot: 'r' }), 'ok'],
      [reg(B, MB), 'EFAULT'],
      [mmap(B, MB, { prot: 'none' }), 'ok'],
      [reg(B, P), 'EFAULT'],
      [counters, locked(0n)],
    ]);
  });

  test('SPAPR-REG-BUSY, SPAPR-REG-SHARED, SPAPR-REG-OVERLAP: same region twice in a container, once per container, overlapping', () => {
    run(V2, [
      [mmap(A, MB), 'ok'],
      [reg(A, MB), 'ok'],
      [reg(A, MB), 'EBUSY'],
      [reg(A, MB, 1), 'ok'],
      [counters, locked(MB / P)],
      [reg(A, MB / 2n, 1), 'EINVAL'],
      [reg(A + P, P), 'EINVAL'],
      [counters, locked(MB / P)],
    ]);
  });

  test('SPAPR-REG-PAGESHIFT: hugetlb memory takes 2M TCEs, small pages do not', () => {
    run(V2, [
      [mmap(A, 2n * HUGE, { backing: 'hugetlb' }), 'ok'],
      [mmap(B, 2n * HUGE), 'ok'],
      [reg(A, 2n * HUGE), 'ok'],
      [reg(B, 2n * HUGE), 'ok'],
      [create(21, 1n << 26n), { startAddr: DDW_START }],
      [map(DDW_START, A, 2n * HUGE), 'ok'],
      [map(DDW_START + 2n * HUGE, B, HUGE), 'EINVAL'],
    ]);
  });

  test('SPAPR-REG-SNAPSHOT: after munmap and mmap, MAP of the old vaddr reaches the old page; after mremap, the new vaddr is unregistered', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [cpuWrite(A, 1n), 'ok'], [reg(A, MB), 'ok'],
      [munmap(A, MB), 'ok'], [mmap(A, MB), 'ok'], [cpuWrite(A, 2n), 'ok'],
      [map(0n, A, P), 'ok'],
      [dmaRead(0n), { token: 1n }],
      [{ op: 'mremap', proc: 0, vaddr: A, size: MB, newVaddr: B, newSize: MB }, 'ok'],
      [map(P, B, P), 'EINVAL'],
      [map(P, A, P), 'ok'],
      [dmaRead(P), { token: 1n }],
    ]);
  });

  test('SPAPR-REG-SNAPSHOT decides a read whose user address now maps another page; SPAPR-DMA-REACH one that does not', () => {
    const { rules } = run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'], [map(0n, A, 2n * P), 'ok'],
      [dmaRead(0n), 'ok'],
      [mmap(A, P), 'ok'],
      [map(2n * P, A + P, P), 'ok'],
      [dmaRead(0n), 'ok'], [dmaRead(P), 'ok'],
    ]);
    expect([rules[3], rules[6], rules[7]]).toEqual(['SPAPR-DMA-REACH', 'SPAPR-REG-SNAPSHOT', 'SPAPR-DMA-REACH']);
  });
});

describe('SPAPR-UNREG-*: UNREGISTER_MEMORY', () => {
  test('SPAPR-UNREG-CHECKS: EPERM on a container without mm, then flags and alignment EINVAL', () => {
    run(V2, [[unreg(A, MB), 'EPERM'], [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'], [unreg(A, MB, 0, 0, 1), 'EINVAL'], [unreg(A + 1n, MB), 'EINVAL']]);
  });

  test('SPAPR-UNREG-ENOENT: no exact region, or not this container\'s', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'], [reg(A + MB, 0n, 1), 'EINVAL'],
      [unreg(A, MB / 2n), 'ENOENT'], [create(16, 1n << 24n, 1, 1), 'ok'], [unreg(A, MB, 1), 'ENOENT'],
    ]);
  });

  test('SPAPR-UNREG-RELEASE: the last container\'s UNREGISTER uncharges; a shared region stays charged until then', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'], [reg(A, MB, 1), 'ok'],
      [unreg(A, MB), 'ok'], [counters, locked(MB / P)],
      [unreg(A, MB), 'ENOENT'],
      [unreg(A, MB, 1), 'ok'], [counters, locked(0n)],
    ]);
  });

  test('SPAPR-UNREG-MAPPED: while TCEs point into it the last UNREGISTER is EBUSY and changes nothing; after UNMAP it releases', () => {
    const { rules } = run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'], [map(0n, A, 2n * P), 'ok'],
      [unmap(0n, P), 'ok'],
      [unreg(A, MB), 'EBUSY'],
      [dmaRead(P), 'ok'],
      [counters, locked(MB / P + DEFAULT_TABLE_PAGES)],
      [unmap(P, P), 'ok'],
      [unreg(A, MB), 'ok'],
      [counters, locked(DEFAULT_TABLE_PAGES)],
    ]);
    expect(rules[4]).toBe('SPAPR-UNREG-MAPPED');
  });
});

describe('SPAPR-INFO, SPAPR-DEFAULT-WINDOW, SPAPR-CREATE-*, SPAPR-WINDOW-CHARGE, SPAPR-REMOVE: windows', () => {
  test('SPAPR-INFO: the 32-bit window; DDW only on v2', () => {
    run(V2, [[{ op: 'getInfo', proc: 0, ct: 0 }, { dma32WindowStart: 0n, dma32WindowSize: DMA32, ddw: { pgsizes: 0x1211000n, maxDynamicWindows: 2, levels: 1 } }]]);
    run(V1, [[{ op: 'getInfo', proc: 0, ct: 0 }, { dma32WindowStart: 0n, dma32WindowSize: DMA32 }]]);
  });

  test('SPAPR-DEFAULT-WINDOW: the first MAP creates it and charges its table; REMOVE of 0 while pending only cancels it', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'],
      [counters, locked(MB / P)],
      [map(0n, A, P), 'ok'],
      [counters, locked(MB / P + DEFAULT_TABLE_PAGES)],
    ]);
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'],
      [remove(0n), 'ok'],
      [map(0n, A, P), 'ENXIO'],
      [remove(0n), 'EINVAL'],
      [counters, locked(MB / P)],
    ]);
  });

  test('SPAPR-DEFAULT-WINDOW: a MAP that cannot charge the default table is ENOMEM and creates nothing', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [rlimit(MB + (DEFAULT_TABLE_PAGES - 1n) * P), 'ok'], [reg(A, MB), 'ok'],
      [map(0n, A, P), 'ENOMEM'],
      [counters, locked(MB / P)],
      [rlimit(MB + DEFAULT_TABLE_PAGES * P), 'ok'],
      [map(0n, A, P), 'ok'],
    ]);
  });

  test('SPAPR-CREATE-CHECKS: flags, a page size the platform lacks, no free slot: EINVAL, EINVAL, ENOSPC', () => {
    run(V2, [
      [create(16, 1n << 24n, 1, 0, 1), 'EINVAL'],
      [create(13, 1n << 24n), 'EINVAL'],
      [create(16, 1n << 24n), { startAddr: DDW_START }],
      [create(16, 1n << 24n), 'ENOSPC'],
    ]);
  });

  test('SPAPR-WINDOW-CHARGE, SPAPR-CREATE-START: TCE_CREATE charges the table before creating it, REMOVE returns exactly that', () => {
    const table = tableBytes('pseries', { pageShift: 16, windowSize: 1n << 30n, levels: 1 }, 12) / P;
    expect(table).toBe(32n);
    run(V2, [
      [rlimit((DEFAULT_TABLE_PAGES + table - 1n) * P), 'ok'],
      [create(16, 1n << 30n), 'ENOMEM'],
      [counters, locked(DEFAULT_TABLE_PAGES)],
      [rlimit((DEFAULT_TABLE_PAGES + table) * P), 'ok'],
      [create(16, 1n << 30n), { startAddr: DDW_START }],
      [counters, locked(DEFAULT_TABLE_PAGES + table)],
      [remove(DDW_START + P), 'ok'],
      [counters, locked(DEFAULT_TABLE_PAGES)],
      [remove(0n), 'ok'],
      [counters, locked(0n)],
    ]);
  });

  test('SPAPR-CREATE-PSERIES: one dynamic window at a time (ENODEV), slot 0 not beside one (EPERM), nothing kept charged', () => {
    const dynamicPages = (1n << 24n >> 13n) / P;
    const { rules } = run(V2, [
      [create(16, 1n << 24n), { startAddr: DDW_START }],
      [remove(0n), 'ok'],
      [create(12, DMA32), 'EPERM'],
      [create(21, 1n << 24n), 'EPERM'],
      [counters, locked(dynamicPages)],
      [remove(DDW_START), 'ok'],
      [create(12, DMA32 / 2n), { startAddr: 0n }],
      [create(16, 3n << 24n), 'EINVAL'],
      [create(16, 1n << 24n), { startAddr: DDW_START }],
      [remove(0n), 'ok'],
      [create(21, 1n << 24n), 'EPERM'],
    ]);
    expect(rules[2]).toBe('SPAPR-CREATE-PSERIES');
    run(V2, [[remove(0n), 'ok'], [create(24, 1n << 22n), 'ENODEV'], [counters, locked(0n)], [create(16, 1n << 24n), 'ok'], [create(16, 1n << 24n), 'ENODEV']]);
  });

  test('SPAPR-WINDOW-CHARGE: counters off after a TCE_CREATE the platform refused after its charge break the window charge, not the REGISTER before it', () => {
    const { model } = run(V2, [
      [mmap(A, 2n * MB), 'ok'], [reg(A, MB), 'ok'], [create(16, 3n << 24n), 'EINVAL'], [counters, locked(MB / P + DEFAULT_TABLE_PAGES)],
    ]);
    // 6.12 keeps the refused table's charge (tce_iommu_create_table): the variant the rule names.
    expect(model.blame(counters, model.apply(counters))).toBe('SPAPR-WINDOW-CHARGE');
    // A REGISTER refused after its charge (an overlapping region) puts the blame on its own charge.
    expect(model.apply(reg(A + MB / 2n, MB)).result).toEqual({ ok: false, errno: 'EINVAL' });
    expect(model.blame(counters, model.apply(counters))).toBe('SPAPR-REG-CHARGE');
  });

  test('SPAPR-CREATE-START: a default-shaped window smaller than its page holds no TCE: MAP, UNMAP and TCE_REMOVE never find it', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'],
      [remove(0n), 'ok'],
      [create(12, 0x800n), { startAddr: 0n }],
      [map(0n, A, P), 'ENXIO'],
      [unmap(0n, P), 'ENXIO'],
      [remove(0n), 'EINVAL'],
      [create(16, 1n << 24n), { startAddr: DDW_START }],
      [create(16, 1n << 24n), 'ENOSPC'],
    ]);
  });

  test('SPAPR-WINDOW-CHARGE on powernv: multi-level tables, twice over for the userspace view; invalid levels EINVAL', () => {
    const inf = info('spapr-v2', powernv);
    run(inf, [
      [create(16, 1n << 32n, 2), { startAddr: 1n << 59n }],
      // 2^16 entries of 8 bytes over two levels of 4K tables: 512K + 4K; the default window's
      // 2^12 entries: one 32K level; each twice.
      [counters, locked(2n * (0x80000n + 0x1000n) / P + 2n * 0x8000n / P)],
      [remove(1n << 59n), 'ok'],
      [create(16, 1n << 32n, 0), 'EINVAL'],
      [create(16, 1n << 32n, 6), 'EINVAL'],
      [create(16, 3n << 30n, 1), 'EINVAL'],
    ]);
  });

  test('SPAPR-REMOVE: flags EINVAL, no window EINVAL; REMOVE clears the TCEs and releases their region', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'],
      [create(12, 1n << 22n), { startAddr: DDW_START }],
      [map(DDW_START, A, P), 'ok'],
      [remove(DDW_START, 0, 1), 'EINVAL'],
      [remove(DDW_START + (1n << 22n)), 'EINVAL'],
      [unreg(A, MB), 'EBUSY'],
      [remove(DDW_START), 'ok'],
      [dmaRead(DDW_START), 'EFAULT'],
      [unreg(A, MB), 'ok'],
    ]);
  });
});

describe('SPAPR-MAP-*: MAP_DMA on TCE windows', () => {
  const ready: [Op, Want][] = [[mmap(A, MB), 'ok'], [cpuWrite(A, 0xaan), 'ok'], [cpuWrite(A + P, 0xbbn), 'ok'], [reg(A, MB), 'ok']];

  test('SPAPR-MAP-ENABLED, SPAPR-MAP-FLAGS, SPAPR-MAP-WINDOW, SPAPR-MAP-ALIGN: the errno of the first failing check', () => {
    run(V2, [
      [map(0n, A, P, 8), 'EPERM'],
      ...ready,
      [map(DMA32, A + 1n, P, 8), 'EINVAL'],
      [map(DMA32, A + 1n, P, 0), 'ENXIO'],
      [map(0n, A + 1n, P, 0), 'EINVAL'],
      [map(0n, A, P, 0), 'EINVAL'],
      [map(1n, A, P), 'EINVAL'],
      [map(0n, A, 0n), 'ok'],
      [map(DMA32 - P, A, 2n * P), 'EINVAL'],
      [counters, locked(MB / P + DEFAULT_TABLE_PAGES)],
    ]);
  });

  test('SPAPR-MAP-PREREG: a page outside every region, or across two adjacent regions: EINVAL', () => {
    run(V2, [
      ...ready, [reg(A + MB, P), 'EFAULT'], [mmap(A + MB, MB), 'ok'], [reg(A + MB, MB), 'ok'],
      [map(0n, A + MB - P, 2n * P), 'ok'],
      [map(0n, A + 2n * MB - P, 2n * P), 'EINVAL'],
      [create(16, 1n << 24n), 'ok'],
      [map(DDW_START, A + MB - 0x8000n, 0x10000n), 'EINVAL'],
    ]);
  });

  test('SPAPR-MAP-PAGE-SIZE: a hugetlb-started region holds small pages after it; a 2M TCE over them is EPERM', () => {
    run(V2, [
      [mmap(A, HUGE, { backing: 'hugetlb' }), 'ok'],
      [mmap(A + HUGE, HUGE), 'ok'],
      [reg(A, 2n * HUGE), 'ok'],
      [create(21, 1n << 26n), { startAddr: DDW_START }],
      [map(DDW_START, A, 2n * HUGE), 'EPERM'],
      [map(DDW_START, A, HUGE), 'ok'],
    ]);
  });

  test('SPAPR-MAP-OVERWRITE: a MAP over valid TCEs replaces them and releases the old region: never EEXIST', () => {
    run(V2, [
      ...ready, [mmap(B, MB), 'ok'], [cpuWrite(B, 0xccn), 'ok'], [reg(B, MB), 'ok'],
      [map(0n, A, 2n * P), 'ok'],
      [map(0n, B, P), 'ok'],
      [dmaRead(0n), { token: 0xccn }],
      [dmaRead(P), { token: 0xbbn }],
      [map(P, B, P), 'ok'],
      [unreg(A, MB), 'ok'],
      [unreg(B, MB), 'EBUSY'],
    ]);
  });

  test('SPAPR-MAP-ATOMIC: a MAP failing at its third page clears the two it set, the entries it overwrote included', () => {
    run(V2, [
      ...ready,
      [map(P, A, 3n * P), 'ok'],
      [map(0n, A + MB - 2n * P, 3n * P), 'EINVAL'],
      [dmaRead(0n), 'EFAULT'],
      [dmaRead(P), 'EFAULT'],
      [dmaRead(2n * P), { token: 0xbbn }],
      [unmap(2n * P, 2n * P), 'ok'],
      [unreg(A, MB), 'ok'],
    ]);
  });
});

describe('SPAPR-UNMAP-*, SPAPR-DMA-REACH, SPAPR-CLOSE-RELEASE', () => {
  test('SPAPR-UNMAP-CHECKS: flags, unaligned size or iova, a range past the window: EINVAL; outside every window: ENXIO', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'],
      [unmap(0n, P, 0, 1), 'EINVAL'],
      [unmap(0n, P + 1n), 'EINVAL'],
      [unmap(1n, P), 'EINVAL'],
      [unmap(DMA32 - P, 2n * P), 'EINVAL'],
      [unmap(DMA32, P), 'ENXIO'],
    ]);
  });

  test('SPAPR-UNMAP-CLEAR: page-granular, empty entries without error, the cut ends still reachable', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [cpuWrite(A + 2n * P, 3n), 'ok'], [reg(A, MB), 'ok'],
      [map(0n, A, 4n * P), 'ok'],
      [unmap(P, P), 'ok'],
      [unmap(0n, 16n * P), 'ok'],
      [dmaRead(2n * P), 'EFAULT'],
      [map(0n, A, 4n * P), 'ok'],
      [unmap(P, 2n * P), 'ok'],
      [dmaRead(0n), 'ok'], [dmaRead(P), 'EFAULT'], [dmaRead(3n * P), 'ok'],
    ]);
  });

  test('SPAPR-DMA-REACH: the direction bits decide; a fault answers zeros and success without faultSignal', () => {
    const steps: [Op, Want][] = [[mmap(A, MB), 'ok'], [cpuWrite(A, 5n), 'ok'], [reg(A, MB), 'ok'], [map(0n, A, P, R), 'ok'], [map(P, A, P, W), 'ok']];
    run(V2, [...steps, [dmaRead(0n), { token: 5n }], [dmaWrite(0n, 6n), 'EFAULT'], [dmaWrite(P, 6n), 'ok'], [dmaRead(P), 'EFAULT'], [dmaRead(0n), { token: 6n }]]);
    const quiet = { ...V2, capabilities: V2.capabilities.filter((c) => c !== 'faultSignal') };
    run(quiet, [...steps, [dmaWrite(0n, 6n), 'ok'], [dmaRead(0n), { token: 5n }], [dmaRead(P), { token: 0n }]]);
  });

  test('SPAPR-CLOSE-RELEASE, SPAPR-ACCT-EXACT: release clears, frees, puts and uncharges everything, and the container starts afresh', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [reg(A, MB), 'ok'], [map(0n, A, P), 'ok'], [create(12, 1n << 22n), 'ok'],
      [counters, locked(MB / P + DEFAULT_TABLE_PAGES + 2n)],
      [{ op: 'closeContainer', ct: 0 }, 'ok'],
      [counters, locked(0n)],
      [dmaRead(0n), 'EFAULT'],
      [map(0n, A, P, R, 0, 1), 'EPERM'],
      [reg(A, MB, 0, 1), 'EFAULT'],
    ]);
    run(V1, [[enable(), 'ok'], [{ op: 'closeContainer', ct: 0 }, 'ok'], [counters, locked(0n)], [enable(0, 1), 'ok'], [counters, locked(0n, DMA32 / P)]]);
  });

  test('SPAPR-CLOSE-RELEASE: a region another container still maps into outlives the close of its only user', () => {
    run(V2, [
      [mmap(A, MB), 'ok'], [mmap(B, P), 'ok'], [reg(A, MB), 'ok'], [reg(B, P, 1), 'ok'],
      [map(0n, A, P, RW_, 1), 'ok'],
      [{ op: 'closeContainer', ct: 0 }, 'ok'],
      [counters, locked(MB / P + 1n + DEFAULT_TABLE_PAGES)],
      [dmaRead(0n, 1), 'ok'],
      [reg(A, MB), 'ok'],
      [counters, locked(MB / P + 1n + DEFAULT_TABLE_PAGES)],
      // It stays until the mm exits: its TCEs cleared and UNREGISTER of the joined container free nothing.
      [{ op: 'unmap', proc: 0, ct: 1, flags: 0, iova: 0n, size: P }, 'ok'],
      [unreg(A, MB), 'ok'],
      [counters, locked(MB / P + 1n + DEFAULT_TABLE_PAGES)],
      [reg(A + P, P), 'EINVAL'],
    ]);
  });
});

const RW_ = R | W;

describe('the hand-written sequences cover the family', () => {
  test('every rule of spec/spapr/rules.ts decides at least one step above', () => {
    expect(RULES.map((r) => r.id).filter((id) => !decided.has(id))).toEqual([]);
  });
});
