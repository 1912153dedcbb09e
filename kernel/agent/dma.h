/* dma.h - device DMA through the IOMMU with the QEMU edu device, and fault detection.
 *
 * dmaRead: edu <- iova (8 bytes, into a slot of the edu buffer that holds a sentinel), then
 * edu -> scratch, one DMA for a run of reads; the slots are refilled from the scratch once
 * every 510 reads (dma.c).
 * dmaWrite: scratch -> edu buffer (the token), edu -> iova.
 * The scratch is reachable for a run of consecutive observations (stage.h).
 * A translation failure reads as zeros, so zeros alone are ambiguous: a DMA fault is detected
 * by the IOMMU fault interrupt count before and after the DMA (faults.h). */
#ifndef AGENT_DMA_H
#define AGENT_DMA_H

#include <stdint.h>

/* 0 and *token, or -1 with errno (EFAULT = blocked by the IOMMU), or -1 with *fatal set for a
 * failure of the agent's own DMA path */
int dma_read(uint64_t iova, uint64_t *token, const char **fatal);
/* n consecutive dmaReads: err[i] 0 and token[i], or err[i] an errno; -1 with *fatal as above */
int dma_read_run(const uint64_t *iova, int n, uint64_t *token, int *err, const char **fatal);
int dma_write(uint64_t iova, uint64_t token, const char **fatal);

#endif
