// struct io_pagetable (drivers/iommu/iommufd/io_pagetable.c): an IOAS's areas, its reserved and
// allowed ranges, the domains attached to it and the iova alignment they impose.
import type { Errno } from '../../../spec/iommufd/ops.ts';
import type { Device } from '../../../spec/iommufd/backend.ts';
import { PAGE_SIZE, U64_MAX } from '../../type1/sim/constants.ts';
import { partitionPoint } from '../../sorted.ts';
import { allocIova } from './alloc-iova.ts';
import { Area } from './area.ts';
import type { Domain } from './domain.ts';
import type { IommufdHost } from './host.ts';
import type { IoptPages } from './pages.ts';
import { hasBug, type Policy } from './policy.ts';
import { holes, overlaps, type IovaRange } from './ranges.ts';

/** struct iopt_pages_list: a slice of pages an area will map. */
export interface PagesSlice {
  readonly pages: IoptPages;
  readonly startByte: bigint;
  readonly length: bigint;
}

interface Reserved extends IovaRange {
  /** The domain (aperture) or the device (its reserved regions) that placed it. */
  readonly owner: object;
}

export interface Unmapped {
  unmapped: bigint;
  errno?: Errno;
}

export class IoPagetable {
  /** area_itree, ascending by iova. */
  private areas: Area[] = [];
  private reserved: Reserved[] = [];
  private allowed: IovaRange[] = [];
  readonly domains: Domain[] = [];
  /** iopt->iova_alignment: 1 for a table with no domain (iopt_init_table). */
  alignment = 1n;

  constructor(private readonly host: IommufdHost, private readonly policy: Policy) {}

  get isEmpty(): boolean {
    return this.areas.length === 0;
  }

  private areasIn(start: bigint, last: bigint): Area[] {
    const out: Area[] = [];
    for (let i = partitionPoint(this.areas, (a) => a.last >= start); i < this.areas.length && this.areas[i]!.iova <= last; i++) out.push(this.areas[i]!);
    return out;
  }

  private areaRanges(): IovaRange[] {
    return this.areas.map((a) => ({ start: a.iova, last: a.last }));
  }

  private isReserved(start: bigint, last: bigint): boolean {
    return this.reserved.some((r) => overlaps(r, start, last));
  }

  /** IOVA_RANGES: the holes of the reserved ranges over the whole space (ioas.c: iommufd_ioas_iova_ranges). */
  ranges(): IovaRange[] {
    return holes(this.reserved, 0n, U64_MAX);
  }

  /** iopt_check_iova: a FIXED range. */
  private checkIova(iova: bigint, length: bigint): Errno | undefined {
    // mutant map-eexist-first: the overlap is looked at before the alignment and reserved ranges.
    if (hasBug(this.policy, 'map-eexist-first') && iova + length - 1n <= U64_MAX && this.areasIn(iova, iova + length - 1n).length > 0) return 'EEXIST';
    if ((iova & (this.alignment - 1n)) !== 0n) return 'EINVAL';
    const last = iova + length - 1n;
    if (last > U64_MAX) return 'EOVERFLOW';
    if (this.isReserved(iova, last)) return 'EINVAL';
    if (this.areasIn(iova, last).length > 0) return 'EEXIST';
    return undefined;
  }

  private insert(area: Area): void {
    this.areas.splice(partitionPoint(this.areas, (a) => a.iova > area.iova), 0, area);
  }

  private remove(area: Area): void {
    const i = this.areas.indexOf(area);
    if (i >= 0) this.areas.splice(i, 1);
  }

  /** iopt_area_fill_domains: pin once, write into every domain; nothing to do with no domain. */
  private fillDomains(area: Area, pages: IoptPages): Errno | undefined {
    // mutant eager-pin: pages are pinned and charged at MAP even with no domain to fill.
    if (this.domains.length === 0 && !hasBug(this.policy, 'eager-pin')) return undefined;
    const err = pages.fill(area, this.host);
    if (err !== undefined) return err;
    const runs = pages.runs(area.startIndex, area.lastIndex);
    for (const d of this.domains) d.map(area, area.iova, area.last, area.read, area.write, area.startIndex, runs);
    area.filled = true;
    return undefined;
  }

  /** iopt_area_unfill_domains: unmap from every domain, then unpin what nothing else holds. */
  private unfillDomains(area: Area, pages: IoptPages): void {
    if (!area.filled) return;
    for (const d of this.domains) {
      // mutant unmap-stale-tail: the IOTLB flush misses the area's last page.
      if (hasBug(this.policy, 'unmap-stale-tail')) d.keepLastPage(area);
      else d.unmap(area);
    }
    pages.unfill(area, this.host, this.policy);
    area.filled = false;
  }

