// What the virtio-iommu backend declares, read from the device's configuration where the
// device says it: the granule from page_size_mask, domains from domain_range, what unattached
// endpoints do from the bypass field the driver negotiated.
import type { BackendInfo } from '../../spec/viommu/backend.ts';
import type { QemuCommand } from '../build.ts';
import type { IommuConfig } from './driver.ts';
import { PAGE, RAM } from './layout.ts';
import { EDUS } from './machine.ts';

/** A handful of domains: enough for moves and shared domains, few enough to meet in a case. */
export const DOMAINS = 4;
/**
 * With bypass, an unattached endpoint reaches its IOVA as a guest-physical address: the window
 * is the 2 GiB of RAM below 4 GiB, so every such access lands in RAM, where it can be seen.
 */
export const BYPASS_IOVA_BITS = 31;
/** Without bypass, the window is the lower half of the 64-bit input range: the upper half holds the scratch mapping. */
export const IOVA_BITS = 63;

export function declaration(qemu: QemuCommand, config: IommuConfig, scratchIova: bigint): BackendInfo {
  const { pageSizeMask, inputRange, domainRange, bypass } = config;
  if (pageSizeMask === 0n) throw new Error('virtio-iommu reports an empty page_size_mask');
  const granule = pageSizeMask & -pageSizeMask;
  const iovaBits = bypass ? BYPASS_IOVA_BITS : IOVA_BITS;
  if (inputRange.start !== 0n || inputRange.end < scratchIova + PAGE - 1n) {
    throw new Error(`virtio-iommu input_range [0x${inputRange.start.toString(16)}, 0x${inputRange.end.toString(16)}] does not hold a ${iovaBits}-bit window and the scratch mapping above it`);
  }
  if (domainRange.end - domainRange.start + 1 < DOMAINS) throw new Error(`virtio-iommu domain_range ${domainRange.start}-${domainRange.end} has fewer than ${DOMAINS} ids`);
  return {
    name: `qemu-${qemu.version}:virtio-iommu${bypass ? '-bypass' : ''}`,
    description: `QEMU ${qemu.version} virtio-iommu-pci (boot-bypass=${bypass ? 'on' : 'off'}) on q35 over qtest, two edu devices as endpoints`,
    family: 'viommu',
    profile: 'virtio-iommu',
    // No cache (no tables, no invalidate); qtest can neither register a notifier nor call translate().
    capabilities: ['domains', 'dma', 'faults'],
    iovaBits,
    pageSizes: [granule],
    indexes: 1,
    endpoints: EDUS.length,
    domains: DOMAINS,
    cachingMode: false,
    // virtio_iommu_notify_flag_changed refuses only DEVIOTLB_UNMAP.
    mapNotifiers: true,
    deviceIotlb: false,
    unattached: bypass ? 'bypass' : 'fault',
    ram: RAM,
  };
}
