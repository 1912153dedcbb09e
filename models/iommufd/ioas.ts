// One IOAS: its areas, allowed list, reserved ranges and the domains attached to it
// (L drivers/iommu/iommufd/io_pagetable.c: struct io_pagetable).
import type { IovaRange } from '../../spec/iommufd/ops.ts';
import { PAGE_SIZE } from '../host.ts';
import { IntervalMap } from '../interval-map.ts';
import type { IoptPages } from './pages.ts';
import { union, type Span } from './spans.ts';

export const TOP = 1n << 64n;

/** An iopt_area: [iova, iova + length) reaching bytes [startByte, ...) of `pages`. */
export interface Area {
  iova: bigint;
  length: bigint;
  pages: IoptPages;
  startByte: bigint;
  read: boolean;
  write: boolean;
  ioas: Ioas;
}

/** The page indexes of its iopt_pages an area covers. */
export const pageSpan = (a: Area): Span => [a.startByte / PAGE_SIZE, (a.startByte + a.length - 1n) / PAGE_SIZE + 1n];

/** An automatic domain: one per group attached to the IOAS, with the geometry of the device that made it. */
export interface Domain { group: number; pgsizes: bigint; aperture: IovaRange }

/** A reserved range and who holds it: a device's regions (`dev:N`) or a domain's aperture (`dom:G`). */
export interface Reserved { start: bigint; end: bigint; owner: string }

export const lowestBit = (v: bigint): bigint => v & -v;

export class Ioas {
  readonly areas = new IntervalMap<Area>();
  /** The allowed list, as given: [start, last + 1). Empty: no restriction. */
  allowed: Span[] = [];
  reserved: Reserved[] = [];
  readonly domains = new Map<number, Domain>();

  /** iopt->iova_alignment: the largest smallest page of its domains, 1 without one (iopt_calculate_iova_alignment). */
  get alignment(): bigint {
    let a = 1n;
    for (const d of this.domains.values()) if (lowestBit(d.pgsizes) > a) a = lowestBit(d.pgsizes);
    return a;
  }

  reservedSpans(): Span[] {
    return union(this.reserved.map((r) => [r.start, r.end]));
  }

  /** Whether [start, end) meets an area or an allowed range: iopt_reserve_iova's EADDRINUSE. */
  blocksReserve(start: bigint, end: bigint): boolean {
    return this.areas.overlapping(start, end).length > 0 || this.allowed.some(([s, e]) => s < end && start < e);
  }

  removeReserved(owner: string): void {
    this.reserved = this.reserved.filter((r) => r.owner !== owner);
  }

  /** Areas in ascending iova order. */
  areaList(): Area[] {
    return [...this.areas];
  }

  insertArea(a: Area): void {
    this.areas.insert(a.iova, a.iova + a.length, a);
    a.pages.areas.add(a);
  }

  removeArea(a: Area): void {
    this.areas.remove(a.iova);
    a.pages.areas.delete(a);
  }
}

/** The aperture's complement as reservations of the domain (iopt_table_add_domain). */
export function apertureReservations(d: Domain): Reserved[] {
  const out: Reserved[] = [];
  const owner = `dom:${d.group}`;
  if (d.aperture.start !== 0n) out.push({ start: 0n, end: d.aperture.start, owner });
  if (d.aperture.last !== TOP - 1n) out.push({ start: d.aperture.last + 1n, end: TOP, owner });
  return out;
}
