// Turning symbolic operations into concrete ones against the current model state.
//
// The resolver reads the model (live mappings, VMAs, counters) but never changes it: the caller
// applies each concrete op it returns. Before a map it stamps the pages the probes will read
// with fresh tokens, so that a probe can tell one frame from another.
import type { BackendInfo, Capability } from '../../spec/type1/backend.ts';
import { MAP_FLAG, UNMAP_FLAG, type Op, type Proc } from '../../spec/type1/ops.ts';
import { OP_FIELDS, U64_MAX } from '../../spec/type1/wire.ts';
import { PAGE_SIZE, RLIM_INFINITY } from '../../models/host.ts';
import type { SystemModel } from '../../models/type1/system.ts';
import { U64_LIMIT, type Dma } from '../../models/type1/container.ts';
import type { ReadonlyIntervalMap } from '../../models/interval-map.ts';
import type { IovaChoice, SizeChoice, SymOp, UnmapRange, VaddrChoice, VaddrRange } from './symbolic.ts';

const TOKEN_BASE = 0x70c0_0000_0000_0000n;
/** Where `low` iovas and `mapMany` fills go: a busy window, so that requests collide. */
const LOW_BASE = 0x100_0000n;
const FILL_BASE = 0x4000_0000n;
/** How many IOMMU pages past LOW_BASE a `low` iova reaches, and past FILL_BASE a fill. */
const LOW_SPAN = 256n;
const FILL_SPAN = 40n;
/** The arena is cut into this many slots, where mmaps and mremap targets go. */
const SLOTS = 16;

function clampFields(op: Op): Op {
  const out: Record<string, unknown> = { ...op };
  for (const [name, type] of Object.entries(OP_FIELDS[op.op])) {
    const v = out[name] as bigint;
    if (type === 'u64') out[name] = v < 0n ? 0n : v > U64_MAX ? U64_MAX : v;
  }
  return out as unknown as Op;
}

const clampU64 = (v: bigint, unit: bigint): bigint => (v < 0n ? 0n : v >= U64_LIMIT ? U64_LIMIT - unit : v);
const alignUp = (v: bigint, to: bigint): bigint => ((v + to - 1n) / to) * to;
const alignDown = (v: bigint, to: bigint): bigint => v - (v % to);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const at = <T>(list: readonly T[] | ReadonlyIntervalMap<T>, n: number): T | undefined =>
  'size' in list ? (list.size ? list.at(n % list.size) : undefined) : list.length ? list[n % list.length] : undefined;
/** `n` modulo `count`, from 0; 0 when `count` is 0 (a VMA smaller than an IOMMU page). */
const wrapIndex = (n: number, count: bigint): bigint => (count > 0n ? ((BigInt(n) % count) + count) % count : 0n);

/**
 * Where host memory goes: `count` slots of `size` bytes from `base`, all inside the arena,
 * aligned to huge pages when the arena holds SLOTS of them (then hugetlb can go to any slot),
 * else to the IOMMU page. A tiny arena has fewer slots; one smaller than a page has none.
 */
interface SlotLayout { base: bigint; size: bigint; count: number; align: bigint }

function slotLayout(arena: { start: bigint; size: bigint }, unit: bigint, huge: bigint): SlotLayout | null {
  const end = arena.start + arena.size;
  for (const align of huge > unit ? [huge, unit] : [unit]) {
    const base = alignUp(arena.start, align);
    if (base >= end) continue;
    const size = alignDown((end - base) / BigInt(SLOTS), align);
    if (size > 0n) return { base, size, count: SLOTS, align };
  }
  // A tiny arena: as many one-page slots as fit, possibly none.
  const base = alignUp(arena.start, unit);
  const count = base < end ? Number((end - base) / unit) : 0;
  return count > 0 ? { base, size: unit, count, align: unit } : null;
}

export class Resolver {
  private tokens = 0n;
  private readonly unit: bigint;
  private readonly slots: SlotLayout | null;
  private readonly arenaEnd: bigint;
  /** LOW_BASE and FILL_BASE, or the nearest place a valid IOVA range holds their window. */
  private readonly lowBase: bigint;
  private readonly fillBase: bigint;
  private readonly caps: ReadonlySet<Capability>;

