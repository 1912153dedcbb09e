/* spapr_guard.c - the one MAP the agent does not hand to the kernel (SPAPR-MAP-WINDOW-END).
 *
 * Linux 6.12 checks only the first IOMMU page of a MAP against its window
 * (drivers/vfio/vfio_iommu_spapr_tce.c: tce_iommu_ioctl, iommu_tce_put_param_check with one
 * page) and tce_iommu_build_v2 then writes the userspace view of entries past the table's end
 * (IOMMU_TABLE_USERSPACE_ENTRY): a v2 MAP that starts inside a window and runs past its end
 * oopses the guest. The agent answers such a MAP as the kernel's checks before the build would,
 * with the same side effects, and EINVAL where the kernel would have gone on to build.
 *
 * The side effects and answers of the checks before the build (tce_iommu_ioctl,
 * VFIO_IOMMU_MAP_DMA): not enabled: EPERM; unknown flags: EINVAL; then the pending default
 * window is created (tce_iommu_create_default_window); no window at iova: ENXIO; then only
 * EINVAL (alignment, direction, iommu_tce_put_param_check). An UNMAP of size 0 at the same iova
 * goes through the same steps (not enabled: EPERM; default window; ENXIO; the iova's alignment,
 * answered 1 by both param checks) and clears nothing (tce_iommu_clear of 0 entries), so it
 * stands in for the MAP. */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "spapr.h"
#include "util.h"

/* the window iova lies in when [iova, iova + size) runs past its end, else NULL */
static const struct spapr_window *past_window_end(int i, uint64_t iova, uint64_t size)
{
	for (int w = 0; w < ct[i].nwin; w++) {
		const struct spapr_window *x = &ct[i].win[w];
		if (iova < x->start || iova - x->start >= x->size) continue;
		return size > x->size - (iova - x->start) ? x : NULL;
	}
	return NULL;
}

int guarded_map(int i, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	int fd = ct[i].container;
	const struct spapr_window *w = NULL;
	if (spapr_v1 || (flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) || !(w = past_window_end(i, iova, size))) {
		struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size };
		return ioctl(fd, VFIO_IOMMU_MAP_DMA, &m);
	}
	logf_("MAP iova 0x%llx size 0x%llx runs past its window's end: answered without the kernel",
	      (unsigned long long)iova, (unsigned long long)size);
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .flags = 0, .iova = iova, .size = 0 };
	int r = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u);
	if (r < 0) return -1;
	uint64_t mask = (1ULL << w->shift) - 1;
	errno = EINVAL;
	if ((size | vaddr) & mask || !flags) return -1;
	/* the iova's misalignment: iommu_tce_put_param_check's 1, as the stand-in's
	 * iommu_tce_clear_param_check answered it */
	return r > 0 ? r : -1;
}
