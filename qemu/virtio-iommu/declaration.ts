// What the virtio-iommu backend declares, read from the device's configuration where the
// device says it: the granule from page_size_mask, domains from domain_range, what unattached
// endpoints do from the bypass field the driver negotiated.
import type { BackendInfo } from '../../spec/viommu/backend.ts';
import type { QemuCommand } from '../build.ts';
import type { IommuConfig } from './driver.ts';
import { PAGE, RAM, SCRATCH_PAGE } from './layout.ts';
import { EDUS } from './machine.ts';

/** A handful of domains: enough for moves and shared domains, few enough to meet in a case. */
export const DOMAINS = 4;
/**
 * With bypass, an unattached endpoint reaches its IOVA as a guest-physical address: the window
 * is the 2 GiB of RAM below 4 GiB, so every such access lands in RAM, where it can be seen.
 */
export const BYPASS_IOVA_BITS = 31;

/**
 * The declared window and the scratch mapping's IOVA. Without bypass the window is the lower
 * half of input_range and the scratch mapping is in the upper half; with it, the scratch
 * mapping sits at its own address (SCRATCH_PAGE) so that unattached endpoints reach it too.
 * Never right at the window's top: QEMU may translate the byte before a mapping through it
 * (VIOMMU-DMA-TRANSLATE's variant), so a page is left between.
 */
export function windowOf(config: IommuConfig, bypass: boolean): { iovaBits: number; scratchIova: bigint } {
  const { start, end } = config.inputRange;
  const inputBits = (end + 1n).toString(2).length - 1;
  if (start !== 0n || end + 1n !== 1n << BigInt(inputBits)) {
    throw new Error(`virtio-iommu input_range [0x${start.toString(16)}, 0x${end.toString(16)}] is not [0, 2^n)`);
  }
  const fit = (iovaBits: number, scratchIova: bigint) => {
    if (scratchIova + PAGE - 1n > end) throw new Error(`virtio-iommu input_range ends at 0x${end.toString(16)}: no room for a ${iovaBits}-bit window and the scratch mapping`);
    return { iovaBits, scratchIova };
  };
  if (bypass) return fit(BYPASS_IOVA_BITS, SCRATCH_PAGE);
  return fit(inputBits - 1, (1n << BigInt(inputBits - 1)) + PAGE);
}

export function declaration(qemu: QemuCommand, config: IommuConfig): BackendInfo {
  const { pageSizeMask, domainRange, bypass } = config;
  if (pageSizeMask === 0n) throw new Error('virtio-iommu reports an empty page_size_mask');
  const granule = pageSizeMask & -pageSizeMask;
  const { iovaBits } = windowOf(config, bypass);
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
