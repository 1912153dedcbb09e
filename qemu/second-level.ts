// One domain's page table, kept here and written through to guest RAM: a VT-d second level, or
// another 4 KiB-granule format with the same shape (TableFormat: SMMUv3's stage 1).
//
// The mirror is what this adapter knows it wrote; QEMU reads only guest RAM, and only on an
// IOTLB miss. When an operation ends, each table it changed gets one qtest `write` of the span
// of entries that changed, so a map of many leaves costs one command per table it touches.
//
// Levels: 0 holds 4 KiB leaves, 1 holds 2 MiB entries, 2 holds 1 GiB entries (the 39 bits the
// declaration covers); above it a fourth level whose slot 0 leads to that tree and whose slot 1
// leads to the scratch page (layout.ts). A format whose tree is the fourth level keeps the
// scratch in a slot of the tree's own table.
import type { Op, Perm } from '../spec/viommu/ops.ts';
import { PAGE } from './layout.ts';
import type { TablePool } from './table-pool.ts';

/** Second-level entry bits: read, write, and page size (a leaf above level 0). */
export const SL_R = 1n;
export const SL_W = 2n;
export const SL_PS = 1n << 7n;

const ENTRIES = 512;
const TOP = 2;

interface Leaf { kind: 'leaf'; pa: bigint; perm: Perm }
interface Directory { kind: 'dir'; perm: Perm; table: Table }
type Entry = Leaf | Directory;
interface Table { addr: bigint; level: number; entries: Map<number, Entry> }

export const span = (level: number): bigint => PAGE << (9n * BigInt(level));
export const permBits = (perm: Perm): bigint => (perm === 'r' || perm === 'rw' ? SL_R : 0n) | (perm === 'w' || perm === 'rw' ? SL_W : 0n);

/**
 * How entries are encoded and where the tree sits. `top` is the level the declared addresses
 * start in: below a root made here (whose slot 0 leads to the tree and `scratchSlot` to the
 * scratch tables) when it is 2, or the root itself when it is 3 (`scratchSlot` in it).
 */
export interface TableFormat {
  top: number;
  scratchSlot: number;
  leaf(pa: bigint, perm: Perm, level: number): bigint;
  table(addr: bigint, perm: Perm): bigint;
}

/** VT-d second level: R and W at every level, PS on a leaf above level 0. */
export const VTD_FORMAT: TableFormat = {
  top: TOP,
  scratchSlot: 1,
  leaf: (pa, perm, level) => pa | permBits(perm) | (level > 0 ? SL_PS : 0n),
  table: (addr, perm) => addr | permBits(perm),
};

