// The argument checks of spec/viommu/operations.md "Arguments" (VIOMMU-OP-ARGS): made before
// anything reaches QEMU, so an invalid operation answers EINVAL and programs nothing. The
// hardware itself would take any bits we wrote; the contract is about the operations.
import { tableSpans, type BackendInfo } from '../spec/viommu/backend.ts';
import { PERMS, type Op } from '../spec/viommu/ops.ts';

const isIndex = (v: unknown, count: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < count;
const isU64 = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n && v < 1n << 64n;
const aligned = (v: bigint, to: bigint): boolean => v % to === 0n;

export function argumentsValid(info: BackendInfo, op: Op): boolean {
  const top = 1n << BigInt(info.iovaBits);
  const granule = info.pageSizes[0]!;
  const endpoint = (v: unknown) => isIndex(v, info.endpoints);
  const domain = (v: unknown) => isIndex(v, info.domains);
  // A non-empty, granule-aligned range below TOP.
  const range = (iova: unknown, size: unknown) =>
    isU64(iova) && isU64(size) && size > 0n && aligned(iova, granule) && aligned(size, granule) && iova + size <= top;
  switch (op.op) {
    case 'attach': return endpoint(op.endpoint) && domain(op.domain);
    case 'detach': return endpoint(op.endpoint);
    case 'map':
      return domain(op.domain) && PERMS.includes(op.perm) && op.perm !== 'none' && info.pageSizes.includes(op.page)
        && isU64(op.iova) && isU64(op.size) && isU64(op.pa) && op.size > 0n
        && aligned(op.iova, op.page) && aligned(op.size, op.page) && aligned(op.pa, op.page)
        && op.iova + op.size <= top && op.pa + op.size <= 1n << 64n;
    case 'unmap': return domain(op.domain) && range(op.iova, op.size);
    case 'protect':
      return domain(op.domain) && PERMS.includes(op.perm) && tableSpans(info).includes(op.span)
        && isU64(op.iova) && op.iova < top && aligned(op.iova, op.span);
    case 'invalidate':
      switch (op.scope) {
        case 'range': return domain(op.domain) && range(op.iova, op.size);
        case 'domain': return domain(op.domain);
        case 'context': return endpoint(op.endpoint);
        case 'global': return true;
        default: return false;
      }
    case 'gate': return typeof op.ns === 'boolean' && range(op.iova, op.size);
    case 'reset': return true;
    case 'dma': return endpoint(op.endpoint) && isU64(op.iova) && op.iova < top && (op.access === 'read' || op.access === 'write')
      && typeof op.secure === 'boolean';
    case 'faults': return true;
    default: return false;
  }
}
