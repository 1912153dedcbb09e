// VT-d invalidation descriptors for each `invalidate` scope: legacy mode's, and scalable mode's
// PASID-based ones (their 256-bit form's upper half is zero: machine.ts writes it).
import type { InvalidateScope } from '../spec/viommu/ops.ts';
import { PAGE } from './layout.ts';

export type Descriptor = [lo: bigint, hi: bigint];

const CONTEXT_CACHE = 0x1n;
const IOTLB = 0x2n;
const PASID_IOTLB = 0x6n;
const PASID_CACHE = 0x7n;
const GLOBAL = 1n, DOMAIN = 2n, DEVICE_OR_PAGE = 3n;
/** P_IOTLB granularity (bits 5:4): every page of a PASID in a domain, or pages of it. */
const ALL_IN_PASID = 2n, PAGES_IN_PASID = 3n;
/** PC_INV granularity (bits 5:4): one PASID of a domain, or everything. */
const PASID_SELECTIVE = 1n, PC_GLOBAL = 3n;
/** IOTLB invalidations also drain reads and writes (DR, DW), as drivers ask. */
const DRAIN = (1n << 6n) | (1n << 7n);

/** Beyond this many page-selective descriptors a range is invalidated domain-wide. */
const MAX_PAGE_DESCRIPTORS = 32;

export const didOf = (domain: number): bigint => BigInt(domain + 1);

export const contextGlobal = (): Descriptor => [CONTEXT_CACHE | (GLOBAL << 4n), 0n];
export const contextDevice = (sid: number): Descriptor => [CONTEXT_CACHE | (DEVICE_OR_PAGE << 4n) | (BigInt(sid) << 32n), 0n];
export const iotlbGlobal = (): Descriptor => [IOTLB | (GLOBAL << 4n) | DRAIN, 0n];
export const iotlbDomain = (domain: number): Descriptor => [IOTLB | (DOMAIN << 4n) | DRAIN | (didOf(domain) << 16n), 0n];
export const iotlbPages = (domain: number, addr: bigint, am: bigint): Descriptor =>
  [IOTLB | (DEVICE_OR_PAGE << 4n) | DRAIN | (didOf(domain) << 16n), addr | am];

/** PASID-based IOTLB invalidation (P_IOTLB): no drain bits, those are reserved in it. */
const pasidBits = (domain: number, pasid: number): bigint => (didOf(domain) << 16n) | (BigInt(pasid) << 32n);
export const pasidIotlbAll = (domain: number, pasid: number): Descriptor => [PASID_IOTLB | (ALL_IN_PASID << 4n) | pasidBits(domain, pasid), 0n];
export const pasidIotlbPages = (domain: number, pasid: number, addr: bigint, am: bigint): Descriptor =>
  [PASID_IOTLB | (PAGES_IN_PASID << 4n) | pasidBits(domain, pasid), addr | am];
/** PASID-cache invalidation (PC_INV). */
export const pasidCache = (domain: number, pasid: number): Descriptor => [PASID_CACHE | (PASID_SELECTIVE << 4n) | pasidBits(domain, pasid), 0n];
export const pasidCacheGlobal = (): Descriptor => [PASID_CACHE | (PC_GLOBAL << 4n), 0n];

/**
 * [iova, iova + size) as naturally aligned blocks of 2^am pages, am <= mamv (CAP.MAMV): the
 * exact cover, so nothing outside the range is invalidated unless it takes too many (then
 * `whole`). `pages` makes one block's descriptor: legacy page-selective, or P_IOTLB's.
 */
export function pageSelective(
  domain: number, iova: bigint, size: bigint, mamv: bigint,
  pages: (addr: bigint, am: bigint) => Descriptor = (addr, am) => iotlbPages(domain, addr, am),
  whole: Descriptor = iotlbDomain(domain),
): Descriptor[] {
  const out: Descriptor[] = [];
  let at = iova;
  const end = iova + size;
  while (at < end) {
    let am = 0n;
    while (am < mamv && at % (PAGE << (am + 1n)) === 0n && at + (PAGE << (am + 1n)) <= end) am++;
    out.push(pages(at, am));
    if (out.length > MAX_PAGE_DESCRIPTORS) return [whole];
    at += PAGE << am;
  }
  return out;
}

export function descriptorsFor(scope: InvalidateScope, sidOf: (endpoint: number) => number, mamv: bigint): Descriptor[] {
  switch (scope.scope) {
    case 'range': return pageSelective(scope.domain, scope.iova, scope.size, mamv);
    case 'domain': return [iotlbDomain(scope.domain)];
    case 'context': return [contextDevice(sidOf(scope.endpoint))];
    case 'global': return [contextGlobal(), iotlbGlobal()];
  }
}
