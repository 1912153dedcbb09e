/* dma.h - device DMA through the IOMMU with the QEMU edu device, and fault detection.
 *
 * dmaRead: scratch -> edu buffer (a sentinel), edu <- iova (8 bytes), edu -> scratch.
 * dmaWrite: scratch -> edu buffer (the token), edu -> iova.
 * A translation failure reads as zeros, so zeros alone are ambiguous: a DMA fault is detected
 * by the IOMMU fault interrupt count in /proc/interrupts before and after the DMA (DMAR-MSI for
 * intel-iommu, the virtio-iommu event virtqueue for virtio-iommu). */
#ifndef AGENT_DMA_H
#define AGENT_DMA_H

#include <stdint.h>

/* 0 and *token, or -1 with errno (EFAULT = blocked by the IOMMU), or -1 with *fatal set for a
 * failure of the agent's own DMA path */
int dma_read(uint64_t iova, uint64_t *token, const char **fatal);
int dma_write(uint64_t iova, uint64_t token, const char **fatal);

/* the sum of IOMMU fault interrupts so far */
uint64_t fault_irqs(void);

#endif
