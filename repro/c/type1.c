/* type1.c - a VFIO type1 container with one group and its device, named on the command line,
 * and the container's ioctls as the suite's type1 operations (spec/type1/ops.ts). The emitter
 * puts the capability-chain walk (vfio_find_cap) before this file. */
#include <linux/vfio.h>

#define TARGET_USAGE "--group N --device BDF   (the device's IOMMU group, /dev/vfio/N, and its PCI address, e.g. 0000:00:03.0)"

static char group_path[64];
static char device_bdf[64];
static int container = -1, group = -1, device = -1;

static int target_arg(int argc, char **argv)
{
	if (argc < 2) return 0;
	if (!strcmp(argv[0], "--group")) snprintf(group_path, sizeof group_path, "/dev/vfio/%s", argv[1]);
	else if (!strcmp(argv[0], "--device")) snprintf(device_bdf, sizeof device_bdf, "%s", argv[1]);
	else return 0;
	return 2;
}

static int target_missing(void) { return !group_path[0] || !device_bdf[0]; }

static void t1_close(void)
{
	if (device >= 0) close(device);
	if (group >= 0) close(group);
	if (container >= 0) close(container);
	device = group = container = -1;
}

/* The container as the suite's reset leaves it: the group attached, the IOMMU type set, the
 * device open (drivers/vfio/container.c: the type is set only once a group is attached). */
static int t1_open(int type)
{
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0) return refuse("open /dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) return refuse("VFIO_GET_API_VERSION: not %d", VFIO_API_VERSION);
	if (ioctl(container, VFIO_CHECK_EXTENSION, type) != 1) return refuse("VFIO_CHECK_EXTENSION: IOMMU type %d unsupported", type);
	group = open(group_path, O_RDWR | O_CLOEXEC);
	if (group < 0) return refuse("open %s: %s", group_path, strerror(errno));
	struct vfio_group_status st = { .argsz = sizeof st };
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return refuse("%s is not viable: every device of the group must be bound to vfio-pci", group_path);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) return refuse("VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(container, VFIO_SET_IOMMU, type) < 0) return refuse("VFIO_SET_IOMMU: %s", strerror(errno));
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, device_bdf);
	if (device < 0) return refuse("VFIO_GROUP_GET_DEVICE_FD %s: %s", device_bdf, strerror(errno));
	return 0;
}

static int t1_map(struct res *r, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size };
	return answer(r, ioctl(container, VFIO_IOMMU_MAP_DMA, &m));
}

/* the kernel writes the bytes it unmapped back into `size` (vfio_iommu_type1_unmap_dma) */
static int t1_unmap(struct res *r, uint32_t flags, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .flags = flags, .iova = iova, .size = size };
	if (answer(r, ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u))) return r->err;
	r->v[0] = u.size;
	append(r, " unmapped=0x%" PRIx64, r->v[0]);
	return 0;
}

static struct vfio_iommu_type1_info *t1_fetch_info(struct res *r)
{
	static uint8_t buf[16384];
	struct vfio_iommu_type1_info *info = (void *)buf;
	memset(buf, 0, sizeof buf);
	info->argsz = sizeof buf;
	return answer(r, ioctl(container, VFIO_IOMMU_GET_INFO, info)) ? NULL : info;
}

static int t1_get_info(struct res *r)
{
	struct vfio_iommu_type1_info *info = t1_fetch_info(r);
	if (!info) return r->err;
	struct vfio_iommu_type1_info_cap_iova_range *ranges = (void *)vfio_find_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	struct vfio_iommu_type1_info_dma_avail *avail = (void *)vfio_find_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	r->v[0] = info->iova_pgsizes;
	r->v[1] = avail ? avail->avail : 0;
	append(r, " pgsizes=0x%" PRIx64 " iovaRanges=[", r->v[0]);
	for (uint32_t i = 0; ranges && i < ranges->nr_iovas && r->nranges < REPRO_MAX_RANGES; i++) {
		r->ranges[r->nranges][0] = ranges->iova_ranges[i].start;
		r->ranges[r->nranges][1] = ranges->iova_ranges[i].end;
		append(r, "%s{start:0x%" PRIx64 " end:0x%" PRIx64 "}", i ? ", " : "", r->ranges[r->nranges][0], r->ranges[r->nranges][1]);
		r->nranges++;
	}
	append(r, "] dmaAvail=0x%" PRIx64 "%s", r->v[1], avail ? "" : " (no DMA_AVAIL capability)");
	return 0;
}

static int t1_migration_info(struct res *r)
{
	struct vfio_iommu_type1_info *info = t1_fetch_info(r);
	if (!info) return r->err;
	struct vfio_iommu_type1_info_cap_migration *m = (void *)vfio_find_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	r->v[0] = m != NULL;
	r->v[1] = m ? m->pgsize_bitmap : 0;
	r->v[2] = m ? m->max_dirty_bitmap_size : 0;
	append(r, " present=%s pgsizes=0x%" PRIx64 " maxDirtyBitmapSize=0x%" PRIx64, m ? "true" : "false", r->v[1], r->v[2]);
	return 0;
}

/* VFIO_IOMMU_DIRTY_PAGES with the header only, as the suite's dirtyPages */
static int t1_dirty_pages(struct res *r, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof d, .flags = flags };
	return answer(r, ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &d));
}

/* closeContainer: every fd closed (vfio_iommu_type1_release), then a fresh container */
static int t1_close_container(struct res *r, int type)
{
	t1_close();
	answer(r, 0);
	return t1_open(type);
}

static int t1_counters(struct res *r) { return host_counters(r, ", (process 1 not in this case)"); }
