/* spapr_container.c - a case's containers: one per edu device (one per PHB, its own group),
 * VFIO_SET_IOMMU with VFIO_SPAPR_TCE_v2_IOMMU or VFIO_SPAPR_TCE_IOMMU; and the windows the case
 * has, as far as spapr_guard.c needs to know them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "spapr.h"
#include "util.h"

struct spapr_ct ct[MAXCT];

/* the edu device: its fd, BAR0 mapped, memory decoding and bus mastering on */
static int device_open(int i, const char *bdf)
{
	struct spapr_ct *c = &ct[i];
	c->device = ioctl(c->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (c->device < 0) { logf_("GET_DEVICE_FD %s: %m", bdf); return -1; }
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info ci = { .argsz = sizeof ci, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;
	if (ioctl(c->device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || ioctl(c->device, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0 ||
	    pread(c->device, &cmd, 2, ci.offset + 4) != 2) { logf_("%s: region info: %m", bdf); return -1; }
	void *m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, c->device, ri.offset);
	if (m == MAP_FAILED) { logf_("mmap BAR0 of %s: %m", bdf); return -1; }
	c->bar0 = m;
	c->bar0_size = ri.size;
	cmd |= 0x6; /* MEMORY | BUS_MASTER */
	if (pwrite(c->device, &cmd, 2, ci.offset + 4) != 2) { logf_("%s: PCI_COMMAND: %m", bdf); return -1; }
	return 0;
}

int ct_open(int i)
{
	char p[64];
	struct spapr_ct *c = &ct[i];
	c->device = -1;
	c->bar0 = NULL;
	c->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	const struct spapr_geometry *g = &geo[c->phb];
	snprintf(p, sizeof p, "/dev/vfio/%d", g->group);
	c->group = open(p, O_RDWR | O_CLOEXEC);
	if (c->container < 0 || c->group < 0) { logf_("open container %d (%s): %m", i, p); return -1; }
	struct vfio_group_status st = { .argsz = sizeof st };
	if (ioctl(c->group, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		logf_("group %d not viable", g->group);
		return -1;
	}
	if (ioctl(c->group, VFIO_GROUP_SET_CONTAINER, &c->container) < 0) { logf_("SET_CONTAINER %d: %m", i); return -1; }
	if (ioctl(c->container, VFIO_SET_IOMMU, spapr_v1 ? VFIO_SPAPR_TCE_IOMMU : VFIO_SPAPR_TCE_v2_IOMMU) < 0) {
		logf_("SET_IOMMU %d: %m", i);
		return -1;
	}
	/* the default window: created lazily (SPAPR-DEFAULT-WINDOW); a MAP into it is bounded by
	 * it either way */
	c->nwin = c->nrun = c->overflow = c->disabled = 0;
	win_add(i, g->dma32_start, g->dma32_size, 12);
	c->win[0].exists = 0;
	return device_open(i, g->bdf);
}

void ct_close(int i)
{
	struct spapr_ct *c = &ct[i];
	if (c->bar0) munmap((void *)c->bar0, c->bar0_size);
	if (c->device >= 0) close(c->device);
	c->bar0 = NULL;
	c->device = -1;
	if (c->group >= 0) close(c->group);
	if (c->container >= 0) close(c->container);
	c->group = c->container = -1;
	c->nwin = 0;
}

void win_add(int i, uint64_t start, uint64_t size, int shift)
{
	struct spapr_ct *c = &ct[i];
	if (c->nwin == MAXWIN) { logf_("container %d: more than %d windows", i, MAXWIN); return; }
	c->win[c->nwin++] = (struct spapr_window){ start, size, shift, 1 };
}

struct spapr_window *win_at(int i, uint64_t iova)
{
	for (int w = 0; w < ct[i].nwin; w++) {
		struct spapr_window *x = &ct[i].win[w];
		if (iova >= x->start && iova - x->start < x->size) return x;
	}
	return NULL;
}

void run_set(int i, uint64_t iova, uint64_t size)
{
	struct spapr_ct *c = &ct[i];
	if (size == 0) return;
	if (c->nrun == MAXRUN) { c->overflow = 1; return; }
	c->run[c->nrun][0] = iova;
	c->run[c->nrun++][1] = iova + size;
}

void run_clear(int i, uint64_t iova, uint64_t size)
{
	struct spapr_ct *c = &ct[i];
	uint64_t lo = iova, hi = iova + size < iova ? UINT64_MAX : iova + size;
	for (int r = 0; r < c->nrun; r++) {
		uint64_t a = c->run[r][0], b = c->run[r][1];
		if (b <= lo || hi <= a) continue;
		if (a < lo && hi < b && c->nrun < MAXRUN) { /* split */
			c->run[c->nrun][0] = hi;
			c->run[c->nrun++][1] = b;
			c->run[r][1] = lo;
		} else if (a < lo) c->run[r][1] = lo;
		else if (hi < b) c->run[r][0] = hi;
		else { c->run[r][0] = c->run[r][1] = 0; }
	}
}

void win_remove(int i, uint64_t start)
{
	/* TCE_REMOVE takes any address inside the window (tce_iommu_remove_window looks it up with
	 * tce_iommu_find_table), and start 0 cancels a pending default window */
	struct spapr_ct *c = &ct[i];
	struct spapr_window *x = win_at(i, start);
	if (!x) return;
	int w = (int)(x - c->win);
	run_clear(i, x->start, x->size);
	memmove(&c->win[w], &c->win[w + 1], (c->nwin - w - 1) * sizeof c->win[0]);
	c->nwin--;
}
