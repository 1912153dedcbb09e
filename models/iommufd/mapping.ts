// IOAS_MAP, IOAS_COPY and IOAS_UNMAP on the model's context, check by check in the kernel's
// order (IOMMUFD-MAP-ORDER, spec/iommufd/README.md). A refused operation reports every check
// that fails, in order: the first decides, the others are the errnos of a backend that checks
// in the wrong order.
import { MAP_FLAG, type Errno } from '../../spec/iommufd/ops.ts';
import type { RuleId } from '../../spec/iommufd/rules.ts';
import { U64_MAX } from '../../spec/u64.ts';
import { PAGE_SIZE } from '../host.ts';
import { kernelIova } from './alloc.ts';
import type { Refusal } from './devices.ts';
import { TOP, type Area, type Ioas } from './ioas.ts';
import { IoptPages } from './pages.ts';
import { meets } from './spans.ts';
import type { Context } from './state.ts';

const KNOWN = MAP_FLAG.FIXED_IOVA | MAP_FLAG.WRITEABLE | MAP_FLAG.READABLE;

/** A slice of an iopt_pages that becomes one area: bytes [startByte, startByte + length). */
export interface Piece { pages: IoptPages; startByte: bigint; length: bigint }

/**
 * `backport`: where Linux answers ENOSPC but a kernel capping the allocator's alignment at the
 * huge page size finds room, what that kernel answers (IOMMUFD-MAP-ALLOC, variant).
 */
export type Placed =
  | { ok: true; iova: bigint; areas: Area[]; lazy: boolean }
  | { ok: false; fails: Refusal[]; backport?: Backport };

/** The backported kernel's answer, and how to make its placement at the iova it chose. */
export interface Backport { errno: Errno | null; placeAt(iova: bigint): Placed }

/** The flag, bound and permission checks IOAS_MAP and IOAS_COPY share, before any lookup. */
export function argChecks(flags: number, u64s: readonly bigint[], rules: { flags: RuleId; overflow: RuleId; perm: RuleId }): Refusal[] {
  const fails: Refusal[] = [];
  if ((flags & ~KNOWN) !== 0) fails.push({ errno: 'EOPNOTSUPP', rule: rules.flags });
  if (u64s.some((v) => v >= U64_MAX)) fails.push({ errno: 'EOVERFLOW', rule: rules.overflow });
  if ((flags & (MAP_FLAG.READABLE | MAP_FLAG.WRITEABLE)) === 0) fails.push({ errno: 'EINVAL', rule: rules.perm });
  return fails;
}

/** The iova checks of a FIXED_IOVA request (io_pagetable.c: iopt_check_iova). */
function fixedChecks(ioas: Ioas, iova: bigint, length: bigint): Refusal[] {
  const fails: Refusal[] = [];
  if (iova % ioas.alignment !== 0n) fails.push({ errno: 'EINVAL', rule: 'IOMMUFD-MAP-ALIGN' });
  if (iova + length - 1n > U64_MAX) return [...fails, { errno: 'EOVERFLOW', rule: 'IOMMUFD-MAP-OVERFLOW' }];
  if (meets(ioas.reservedSpans(), iova, iova + length)) fails.push({ errno: 'EINVAL', rule: 'IOMMUFD-MAP-RESERVED' });
  if (ioas.hasAreaIn(iova, iova + length)) fails.push({ errno: 'EEXIST', rule: 'IOMMUFD-MAP-OVERLAP' });
  return fails;
}

const ALLOC_RULE: Partial<Record<Errno, RuleId>> = { EOVERFLOW: 'IOMMUFD-MAP-OVERFLOW', EINVAL: 'IOMMUFD-MAP-ALIGN', ENOSPC: 'IOMMUFD-MAP-ALLOC' };

/**
 * Places `pieces` back to back in `ioas` and fills them when it has a domain
 * (io_pagetable.c: iopt_map_pages, iopt_alloc_area_pages, iopt_insert_area). `allocUptr` is the
 * user address the allocator aligns to. Nothing changes on failure (IOMMUFD-MAP-ATOMIC).
 */
export function place(ctx: Context, ioas: Ioas, pieces: readonly Piece[], length: bigint, iovaIn: bigint, flags: number, allocUptr: bigint): Placed {
  const fails: Refusal[] = [];
  const align = ioas.alignment;
  if (length % align !== 0n) fails.push({ errno: 'EINVAL', rule: 'IOMMUFD-MAP-ALIGN' });
  let iova = iovaIn;
  if (flags & MAP_FLAG.FIXED_IOVA) fails.push(...fixedChecks(ioas, iova, length));
  else {
    const got = kernelIova(ioas, allocUptr, length);
    if (typeof got === 'string') fails.push({ errno: got, rule: ALLOC_RULE[got]! });
    else iova = got;
  }
  const write = (flags & MAP_FLAG.WRITEABLE) !== 0;
  for (const p of pieces) {
    if (write && !p.pages.writable) fails.push({ errno: 'EPERM', rule: 'IOMMUFD-COPY-WRITE' });
    if ((p.startByte % PAGE_SIZE) % align !== 0n) fails.push({ errno: 'EINVAL', rule: 'IOMMUFD-MAP-ALIGN' });
  }
  if (fails.length > 0) {
    const backport = fails[0]!.errno === 'ENOSPC' ? cappedOutcome(ctx, ioas, pieces, length, flags, allocUptr) : undefined;
    return { ok: false, fails, ...(backport ? { backport } : {}) };
  }
  const areas: Area[] = [];
  let at = iova;
  for (const p of pieces) {
    const a: Area = { iova: at, length: p.length, pages: p.pages, startByte: p.startByte, read: (flags & MAP_FLAG.READABLE) !== 0, write, ioas };
    ioas.insertArea(a);
    areas.push(a);
    at += p.length;
  }
  const lazy = ioas.domains.size === 0;
  const err = lazy ? null : ctx.fill(areas);
  if (err) {
    for (const a of areas) ioas.removeArea(a);
    return { ok: false, fails: [{ errno: err, rule: err === 'ENOMEM' ? 'IOMMUFD-MAP-RLIMIT' : 'IOMMUFD-MAP-UNBACKED' }] };
  }
  return { ok: true, iova, areas, lazy };
}

