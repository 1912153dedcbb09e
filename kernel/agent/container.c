/* container.c - the container, group and device of the edu device, and GET_INFO. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "config.h"
#include "util.h"
#include "container.h"
#include "vfio-cap.h"

int container = -1, group = -1, device = -1;
volatile uint8_t *bar0;
size_t bar0_size;
char group_path[64];
int has_vaddr_ext, has_unmap_all_ext;

uint64_t geo_pgsizes, geo_avail;
uint64_t geo_r[MAXR][2];
int geo_n;

void teardown(void)
{
	if (bar0) munmap((void *)bar0, bar0_size);
	bar0 = NULL;
	if (device >= 0) close(device);
	if (group >= 0) close(group);
	if (container >= 0) close(container);
	device = group = container = -1;
}

/* VFIO_IOMMU_GET_INFO with room for the whole chain: the info, or NULL with errno */
static struct vfio_iommu_type1_info *fetch_info(void)
{
	static uint8_t buf[16384];
	struct vfio_iommu_type1_info *info = (void *)buf;
	memset(buf, 0, sizeof buf);
	info->argsz = sizeof buf;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info) < 0) return NULL;
	if (info->argsz > sizeof buf) { errno = EOVERFLOW; return NULL; }
	return info;
}

int get_info(uint64_t *pgsizes, uint64_t r[][2], int *nr, uint64_t *avail)
{
	struct vfio_iommu_type1_info *info = fetch_info();
	if (!info) return -1;
	*pgsizes = info->iova_pgsizes;
	*nr = 0;
	struct vfio_iommu_type1_info_cap_iova_range *ranges = (void *)vfio_find_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	for (uint32_t i = 0; ranges && i < ranges->nr_iovas && *nr < MAXR; i++) {
		r[*nr][0] = ranges->iova_ranges[i].start;
		r[*nr][1] = ranges->iova_ranges[i].end;
		(*nr)++;
	}
	struct vfio_iommu_type1_info_dma_avail *a = (void *)vfio_find_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (!a) { errno = ENOENT; return -1; }
	*avail = a->avail;
	return 0;
}

int get_migration(int *present, uint64_t *pgsizes, uint64_t *max_bitmap)
{
	struct vfio_iommu_type1_info *info = fetch_info();
	if (!info) return -1;
	struct vfio_iommu_type1_info_cap_migration *m = (void *)vfio_find_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	*present = m != NULL;
	*pgsizes = m ? m->pgsize_bitmap : 0;
	*max_bitmap = m ? m->max_dirty_bitmap_size : 0;
	return 0;
}

int setup(void)
{
	char p[512], link[512];
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0) { logf_("open /dev/vfio/vfio: %m"); return -1; }
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) { logf_("bad API version"); return -1; }
	int type = profile_v1 ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU;
	if (ioctl(container, VFIO_CHECK_EXTENSION, type) != 1) { logf_("type %d unsupported", type); return -1; }
	if (!group_path[0]) {
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", bdf);
		ssize_t n = readlink(p, link, sizeof link - 1);
		if (n < 0) { logf_("readlink %s: %m", p); return -1; }
		link[n] = 0;
		snprintf(group_path, sizeof group_path, "/dev/vfio/%s", strrchr(link, '/') + 1);
	}
	group = open(group_path, O_RDWR | O_CLOEXEC);
	if (group < 0) { logf_("open %s: %m", group_path); return -1; }
	struct vfio_group_status st = { .argsz = sizeof st };
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		logf_("group not viable");
		return -1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) { logf_("SET_CONTAINER: %m"); return -1; }
	if (ioctl(container, VFIO_SET_IOMMU, type) < 0) { logf_("SET_IOMMU: %m"); return -1; }
	has_vaddr_ext = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR) == 1;
	has_unmap_all_ext = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) == 1;
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0) { logf_("GET_DEVICE_FD: %m"); return -1; }
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) { logf_("REGION_INFO BAR0: %m"); return -1; }
	bar0_size = ri.size;
	void *m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, ri.offset);
	if (m == MAP_FAILED) { logf_("mmap BAR0: %m"); return -1; }
	bar0 = m;
	struct vfio_region_info ci = { .argsz = sizeof ci, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0) { logf_("REGION_INFO CONFIG: %m"); return -1; }
	uint16_t cmd;
	if (pread(device, &cmd, 2, ci.offset + 4) != 2) { logf_("pread PCI_COMMAND: %m"); return -1; }
	cmd |= 0x6; /* MEMORY | BUS_MASTER */
	if (pwrite(device, &cmd, 2, ci.offset + 4) != 2) { logf_("pwrite PCI_COMMAND: %m"); return -1; }
	return 0;
}