  constructor(private readonly model: SystemModel, private readonly info: BackendInfo) {
    this.unit = model.container.minPageSize > PAGE_SIZE ? model.container.minPageSize : PAGE_SIZE;
    const { arena, hugePageSize } = info.host;
    this.arenaEnd = arena.start + arena.size;
    this.slots = slotLayout(arena, this.unit, hugePageSize);
    this.lowBase = this.iovaWindow(LOW_BASE, LOW_SPAN * this.unit);
    this.fillBase = this.iovaWindow(FILL_BASE, FILL_SPAN * this.unit);
    this.caps = new Set(info.capabilities);
  }

  /**
   * `preferred` (aligned to the IOMMU page) when [preferred, preferred + span) lies in a valid
   * IOVA range; otherwise the aligned start of the first range that holds the span, or of the
   * largest range: generated maps then still land in valid iova space whatever the geometry.
   */
  private iovaWindow(preferred: bigint, span: bigint): bigint {
    const u = this.unit;
    const ranges = this.info.geometry.iovaRanges;
    const fits = (start: bigint) => ranges.some((r) => r.start <= start && start + span - 1n <= r.end);
    const want = alignUp(preferred, u);
    if (fits(want)) return want;
    for (const r of ranges) if (fits(alignUp(r.start, u))) return alignUp(r.start, u);
    let largest = ranges[0];
    for (const r of ranges) if (largest && r.end - r.start > largest.end - largest.start) largest = r;
    return largest ? clampU64(alignUp(largest.start, u), u) : want;
  }

  nextToken(): bigint {
    return TOKEN_BASE + ++this.tokens;
  }

  /** The concrete ops for `sym`, every u64 field clamped into [0, 2^64 - 1]. */
  resolve(sym: SymOp): Op[] {
    return this.concrete(sym).map(clampFields);
  }

