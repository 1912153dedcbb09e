/* spapr_container.c - a case's containers: one per edu device (one per PHB, its own group),
 * VFIO_SET_IOMMU with VFIO_SPAPR_TCE_v2_IOMMU or VFIO_SPAPR_TCE_IOMMU; and the windows the case
 * has, as far as spapr_guard.c needs to know them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "spapr.h"
#include "util.h"

struct spapr_ct ct[MAXCT];

int ct_open(int i)
{
	char p[64];
	struct spapr_ct *c = &ct[i];
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
	/* the default window: created lazily on v2 (SPAPR-DEFAULT-WINDOW), always there on v1;
	 * either way a MAP into it is bounded by it */
	c->nwin = 0;
	win_add(i, g->dma32_start, g->dma32_size, 12);
	return 0;
}

void ct_close(int i)
{
	struct spapr_ct *c = &ct[i];
	if (c->group >= 0) close(c->group);
	if (c->container >= 0) close(c->container);
	c->group = c->container = -1;
	c->nwin = 0;
}

void win_add(int i, uint64_t start, uint64_t size, int shift)
{
	struct spapr_ct *c = &ct[i];
	if (c->nwin == MAXWIN) { logf_("container %d: more than %d windows", i, MAXWIN); return; }
	c->win[c->nwin++] = (struct spapr_window){ start, size, shift };
}

void win_remove(int i, uint64_t start)
{
	struct spapr_ct *c = &ct[i];
	/* the newest first: a window re-created at the start of a removed one */
	for (int w = c->nwin - 1; w >= 0; w--) {
		if (c->win[w].start != start) continue;
		memmove(&c->win[w], &c->win[w + 1], (c->nwin - w - 1) * sizeof c->win[0]);
		c->nwin--;
		return;
	}
}