/**
 * What a kernel whose allocator caps its alignment answers where Linux v6.12 answers ENOSPC: a
 * trial placement at the iova it finds, undone at once. The cap is HPAGE_SIZE with transparent
 * huge pages and PAGE_SIZE without; the first that finds room decides. Undefined when neither
 * does.
 */
function cappedOutcome(ctx: Context, ioas: Ioas, pieces: readonly Piece[], length: bigint, flags: number, allocUptr: bigint): Backport | undefined {
  const at = [ctx.info.host.hugePageSize, PAGE_SIZE].map((cap) => kernelIova(ioas, allocUptr, length, cap)).find((v) => typeof v !== 'string');
  if (at === undefined || typeof at === 'string') return undefined;
  const placeAt = (iova: bigint): Placed => place(ctx, ioas, pieces, length, iova, flags | MAP_FLAG.FIXED_IOVA, allocUptr);
  const trial = placeAt(at);
  if (!trial.ok) return { errno: trial.fails[0]!.errno, placeAt };
  for (const a of trial.areas) ioas.removeArea(a);
  ctx.refresh(new Set(trial.areas.map((a) => a.pages)));
  return { errno: null, placeAt };
}

/** IOAS_MAP after its argument checks and the IOAS lookup (pages.c: iopt_alloc_pages onwards). */
export function mapUser(ctx: Context, ioas: Ioas, flags: number, iova: bigint, vaddr: bigint, length: bigint): Placed {
  const fails: Refusal[] = [];
  if (length === 0n || length > U64_MAX - PAGE_SIZE) fails.push({ errno: 'EINVAL', rule: 'IOMMUFD-MAP-LENGTH-ZERO' });
  if (vaddr + length >= TOP) fails.push({ errno: 'EOVERFLOW', rule: 'IOMMUFD-MAP-OVERFLOW' });
  if (fails.length > 0) return { ok: false, fails };
  const uptr = vaddr - (vaddr % PAGE_SIZE);
  const pages = new IoptPages(uptr, (flags & MAP_FLAG.WRITEABLE) !== 0, ctx.newPagesMode());
  return place(ctx, ioas, [{ pages, startByte: vaddr - uptr, length }], length, iova, flags, vaddr);
}

/**
 * The pieces of the source range [iova, iova + length) of `ioas`, one per area it spans, or
 * null when back-to-back areas do not cover it (io_pagetable.c: iopt_get_pages).
 */
export function sourcePieces(ioas: Ioas, iova: bigint, length: bigint): Piece[] | null {
  const pieces: Piece[] = [];
  const end = iova + length;
  let at = iova;
  while (at < end) {
    const a = ioas.areas.containing(at);
    if (!a) return null;
    const stop = a.iova + a.length < end ? a.iova + a.length : end;
    pieces.push({ pages: a.pages, startByte: a.startByte + (at - a.iova), length: stop - at });
    at = stop;
  }
  return pieces;
}

/** `shared`: a removed area's pages are still referenced by another area (IOMMUFD-COPY-SHARE). */
export type Unmapped = { ok: true; unmapped: bigint; shared: boolean } | { ok: false; errno: Errno; rule: RuleId; removed: bigint };

/**
 * Removes the areas meeting [start, end) in ascending order, each whole, stopping at the first
 * that is not wholly inside: those removed before stay removed (io_pagetable.c:
 * iopt_unmap_iova_range; IOMMUFD-UNMAP-PARTIAL).
 */
export function unmapRange(ctx: Context, ioas: Ioas, start: bigint, end: bigint, all: boolean): Unmapped {
  let removed = 0n;
  const touched = new Set<IoptPages>();
  for (const a of ioas.areas.overlapping(start, end)) {
    if (a.iova < start || a.iova + a.length > end) {
      return { ok: false, errno: 'ENOENT', rule: removed > 0n ? 'IOMMUFD-UNMAP-PARTIAL' : 'IOMMUFD-UNMAP-WHOLE', removed };
    }
    ioas.removeArea(a);
    ctx.refresh([a.pages]);
    touched.add(a.pages);
    removed += a.length;
  }
  if (removed === 0n && !all) return { ok: false, errno: 'ENOENT', rule: 'IOMMUFD-UNMAP-EMPTY', removed };
  return { ok: true, unmapped: removed, shared: [...touched].some((p) => p.areas.size > 0) };
}