  private concrete(sym: SymOp): Op[] {
    const proc = this.proc('proc' in sym ? sym.proc : 0);
    const u = this.unit;
    switch (sym.k) {
      case 'mmap': {
        let backing = this.caps.has(sym.backing === 'mmio' ? 'mmio' : 'hugetlb') || sym.backing === 'anon' ? sym.backing : 'anon';
        const vaddr = this.slot(sym.slot);
        if (vaddr === undefined) return [];
        // The mapping stays inside the arena: cut to the room left above the slot, in whole
        // granules; hugetlb that cannot start or fit there becomes anonymous memory.
        const room = this.arenaEnd - vaddr;
        const huge = this.info.host.hugePageSize;
        if (backing === 'hugetlb' && (vaddr % huge !== 0n || room < huge)) backing = 'anon';
        const g = backing === 'hugetlb' && huge > u ? huge : u;
        const size = min(alignUp(BigInt(sym.pages) * u, g), alignDown(room, g));
        return [{ op: 'mmap', proc, vaddr, size, prot: sym.prot, backing }];
      }
      case 'munmap': case 'remmap': case 'mremap': case 'mprotect': {
        if ((sym.k === 'mremap' || sym.k === 'mprotect') && !this.caps.has(sym.k)) return [];
        const r = this.vaddrRange(proc, sym.range);
        if (!r) return [];
        if (sym.k === 'munmap') return [{ op: 'munmap', ...r }];
        if (sym.k === 'remmap') return [{ op: 'mmap', ...r, prot: 'rw', backing: 'anon' }];
        // mprotect over a hole fails part way in Linux; the suite only asks for whole ones.
        if (sym.k === 'mprotect') return this.model.procs[r.proc]!.lookup(r.vaddr, r.size).hole === null ? [{ op: 'mprotect', ...r, prot: sym.prot }] : [];
        const newSize = r.size + BigInt(sym.grow) * u > 0n ? r.size + BigInt(sym.grow) * u : r.size;
        const newVaddr = this.slot(sym.slot);
        if (newVaddr === undefined) return [];
        const op: Op = { op: 'mremap', ...r, newVaddr, newSize };
        return this.validMremap(op) ? [op] : [];
      }
      case 'cpuWrite':
        return [{ op: 'cpuWrite', proc, vaddr: this.vaddr(proc, sym.at), token: this.nextToken() }];
      case 'cpuRead':
        return this.caps.has('cpuRead') ? [{ op: 'cpuRead', proc, vaddr: this.vaddr(proc, sym.at) }] : [];
      case 'rlimit': {
        if (!this.caps.has('rlimit')) return [];
        const locked = this.model.procs[proc]!.lockedVm;
        const bytes = sym.headroom >= 12 ? RLIM_INFINITY : (locked + BigInt(sym.headroom) * (u / PAGE_SIZE)) * PAGE_SIZE;
        return [{ op: 'setRlimitMemlock', proc, bytes: bytes < 0n ? 0n : bytes }];
      }
      case 'cap':
        return this.caps.has('capIpcLock') ? [{ op: 'setCapIpcLock', proc, enabled: sym.enabled }] : [];
      case 'map': return this.map(proc, sym);
      case 'mapAcross': return this.mapAcross(proc, sym);
      case 'mapMany': {
        const vaddr = this.slot(15);
        if (vaddr === undefined) return [];
        const count = min(BigInt(sym.count), (this.arenaEnd - vaddr) / u);
        const ops: Op[] = [{ op: 'mmap', proc, vaddr, size: count * u, prot: 'rw', backing: 'anon' }];
        for (let i = 0n; i < count; i++) {
          ops.push({ op: 'map', proc, flags: MAP_FLAG.READ | MAP_FLAG.WRITE, iova: this.fillBase + i * u, vaddr: vaddr + i * u, size: u });
        }
        return ops;
      }
      case 'unmap': {
        let { iova, size } = this.unmapRange(sym.range);
        if (sym.misalign === 1) iova += u / 2n;
        if (sym.misalign >= 2 && size > 0n) size += sym.misalign === 2 ? u / 2n : 1n;
        return [{ op: 'unmap', proc, flags: this.flags(sym.flags, 'unmap'), iova, size }];
      }
      case 'unmapAll': {
        if (!this.caps.has('unmapAll')) return [];
        const nonZero = sym.nonZero ? u : 0n;
        return [{ op: 'unmap', proc, flags: this.flags(sym.flags, 'unmap'), iova: nonZero, size: 0n }];
      }
      case 'invalidate': {
        if (!this.caps.has('vaddr')) return [];
        if (sym.all && this.caps.has('unmapAll')) return [{ op: 'unmap', proc, flags: UNMAP_FLAG.ALL | UNMAP_FLAG.VADDR, iova: 0n, size: 0n }];
        return [{ op: 'unmap', proc, flags: UNMAP_FLAG.VADDR, ...this.unmapRange(sym.range) }];
      }
      case 'update': {
        if (!this.caps.has('vaddr')) return [];
        const d = at(this.model.container.mappings, sym.pick);
        const vaddr = this.vaddr(proc, sym.vaddr);
        if (!d) return [{ op: 'map', proc, flags: MAP_FLAG.VADDR, iova: this.lowBase, vaddr, size: u }];
        const size = sym.exact ? d.size : d.size + u;
        return [{ op: 'map', proc, flags: MAP_FLAG.VADDR, iova: d.iova, vaddr, size }];
      }
      case 'dmaWrite': {
        if (!this.caps.has('dmaWrite')) return [];
        const d = at(this.model.container.mappings, sym.pick);
        const iova = d ? d.iova + wrapIndex(sym.page, d.size / PAGE_SIZE) * PAGE_SIZE : this.lowBase;
        return [{ op: 'dmaWrite', iova, token: this.nextToken() }];
      }
      case 'getInfo': return [{ op: 'getInfo' }];
      case 'dirtyPages': return this.caps.has('dirtyPages') ? [{ op: 'dirtyPages', flags: sym.flags }] : [];
      case 'migrationInfo': return this.caps.has('migrationInfo') ? [{ op: 'migrationInfo' }] : [];
      case 'close': return [{ op: 'closeContainer' }];
    }
  }

  private proc(p: Proc): Proc {
    return this.caps.has('secondProcess') ? p : 0;
  }

  /** `flags` without the bits whose capability the backend lacks (VADDR is 4 in both uAPIs). */
  private flags(flags: number, kind: 'map' | 'unmap'): number {
    let out = this.caps.has('vaddr') ? flags : flags & ~MAP_FLAG.VADDR;
    if (kind === 'unmap' && !this.caps.has('unmapAll')) out &= ~UNMAP_FLAG.ALL;
    return out;
  }

  /** The start of slot `n` (modulo the number of slots), or undefined when the arena has none. */
  private slot(n: number): bigint | undefined {
    const l = this.slots;
    return l ? l.base + BigInt(n % SLOTS % l.count) * l.size : undefined;
  }

  /** A vaddr for a map: slot `n`, or the arena start when it has no slots (nothing is there). */
  private slotVaddr(n: number): bigint {
    return this.slot(n) ?? this.info.host.arena.start;
  }

