/* faults.h - the IOMMU's fault interrupts, counted: how a blocked DMA is told from a read of
 * zeros (dma.h).
 *
 * The interrupt lines are found once, at start: those of /sys/kernel/irq/N whose chip, name or
 * actions say DMAR (intel-iommu's fault handler, drivers/iommu/intel/dmar.c:
 * dmar_set_interrupt, action "dmarN" on a "DMAR-MSI" chip) or whose last action is the
 * virtio-iommu device's "virtioN" or "virtioN-<vq>" other than its request queue (its event
 * queue carries the fault reports, drivers/iommu/virtio-iommu.c: viommu_fault_handler). Their
 * per_cpu_count files stay open and are re-read with pread around each DMA: far cheaper than
 * formatting and parsing /proc/interrupts (kernel/irq/irqdesc.c: per_cpu_count_show). The
 * same selection in /proc/interrupts is the reference: at start both must agree, else the
 * agent counts from /proc/interrupts as before. */
#ifndef AGENT_FAULTS_H
#define AGENT_FAULTS_H

#include <stdint.h>

/* finds the lines and checks them against /proc/interrupts (after find_names); logs what it
 * found and which source it will use */
void faults_open(void);
/* the sum of the IOMMU fault interrupts so far */
uint64_t fault_irqs(void);

#endif
