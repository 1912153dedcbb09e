// Where a case puts things, derived from the backend's declaration only: host memory in slots
// of the arena, and iovas at the places where iommufd's checks change their answer (the edges
// of every focus device's aperture and reserved regions, the top of the 64-bit space) and in a
// busy window inside the first device's aperture where areas collide.
import type { BackendInfo } from '../../spec/iommufd/backend.ts';
import { U64_MAX } from '../../spec/u64.ts';

export const alignUp = (v: bigint, to: bigint): bigint => ((v + to - 1n) / to) * to;
export const alignDown = (v: bigint, to: bigint): bigint => v - (v % to);
export const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
/** One past the last u64: the end of a range that reaches 2^64-1. */
export const U64_END = U64_MAX + 1n;

/** The arena is cut into this many slots, where mmaps go. */
export const SLOTS = 12;
/** How many devices a case focuses on. */
const FOCUS_DEVICES = 3;
/** Where the busy window starts, when the first device's aperture holds it. */
const BUSY_BASE = 0x100_0000n;
/** How many units of the busy window a map may start at. */
export const BUSY_SPAN = 48;

export interface Layout {
  info: BackendInfo;
  /** The CPU page. */
  page: bigint;
  /** The iova unit: the largest smallest page any focus device's domain imposes, at least a CPU page (IOMMUFD-ATTACH-ALIGN). */
  unit: bigint;
  /** How many devices the case uses: the first few declared. */
  devices: number;
  /** Slot `i` is [slotBase + i * slotSize, + slotSize), inside the arena; hugetlb slots are huge-page aligned when slotAlign says so. */
  slotBase: bigint;
  slotSize: bigint;
  slotAlign: bigint;
  slots: number;
  /** The start of the busy window, inside the first device's aperture and clear of its reserved regions when it can be. */
  busy: bigint;
  /** Interesting iovas, aligned to `unit`: the busy window first, then every edge of the geometry. */
  anchors: bigint[];
  /** Every reserved range a focus device brings when attached, its aperture's outside included, for aiming. */
  reserved: { start: bigint; last: bigint }[];
}

/** The smallest page of a domain's pgsize_bitmap. */
export const smallestPage = (pgsizes: bigint): bigint => pgsizes & -pgsizes;

export function layoutOf(info: BackendInfo): Layout {
  const page = info.host.pageSize;
  const focus = info.devices.slice(0, FOCUS_DEVICES);
  const unit = focus.reduce((u, d) => maxB(u, smallestPage(d.pgsizes)), page);
  const { arena, hugePageSize } = info.host;
  const end = arena.start + arena.size;
  // Huge-page aligned slots when the arena holds SLOTS of them, else page aligned.
  let slotAlign = hugePageSize > unit && arena.size / BigInt(SLOTS) >= 2n * hugePageSize ? hugePageSize : unit;
  let slotBase = alignUp(arena.start, slotAlign);
  let slotSize = slotBase < end ? alignDown((end - slotBase) / BigInt(SLOTS), slotAlign) : 0n;
  if (slotSize === 0n) { slotAlign = page; slotBase = alignUp(arena.start, page); slotSize = slotBase < end ? alignDown((end - slotBase) / BigInt(SLOTS), page) : 0n; }
  const slots = slotSize > 0n ? SLOTS : 0;

  const first = focus[0]!;
  const clear = (s: bigint): boolean => s >= first.aperture.start && s + BigInt(BUSY_SPAN) * unit - 1n <= first.aperture.last &&
    !first.reserved.some((r) => r.start <= s + BigInt(BUSY_SPAN) * unit - 1n && s <= r.last);
  const candidates = [BUSY_BASE, alignUp(first.aperture.start, unit), ...first.reserved.map((r) => alignUp(r.last + 1n, unit))]
    .map((v) => maxB(alignUp(v, unit), unit));
  const busy = candidates.find(clear) ?? candidates[0]!;

  const reserved: Layout['reserved'] = [];
  const edges: bigint[] = [];
  for (const d of focus) {
    if (d.aperture.start > 0n) reserved.push({ start: 0n, last: d.aperture.start - 1n });
    if (d.aperture.last < U64_MAX) reserved.push({ start: d.aperture.last + 1n, last: U64_MAX });
    reserved.push(...d.reserved);
    edges.push(alignUp(d.aperture.start, unit), alignUp(d.aperture.last + 1n, unit));
    for (const r of d.reserved) edges.push(alignDown(r.start, unit), alignUp(r.last + 1n, unit));
  }
  edges.push(U64_END - 4n * unit);
  const anchors = [busy, ...new Set(edges.filter((e) => e < U64_END).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))];
  return { info, page, unit, devices: Math.min(info.devices.length, FOCUS_DEVICES), slotBase, slotSize, slotAlign, slots, busy, anchors, reserved };
}

/** The base address of slot `i` (modulo the slots), or undefined when the arena holds none. */
export const slotAddr = (l: Layout, i: number): bigint | undefined =>
  l.slots === 0 ? undefined : l.slotBase + BigInt(i % l.slots) * l.slotSize;
