// SMMUv3 commands (Arm SMMUv3 specification, 4.3 and 4.4) for each `invalidate` scope:
//   range   -> TLBI_NH_VA by ASID: with IDR3.RIL, range commands (TG 4 KiB, SCALE, NUM) that
//              cover exactly [iova, iova + size); without it, one per page up to a bound,
//              beyond which the whole ASID
//   domain  -> TLBI_NH_ASID
//   context -> CFGI_STE of the endpoint's StreamID
//   global  -> CFGI_ALL and TLBI_NH_ALL
// The queue (queues.ts) ends every batch with CMD_SYNC.
import type { InvalidateScope } from '../../spec/viommu/ops.ts';
import { PAGE } from './layout.ts';
import { asidOf } from './stream-table.ts';

/** One 16-byte command: its two 64-bit words. */
export type Command = [bigint, bigint];

const CFGI_STE = 0x03n;
const CFGI_STE_RANGE = 0x04n;
const TLBI_NH_ALL = 0x10n;
const TLBI_NH_ASID = 0x11n;
const TLBI_NH_VA = 0x12n;
const SYNC = 0x46n;

/** Without range invalidation, beyond this many pages a range is invalidated ASID-wide. */
const MAX_PAGE_COMMANDS = 32n;
/** NUM is five bits: a range command covers (NUM + 1) << SCALE pages. */
const NUM_MASK = 31n;
/** TG 0b01: the range is counted in 4 KiB pages. */
const TG_4K = 1n;

export const cfgiSte = (sid: number): Command => [CFGI_STE | (BigInt(sid) << 32n), 1n /* Leaf */];
/** CFGI_ALL is CFGI_STE_RANGE with Range 31: every StreamID. */
export const cfgiAll = (): Command => [CFGI_STE_RANGE, 31n];
export const tlbiAll = (): Command => [TLBI_NH_ALL, 0n];
export const tlbiAsid = (domain: number): Command => [TLBI_NH_ASID | (asidOf(domain) << 48n), 0n];
/** CS 0: no signal; completion is seen by the consumer index passing it. */
export const sync = (): Command => [SYNC, 0n];

/** One page at `iova` (TG 0), or with `pages` = (num + 1) << scale a range from it (TG 4 KiB). */
function tlbiVa(domain: number, iova: bigint, range?: { num: bigint; scale: bigint }): Command {
  const asid = asidOf(domain) << 48n;
  if (!range) return [TLBI_NH_VA | asid, iova];
  return [TLBI_NH_VA | asid | (range.num << 12n) | (range.scale << 20n), iova | (TG_4K << 10n)];
}

/**
 * [iova, iova + size) as range commands, as Linux's arm_smmu_tlb_inv_range_cmd splits it: the
 * lowest set bit of the remaining page count is SCALE, up to 31 chunks of 2^SCALE pages each.
 * QEMU (smmuv3_range_inval) covers (NUM + 1) << SCALE pages from the address: the exact range.
 */
export function rangeCommands(domain: number, iova: bigint, size: bigint, ril: boolean): Command[] {
  let pages = size / PAGE;
  if (!ril) {
    if (pages > MAX_PAGE_COMMANDS) return [tlbiAsid(domain)];
    return Array.from({ length: Number(pages) }, (_, i) => tlbiVa(domain, iova + BigInt(i) * PAGE));
  }
  const out: Command[] = [];
  let at = iova;
  while (pages > 0n) {
    let scale = 0n;
    while (((pages >> scale) & 1n) === 0n) scale++;
    const chunks = (pages >> scale) & NUM_MASK; // odd, so at least 1
    out.push(tlbiVa(domain, at, { num: chunks - 1n, scale }));
    at += (chunks << scale) * PAGE;
    pages -= chunks << scale;
  }
  return out;
}

export function commandsFor(scope: InvalidateScope, sidOf: (endpoint: number) => number, ril: boolean): Command[] {
  switch (scope.scope) {
    case 'range': return rangeCommands(scope.domain, scope.iova, scope.size, ril);
    case 'domain': return [tlbiAsid(scope.domain)];
    case 'context': return [cfgiSte(sidOf(scope.endpoint))];
    case 'global': return [cfgiAll(), tlbiAll()];
  }
}
