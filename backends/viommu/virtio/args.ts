// The argument checks of spec/viommu/operations.md "Arguments": whatever the profile, an
// operation outside the declared geometry answers EINVAL before anything else happens
// (VIOMMU-OP-ARGS, VIOMMU-REG-ARGS). The MPC simulator shares them.
import { tableSpans, type BackendInfo } from '../../../spec/viommu/backend.ts';
import { NOTIFIER_ALL, PERMS, type Op } from '../../../spec/viommu/ops.ts';

const U64_TOP = 1n << 64n;

const below = (v: unknown, n: number): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) < n;
const isAddr = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n;
const isPerm = (v: unknown): boolean => (PERMS as readonly unknown[]).includes(v);

/** The granule `G`: the smallest declared page size. */
export const granule = (info: BackendInfo): bigint => info.pageSizes[0]!;
/** `TOP`: one past the highest input address. */
export const top = (info: BackendInfo): bigint => 1n << BigInt(info.iovaBits);

/** `unmap`, `invalidate range`, `gate`: a non-empty, granule-aligned range below TOP. */
function rangeValid(info: BackendInfo, iova: unknown, size: unknown): boolean {
  const g = granule(info);
  return isAddr(iova) && isAddr(size) && size > 0n && iova % g === 0n && size % g === 0n && iova + size <= top(info);
}

function mapValid(info: BackendInfo, op: Extract<Op, { op: 'map' }>): boolean {
  const { iova, size, pa, page } = op;
  if (!below(op.domain, info.domains) || !isPerm(op.perm) || op.perm === 'none') return false;
  if (!info.pageSizes.includes(page) || !isAddr(iova) || !isAddr(size) || !isAddr(pa) || size === 0n) return false;
  return iova % page === 0n && pa % page === 0n && size % page === 0n && iova + size <= top(info) && pa + size <= U64_TOP;
}

function registerValid(info: BackendInfo, op: Extract<Op, { op: 'register' }>): boolean {
  const { flags, start, end } = op;
  const g = granule(info);
  if (!below(op.endpoint, info.endpoints) || !below(op.index, info.indexes)) return false;
  if (!Number.isInteger(flags) || flags <= 0 || (flags & ~NOTIFIER_ALL) !== 0) return false;
  return isAddr(start) && isAddr(end) && start <= end && end < top(info) && start % g === 0n && (end + 1n) % g === 0n;
}

/** Whether `op` is inside the declared geometry; false answers EINVAL. */
export function argsValid(info: BackendInfo, op: Op): boolean {
  switch (op.op) {
    case 'attach': return below(op.endpoint, info.endpoints) && below(op.domain, info.domains);
    case 'detach': return below(op.endpoint, info.endpoints);
    case 'map': return mapValid(info, op);
    case 'unmap': return below(op.domain, info.domains) && rangeValid(info, op.iova, op.size);
    case 'protect': {
      const { iova, span } = op;
      return below(op.domain, info.domains) && isPerm(op.perm) && tableSpans(info).includes(span)
        && isAddr(iova) && iova % span === 0n && iova < top(info);
    }
    case 'invalidate':
      switch (op.scope) {
        case 'range': return below(op.domain, info.domains) && rangeValid(info, op.iova, op.size);
        case 'domain': return below(op.domain, info.domains);
        case 'context': return below(op.endpoint, info.endpoints);
        case 'global': return true;
        default: return false;
      }
    case 'gate': return typeof op.ns === 'boolean' && rangeValid(info, op.iova, op.size);
    case 'reset': return true;
    case 'dma':
      return below(op.endpoint, info.endpoints) && isAddr(op.iova) && op.iova < top(info)
        && (op.access === 'read' || op.access === 'write') && typeof op.secure === 'boolean';
    case 'translate':
      return below(op.endpoint, info.endpoints) && below(op.index, info.indexes) && isAddr(op.iova)
        && op.iova < top(info) && isPerm(op.flag);
    case 'register': return registerValid(info, op);
    case 'unregister': case 'replay': case 'faults': return true;
    default: return false;
  }
}

/** The bundled simulators take no options: any key is a mistake worth one line. */
export function rejectOptions(backend: string, options: Record<string, string>): void {
  const keys = Object.keys(options);
  if (keys.length > 0) throw new Error(`${backend}: unknown option ${JSON.stringify(keys[0])} (it takes no options)`);
}
