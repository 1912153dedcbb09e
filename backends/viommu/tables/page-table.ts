// One domain's guest page table: VT-d second-level / SMMUv3 AArch64 LPAE with a 4 KiB granule.
//
// Tables of 512 entries, kept sparse by index. A directory entry holds a permission and the
// next table; a leaf holds its output address and permission. Nothing here is cached: the
// IOMMU reads these tables only on an IOTLB miss or a notifier walk (iotlb.ts, shadow.ts).
import { permAnd, type Perm } from '../../../spec/viommu/ops.ts';
import { PAGE, max, min } from './ranges.ts';

interface Leaf { kind: 'leaf'; pa: bigint; perm: Perm }
interface Directory { kind: 'dir'; perm: Perm; table: Table }
type Entry = Leaf | Directory;
type Table = Map<number, Entry>;

const ENTRIES = 512;
const LEVEL_BITS = 9n;

/** A leaf as a walk finds it: where it starts, its size, output address and effective permission. */
export interface WalkedLeaf { iova: bigint; size: bigint; pa: bigint; perm: Perm }

/** The span of an entry of the table at `level` (0: the tables of 4 KiB leaves). */
export const entrySpan = (level: number): bigint => PAGE << (LEVEL_BITS * BigInt(level));

/** How many levels cover 2^iovaBits with a 4 KiB granule. */
export const levelsFor = (iovaBits: number): number => Math.ceil((iovaBits - 12) / 9);

/** A leaf cut into the 512 next-level leaves with the same translations (VIOMMU-XLATE-LARGE). */
function split(leaf: Leaf, span: bigint): Directory {
  const child = span / BigInt(ENTRIES);
  const table: Table = new Map();
  for (let i = 0; i < ENTRIES; i++) table.set(i, { kind: 'leaf', pa: leaf.pa + BigInt(i) * child, perm: leaf.perm });
  // A fresh directory grants everything: the children keep the leaf's own permission.
  return { kind: 'dir', perm: 'rw', table };
}

export class PageTable {
  private root: Table = new Map();
  private readonly top: number;

  /** `leafPermOnly`: the perm-leaf-only mutant, which ignores directory permissions. */
  constructor(iovaBits: number, private readonly leafPermOnly = false) {
    this.top = levelsFor(iovaBits) - 1;
  }

  /** Leaves of `page` bytes over [iova, iova + size) translating linearly to pa onwards. */
  map(iova: bigint, size: bigint, pa: bigint, perm: Perm, page: bigint): void {
    const write = (table: Table, level: number, base: bigint, lo: bigint, hi: bigint): void => {
      const span = entrySpan(level);
      for (const [idx, slot] of slots(base, span, lo, hi)) {
        if (span === page) {
          // Directories of span <= page are replaced along with their permissions.
          table.set(idx, { kind: 'leaf', pa: pa + (slot - iova), perm });
        } else {
          write(this.directory(table, idx, span).table, level - 1, slot, max(lo, slot), min(hi, slot + span));
        }
      }
    };
    write(this.root, this.top, 0n, iova, iova + size);
  }

  /** Removes the leaves in [lo, hi), splitting the ones it cuts; directories stay. */
  unmap(lo: bigint, hi: bigint): void {
    const clear = (table: Table, level: number, base: bigint, lo: bigint, hi: bigint): void => {
      const span = entrySpan(level);
      for (const [idx, slot] of slots(base, span, lo, hi)) {
        const entry = table.get(idx);
        if (entry === undefined) continue;
        const whole = lo <= slot && slot + span <= hi;
        if (entry.kind === 'leaf' && whole) { table.delete(idx); continue; }
        const dir = entry.kind === 'dir' ? entry : this.directory(table, idx, span);
        clear(dir.table, level - 1, slot, max(lo, slot), min(hi, slot + span));
      }
    };
    clear(this.root, this.top, 0n, lo, hi);
  }

  /** The permission of the directory entry of `span` bytes at `iova`, made to exist first. */
  protect(iova: bigint, span: bigint, perm: Perm): void {
    let table = this.root;
    for (let level = this.top; level >= 1; level--) {
      const s = entrySpan(level);
      const idx = Number((iova / s) % BigInt(ENTRIES));
      const dir = this.directory(table, idx, s);
      if (s === span) { dir.perm = perm; return; }
      table = dir.table;
    }
  }

  /** The leaf translating `iova` with its effective permission, or null (VIOMMU-XLATE-PERM-AND). */
  walk(iova: bigint): WalkedLeaf | null {
    let table = this.root;
    let above: Perm = 'rw';
    for (let level = this.top; level >= 0; level--) {
      const span = entrySpan(level);
      const entry = table.get(Number((iova / span) % BigInt(ENTRIES)));
      if (entry === undefined) return null;
      if (entry.kind === 'leaf') return this.walked(iova - (iova % span), span, entry, above);
      above = permAnd(above, entry.perm);
      table = entry.table;
    }
    return null;
  }

  /** Every leaf overlapping [lo, hi), ascending, with its effective permission. */
  leaves(lo: bigint, hi: bigint): WalkedLeaf[] {
    const found: WalkedLeaf[] = [];
    const visit = (table: Table, level: number, base: bigint, above: Perm): void => {
      const span = entrySpan(level);
      for (const [idx, slot] of slots(base, span, max(lo, base), min(hi, base + span * BigInt(ENTRIES)))) {
        const entry = table.get(idx);
        if (entry === undefined) continue;
        if (entry.kind === 'leaf') found.push(this.walked(slot, span, entry, above));
        else visit(entry.table, level - 1, slot, permAnd(above, entry.perm));
      }
    };
    visit(this.root, this.top, 0n, 'rw');
    return found;
  }

  private walked(iova: bigint, size: bigint, leaf: Leaf, above: Perm): WalkedLeaf {
    return { iova, size, pa: leaf.pa, perm: this.leafPermOnly ? leaf.perm : permAnd(above, leaf.perm) };
  }

  /** The directory at `idx`: created granting everything, or split out of the leaf there. */
  private directory(table: Table, idx: number, span: bigint): Directory {
    const entry = table.get(idx);
    if (entry?.kind === 'dir') return entry;
    const dir: Directory = entry === undefined ? { kind: 'dir', perm: 'rw', table: new Map() } : split(entry, span);
    table.set(idx, dir);
    return dir;
  }
}

/** The slots of a table at `base` whose entries of `span` bytes overlap [lo, hi): [index, iova]. */
function* slots(base: bigint, span: bigint, lo: bigint, hi: bigint): Generator<[number, bigint]> {
  if (lo >= hi) return;
  const first = (lo - base) / span;
  const last = (hi - 1n - base) / span;
  for (let i = first; i <= last; i++) yield [Number(i), base + i * span];
}
