// The fault records a page-table IOMMU keeps for the guest (VIOMMU-DMA-FAULT-RECORD): VT-d's
// fault recording registers hold the faulting page (FRCD.FI, bits 63:12), SMMUv3's event queue
// the exact input address (F_TRANSLATION, F_PERMISSION, C_BAD_STE). Both are unbounded here:
// QEMU's single FRCD with overflow and collapsing, or a full event queue, would drop records a
// DMA with no translation owes.
import type { Profile } from '../../../spec/viommu/backend.ts';
import type { FaultRecord } from '../../../spec/viommu/ops.ts';
import { alignDown, PAGE } from './ranges.ts';

export class FaultLog {
  private records: FaultRecord[] = [];

  constructor(private readonly profile: Profile) {}

  record(endpoint: number, iova: bigint, access: 'read' | 'write'): void {
    const addr = this.profile === 'vtd' ? alignDown(iova, PAGE) : iova;
    this.records.push({ endpoint, iova: addr, access });
  }

  /** The records since the last read, oldest first; reading clears them (FRCD.F, EVTQ_CONS). */
  drain(): FaultRecord[] {
    const records = this.records;
    this.records = [];
    return records;
  }
}