  /**
   * iopt_map_pages: place the slices one after the other at a FIXED iova or an allocated one,
   * then fill them into the domains; a failure leaves no area, pin or charge behind.
   */
  mapPages(list: readonly PagesSlice[], length: bigint, fixed: bigint | undefined, read: boolean, write: boolean): bigint | Errno {
    // iopt_alloc_area_pages
    if ((length & (this.alignment - 1n)) !== 0n || length === 0n) return 'EINVAL';
    let iova: bigint;
    if (fixed === undefined) {
      const got = allocIova({ iovaAlignment: this.alignment, allowed: this.allowed, used: [...this.reserved, ...this.areaRanges()], areas: this.areaRanges() }, this.policy, list[0]!.pages.uptr + list[0]!.startByte, length);
      if (typeof got !== 'bigint') return got;
      iova = got;
    } else {
      const err = this.checkIova(fixed, length);
      if (err !== undefined) return err;
      iova = fixed;
    }
    const created: Area[] = [];
    const abort = (errno: Errno): Errno => {
      for (const a of created) this.remove(a);
      return errno;
    };
    let at = iova;
    for (const elm of list) {
      // iopt_insert_area
      if (write && !elm.pages.writable) return abort('EPERM');
      if ((elm.startByte % PAGE_SIZE & (this.alignment - 1n)) !== 0n) return abort('EINVAL');
      if (at + elm.length - 1n > U64_MAX) return abort('EOVERFLOW');
      const area = new Area(at, at + elm.length - 1n, elm.pages, elm.startByte, read, write);
      this.insert(area);
      created.push(area);
      at += elm.length;
    }
    // iopt_fill_domains_pages: on failure the areas filled before are unfilled.
    for (let i = 0; i < created.length; i++) {
      const err = this.fillDomains(created[i]!, created[i]!.source);
      if (err !== undefined) {
        for (const a of created.slice(0, i)) this.unfillDomains(a, a.source);
        return abort(err);
      }
    }
    for (const a of created) a.pages = a.source;
    return iova;
  }

  /** iopt_get_pages: the slices behind [iova, iova + length), which contiguous areas must cover. */
  getPages(iova: bigint, length: bigint): PagesSlice[] | Errno {
    if (length === 0n) return 'EINVAL';
    const last = iova + length - 1n;
    if (last > U64_MAX) return 'EOVERFLOW';
    const out: PagesSlice[] = [];
    let cur = iova;
    for (const area of this.areasIn(iova, last)) {
      if (area.iova > cur || area.pages === null) return 'ENOENT';
      const end = area.last < last ? area.last : last;
      out.push({ pages: area.pages, startByte: area.startByteAt(cur), length: end - cur + 1n });
      if (end === last) return out;
      cur = end + 1n;
    }
    return 'ENOENT';
  }

  /**
   * iopt_unmap_iova_range: remove the areas meeting [start, last] in ascending order; one that is
   * not wholly inside stops the walk with ENOENT, and those removed before it stay removed.
   */
  unmapRange(start: bigint, last: bigint): Unmapped {
    const hit = this.areasIn(start, last);
    // mutant unmap-rollback: every area is checked before any is removed.
    if (hasBug(this.policy, 'unmap-rollback') && hit.some((a) => a.iova < start || a.last > last)) return { unmapped: 0n, errno: 'ENOENT' };
    let unmapped = 0n;
    for (const area of hit) {
      if (area.iova < start || area.last > last) {
        // mutant unmap-split: the area is cut at the range's edges and the inside removed.
        if (hasBug(this.policy, 'unmap-split')) {
          unmapped += this.splitOut(area, start, last);
          continue;
        }
        return { unmapped, errno: 'ENOENT' };
      }
      this.removeArea(area);
      unmapped += area.length;
    }
    return { unmapped };
  }

  private removeArea(area: Area): void {
    if (area.pages !== null) this.unfillDomains(area, area.pages);
    this.remove(area);
  }

  /** mutant unmap-split: keep the parts of `area` outside [start, last]; returns the bytes removed. */
  private splitOut(area: Area, start: bigint, last: bigint): bigint {
    const pages = area.pages!;
    const parts: Area[] = [];
    if (area.iova < start) parts.push(new Area(area.iova, start - 1n, pages, area.startByte, area.read, area.write));
    if (area.last > last) parts.push(new Area(last + 1n, area.last, pages, area.startByteAt(last + 1n), area.read, area.write));
    for (const p of parts) {
      if (area.filled) this.fillDomains(p, pages);
      p.pages = pages;
    }
    this.removeArea(area);
    for (const p of parts) this.insert(p);
    return area.length - parts.reduce((n, p) => n + p.length, 0n);
  }

  /** iopt_unmap_all: every area; succeeds on an empty table. */
  unmapAll(): Unmapped {
    const r = this.unmapRange(0n, U64_MAX);
    // mutant unmap-all-empty-enoent: an empty table answers ENOENT.
    if (r.unmapped === 0n && r.errno === undefined && hasBug(this.policy, 'unmap-all-empty-enoent')) return { unmapped: 0n, errno: 'ENOENT' };
    return r;
  }

