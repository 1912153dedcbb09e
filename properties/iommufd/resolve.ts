// Turning symbolic iommufd operations into concrete ones against what the tracker believes.
//
// The resolver reads the tracker and the layout but never changes them: the caller applies each
// op and the model's answer to it. Every address it writes is derived from the declaration or
// from an area of the case; host memory stays inside the arena.
import { MAP_FLAG, MAX_IOAS, type IovaRange, type Op } from '../../spec/iommufd/ops.ts';
import { U64_MAX } from '../../spec/u64.ts';
import { alignDown, alignUp, maxB, minB, SLOTS, slotAddr, U64_END, type Layout } from './layout.ts';
import { areaEnd, type Tracker } from './tracker.ts';
import type { AllowShape, CopySource, IovaChoice, LengthChoice, MapFault, SymOp, UnmapRange, VaddrChoice } from './symbolic.ts';

const TOKEN_BASE = 0x10fd_0000_0000_0000n;
const at = <T>(list: readonly T[], n: number): T | undefined => (list.length ? list[n % list.length] : undefined);
const clampU64 = (v: bigint): bigint => (v < 0n ? 0n : v > U64_MAX ? U64_MAX : v);

export class Resolver {
  private tokens = 0n;

  constructor(private readonly layout: Layout, private readonly tracker: Tracker) {}

  nextToken(): bigint {
    return TOKEN_BASE + ++this.tokens;
  }

  /** The slot holding `vaddr`, if it is in the arena's slots. */
  slotOf = (vaddr: bigint): number | undefined => {
    const l = this.layout;
    if (l.slots === 0 || vaddr < l.slotBase) return undefined;
    const i = (vaddr - l.slotBase) / l.slotSize;
    return i < BigInt(l.slots) ? Number(i) : undefined;
  };

  /** A handle as the symbolic op gives it: below MAX_IOAS as is, above one of the live handles. */
  private handle(n: number): number {
    const live = this.tracker.live();
    return n < MAX_IOAS || live.length === 0 ? n % MAX_IOAS : live[n % live.length]!;
  }

  /** A slot as the symbolic op gives it: below SLOTS as is, above one of the slots holding memory. */
  private slot(n: number): number {
    const held = [...this.tracker.vmas.keys()].sort((a, b) => a - b);
    return n < SLOTS || held.length === 0 ? n % SLOTS : held[n % held.length]!;
  }

