// The argument checks every operation passes before it touches anything (VIOMMU-OP-ARGS,
// VIOMMU-REG-ARGS): a violation answers EINVAL and changes nothing.
import { NOTIFIER_ALL, PERMS, type Op, type Perm } from '../../../spec/viommu/ops.ts';
import { tableSpans, type BackendInfo } from '../../../spec/viommu/backend.ts';
import { isAligned } from './ranges.ts';

const below = (v: unknown, limit: number): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < limit;
const isPerm = (v: unknown): v is Perm => (PERMS as readonly unknown[]).includes(v);
const isAddr = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n;

export class ArgChecker {
  private readonly top: bigint;
  private readonly granule: bigint;
  private readonly spans: bigint[];

  constructor(private readonly info: BackendInfo) {
    this.top = 1n << BigInt(info.iovaBits);
    this.granule = info.pageSizes[0]!;
    this.spans = tableSpans(info);
  }

  private endpoint(v: unknown): boolean { return below(v, this.info.endpoints); }
  private domain(v: unknown): boolean { return below(v, this.info.domains); }
  private index(v: unknown): boolean { return below(v, this.info.indexes); }

  /** [iova, iova + size): non-empty, granule-aligned, below 2^iovaBits. */
  private range(iova: unknown, size: unknown): boolean {
    return isAddr(iova) && isAddr(size) && size > 0n && isAligned(iova, this.granule) && isAligned(size, this.granule) && iova + size <= this.top;
  }

  private iova(v: unknown): boolean { return isAddr(v) && v < this.top; }

  valid(op: Op): boolean {
    switch (op.op) {
      case 'attach': return this.endpoint(op.endpoint) && this.domain(op.domain);
      case 'detach': return this.endpoint(op.endpoint);
      case 'faults': return true;
      case 'map': {
        const { page, iova, size, pa } = op;
        return this.domain(op.domain) && isPerm(op.perm) && op.perm !== 'none'
          && this.info.pageSizes.includes(page) && isAddr(iova) && isAddr(size) && isAddr(pa) && size > 0n
          && isAligned(iova, page) && isAligned(pa, page) && isAligned(size, page)
          && iova + size <= this.top && pa + size <= 1n << 64n;
      }
      case 'unmap': return this.domain(op.domain) && this.range(op.iova, op.size);
      case 'protect':
        return this.domain(op.domain) && isPerm(op.perm) && this.spans.includes(op.span) && this.iova(op.iova) && isAligned(op.iova, op.span);
      case 'invalidate':
        switch (op.scope) {
          case 'range': return this.domain(op.domain) && this.range(op.iova, op.size);
          case 'domain': return this.domain(op.domain);
          case 'context': return this.endpoint(op.endpoint);
          case 'global': return true;
          default: return false;
        }
      case 'gate': return this.range(op.iova, op.size);
      case 'reset': return true;
      case 'dma': return this.endpoint(op.endpoint) && this.iova(op.iova) && (op.access === 'read' || op.access === 'write');
      case 'translate': return this.endpoint(op.endpoint) && this.index(op.index) && this.iova(op.iova) && isPerm(op.flag);
      case 'register': {
        const { flags, start, end } = op;
        return this.endpoint(op.endpoint) && this.index(op.index) && Number.isSafeInteger(flags) && flags > 0 && (flags & ~NOTIFIER_ALL) === 0
          && isAddr(start) && isAddr(end) && start <= end && end < this.top
          && isAligned(start, this.granule) && isAligned(end + 1n, this.granule);
      }
      case 'unregister': case 'replay': return Number.isSafeInteger(op.notifier);
    }
  }
}