  /** iopt_set_allow_iova: replace the allowed list, unless one of them meets a reserved range. */
  setAllowed(ranges: readonly IovaRange[]): Errno | undefined {
    if (ranges.some((r) => this.isReserved(r.start, r.last))) return 'EADDRINUSE';
    this.allowed = ranges.map((r) => ({ ...r }));
    return undefined;
  }

  /** iopt_reserve_iova: a reserved range may meet no area and no allowed range. */
  reserve(start: bigint, last: bigint, owner: object): Errno | undefined {
    if (this.areasIn(start, last).length > 0 || this.allowed.some((r) => overlaps(r, start, last))) return 'EADDRINUSE';
    this.reserved.push({ start, last, owner });
    return undefined;
  }

  removeReserved(owner: object): void {
    this.reserved = this.reserved.filter((r) => r.owner !== owner);
  }

  /** iopt_table_enforce_dev_resv_regions: all of the device's regions, or none. */
  enforceDeviceRegions(decl: Device, owner: object): Errno | undefined {
    for (const r of decl.reserved) {
      const err = this.reserve(r.start, r.last, owner);
      if (err !== undefined) {
        // mutant attach-conflict-keeps-reservation: the regions reserved before the conflict stay.
        if (!hasBug(this.policy, 'attach-conflict-keeps-reservation')) this.removeReserved(owner);
        return err;
      }
    }
    return undefined;
  }

  /**
   * iopt_table_add_domain: the domain's smallest page becomes the alignment (more than PAGE_SIZE:
   * EINVAL; an area not aligned to it: EADDRINUSE), the space outside its aperture is reserved,
   * and every area is filled into it; on failure nothing changes.
   */
  addDomain(domain: Domain): Errno | undefined {
    const newAlignment = domain.minPage > this.alignment ? domain.minPage : this.alignment;
    if (newAlignment > PAGE_SIZE) return 'EINVAL';
    if (newAlignment !== this.alignment && this.areas.some((a) => ((a.iova | a.length | a.pageOffset) & (newAlignment - 1n)) !== 0n)) return 'EADDRINUSE';
    const { start, last } = domain.decl.aperture;
    const err = (start !== 0n ? this.reserve(0n, start - 1n, domain) : undefined)
      ?? (last !== U64_MAX ? this.reserve(last + 1n, U64_MAX, domain) : undefined);
    if (err !== undefined) {
      // mutant attach-conflict-keeps-reservation: the aperture reservation made before the conflict stays.
      if (!hasBug(this.policy, 'attach-conflict-keeps-reservation')) this.removeReserved(domain);
      return err;
    }
    const fillErr = this.fillDomain(domain);
    if (fillErr !== undefined) {
      this.removeReserved(domain);
      return fillErr;
    }
    this.alignment = newAlignment;
    this.domains.push(domain);
    return undefined;
  }

  /** iopt_fill_domain: with another domain present the pages are already pinned and only mapped. */
  private fillDomain(domain: Domain): Errno | undefined {
    // mutant attach-no-replay: the existing areas are not written into the new domain.
    if (hasBug(this.policy, 'attach-no-replay')) return undefined;
    const first = this.domains.length === 0;
    const done: Area[] = [];
    for (const area of this.areas) {
      const pages = area.pages;
      if (pages === null) continue;
      if (first && !area.filled) {
        const err = pages.fill(area, this.host);
        if (err !== undefined) {
          for (const a of done) {
            a.pages!.unfill(a, this.host, this.policy);
            a.filled = false;
          }
          domain.clear();
          return err;
        }
        area.filled = true;
        done.push(area);
      }
      domain.map(area, area.iova, area.last, area.read, area.write, area.startIndex, pages.runs(area.startIndex, area.lastIndex));
    }
    return undefined;
  }

  /**
   * iopt_table_remove_domain: the last domain to leave unpins every area (iopt_unfill_domain);
   * its aperture reservations go, and the alignment falls back to what the rest need.
   */
  removeDomain(domain: Domain): void {
    const i = this.domains.indexOf(domain);
    if (i < 0) return;
    this.domains.splice(i, 1);
    if (this.domains.length === 0) {
      for (const area of this.areas) {
        if (!area.filled || area.pages === null) continue;
        area.pages.unfill(area, this.host, this.policy);
        area.filled = false;
      }
    }
    // mutant detach-stale: the domain's entries are not flushed when it leaves the IOAS.
    if (!hasBug(this.policy, 'detach-stale')) domain.clear();
    this.removeReserved(domain);
    this.alignment = this.domains.reduce((m, d) => (d.minPage > m ? d.minPage : m), 1n);
  }
}
