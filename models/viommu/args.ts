// Which operations are outside a backend's declared geometry (VIOMMU-OP-ARGS) and which
// notifiers are malformed (VIOMMU-REG-ARGS): both answer EINVAL and change nothing.
import { permExpressible, tableSpans, type BackendInfo } from '../../spec/viommu/backend.ts';
import { NOTIFIER_ALL, type Op } from '../../spec/viommu/ops.ts';

/** The rule an operation's arguments break, or null when they are within the geometry. */
export function badArguments(info: BackendInfo, op: Op): 'VIOMMU-OP-ARGS' | 'VIOMMU-REG-ARGS' | null {
  const top = 1n << BigInt(info.iovaBits);
  const g = info.pageSizes[0]!;
  const endpointOk = (e: number) => e < info.endpoints;
  const domainOk = (d: number) => d < info.domains;
  const rangeOk = (iova: bigint, size: bigint) => size > 0n && iova % g === 0n && size % g === 0n && iova + size <= top;
  const tables = info.profile === 'vtd' || info.profile === 'smmuv3';
  const ok = ((): boolean => {
    switch (op.op) {
      case 'attach': return endpointOk(op.endpoint) && domainOk(op.domain);
      case 'detach': return endpointOk(op.endpoint);
      case 'map': {
        const pageOk = tables ? info.pageSizes.includes(op.page) : op.page === g;
        return domainOk(op.domain) && op.perm !== 'none' && permExpressible(info, op.perm) && pageOk && op.size > 0n
          && op.iova % op.page === 0n && op.pa % op.page === 0n && op.size % op.page === 0n
          && op.iova + op.size <= top && op.pa + op.size <= 1n << 64n;
      }
      case 'unmap': return domainOk(op.domain) && rangeOk(op.iova, op.size);
      case 'protect': return domainOk(op.domain) && permExpressible(info, op.perm) && tableSpans(info).includes(op.span) && op.iova % op.span === 0n && op.iova < top;
      case 'invalidate':
        switch (op.scope) {
          case 'range': return domainOk(op.domain) && rangeOk(op.iova, op.size);
          case 'domain': return domainOk(op.domain);
          case 'context': return endpointOk(op.endpoint);
          case 'global': return true;
        }
        return false;
      case 'gate': return rangeOk(op.iova, op.size);
      case 'reset': return true;
      case 'dma': return endpointOk(op.endpoint) && op.iova < top;
      case 'translate': return endpointOk(op.endpoint) && op.index < info.indexes && op.iova < top;
      case 'register': return true;
      case 'unregister': case 'replay': case 'faults': return true;
    }
  })();
  if (!ok) return 'VIOMMU-OP-ARGS';
  if (op.op === 'register') {
    const flagsOk = op.flags !== 0 && (op.flags & ~NOTIFIER_ALL) === 0;
    const rangeOk = op.start <= op.end && op.end < top && op.start % g === 0n && (op.end + 1n) % g === 0n;
    if (!flagsOk || !rangeOk || op.index >= info.indexes || !endpointOk(op.endpoint)) return 'VIOMMU-REG-ARGS';
  }
  return null;
}
