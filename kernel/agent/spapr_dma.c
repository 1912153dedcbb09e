/* spapr_dma.c - dmaRead and dmaWrite by a container's edu device, through its TCE windows.
 *
 * The edu device moves data only between bus addresses and its own buffer (device address
 * 0x40000), and its bus addresses go through its PHB's TCE table: reading what it got needs a
 * TCE of that table pointing at the agent's memory. So a DMA lends one entry of the container's
 * windows for its duration: a 4 KiB entry of a window the kernel has created, outside every range
 * a MAP may have left valid (spapr.h: the runs), mapped to a scratch page and cleared again (on
 * v2 with the scratch registered and unregistered around it, CAP_IPC_LOCK held meanwhile so that
 * the case's RLIMIT_MEMLOCK does not refuse it; locked_vm is back where it was after). The
 * entry was empty before and is empty after: what the suite sees of the container is unchanged.
 *
 * A container in which no MAP has left a TCE that may be valid reaches nothing: a read answers
 * zeros (what QEMU's pseries PHB gives for an invalid TCE; there is no fault signal), a write
 * changes nothing, and no DMA is run.
 *
 * edu's registers are native-endian, big-endian on ppc64: the little-endian guest swaps them. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "host.h"
#include "spapr.h"
#include "util.h"
#include "edu.h"

int cap_held;

static void w64(const struct spapr_ct *c, uint32_t off, uint64_t v) { *(volatile uint64_t *)(c->bar0 + off) = __builtin_bswap64(v); }
static uint64_t r64(const struct spapr_ct *c, uint32_t off) { return __builtin_bswap64(*(volatile uint64_t *)(c->bar0 + off)); }

/* 8 bytes between bus address iova and the start of the device's buffer; cmd 1: to the
 * device, 3: from it */
static int edu_dma(const struct spapr_ct *c, int to_ram, uint64_t iova)
{
	w64(c, EDU_SRC, to_ram ? EDU_BUF : iova);
	w64(c, EDU_DST, to_ram ? iova : EDU_BUF);
	w64(c, EDU_CNT, 8);
	w64(c, EDU_CMD, to_ram ? 3 : 1);
	for (int k = 0; k < 5000; k++) {
		if (!(r64(c, EDU_CMD) & 1)) return 0;
		usleep(1000);
	}
	return -1;
}

static int in_runs(const struct spapr_ct *c, uint64_t a)
{
	for (int r = 0; r < c->nrun; r++)
		if (c->run[r][0] <= a && a < c->run[r][1]) return 1;
	return 0;
}

static int any_run(const struct spapr_ct *c)
{
	for (int r = 0; r < c->nrun; r++)
		if (c->run[r][0] < c->run[r][1]) return 1;
	return c->overflow;
}

/* the highest free 4 KiB entry of a created 4 KiB window, among its top 64 */
static int scratch_iova(const struct spapr_ct *c, uint64_t *s)
{
	for (int w = 0; w < c->nwin; w++) {
		const struct spapr_window *x = &c->win[w];
		if (!x->exists || x->shift != 12) continue;
		for (uint64_t k = 1; k <= 64 && k * PAGE <= x->size; k++) {
			uint64_t a = x->start + x->size - k * PAGE;
			if (!in_runs(c, a)) { *s = a; return 0; }
		}
	}
	return -1;
}

static uint64_t *scratch_page(void)
{
	static uint64_t *p;
	if (!p) {
		void *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || (uint64_t)(uintptr_t)m - ARENA_START < ARENA_SIZE) return NULL;
		p = m;
	}
	return p;
}

static int reg(const struct spapr_ct *c, unsigned long cmd, uint64_t *page)
{
	struct vfio_iommu_spapr_register_memory m = { .argsz = sizeof m, .vaddr = (uintptr_t)page, .size = PAGE };
	return spapr_v1 ? 0 : (int)ioctl(c->container, cmd, &m);
}

int spapr_dma(int i, int write, uint64_t iova, uint64_t *token, const char **fatal)
{
	const struct spapr_ct *c = &ct[i];
	if (!any_run(c)) {
		if (!write) *token = 0;
		return 0;
	}
	static char m[160];
	m[0] = 0;
	uint64_t s, *page = scratch_page();
	if (c->overflow) { *fatal = "more MAPs than the agent keeps track of: no free entry is known for the DMA scratch"; return -1; }
	if (!page || scratch_iova(c, &s) < 0) { *fatal = "no created 4 KiB window with a free entry for the DMA scratch"; return -1; }
	set_cap_ipc_lock(1);
	/* A DISABLEd v1 container still holds its TCEs (SPAPR-V1-DISABLE) but takes no MAP: it is
	 * enabled around the scratch and disabled again. tce_iommu_enable and tce_iommu_disable
	 * only charge and uncharge the 32-bit window's pages (CAP_IPC_LOCK held), so locked_vm and
	 * the enabled state are as they were after. */
	int reenabled = spapr_v1 && c->disabled;
	if (reenabled && ioctl(c->container, VFIO_IOMMU_ENABLE) < 0) {
		snprintf(m, sizeof m, "DMA scratch: ENABLE of the disabled v1 container: %s", strerror(errno));
		set_cap_ipc_lock(cap_held);
		*fatal = m;
		return -1;
	}
	if (reg(c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, page) != 0) {
		snprintf(m, sizeof m, "DMA scratch: REGISTER: %s", strerror(errno));
		set_cap_ipc_lock(cap_held);
		*fatal = m;
		return -1;
	}
	struct vfio_iommu_type1_dma_map mp = { .argsz = sizeof mp, .flags = 3, .vaddr = (uintptr_t)page, .iova = s, .size = PAGE };
	int r = (int)ioctl(c->container, VFIO_IOMMU_MAP_DMA, &mp), mapped = r == 0;
	if (r != 0) snprintf(m, sizeof m, "DMA scratch: MAP at 0x%llx: %s", (unsigned long long)s, r < 0 ? strerror(errno) : "positive return");
	if (r == 0 && write) {
		page[0] = *token;
		r = edu_dma(c, 0, s);
		if (r == 0) r = edu_dma(c, 1, iova);
		if (r) snprintf(m, sizeof m, "edu DMA did not complete");
	} else if (r == 0) {
		page[0] = 0;
		r = edu_dma(c, 0, iova);
		if (r == 0) r = edu_dma(c, 1, s);
		if (r) snprintf(m, sizeof m, "edu DMA did not complete");
		*token = page[0];
	}
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .iova = s, .size = PAGE };
	if (mapped && ioctl(c->container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) logf_("DMA scratch: UNMAP: %m");
	if (reg(c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, page) < 0) logf_("DMA scratch: UNREGISTER: %m");
	if (reenabled && ioctl(c->container, VFIO_IOMMU_DISABLE) < 0) logf_("DMA scratch: DISABLE: %m");
	set_cap_ipc_lock(cap_held);
	if (r != 0) {
		*fatal = m;
		return -1;
	}
	return 0;
}
