/* spapr.c - sPAPR TCE containers, one per IOMMU group named on the command line (--group N,
 * repeated), and their ioctls as the suite's sPAPR operations (spec/spapr/ops.ts). */
#include <linux/vfio.h>

#define TARGET_USAGE "--group N [--group N]...   (one IOMMU group per container, /dev/vfio/N, every device bound to vfio-pci)"
#define MAX_CT 4
#define MAX_GROUPS 16
#define MAX_WIN 4

static int ngroups;
static char group_paths[MAX_GROUPS][64];

/* The windows a MAP may land in, as far as this program knows them: the 32-bit default window
 * (GET_INFO) unless removed, and each TCE_CREATE's. Only the MAP guard needs them. */
struct window { uint64_t start, size; int live; };

static struct spapr_ct {
	int container, group, type;
	struct window win[MAX_WIN];
} cts[MAX_CT];

static int target_arg(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "--group")) return 0;
	if (ngroups == MAX_GROUPS) return 0;
	snprintf(group_paths[ngroups++], sizeof group_paths[0], "/dev/vfio/%s", argv[1]);
	return 2;
}

static int target_missing(void) { return ngroups == 0; }

/* Container i of case k holds group (k + i) mod N of the N given. On pseries a PHB (a group)
 * keeps what happened to it for the life of the guest: where the hypervisor puts the next
 * dynamic window once a default window was removed, and a refused DDW creation refuses every
 * later one (arch/powerpc/platforms/pseries/iommu.c: enable_ddw). With as many groups as cases
 * each case starts on a PHB nothing has touched; with one, every case shares it. */
static const char *group_of(int i) { return group_paths[(case_index + i) % ngroups]; }

static void sp_close(int i)
{
	if (cts[i].group >= 0) close(cts[i].group);
	if (cts[i].container >= 0) close(cts[i].container);
	memset(&cts[i], 0, sizeof cts[i]);
	cts[i].group = cts[i].container = -1;
}

/* Container i as the suite's reset leaves it: its group attached and VFIO_SET_IOMMU done, no mm
 * bound yet (GET_INFO binds none: tce_iommu_ioctl), the default window pending on v2. */
static int sp_open_one(int i, int type)
{
	struct spapr_ct *c = &cts[i];
	c->group = c->container = -1;
	c->type = type;
	if (i >= ngroups) return refuse("the case uses container %d: give %d --group arguments", i, i + 1);
	const char *path = group_of(i);
	c->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (c->container < 0) return refuse("open /dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(c->container, VFIO_CHECK_EXTENSION, type) != 1) return refuse("VFIO_CHECK_EXTENSION: IOMMU type %d unsupported", type);
	c->group = open(path, O_RDWR | O_CLOEXEC);
	if (c->group < 0) return refuse("open %s: %s", path, strerror(errno));
	struct vfio_group_status st = { .argsz = sizeof st };
	if (ioctl(c->group, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return refuse("%s is not viable: every device of the group must be bound to vfio-pci", path);
	if (ioctl(c->group, VFIO_GROUP_SET_CONTAINER, &c->container) < 0) return refuse("VFIO_GROUP_SET_CONTAINER %s: %s", path, strerror(errno));
	if (ioctl(c->container, VFIO_SET_IOMMU, type) < 0) return refuse("VFIO_SET_IOMMU: %s", strerror(errno));
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof info };
	if (ioctl(c->container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info) < 0) return refuse("TCE_GET_INFO: %s", strerror(errno));
	c->win[0] = (struct window){ info.dma32_window_start, info.dma32_window_size, 1 };
	return 0;
}

static int sp_open(int n, int type)
{
	for (int i = 0; i < n; i++)
		if (sp_open_one(i, type)) return 2;
	return 0;
}

static int fd_of(int i) { return i >= 0 && i < MAX_CT ? cts[i].container : -1; }

static int sp_enable(struct res *r, int i, int on)
{
	return answer(r, ioctl(fd_of(i), on ? VFIO_IOMMU_ENABLE : VFIO_IOMMU_DISABLE));
}

static int sp_register(struct res *r, int i, int reg, uint32_t flags, uint64_t vaddr, uint64_t size)
{
	struct vfio_iommu_spapr_register_memory m = { .argsz = sizeof m, .flags = flags, .vaddr = vaddr, .size = size };
	return answer(r, ioctl(fd_of(i), reg ? VFIO_IOMMU_SPAPR_REGISTER_MEMORY : VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &m));
}

static int sp_get_info(struct res *r, int i)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof info };
	if (answer(r, ioctl(fd_of(i), VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info))) return r->err;
	int ddw = (info.flags & VFIO_IOMMU_SPAPR_INFO_DDW) != 0;
	r->v[0] = info.dma32_window_start;
	r->v[1] = info.dma32_window_size;
	r->v[2] = ddw ? info.ddw.pgsizes : 0;
	r->v[3] = ddw ? ((uint64_t)info.ddw.max_dynamic_windows_supported << 32 | info.ddw.levels) : 0;
	append(r, " dma32=0x%" PRIx64 "+0x%" PRIx64, r->v[0], r->v[1]);
	if (ddw) append(r, " ddw={pgsizes:0x%" PRIx64 " maxDynamicWindows:%u levels:%u}", r->v[2], info.ddw.max_dynamic_windows_supported, info.ddw.levels);
	return 0;
}

