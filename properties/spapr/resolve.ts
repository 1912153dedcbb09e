// From a symbolic op to the concrete op it names, read off the reference model's state (its
// regions, windows, TCE runs and VMAs) and the layout: aimed at region and window edges, runs
// to overwrite or cut, RLIMIT_MEMLOCK a page from exhaustion. Tables stay small: a created
// window has at most 2^12 TCEs (a 32 KiB pseries table), whatever its page size.
import type { SpaprModel } from '../../models/spapr/system.ts';
import type { Window } from '../../models/spapr/window.ts';
import type { Region } from '../../models/spapr/regions.ts';
import { RLIM_INFINITY } from '../../models/host.ts';
import { U64_MAX } from '../../spec/u64.ts';
import type { Op, Proc } from '../../spec/spapr/ops.ts';
import type { Layout } from './layout.ts';
import type { SymOp } from './symbolic.ts';

const at = <T>(list: readonly T[], pick: number): T | undefined => (list.length === 0 ? undefined : list[pick % list.length]);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export class Resolver {
  private token = 0x5a000n;

  constructor(private readonly layout: Layout, private readonly model: SpaprModel) {}

  resolve(sym: SymOp): Op | null {
    const L = this.layout;
    const proc: Proc = 'other' in sym && sym.other && L.procs > 1 ? 1 : 0;
    const ct = 'ct' in sym ? sym.ct % L.containers : 0;
    switch (sym.k) {
      case 'mmap': {
        const grain = sym.backing === 'hugetlb' ? L.huge : L.page;
        return { op: 'mmap', proc, vaddr: L.slotBase(sym.slot), size: min(BigInt(sym.units) * grain, L.slotSize), prot: sym.prot, backing: sym.backing };
      }
      case 'munmap': return { op: 'munmap', proc, vaddr: L.slotBase(sym.slot), size: L.slotSize };
      case 'mremap': {
        const from = L.slotBase(sym.slot);
        const to = L.slotBase(sym.to === sym.slot ? sym.slot + 1 : sym.to);
        if (to === from) return null;
        const size = this.vmaSize(proc, from) ?? L.page;
        return { op: 'mremap', proc, vaddr: from, size, newVaddr: to, newSize: size };
      }
      case 'cpuWrite': return { op: 'cpuWrite', proc, vaddr: this.slotPage(sym.slot, sym.page), token: this.nextToken() };
      case 'cpuRead': return { op: 'cpuRead', proc, vaddr: this.slotPage(sym.slot, sym.page) };
      case 'register': return this.register(sym, proc, ct);
      case 'unregister': return this.unregister(sym, proc, ct);
      case 'map': return this.map(sym, proc, ct);
      case 'unmap': return this.unmap(sym, proc, ct);
      case 'create': return this.create(sym, proc, ct);
      case 'remove': return this.remove(sym, proc, ct);
      case 'enable': return { op: 'enable', proc, ct };
      case 'disable': return { op: 'disable', proc, ct };
      case 'getInfo': return { op: 'getInfo', proc, ct };
      case 'rlimit': {
        const locked = this.model.mms[proc]!.proc.lockedVm;
        return { op: 'setRlimitMemlock', proc, bytes: sym.headroom < 0 ? RLIM_INFINITY : (locked + BigInt(sym.headroom)) * L.page };
      }
      case 'cap': return { op: 'setCapIpcLock', proc, enabled: sym.enabled };
      case 'close': return { op: 'closeContainer', ct };
      case 'dmaWrite': {
        const run = at(this.runs(this.window(ct, sym.win)), sym.pick);
        return run ? { op: 'dmaWrite', ct, iova: run.start, token: this.nextToken() } : null;
      }
    }
  }

  private nextToken(): bigint {
    this.token += 1n;
    return this.token;
  }

  private slotPage(slot: number, page: number): bigint {
    return this.layout.slotBase(slot) + (BigInt(page) * this.layout.page) % this.layout.slotSize;
  }

  private vmaSize(proc: Proc, vaddr: bigint): bigint | undefined {
    const v = this.model.mms[proc]!.proc.vmaAt(vaddr);
    return v && v.start === vaddr ? v.end - v.start : undefined;
  }

  private regions(proc: Proc): Region[] {
    return [...this.model.mms[proc]!.registry.regions];
  }

  private windows(ct: number): Window[] {
    return this.model.containers[ct]!.windows.filter((w): w is Window => w !== null);
  }

  private window(ct: number, pick: number): Window | undefined {
    return at(this.windows(ct), pick);
  }

  private runs(w: Window | undefined): { start: bigint; end: bigint }[] {
    return w ? [...w.tces] : [];
  }

  private register(sym: Extract<SymOp, { k: 'register' }>, proc: Proc, ct: number): Op {
    const P = this.layout.page;
    const base = this.layout.slotBase(sym.slot);
    const vmaSize = this.vmaSize(proc, base) ?? BigInt(sym.pages) * P;
    const region = at(this.regions(proc), sym.pick);
    const reg = (vaddr: bigint, size: bigint, flags = 0): Op => ({ op: 'register', proc, ct, flags, vaddr, size });
    switch (sym.shape) {
      case 'vma': return reg(base, vmaSize);
      case 'part': return reg(base + BigInt(sym.page) * P, BigInt(sym.pages) * P);
      case 'again': return region ? reg(region.ua, region.size) : reg(base, vmaSize);
      case 'overlap': return region ? reg(region.ua + P, region.size) : reg(base + P, vmaSize);
      case 'hole': return reg(base + vmaSize - P, 2n * P);
      case 'flags': return reg(base, vmaSize, 1);
      case 'unaligned': return reg(base + 0x800n, vmaSize);
      case 'zero': return reg(base, 0n);
      case 'wrap': return reg(U64_MAX + 1n - P, 2n * P);
    }
  }

  private unregister(sym: Extract<SymOp, { k: 'unregister' }>, proc: Proc, ct: number): Op {
    const P = this.layout.page;
    const mine = [...this.model.containers[ct]!.regions];
    const others = this.regions(proc).filter((r) => !mine.includes(r));
    const pickFrom = sym.shape === 'other' ? others : mine;
    const r = at(pickFrom, sym.pick) ?? at(this.regions(proc), sym.pick);
    const [vaddr, size] = r ? [r.ua, r.size] : [this.layout.slotBase(0), P];
    const unreg = (v: bigint, s: bigint, flags = 0): Op => ({ op: 'unregister', proc, ct, flags, vaddr: v, size: s });
    switch (sym.shape) {
      case 'region': case 'other': return unreg(vaddr, size);
      case 'half': return unreg(vaddr, size > P ? ((size / 2n) / P) * P : 2n * P);
      case 'flags': return unreg(vaddr, size, 1);
      case 'unaligned': return unreg(vaddr + 0x800n, size);
    }
  }

  /** Where a map's user memory comes from: a registered region (v2) or a VMA (v1), IOMMU-page aligned. */
  private source(proc: Proc, pick: number, pg: bigint, unregistered: boolean): { start: bigint; end: bigint } {
    const fromRegions = this.layout.v2 && !unregistered;
    const list = fromRegions
      ? this.regions(proc).map((r) => ({ start: r.ua, end: r.ua + r.size }))
      : this.model.mms[proc]!.proc.vmaList.map((v) => ({ start: v.start, end: v.end }));
    const s = at(list, pick) ?? { start: this.layout.slotBase(pick), end: this.layout.slotBase(pick) + this.layout.slotSize };
    const start = ((s.start + pg - 1n) / pg) * pg;
    return { start, end: s.end > start ? s.end : start + pg };
  }

  private map(sym: Extract<SymOp, { k: 'map' }>, proc: Proc, ct: number): Op {
    const w = this.window(ct, sym.win);
    const g = this.model.containers[ct]!.geometry;
    const pg = w?.pageSize ?? 0x1000n;
    const start = w?.start ?? g.dma32.start;
    const end = w?.end ?? g.dma32.start + g.dma32.size;
    const entries = (end - start) / pg;
    const src = this.source(proc, sym.pick, pg, sym.shape === 'unregistered');
    const srcPages = (src.end - src.start) / pg;
    let vaddr = src.start + (srcPages > 0n ? BigInt(sym.page) % srcPages : 0n) * pg;
    let n = BigInt(sym.pages);
    let iova = start + (entries > 0n ? BigInt(sym.entry) % entries : 0n) * pg;
    let flags = sym.dir;
    // A fitting map stays inside its source and its window.
    const fit = (): void => {
      n = min(n, (src.end - vaddr) / pg);
      n = min(n, (end - iova) / pg);
      if (n < 1n) n = 1n;
    };
    switch (sym.shape) {
      case 'fit': case 'unregistered': fit(); break;
      case 'crossRegion': vaddr = src.end - pg; n = n < 2n ? 2n : n; iova = start; break;
      case 'pastEnd': iova = end - pg; n = n < 2n ? 2n : n; break;
      case 'misalignIova': fit(); iova += pg > 0x1000n ? 0x1000n : 0x800n; break;
      case 'misalignVaddr': fit(); vaddr += pg > 0x1000n ? 0x1000n : 0x800n; break;
      case 'zero': n = 0n; break;
      case 'badFlags': fit(); flags |= 4; break;
      case 'noDir': fit(); flags = 0; break;
      case 'overwrite': {
        const run = at(this.runs(w), sym.entry);
        if (run) iova = run.start;
        fit();
        break;
      }
      case 'outside': iova = this.outside(ct); break;
    }
    return { op: 'map', proc, ct, flags, iova, vaddr, size: n * pg };
  }

  /** An iova in no window of the container (nor its pending default window). */
  private outside(ct: number): bigint {
    const g = this.model.containers[ct]!.geometry;
    const candidates = [g.dma32.start + g.dma32.size, 1n << 62n, U64_MAX + 1n - 0x1000n];
    return candidates.find((c) => !this.windows(ct).some((w) => w.contains(c))) ?? 1n << 62n;
  }

  private unmap(sym: Extract<SymOp, { k: 'unmap' }>, proc: Proc, ct: number): Op {
    const w = this.window(ct, sym.win);
    const g = this.model.containers[ct]!.geometry;
    const pg = w?.pageSize ?? 0x1000n;
    const start = w?.start ?? g.dma32.start;
    const end = w?.end ?? g.dma32.start + g.dma32.size;
    const run = at(this.runs(w), sym.pick);
    const n = BigInt(sym.pages);
    const un = (iova: bigint, size: bigint, flags = 0): Op => ({ op: 'unmap', proc, ct, flags, iova, size });
    const clip = (iova: bigint, size: bigint): Op => un(iova, min(size, end - iova));
    switch (sym.shape) {
      case 'run': return run ? un(run.start, run.end - run.start) : clip(start, n * pg);
      case 'cut': return run ? clip(run.start + pg, n * pg) : clip(start + pg, n * pg);
      case 'span': return clip(run ? (run.start > start + pg ? run.start - pg : start) : start, (n + 4n) * pg);
      case 'empty': return un(end - pg, pg);
      case 'pastEnd': return un(end - pg, 2n * pg);
      case 'misalign': return un(start + 0x800n, pg);
      case 'flags': return un(start, pg, 1);
      case 'outside': return un(this.outside(ct), pg);
    }
  }

  private create(sym: Extract<SymOp, { k: 'create' }>, proc: Proc, ct: number): Op {
    const g = this.model.containers[ct]!.geometry;
    const shifts = this.layout.pageShifts(ct);
    const shift = shifts[sym.pgsize % shifts.length]!;
    const maxLevels = g.ddw?.levels ?? 1;
    const levels = g.tableSizing === 'powernv' ? Math.min(sym.levels, maxLevels) : 1;
    const size = 1n << BigInt(shift + sym.entriesShift);
    const make = (pageShift: number, windowSize: bigint, lv = levels, flags = 0): Op => ({ op: 'create', proc, ct, flags, pageShift, windowSize, levels: lv });
    switch (sym.shape) {
      case 'dynamic': return make(shift, size);
      case 'default': return make(12, g.dma32.size, 1);
      case 'tiny': return make(shift, 1n << BigInt(shift - 1));
      case 'odd': return make(shift, 3n * size);
      case 'badShift': {
        let bad = 13;
        while (shifts.includes(bad)) bad++;
        return make(bad, size);
      }
      // Bad levels reach the platform only on powernv; pseries' ~0U table is not generated.
      case 'levels': return g.tableSizing === 'powernv' ? make(shift, size, sym.levels % 2 === 0 ? 0 : maxLevels + 1) : make(shift, size);
      case 'flags': return make(shift, size, levels, 1);
    }
  }

  private remove(sym: Extract<SymOp, { k: 'remove' }>, proc: Proc, ct: number): Op {
    const w = this.window(ct, sym.win);
    const rm = (startAddr: bigint, flags = 0): Op => ({ op: 'remove', proc, ct, flags, startAddr });
    switch (sym.shape) {
      case 'window': return rm(w?.start ?? 0n);
      case 'inside': return rm(w ? w.start + w.pageSize : 0x1000n);
      case 'zero': return rm(0n);
      case 'bogus': return rm(this.outside(ct));
      case 'flags': return rm(w?.start ?? 0n, 1);
    }
  }
}
