/* stage.h - the DMA scratch made reachable by the device for a run of observations.
 *
 * Every observation needs the scratch reachable (dma.c): the edu device moves data only between
 * its own buffer and IOVAs. Mapping and unmapping it around each observation cost two requests
 * to the scratch helper and two ioctls per DMA. It is now mapped at the first dmaRead/dmaWrite
 * of a run of consecutive ones within one `execute` and unmapped before any other operation and
 * at the end of the batch, so the suite never sees it (scratch.h: dmaAvail, the reserved range).
 *
 * Unmapping the scratch is also what empties QEMU's intel-iommu IOTLB (scratch.h): a
 * translation cached by a DMA in one direction lets a later DMA in the other direction through
 * the cached permission without a fault record. Within a run no mapping changes, so only that
 * case needs the flush: an observation touching a page that an earlier one of the run touched
 * in the other direction unmaps and re-maps the scratch first. */
#ifndef AGENT_STAGE_H
#define AGENT_STAGE_H

#include <stdint.h>

/* the scratch reachable for an observation of the 8 bytes at `iova` in that direction: 0, 1 if
 * the device reaches nothing (no DMA needed, device.h: fd_stage_begin), -1 with errno */
int stage_for(uint64_t iova, int write);
/* the run is over: the scratch is unmapped (a no-op when it is not mapped) */
void stage_release(void);
/* the operation `kind` ends a run unless it is an observation */
void stage_before_op(const char *kind);

#endif