static int sp_create(struct res *r, int i, uint32_t flags, uint32_t page_shift, uint64_t window_size, uint32_t levels)
{
	struct vfio_iommu_spapr_tce_create c = { .argsz = sizeof c, .flags = flags, .page_shift = page_shift,
						 .window_size = window_size, .levels = levels };
	if (answer(r, ioctl(fd_of(i), VFIO_IOMMU_SPAPR_TCE_CREATE, &c))) return r->err;
	r->v[0] = c.start_addr;
	append(r, " startAddr=0x%" PRIx64, r->v[0]);
	for (int w = 1; w < MAX_WIN; w++)
		if (!cts[i].win[w].live) { cts[i].win[w] = (struct window){ c.start_addr, window_size, 1 }; break; }
	return 0;
}

/* TCE_REMOVE takes any address inside a window (tce_iommu_find_table) */
static int sp_remove(struct res *r, int i, uint32_t flags, uint64_t start)
{
	struct vfio_iommu_spapr_tce_remove m = { .argsz = sizeof m, .flags = flags, .start_addr = start };
	if (answer(r, ioctl(fd_of(i), VFIO_IOMMU_SPAPR_TCE_REMOVE, &m))) return r->err;
	for (int w = 0; w < MAX_WIN; w++) {
		struct window *x = &cts[i].win[w];
		if (x->live && start >= x->start && start - x->start < x->size) { x->live = 0; break; }
	}
	return 0;
}

/* pseries, as /proc/cpuinfo's "platform" line names it (arch/powerpc/kernel/setup-common.c:
 * show_cpuinfo, ppc_md.name). */
static int on_pseries(void)
{
	static int known = -1;
	if (known >= 0) return known;
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	known = 0;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "platform", 8) && strstr(line, "pSeries")) known = 1;
	if (f) fclose(f);
	return known;
}

/* A MAP whose first page is in a window but whose end is past it: Linux 6.12 checks only the
 * first page (iommu_tce_put_param_check) and builds on (SPAPR-MAP-WINDOW-END). On v2
 * tce_iommu_build_v2 writes the userspace view past the table and oopses; on powernv v1's
 * pnv_tce_xchg (arch/powerpc/platforms/powernv/pci-ioda-tce.c) exchanges the entry past the
 * table unchecked. Only v1 on pseries is sent: its TCEs go to the hypervisor
 * (tce_exchange_pseries), which refuses the first one past the window (H_PARAMETER).
 * sp_map answers -1 and runs nothing for the others. */
static int map_overruns(int i, uint64_t iova, uint64_t size)
{
	if (cts[i].type == VFIO_SPAPR_TCE_IOMMU && on_pseries()) return 0;
	for (int w = 0; w < MAX_WIN; w++) {
		const struct window *x = &cts[i].win[w];
		if (x->live && iova >= x->start && iova - x->start < x->size && size > x->size - (iova - x->start)) return 1;
	}
	return 0;
}

static int sp_map(struct res *r, int i, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	if (i >= 0 && i < MAX_CT && map_overruns(i, iova, size)) {
		refuse("MAP 0x%" PRIx64 "+0x%" PRIx64 " runs past its window's end: Linux 6.12 writes past the TCE table", iova, size);
		return -1;
	}
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size };
	answer(r, ioctl(fd_of(i), VFIO_IOMMU_MAP_DMA, &m));
	return 0;
}

static int sp_unmap(struct res *r, int i, uint32_t flags, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .flags = flags, .iova = iova, .size = size };
	return answer(r, ioctl(fd_of(i), VFIO_IOMMU_UNMAP_DMA, &u));
}

/* closeContainer: the container and its group closed (tce_iommu_release), then fresh ones */
static int sp_close_container(struct res *r, int i, int type)
{
	sp_close(i);
	answer(r, 0);
	return sp_open_one(i, type);
}

static int sp_counters(struct res *r) { return host_counters(r, ""); }
