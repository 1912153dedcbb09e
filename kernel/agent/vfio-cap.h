/* vfio-cap.h - the capability chain of VFIO_IOMMU_GET_INFO, walked as
 * drivers/vfio/vfio_iommu_type1.c: vfio_iommu_type1_get_info lays it out. Header-only: the
 * agent includes it, and the C reproducers (vfio-conform repro) carry it in their one file. */
#ifndef AGENT_VFIO_CAP_H
#define AGENT_VFIO_CAP_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

/* the capability `id` in the chain of `info` (argsz: the bytes fetched), or NULL */
static inline struct vfio_info_cap_header *vfio_find_cap(struct vfio_iommu_type1_info *info, uint16_t id)
{
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS)) return NULL;
	uint32_t off = info->cap_offset;
	for (int guard = 0; off && off + sizeof(struct vfio_info_cap_header) <= info->argsz && guard < 64; guard++) {
		struct vfio_info_cap_header *h = (void *)((uint8_t *)info + off);
		if (h->id == id) return h;
		off = h->next;
	}
	return NULL;
}

#endif