/** The slots of a table at `base` whose entries overlap [lo, hi): [index, iova of the slot]. */
function* slots(base: bigint, size: bigint, lo: bigint, hi: bigint): Generator<[number, bigint]> {
  if (lo >= hi) return;
  for (let i = (lo - base) / size; i <= (hi - 1n - base) / size; i++) yield [Number(i), base + i * size];
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

export class SecondLevel {
  /** The fourth-level table: what a context entry points to. */
  readonly root: bigint;
  private readonly tree: Table;
  /** Per changed table, the first and last entry index changed. */
  private readonly dirty = new Map<Table, [number, number]>();

  /** `scratchTable` null: no scratch slot, so a walk of the whole table finds only what the case mapped. */
  constructor(private readonly pool: TablePool, scratchTable: bigint | null, private readonly format: TableFormat = VTD_FORMAT) {
    const scratch: [number, bigint][] = scratchTable === null ? [] : [[format.scratchSlot, format.table(scratchTable, 'rw')]];
    if (format.top === TOP + 1) {
      this.tree = { addr: pool.allocate(), level: format.top, entries: new Map() };
      this.root = this.tree.addr;
      if (scratch.length) pool.writeEntries(this.root, scratch);
      return;
    }
    this.root = pool.allocate();
    this.tree = { addr: pool.allocate(), level: format.top, entries: new Map() };
    pool.writeEntries(this.root, [[0, format.table(this.tree.addr, 'rw')], ...scratch]);
  }

  /** Leaves of `page` bytes over [iova, iova + size), linear from `pa`; directories of span <= page there are replaced. */
  map(iova: bigint, size: bigint, pa: bigint, perm: Perm, page: bigint): void {
    const fill = (table: Table, base: bigint, lo: bigint, hi: bigint): void => {
      const s = span(table.level);
      for (const [idx, slot] of slots(base, s, lo, hi)) {
        if (s === page) {
          table.entries.set(idx, { kind: 'leaf', pa: pa + (slot - iova), perm });
          this.touch(table, idx);
        } else {
          fill(this.directory(table, idx).table, slot, max(lo, slot), min(hi, slot + s));
        }
      }
    };
    fill(this.tree, 0n, iova, iova + size);
  }

  /** Removes the leaves in [lo, hi); a leaf partly inside is split first. Directories stay. */
  unmap(lo: bigint, hi: bigint): void {
    const clear = (table: Table, base: bigint, lo: bigint, hi: bigint): void => {
      const s = span(table.level);
      for (const [idx, slot] of slots(base, s, lo, hi)) {
        const entry = table.entries.get(idx);
        if (entry === undefined) continue;
        if (entry.kind === 'leaf' && lo <= slot && slot + s <= hi) {
          table.entries.delete(idx);
          this.touch(table, idx);
        } else {
          clear(this.directory(table, idx).table, slot, max(lo, slot), min(hi, slot + s));
        }
      }
    };
    clear(this.tree, 0n, lo, hi);
  }

  /** The permission bits of the directory entry of `size` bytes at `iova`, made to exist first. */
  protect(iova: bigint, size: bigint, perm: Perm): void {
    let table = this.tree;
    for (;;) {
      const idx = Number((iova / span(table.level)) % BigInt(ENTRIES));
      const dir = this.directory(table, idx);
      if (span(table.level) === size) {
        dir.perm = perm;
        this.touch(table, idx);
        return;
      }
      table = dir.table;
    }
  }

  /** Writes every table changed since the last flush. */
  flush(): void {
    for (const [table, [first, last]] of this.dirty) {
      const values: bigint[] = [];
      for (let i = first; i <= last; i++) {
        const e = table.entries.get(i);
        values.push(e === undefined ? 0n : this.encode(e, table.level));
      }
      this.pool.writeRun(table.addr, first, values);
    }
    this.dirty.clear();
  }

  private encode(entry: Entry, level: number): bigint {
    return entry.kind === 'dir' ? this.format.table(entry.table.addr, entry.perm) : this.format.leaf(entry.pa, entry.perm, level);
  }

  private touch(table: Table, idx: number): void {
    const [first, last] = this.dirty.get(table) ?? [idx, idx];
    this.dirty.set(table, [Math.min(first, idx), Math.max(last, idx)]);
  }

  /** The directory at `idx` of `table`: new and granting everything, or split out of the leaf there. */
  private directory(table: Table, idx: number): Directory {
    const entry = table.entries.get(idx);
    if (entry?.kind === 'dir') return entry;
    const child: Table = { addr: this.pool.allocate(), level: table.level - 1, entries: new Map() };
    if (entry !== undefined) {
      // VIOMMU-XLATE-LARGE: the 512 smaller leaves translate exactly as the leaf did.
      const s = span(child.level);
      for (let i = 0; i < ENTRIES; i++) child.entries.set(i, { kind: 'leaf', pa: entry.pa + BigInt(i) * s, perm: entry.perm });
      this.touch(child, 0);
      this.touch(child, ENTRIES - 1);
    }
    const dir: Directory = { kind: 'dir', perm: 'rw', table: child };
    table.entries.set(idx, dir);
    this.touch(table, idx);
    return dir;
  }
}

/** A map, unmap or protect of a domain's table: the mirror changed, its writes sent, and every one settled. */
export async function writeThrough(pool: TablePool, table: SecondLevel, op: Op & { op: 'map' | 'unmap' | 'protect' }): Promise<void> {
  if (op.op === 'map') table.map(op.iova, op.size, op.pa, op.perm, op.page);
  else if (op.op === 'unmap') table.unmap(op.iova, op.iova + op.size);
  else table.protect(op.iova, op.span, op.perm);
  table.flush();
  await pool.settle();
}
