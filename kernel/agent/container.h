/* container.h - the VFIO container: container, group and edu device fds, BAR0, GET_INFO.
 *
 * setup() opens /dev/vfio/vfio, the edu device's group, sets the type1 IOMMU of the profile,
 * gets the device fd, maps BAR0 (the edu registers) and enables memory decoding and bus
 * mastering; teardown() closes everything. One container per process at a time. */
#ifndef AGENT_CONTAINER_H
#define AGENT_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

extern int container, group, device;
extern volatile uint8_t *bar0;
extern size_t bar0_size;
extern char group_path[64]; /* /dev/vfio/N; found on the first setup() */
extern int has_vaddr_ext, has_unmap_all_ext; /* VFIO_CHECK_EXTENSION on the last setup() */

int setup(void); /* 0, or -1 (logged) */
void teardown(void);

/* VFIO_IOMMU_GET_INFO: pgsizes, the IOVA ranges (inclusive ends, at most MAXR) and DMA_AVAIL;
 * -1 with errno when the ioctl fails or a capability is missing */
#define MAXR 16
int get_info(uint64_t *pgsizes, uint64_t r[][2], int *nr, uint64_t *avail);

/* VFIO_IOMMU_GET_INFO's MIGRATION capability: *present 0 (and the values 0) when the chain
 * lacks it, as on iommufd's compat layer; -1 with errno when the ioctl fails */
int get_migration(int *present, uint64_t *pgsizes, uint64_t *max_bitmap);

/* The geometry as the kernel reported it on the first setup (the probe process reads it). */
extern uint64_t geo_pgsizes, geo_avail;
extern uint64_t geo_r[MAXR][2];
extern int geo_n;

#endif
