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

function clampFields(op: Op): Op {
  const out: Record<string, unknown> = { ...op };
  for (const [name, type] of Object.entries(OP_FIELDS[op.op])) {
    const v = out[name] as bigint;
    if (type === 'u64') out[name] = v < 0n ? 0n : v > U64_MAX ? U64_MAX : v;
  }
  return out as unknown as Op;
}

const clampU64 = (v: bigint, unit: bigint): bigint => (v < 0n ? 0n : v >= U64_LIMIT ? U64_LIMIT - unit : v);
const at = <T>(list: readonly T[] | ReadonlyIntervalMap<T>, n: number): T | undefined =>
  'size' in list ? (list.size ? list.at(n % list.size) : undefined) : list.length ? list[n % list.length] : undefined;
const wrapIndex = (n: number, count: bigint): bigint => ((BigInt(n) % count) + count) % count;

export class Resolver {
  private tokens = 0n;
  private readonly unit: bigint;
  private readonly slotSize: bigint;
  private readonly caps: ReadonlySet<Capability>;

  constructor(private readonly model: SystemModel, private readonly info: BackendInfo) {
    this.unit = model.container.minPageSize > PAGE_SIZE ? model.container.minPageSize : PAGE_SIZE;
    const huge = info.host.hugePageSize;
    this.slotSize = (info.host.arena.size / 16n / huge) * huge;
    this.caps = new Set(info.capabilities);
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
        const backing = this.caps.has(sym.backing === 'mmio' ? 'mmio' : 'hugetlb') || sym.backing === 'anon' ? sym.backing : 'anon';
        const g = backing === 'hugetlb' ? this.info.host.hugePageSize : u;
        const size = ((BigInt(sym.pages) * u + g - 1n) / g) * g;
        return [{ op: 'mmap', proc, vaddr: this.slot(sym.slot), size, prot: sym.prot, backing }];
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
        const op: Op = { op: 'mremap', ...r, newVaddr: this.slot(sym.slot), newSize };
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
      case 'mapMany': {
        const vaddr = this.slot(15);
        const ops: Op[] = [{ op: 'mmap', proc, vaddr, size: BigInt(sym.count) * u, prot: 'rw', backing: 'anon' }];
        for (let i = 0n; i < BigInt(sym.count); i++) {
          ops.push({ op: 'map', proc, flags: MAP_FLAG.READ | MAP_FLAG.WRITE, iova: FILL_BASE + i * u, vaddr: vaddr + i * u, size: u });
        }
        return ops;
      }
      case 'unmap': {
        let { iova, size } = this.unmapRange(sym.range);
        if (sym.misalign === 1) iova += u / 2n;
        if (sym.misalign >= 2 && size > 0n) size += u / 2n;
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
        if (!d) return [{ op: 'map', proc, flags: MAP_FLAG.VADDR, iova: LOW_BASE, vaddr, size: u }];
        const size = sym.exact ? d.size : d.size + u;
        return [{ op: 'map', proc, flags: MAP_FLAG.VADDR, iova: d.iova, vaddr, size }];
      }
      case 'dmaWrite': {
        if (!this.caps.has('dmaWrite')) return [];
        const d = at(this.model.container.mappings, sym.pick);
        const iova = d ? d.iova + wrapIndex(sym.page, d.size / PAGE_SIZE) * PAGE_SIZE : LOW_BASE;
        return [{ op: 'dmaWrite', iova, token: this.nextToken() }];
      }
      case 'getInfo': return [{ op: 'getInfo' }];
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

  private slot(n: number): bigint {
    return this.info.host.arena.start + BigInt(n % 16) * this.slotSize;
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

  private iova(c: IovaChoice, size: bigint): bigint {
    const u = this.unit;
    const d = 'pick' in c ? at(this.model.container.mappings, c.pick) : undefined;
    switch (c.at) {
      case 'after': return d ? clampU64(d.iova + d.size + BigInt(c.gap) * u, u) : LOW_BASE;
      case 'before': return d ? clampU64(d.iova - size - BigInt(c.gap) * u, u) : LOW_BASE;
      case 'overlapHead': return d ? clampU64(d.iova - size + u, u) : LOW_BASE;
      case 'overlapTail': return d ? clampU64(d.iova + d.size - u, u) : LOW_BASE;
      case 'same': return d ? d.iova : LOW_BASE;
      case 'rangeStart': case 'rangeEnd': {
        const r = at(this.info.geometry.iovaRanges, c.range)!;
        const base = c.at === 'rangeStart' ? r.start : r.end + 1n - size;
        return clampU64(base + BigInt(c.shift) * u, u);
      }
      case 'low': return LOW_BASE + BigInt(c.page) * u;
      case 'anywhere': return c.value - (c.value % u);
    }
  }

  private vaddr(proc: Proc, c: VaddrChoice): bigint {
    const u = this.unit;
    switch (c.from) {
      case 'vma': {
        const v = at(this.model.procs[proc]!.vmaList, c.pick);
        return v ? v.start + wrapIndex(c.page, (v.end - v.start) / u) * u : this.slot(c.pick);
      }
      case 'mapping': {
        const d = at(this.model.container.mappings, c.pick);
        return d ? d.vaddr + wrapIndex(c.page, d.size / u) * u : this.slot(c.pick);
      }
      case 'slot': return this.slot(c.slot);
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
    if (!d) return { iova: LOW_BASE, size: u };
    const end = d.iova + d.size;
    switch (r.of) {
      case 'mapping': return { iova: d.iova, size: d.size };
      case 'span': {
        const last = dmas.at(Math.min(dmas.size - 1, i + r.count - 1))!;
        return { iova: d.iova, size: last.iova + last.size - d.iova };
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

  /** Only moves the kernel accepts: the source inside one VMA, no hugetlb or PFNMAP resize. */
  private validMremap(op: Extract<Op, { op: 'mremap' }>): boolean {
    const v = this.model.procs[op.proc]!.vmaAt(op.vaddr);
    if (!v || op.vaddr + op.size > v.end) return false;
    if (op.newVaddr < op.vaddr + op.size && op.vaddr < op.newVaddr + op.newSize) return false;
    if (this.cutsHugetlb(op.proc, op.newVaddr) || this.cutsHugetlb(op.proc, op.newVaddr + op.newSize)) return false;
    if (v.backing === 'hugetlb') return op.vaddr === v.start && op.size === v.end - v.start && op.newSize === op.size;
    return v.backing !== 'mmio' || op.newSize <= op.size;
  }
}
