/* scratch.h - the agent's DMA scratch: two pages of its own memory, mapped at a reserved IOVA
 * only during a run of dmaRead/dmaWrite (stage.h), by a helper process so that the pin is
 * never charged to the case process.
 *
 * The reserved scratch IOVA range: two pages straddling 4 GiB. Unmapping a range whose
 * naturally aligned cover is that large makes the Linux intel-iommu driver (6.12) fall back
 * from a page-selective to a domain-selective IOTLB invalidation, so every observation ends
 * with QEMU's intel-iommu IOTLB empty and the next observation DMA does a full page walk,
 * which is where QEMU reports permission faults (a cached translation with the wrong
 * permission drops the access silently, without a fault record).
 *
 * The range is removed from the IOVA ranges declared in hello and returned by getInfo, and a
 * `map` touching it is answered as a kernel with that range reserved would answer (ops.c). */
#ifndef AGENT_SCRATCH_H
#define AGENT_SCRATCH_H

#include <stdint.h>

#define RES_IOVA 0xfffff000ULL
#define RES_SIZE 0x2000ULL
extern uint64_t res_iova;
extern uint64_t *scratch;   /* the scratch pages (MAP_SHARED with the helper, outside the arena) */
extern int scratch_held;    /* scratch mappings the helper currently holds (0 or 1) */

/* After setup(): allocates the scratch (once per process) and forks the helper; 0 or -1. */
int helper_start(void);
/* Before the container fds are closed: the helper exits, its container fd with it. */
void helper_stop(void);

/* map the scratch at the reserved IOVA for a run of DMA observations (-1 with errno), and unmap it */
int scratch_map(void);
void scratch_unmap(void);

/* the iommufd family: the scratch mapped at the reserved IOVA into the IOAS of that kernel id
 * (IOMMU_IOAS_MAP by the helper; -1 with the kernel's errno), and unmapped from it */
int scratch_map_in(uint32_t ioas_id);
void scratch_unmap_from(uint32_t ioas_id);

/* does [iova, iova + size) touch the reserved range? */
int res_overlap(uint64_t iova, uint64_t size);
/* the IOVA ranges `in` (inclusive ends) without the reserved range */
void subtract_res(uint64_t in[][2], int n, uint64_t outr[][2], int *on);

#endif