  private map(proc: Proc, sym: Extract<SymOp, { k: 'map' }>): Op[] {
    const u = this.unit;
    if (this.model.procs[proc]!.vmaList.length === 0) proc = 0;
    let vaddr = this.vaddr(proc, sym.vaddr);
    let size = this.size(proc, sym.size, vaddr);
    let iova = 'shape' in sym.size && sym.size.shape === 'toTop' ? U64_LIMIT - size : this.iova(sym.iova, size);
    if (sym.misalign === 1) iova += u / 2n;
    if (sym.misalign === 2) vaddr += u / 2n;
    if (sym.misalign === 3) size += u / 2n;
    const ops: Op[] = [];
    if (size > 0n && vaddr + size <= U64_LIMIT) {
      const last = ((size - 1n) / PAGE_SIZE) * PAGE_SIZE;
      const offsets = new Set([0n, ((size / 2n) / PAGE_SIZE) * PAGE_SIZE, last]);
      for (const off of offsets) {
        const page = ((vaddr + off) / PAGE_SIZE) * PAGE_SIZE;
        if (this.model.procs[proc]!.vmaAt(page)?.prot === 'rw') ops.push({ op: 'cpuWrite', proc, vaddr: page, token: this.nextToken() });
      }
    }
    ops.push({ op: 'map', proc, flags: this.flags(sym.flags, 'map'), iova, vaddr, size });
    return ops;
  }

  /**
   * Adjacent VMAs of different backing or protection, a hole of one page where asked, and one
   * MAP_DMA across them: tokens stamped on both sides of every boundary, read back by the
   * device right after the map. At most one part is hugetlb (huge page aligned, so the parts
   * before it are laid out backwards from it); the request is dropped when the parts do not
   * fit in the arena or would cut a hugetlb VMA.
   */
  private mapAcross(proc: Proc, sym: Extract<SymOp, { k: 'mapAcross' }>): Op[] {
    const u = this.unit;
    const slots = this.slots;
    const v = this.slot(sym.slot);
    if (!slots || v === undefined) return [];
    const huge = this.info.host.hugePageSize;
    let hugetlb = slots.align % huge === 0n && this.caps.has('hugetlb');
    const parts = sym.parts.map((p) => {
      let backing = p.backing === 'anon' || this.caps.has(p.backing) ? p.backing : 'anon';
      if (backing === 'hugetlb') {
        if (!hugetlb) backing = 'anon';
        hugetlb = false; // one hugetlb part at most
      }
      const g = backing === 'hugetlb' && huge > u ? huge : u;
      return { ...p, backing, size: alignUp(BigInt(p.pages) * u, g) };
    });
    const gap = (i: number): bigint => (i > 0 && sym.hole === i ? u : 0n);
    const h = parts.findIndex((p) => p.backing === 'hugetlb');
    const starts: bigint[] = [];
    if (h < 0) {
      let cursor = v;
      parts.forEach((p, i) => { cursor += gap(i); starts.push(cursor); cursor += p.size; });
    } else {
      let before = 0n;
      for (let i = 0; i < h; i++) before += parts[i]!.size + gap(i + 1);
      const hs = alignUp(v + before, huge);
      let cursor = hs;
      for (let i = h - 1; i >= 0; i--) { cursor -= gap(i + 1) + parts[i]!.size; starts[i] = cursor; }
      cursor = hs;
      for (let i = h; i < parts.length; i++) { cursor += i > h ? gap(i) : 0n; starts[i] = cursor; cursor += parts[i]!.size; }
    }
    const first = starts[0]!;
    const lastIndex = parts.length - 1;
    const end = starts[lastIndex]! + parts[lastIndex]!.size;
    if (end > this.arenaEnd) return [];
    const edges = [first, ...parts.flatMap((p, i) => [starts[i]!, starts[i]! + p.size])];
    if (edges.some((e) => this.cutsHugetlb(proc, e))) return [];

    const ops: Op[] = parts.map((p, i): Op => ({ op: 'mmap', proc, vaddr: starts[i]!, size: p.size, prot: p.prot, backing: p.backing }));
    for (let i = 1; i < parts.length; i++) {
      const hole = gap(i);
      if (hole > 0n) ops.push({ op: 'munmap', proc, vaddr: starts[i]! - hole, size: hole });
    }
    const vaddr = sym.from === 'first' ? first : starts[0]! + parts[0]!.size - u;
    const stop = sym.to === 'end' ? end : starts[lastIndex]! + u;
    const size = stop - vaddr;
    // Both sides of every boundary inside the request, in the new memory (before the model has it).
    const boundaries = [...new Set(parts.slice(1).flatMap((_, k) => {
      const i = k + 1;
      return [starts[i - 1]! + parts[i - 1]!.size, starts[i]!];
    }))].filter((b) => b > vaddr && b < stop);
    const pages = [...new Set([vaddr, ...boundaries.flatMap((b) => [b - PAGE_SIZE, b]), stop - PAGE_SIZE])];
    const partAt = (a: bigint) => parts.find((p, i) => starts[i]! <= a && a < starts[i]! + p.size);
    for (const page of pages) if (partAt(page)?.prot === 'rw') ops.push({ op: 'cpuWrite', proc, vaddr: page, token: this.nextToken() });
    const iova = this.iova(sym.iova, size);
    ops.push({ op: 'map', proc, flags: this.flags(sym.flags, 'map'), iova, vaddr, size });
    for (const page of pages) {
      const probe = iova + (page - vaddr);
      if (probe < U64_LIMIT && this.iovaValid(probe)) ops.push({ op: 'dmaRead', iova: probe });
    }
    return ops;
  }