  resolve(sym: SymOp): Op[] {
    const l = this.layout;
    const t = this.tracker;
    const dev = (d: number): number => d % l.devices;
    switch (sym.k) {
      case 'mmap': return this.mmap(sym);
      case 'munmap': {
        const vma = t.vmas.get(this.slot(sym.slot));
        return vma ? [{ op: 'munmap', vaddr: vma.vaddr, size: vma.size }] : [];
      }
      // `alloc` aims at a dead handle; `realloc` re-allocates whatever the handle names.
      case 'alloc': {
        const h = sym.ioas < MAX_IOAS ? sym.ioas : this.deadHandle();
        return h === undefined || t.ioas[h] ? [] : [{ op: 'ioasAlloc', ioas: h }];
      }
      case 'realloc': return [{ op: 'ioasAlloc', ioas: this.handle(sym.ioas) }];
      case 'destroy': return [{ op: 'destroy', ioas: this.handle(sym.ioas) }];
      case 'map': {
        const h = this.handle(sym.ioas);
        const src = this.vaddr(h, sym.vaddr);
        const length = this.length(sym.length, src.room);
        const iova = sym.fixed ? this.iova(h, sym.iova, length) : 0n;
        return [{ op: 'map', ioas: h, flags: sym.perm | (sym.fixed ? MAP_FLAG.FIXED_IOVA : 0), iova, vaddr: src.vaddr, length }];
      }
      case 'badMap': return [this.badMap(this.handle(sym.ioas), sym.faults, sym.vaddr)];
      case 'unmap': {
        const h = this.handle(sym.ioas);
        const r = this.unmapRange(h, sym.range);
        return r ? [{ op: 'unmap', ioas: h, ...r }] : [];
      }
      case 'unmapAll': return [{ op: 'unmap', ioas: this.handle(sym.ioas), iova: 0n, length: U64_MAX }];
      case 'copy': {
        const src = this.handle(sym.src);
        const dst = this.handle(sym.dst);
        const s = this.copySource(src, sym.source);
        if (!s) return [];
        const dstIova = sym.fixed ? this.iova(dst, sym.iova, s.length) : 0n;
        return [{ op: 'copy', dstIoas: dst, srcIoas: src, flags: sym.perm | (sym.fixed ? MAP_FLAG.FIXED_IOVA : 0), dstIova, srcIova: s.iova, length: s.length }];
      }
      case 'allow': return this.allow(this.handle(sym.ioas), sym.allow);
      case 'ranges': return [{ op: 'iovaRanges', ioas: this.handle(sym.ioas) }];
      case 'bind': return [{ op: 'bind', dev: dev(sym.dev) }];
      case 'attach': {
        const d = dev(sym.dev);
        const group = l.info.devices[d]!.group;
        const mate = t.attached.findIndex((x, m) => m !== d && x >= 0 && l.info.devices[m]!.group === group);
        const elsewhere = mate >= 0 ? t.live().filter((h) => h !== t.attached[mate]) : [];
        const ioas = sym.away && elsewhere.length ? elsewhere[sym.ioas % elsewhere.length]! : this.handle(sym.ioas);
        return [{ op: 'attach', dev: d, ioas }];
      }
      case 'detach': return [{ op: 'detach', dev: dev(sym.dev) }];
      case 'hwInfo': return [{ op: 'hwInfo', dev: dev(sym.dev) }];
      // Headroom in pages above what is pinned now: one more map of a few pages crosses it.
      case 'rlimit': return [{ op: 'setRlimitMemlock', bytes: maxB(0n, t.pinned + BigInt(sym.headroom)) * l.page }];
      case 'cap': return [{ op: 'setCapIpcLock', enabled: sym.enabled }];
      case 'mode': return [{ op: 'setRlimitMode', value: BigInt(sym.value) }];
      case 'getMode': return [{ op: 'getRlimitMode' }];
      case 'close': return [{ op: 'closeCtx' }];
      case 'dmaWrite': {
        const d = dev(sym.dev);
        const area = at(t.areas(t.attached[d]!), sym.pick);
        if (!area) return [];
        const pages = area.length / l.page;
        const iova = area.iova + (pages > 0n ? ((BigInt(sym.page) % pages) + pages) % pages : 0n) * l.page;
        return [{ op: 'dmaWrite', dev: d, iova: alignDown(iova, l.page), token: this.nextToken() }];
      }
    }
  }

  /** An mmap of the slot, cut to the slot, and tokens written to the pages probes read. */
  private mmap(sym: Extract<SymOp, { k: 'mmap' }>): Op[] {
    const l = this.layout;
    const vaddr = slotAddr(l, sym.slot);
    if (vaddr === undefined) return [];
    const huge = l.info.host.hugePageSize;
    const backing = sym.backing === 'hugetlb' && (vaddr % huge !== 0n || l.slotSize < huge) ? 'anon' : sym.backing;
    const g = backing === 'hugetlb' ? huge : l.unit;
    const size = minB(alignUp(BigInt(sym.units) * l.unit, g), alignDown(l.slotSize, g));
    if (size === 0n) return [];
    const ops: Op[] = [{ op: 'mmap', vaddr, size, prot: sym.prot, backing }];
    if (sym.prot === 'rw' && backing !== 'mmio') {
      const pages = size / l.page;
      const stamped = new Set([0n, 1n, pages / 2n, pages - 2n, pages - 1n].filter((p) => p >= 0n && p < pages));
      for (const p of stamped) ops.push({ op: 'cpuWrite', vaddr: vaddr + p * l.page, token: this.nextToken() });
    }
    return ops;
  }

  /** The vaddr of a map and how many bytes of memory follow it in its VMA (0: no memory there). */
  private vaddr(h: number, c: VaddrChoice): { vaddr: bigint; room: bigint } {
    const l = this.layout;
    if (c.from === 'area') {
      const a = at(this.tracker.areas(h), c.pick) ?? at(this.tracker.live().flatMap((x) => this.tracker.areas(x)), c.pick);
      if (a) return { vaddr: a.vaddr, room: a.length };
    }
    const slot = this.slot(c.from === 'slot' ? c.slot : 0);
    const vma = this.tracker.vmas.get(slot);
    if (!vma) return { vaddr: slotAddr(l, slot) ?? l.info.host.arena.start, room: 0n };
    const units = vma.size / l.unit;
    const page = c.from === 'slot' ? c.page : 0;
    const off = units > 0n ? ((BigInt(page) % units) + units) % units : 0n;
    return { vaddr: vma.vaddr + off * l.unit, room: vma.size - off * l.unit };
  }

