/* type1.h - a simulated VFIO type1 container (VFIO_TYPE1v2_IOMMU, or VFIO_TYPE1_IOMMU) and the
 * device behind it.
 *
 * To drive a real system, replace type1.c: type1_map, type1_unmap and type1_get_info become
 * the VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA and VFIO_IOMMU_GET_INFO ioctls issued from
 * process `proc`, type1_close closes and reopens the container, and dma_read/dma_write make the
 * device read or write one page. Every function returns 0 or an errno value.
 */
#ifndef TYPE1_H
#define TYPE1_H

#include <stdbool.h>
#include <stdint.h>

/* uAPI flag values, include/uapi/linux/vfio.h */
#define MAP_FLAG_READ 1u
#define MAP_FLAG_WRITE 2u
#define MAP_FLAG_VADDR 4u
#define UNMAP_FLAG_GET_DIRTY_BITMAP 1u
#define UNMAP_FLAG_ALL 2u
#define UNMAP_FLAG_VADDR 4u

/* The geometry this container reports and enforces. */
#define IOVA_PGSIZES 0x40201000ull /* 4 KiB, 2 MiB, 1 GiB */
#define DMA_ENTRY_LIMIT 32         /* dma_entry_limit, kept small so the suite can reach it */
#define NUM_IOVA_RANGES 2

struct iova_range {
	uint64_t start, end; /* inclusive end, as VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE reports */
};

/* The usable IOVA space: everything but the x86 MSI window 0xfee00000-0xfeefffff. */
extern const struct iova_range IOVA_RANGES[NUM_IOVA_RANGES];

void type1_open(bool v2); /* a fresh, empty container */
void type1_close(void);   /* unmap, unpin and uncharge everything, then reopen */

int type1_map(int proc, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size);
int type1_unmap(int proc, uint32_t flags, uint64_t iova, uint64_t size, uint64_t *unmapped);
uint64_t type1_dma_avail(void);

int dma_read(uint64_t iova, uint64_t *token);
int dma_write(uint64_t iova, uint64_t token);

#endif