  private iovaValid(iova: bigint): boolean {
    return this.info.geometry.iovaRanges.some((r) => r.start <= iova && iova <= r.end);
  }

  private iova(c: IovaChoice, size: bigint): bigint {
    const u = this.unit;
    const d = 'pick' in c ? at(this.model.container.mappings, c.pick) : undefined;
    switch (c.at) {
      case 'after': return d ? clampU64(d.iova + d.size + BigInt(c.gap) * u, u) : this.lowBase;
      case 'before': return d ? clampU64(d.iova - size - BigInt(c.gap) * u, u) : this.lowBase;
      case 'overlapHead': return d ? clampU64(d.iova - size + u, u) : this.lowBase;
      case 'overlapTail': return d ? clampU64(d.iova + d.size - u, u) : this.lowBase;
      case 'same': return d ? d.iova : this.lowBase;
      case 'rangeStart': case 'rangeEnd': {
        const r = at(this.info.geometry.iovaRanges, c.range)!;
        const base = c.at === 'rangeStart' ? r.start : r.end + 1n - size;
        return clampU64(base + BigInt(c.shift) * u, u);
      }
      case 'low': return this.lowBase + BigInt(c.page) * u;
      case 'anywhere': return c.value - (c.value % u);
    }
  }

  private vaddr(proc: Proc, c: VaddrChoice): bigint {
    const u = this.unit;
    switch (c.from) {
      case 'vma': {
        const v = at(this.model.procs[proc]!.vmaList, c.pick);
        return v ? v.start + wrapIndex(c.page, (v.end - v.start) / u) * u : this.slotVaddr(c.pick);
      }
      case 'mapping': {
        const d = at(this.model.container.mappings, c.pick);
        return d ? d.vaddr + wrapIndex(c.page, d.size / u) * u : this.slotVaddr(c.pick);
      }
      case 'slot': return this.slotVaddr(c.slot);
      case 'anywhere': return c.value - (c.value % u);
    }
  }

  private size(proc: Proc, c: SizeChoice, vaddr: bigint): bigint {
    const u = this.unit;
    const vma = this.model.procs[proc]!.vmaAt(vaddr);
    if ('pages' in c) {
      const want = BigInt(c.pages) * u;
      return vma && vma.end - vaddr < want ? vma.end - vaddr : want;
    }
    switch (c.shape) {
      case 'zero': return 0n;
      case 'fitVma': return vma ? vma.end - vaddr : 4n * u;
      case 'overrunVma': return vma ? vma.end - vaddr + u : 4n * u;
      case 'huge': return 1n << 48n;
      case 'wrap': return U64_LIMIT - vaddr + u;
      case 'toTop': return 4n * u;
    }
  }