  private length(c: LengthChoice, room: bigint): bigint {
    const u = this.layout.unit;
    if ('units' in c) return room > 0n ? minB(BigInt(c.units) * u, room) : BigInt(c.units) * u;
    switch (c.shape) {
      case 'fit': return room > 0n ? room : u;
      case 'overrun': return room + u;
      case 'zero': return 0n;
      case 'odd': return u + this.layout.page / 2n;
      case 'huge': return 1n << 48n;
      case 'max': return U64_MAX;
    }
  }

  /** An iova for `length` bytes, aligned to the unit unless the choice is raw. */
  iova(h: number, c: IovaChoice, length: bigint): bigint {
    const l = this.layout;
    const u = l.unit;
    const areas = this.tracker.areas(h);
    switch (c.at) {
      case 'busy': return l.busy + BigInt(c.offset) * u;
      case 'anchor': return clampU64(at(l.anchors, c.pick)! + BigInt(c.delta) * u);
      case 'after': {
        const a = at(areas, c.pick);
        return a ? clampU64(alignUp(areaEnd(a), u) + BigInt(c.gap) * u) : l.busy;
      }
      case 'before': {
        const a = at(areas, c.pick);
        return a ? clampU64(a.iova - length - BigInt(c.gap) * u) : l.busy;
      }
      case 'overlap': {
        const a = at(areas, c.pick);
        return a ? clampU64(a.iova + BigInt(c.shift) * u) : l.busy;
      }
      case 'raw': return c.value;
    }
  }

  private unmapRange(h: number, r: UnmapRange): { iova: bigint; length: bigint } | null {
    const u = this.layout.unit;
    const areas = this.tracker.areas(h);
    const span = (from: bigint, end: bigint) => (end > from ? { iova: from, length: end - from } : null);
    switch (r.of) {
      case 'area': {
        const a = at(areas, r.pick);
        return a ? { iova: a.iova, length: a.length } : null;
      }
      case 'span': {
        // From the first area to the last of `count`: cut inside the last (the areas before it go,
        // then ENOENT: IOMMUFD-UNMAP-PARTIAL) or inside the first (nothing goes).
        if (areas.length === 0) return null;
        const i = r.pick % areas.length;
        const first = areas[i]!;
        const last = areas[Math.min(areas.length - 1, i + r.count - 1)]!;
        const start = r.cutStart && first.length > u ? first.iova + u : first.iova;
        const end = r.cutEnd && last.length > u ? areaEnd(last) - u : areaEnd(last);
        return span(start, end);
      }
      case 'around': {
        const a = at(areas, r.pick);
        return a ? span(a.iova > u ? a.iova - u : a.iova, minB(areaEnd(a) + u, U64_MAX)) : null;
      }
      case 'gap': {
        const a = at(areas, r.pick);
        return a ? { iova: areaEnd(a), length: u } : { iova: this.layout.busy, length: u };
      }
      case 'raw': {
        const iova = this.iova(h, r.iova, u);
        const length = r.length === 'zero' ? 0n : r.length === 'max' ? U64_MAX : r.length === 'wrap' ? U64_END - iova + u : u;
        return { iova, length: clampU64(length) };
      }
    }
  }

  private copySource(h: number, s: CopySource): { iova: bigint; length: bigint } | null {
    const u = this.layout.unit;
    const areas = this.tracker.areas(h);
    if (areas.length === 0) return s.of === 'gap' ? { iova: this.layout.busy, length: u } : null;
    const a = areas[s.pick % areas.length]!;
    switch (s.of) {
      case 'area': return { iova: a.iova, length: a.length };
      case 'inside': return a.length > 2n * u ? { iova: a.iova + u, length: a.length - 2n * u } : { iova: a.iova, length: a.length };
      case 'span': {
        // Contiguous areas from `a` on (IOMMUFD-COPY-SRC allows several), starting and ending inside them when `cut`.
        let end = areaEnd(a);
        let n = 1;
        for (const b of areas) if (b.iova === end && n < s.count) { end = areaEnd(b); n++; }
        const start = s.cut && a.length > u ? a.iova + u : a.iova;
        const stop = s.cut && end - start > u ? end - u : end;
        return { iova: start, length: stop - start };
      }
      case 'gap': return { iova: areaEnd(a), length: u };
    }
  }

