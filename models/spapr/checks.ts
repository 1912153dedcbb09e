// The argument checks of MAP and UNMAP on sPAPR (drivers/vfio/vfio_iommu_spapr_tce.c:
// tce_iommu_ioctl; arch/powerpc/kernel/iommu.c: iommu_tce_check_ioba, iommu_tce_check_gpa), in
// the kernel's order. The default window is created between the flags and the window lookup.
import { MAP_FLAG, type OpOf } from '../../spec/spapr/ops.ts';
import type { Container, Refusal } from './container.ts';
import type { Window } from './window.ts';

const KNOWN_MAP_FLAGS = MAP_FLAG.READ | MAP_FLAG.WRITE;

/** `before`: the checks ahead of the default window; `after`: those on the window found. */
export function mapRefusal(ct: Container, op: OpOf<'map'>, stage: 'before' | 'after', w?: Window): Refusal | null {
  if (stage === 'before') {
    if (!ct.enabled) return { errno: 'EPERM', rule: 'SPAPR-MAP-ENABLED' };
    if ((op.flags & ~KNOWN_MAP_FLAGS) !== 0) return { errno: 'EINVAL', rule: 'SPAPR-MAP-FLAGS' };
    return null;
  }
  if (!w) return { errno: 'ENXIO', rule: 'SPAPR-MAP-WINDOW' };
  const pg = w.pageSize;
  if (op.size % pg !== 0n || op.vaddr % pg !== 0n) return { errno: 'EINVAL', rule: 'SPAPR-MAP-ALIGN' };
  if ((op.flags & KNOWN_MAP_FLAGS) === 0) return { errno: 'EINVAL', rule: 'SPAPR-MAP-FLAGS' };
  if (op.iova % pg !== 0n) return { errno: 'EINVAL', rule: 'SPAPR-MAP-ALIGN' };
  // iommu_tce_put_param_check looks at the first entry only; the rest of the range must be in
  // the window too, or 6.12 writes past its table.
  if (op.iova + op.size > w.end) return { errno: 'EINVAL', rule: 'SPAPR-MAP-WINDOW-END' };
  return null;
}

/** iommu_tce_clear_param_check: an aligned range inside the window found at its start. */
export function unmapRefusal(op: OpOf<'unmap'>, w: Window | undefined): Refusal | null {
  if (!w) return { errno: 'ENXIO', rule: 'SPAPR-MAP-WINDOW' };
  const pg = w.pageSize;
  if (op.size % pg !== 0n || op.iova % pg !== 0n) return { errno: 'EINVAL', rule: 'SPAPR-UNMAP-CHECKS' };
  if (op.iova + op.size > w.end) return { errno: 'EINVAL', rule: 'SPAPR-UNMAP-CHECKS' };
  return null;
}
