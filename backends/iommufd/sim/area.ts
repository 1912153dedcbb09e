// struct iopt_area: a range of IOVA that maps a slice of one iopt_pages.
import { PAGE_SHIFT, PAGE_SIZE } from '../../type1/sim/constants.ts';
import type { IoptPages, PagesUser } from './pages.ts';

export class Area implements PagesUser {
  /** area->pages_node: the page indexes of `pages` the area maps. */
  readonly startIndex: bigint;
  readonly lastIndex: bigint;
  /** area->page_offset: the byte offset of `iova` inside its first page. */
  readonly pageOffset: bigint;
  /** NULL until the area is fully initialised (iopt_map_pages sets it last). */
  pages: IoptPages | null = null;
  /** area->storage_domain != NULL: filled into the IOAS's domains, holding its pages. */
  filled = false;

  constructor(
    readonly iova: bigint,
    /** Inclusive. */
    readonly last: bigint,
    /** The iopt_pages the area takes its slice from (the list entry until `pages` is set). */
    readonly source: IoptPages,
    /** Byte offset of `iova` from source.uptr. */
    readonly startByte: bigint,
    readonly read: boolean,
    readonly write: boolean,
  ) {
    this.pageOffset = startByte % PAGE_SIZE;
    this.startIndex = startByte >> PAGE_SHIFT;
    this.lastIndex = (startByte + (last - iova)) >> PAGE_SHIFT;
  }

  get length(): bigint {
    return this.last - this.iova + 1n;
  }

  /** iopt_area_start_byte: the byte of the pages that `iova` (inside the area) maps. */
  startByteAt(iova: bigint): bigint {
    return this.startByte + (iova - this.iova);
  }
}