  private allow(h: number, s: AllowShape): Op[] {
    const l = this.layout;
    const u = l.unit;
    const allow = (ranges: IovaRange[]): Op => ({ op: 'allowIovas', ioas: h, ranges });
    switch (s.shape) {
      case 'tight': {
        // Allowed exactly one length wide: an automatic map of that length has one place to go
        // (IOMMUFD-MAP-ALLOC, IOMMUFD-ALLOW-REPLACE), and one unit more has none (ENOSPC).
        const length = BigInt(s.units) * u;
        const start = maxB(this.iova(h, s.at, length), u);
        if (start + length - 1n > U64_MAX) return [];
        const ops: Op[] = [allow([{ start, last: start + length - 1n }])];
        if (s.then) {
          const src = this.vaddr(h, { from: 'slot', slot: 0, page: 0 });
          ops.push({ op: 'map', ioas: h, flags: MAP_FLAG.READABLE | MAP_FLAG.WRITEABLE, iova: 0n, vaddr: src.vaddr, length });
        }
        return ops;
      }
      case 'holes': {
        const areas = this.tracker.areas(h);
        const holes: IovaRange[] = [];
        for (let i = 0; i + 1 < areas.length; i++) {
          const from = areaEnd(areas[i]!);
          if (areas[i + 1]!.iova > from) holes.push({ start: from, last: areas[i + 1]!.iova - 1n });
        }
        const a = at(areas, s.pick);
        if (holes.length === 0 && a) holes.push({ start: areaEnd(a), last: areaEnd(a) + 4n * u - 1n });
        return holes.length ? [allow(holes.slice(0, 4))] : [allow([{ start: l.busy, last: l.busy + 8n * u - 1n }])];
      }
      case 'reserved': {
        const r = at(l.reserved, s.pick);
        if (!r) return [allow([{ start: l.busy, last: l.busy + u - 1n }])];
        // A range reaching one unit into the reserved one from below, or from above when it starts at 0.
        return [allow([r.start >= u ? { start: r.start - u, last: r.start } : { start: r.last, last: minB(r.last + u, U64_MAX) }])];
      }
      case 'inverted': return [allow([{ start: l.busy + u, last: l.busy }])];
      case 'overlapping': return [allow([{ start: l.busy, last: l.busy + 2n * u - 1n }, { start: l.busy + u, last: l.busy + 3n * u - 1n }])];
      case 'clear': return [allow([])];
    }
  }

  /**
   * A MAP that breaks several rules at once, so that which errno comes first is judged
   * (ioas.c: iommufd_ioas_map, io_pagetable.c: iopt_map_user_pages, iopt_check_iova).
   */
  private badMap(h: number, faults: readonly MapFault[], vc: VaddrChoice): Op {
    const l = this.layout;
    const u = l.unit;
    const has = (f: MapFault) => faults.includes(f);
    const src = this.vaddr(h, vc);
    let flags = has('perm') ? 0 : MAP_FLAG.READABLE | MAP_FLAG.WRITEABLE;
    if (has('flags')) flags |= 8;
    flags |= MAP_FLAG.FIXED_IOVA;
    let length = has('zero') ? 0n : u;
    let iova = l.busy + 40n * u;
    const areas = this.tracker.areas(h);
    if (has('overlap') && areas.length) iova = areas[0]!.iova;
    const reserved = l.reserved.find((r) => r.start >= u && r.start < U64_MAX - 2n * u);
    if (has('reserved') && reserved) iova = alignDown(reserved.start, u);
    if (has('misalign')) iova += l.page / 2n;
    if (has('overflow')) length = U64_MAX - 1n;
    const ioas = has('dead') ? this.deadHandle() ?? h : h;
    return { op: 'map', ioas, flags, iova, vaddr: src.vaddr, length };
  }

  private deadHandle(): number | undefined {
    const i = this.tracker.ioas.findIndex((a) => a === null);
    return i >= 0 ? i : undefined;
  }
}