  private unmapRange(r: UnmapRange): { iova: bigint; size: bigint } {
    const u = this.unit;
    const dmas = this.model.container.mappings;
    if (r.of === 'toTop') return { iova: U64_LIMIT - BigInt(r.pages) * u, size: BigInt(r.pages) * u };
    if (r.of === 'raw') {
      const size = 'pages' in r.size ? BigInt(r.size.pages) * u : r.size.shape === 'zero' ? 0n : r.size.shape === 'huge' ? 1n << 48n : 4n * u;
      const iova = this.iova(r.iova, size);
      return { iova, size: 'shape' in r.size && r.size.shape === 'wrap' ? U64_LIMIT - iova + u : size };
    }
    const i = dmas.size ? r.pick % dmas.size : -1;
    const d: Dma | undefined = dmas.at(i);
    if (!d) return { iova: this.lowBase, size: u };
    const end = d.iova + d.size;
    switch (r.of) {
      case 'mapping': return { iova: d.iova, size: d.size };
      case 'span': {
        const last = dmas.at(Math.min(dmas.size - 1, i + r.count - 1))!;
        return { iova: d.iova, size: last.iova + last.size - d.iova };
      }
      case 'spanCut': {
        // Whole mappings on one side of a cut one: v2 refuses it (type1) or stops at it having
        // removed those before (compat); v1 does nothing when it starts inside (type1) or cuts.
        const last = dmas.at(Math.min(dmas.size - 1, i + r.count - 1))!;
        const lastEnd = last.iova + last.size;
        if (r.cut === 'first') {
          const iova = d.size > u ? d.iova + u : d.iova + u / 2n;
          return { iova, size: lastEnd - iova };
        }
        return { iova: d.iova, size: (last.size > u ? lastEnd - u : last.iova + u / 2n) - d.iova };
      }
      case 'headCut': return { iova: d.iova, size: d.size > u ? d.size - u : d.size };
      case 'tailCut': return d.size > u ? { iova: d.iova + u, size: d.size - u } : { iova: d.iova, size: d.size };
      case 'inside': return d.size > 2n * u ? { iova: d.iova + u, size: u } : { iova: d.iova, size: d.size };
      case 'around': {
        const iova = d.iova >= u ? d.iova - u : d.iova;
        return { iova, size: (end + u <= U64_LIMIT ? end + u : end) - iova };
      }
      case 'gap': {
        const next = dmas.at(i + 1);
        return { iova: end >= U64_LIMIT ? d.iova : end, size: next && next.iova > end ? next.iova - end : u };
      }
    }
  }

  private vaddrRange(proc: Proc, r: VaddrRange): { proc: Proc; vaddr: bigint; size: bigint } | undefined {
    let start: bigint;
    let size: bigint;
    if (r.of === 'mappingVaddr') {
      const d = at(this.model.container.mappings, r.pick);
      if (!d) return undefined;
      proc = this.proc(d.owner as Proc);
      start = d.vaddr;
      size = d.size;
    } else {
      const v = at(this.model.procs[proc]!.vmaList, r.pick);
      if (!v) return undefined;
      start = v.start;
      size = v.end - v.start;
    }
    const u = this.unit;
    const half = size >= 2n * u ? ((size / 2n) / u) * u : size;
    const range = r.part === 'whole' ? { vaddr: start, size }
      : r.part === 'head' ? { vaddr: start, size: half }
      : r.part === 'tail' ? { vaddr: start + size - half, size: half }
      : size > 2n * u ? { vaddr: start + u, size: size - 2n * u } : { vaddr: start, size };
    // Host operations stay in the arena the backend gave us (a VADDR update may point anywhere),
    // and never cut a hugetlb VMA off a huge page boundary: the suite relies only on host
    // operations that succeed, never on the partial effects of failing mm syscalls.
    const { arena } = this.info.host;
    if (range.vaddr < arena.start || range.vaddr + range.size > arena.start + arena.size) return undefined;
    if (!this.cutsHugetlb(proc, range.vaddr) && !this.cutsHugetlb(proc, range.vaddr + range.size)) return { proc, ...range };
    return undefined;
  }

  private cutsHugetlb(proc: Proc, addr: bigint): boolean {
    const v = this.model.procs[proc]!.vmaAt(addr);
    return v !== undefined && v.backing === 'hugetlb' && v.start < addr && (addr - v.start) % this.info.host.hugePageSize !== 0n;
  }

  /** Only moves the kernel accepts: the source inside one VMA, no hugetlb or PFNMAP resize, the target in the arena. */
  private validMremap(op: Extract<Op, { op: 'mremap' }>): boolean {
    if (op.newVaddr + op.newSize > this.arenaEnd) return false;
    const v = this.model.procs[op.proc]!.vmaAt(op.vaddr);
    if (!v || op.vaddr + op.size > v.end) return false;
    if (op.newVaddr < op.vaddr + op.size && op.vaddr < op.newVaddr + op.newSize) return false;
    if (this.cutsHugetlb(op.proc, op.newVaddr) || this.cutsHugetlb(op.proc, op.newVaddr + op.newSize)) return false;
    if (v.backing === 'hugetlb') return op.vaddr === v.start && op.size === v.end - v.start && op.newSize === op.size;
    return v.backing !== 'mmio' || op.newSize <= op.size;
  }
}
