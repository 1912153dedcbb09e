// VT-d invalidation descriptors (legacy 128-bit form) for each `invalidate` scope.
import type { InvalidateScope } from '../spec/viommu/ops.ts';
import { PAGE } from './layout.ts';

export type Descriptor = [lo: bigint, hi: bigint];

const CONTEXT_CACHE = 0x1n;
const IOTLB = 0x2n;
const GLOBAL = 1n, DOMAIN = 2n, DEVICE_OR_PAGE = 3n;
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

/**
 * [iova, iova + size) as naturally aligned blocks of 2^am pages, am <= mamv (CAP.MAMV): the
 * exact cover, so nothing outside the range is invalidated unless it takes too many.
 */
export function pageSelective(domain: number, iova: bigint, size: bigint, mamv: bigint): Descriptor[] {
  const out: Descriptor[] = [];
  let at = iova;
  const end = iova + size;
  while (at < end) {
    let am = 0n;
    while (am < mamv && at % (PAGE << (am + 1n)) === 0n && at + (PAGE << (am + 1n)) <= end) am++;
    out.push(iotlbPages(domain, at, am));
    if (out.length > MAX_PAGE_DESCRIPTORS) return [iotlbDomain(domain)];
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
