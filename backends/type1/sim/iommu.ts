// The device's view: what a DMA to an iova reaches through the IOMMU (semantics.md a.9).
//
// The device reaches the frame pinned at map time for the mapping that covers the iova, if
// that mapping grants the access: a READ-only mapping blocks writes, a mapping without READ
// blocks reads (T1-MAP-EXACT). Nothing else is reachable (T1-NO-STALE). The mapping's vaddr
// plays no part: the process may have unmapped or moved that memory (T1-HOST-PIN-PERSISTS).
import { frameAt } from './address-space.ts';
import { PAGE_SIZE } from './constants.ts';
import type { Container } from './container.ts';
import { frameOf } from './dma.ts';
import type { Frame } from './frames.ts';
import type { Host } from './host.ts';
import { hasBug, type Policy } from './policy.ts';

export type DeviceAccess = 'read' | 'write';

interface Permission { read: boolean; write: boolean }

function permits(perm: Permission, access: DeviceAccess, policy: Policy): boolean {
  if (access === 'read') return perm.read;
  // mutant readonly-dma-write: the write permission bit is not checked.
  return perm.write || hasBug(policy, 'readonly-dma-write');
}

/** The frame a device access to `iova` reaches, or EFAULT when the IOMMU blocks it. */
export function translate(container: Container, host: Host, policy: Policy, iova: bigint, access: DeviceAccess): Frame | 'EFAULT' {
  const dma = container.dmaAt(iova);
  if (dma === undefined) {
    // mutant unmap-stale-tail: a translation the IOTLB kept after its mapping went away.
    const stale = container.staleTail.get(iova & -PAGE_SIZE);
    return stale !== undefined && permits(stale, access, policy) ? stale.frame : 'EFAULT';
  }
  if (!permits(dma, access, policy)) return 'EFAULT';
  if (hasBug(policy, 'relookup-vaddr')) {
    // mutant relookup-vaddr: walk the owner's page tables at access time instead of using the pins.
    const vaddr = dma.vaddr + (iova - dma.iova);
    const seg = host.procs[dma.owner].space.find(vaddr);
    return seg === undefined ? 'EFAULT' : frameAt(seg, vaddr);
  }
  return frameOf(dma, iova);
}
