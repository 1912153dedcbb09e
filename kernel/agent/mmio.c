/* mmio.c - PFNMAP memory for the suite: slices of the ivshmem device's BAR2, mapped through
 * VFIO. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "config.h"
#include "mmio.h"
#include "util.h"

int mmio_available;
static int mm_container = -1, mm_group = -1, mm_device = -1;
static uint64_t bar_offset, bar_size; /* BAR2 in the device fd */
static uint8_t *bar;                  /* all of BAR2, outside the arena: zeroes new slices */
static uint64_t next_free;            /* bump allocator over BAR2, per case process */

void mmio_close(void)
{
	if (bar) munmap(bar, bar_size);
	bar = NULL;
	if (mm_device >= 0) close(mm_device);
	if (mm_group >= 0) close(mm_group);
	if (mm_container >= 0) close(mm_container);
	mm_device = mm_group = mm_container = -1;
}

static int mmio_open(void)
{
	if (mm_device >= 0) return 0;
	if (!mmio_bdf[0]) { errno = ENODEV; return -1; }
	char p[512], link[512];
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", mmio_bdf);
	ssize_t n = readlink(p, link, sizeof link - 1);
	if (n < 0) { logf_("mmio: readlink %s: %m", p); return -1; }
	link[n] = 0;
	snprintf(p, sizeof p, "/dev/vfio/%s", strrchr(link, '/') + 1);
	mm_container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	mm_group = open(p, O_RDWR | O_CLOEXEC);
	if (mm_container < 0 || mm_group < 0) { logf_("mmio: open container or %s: %m", p); goto fail; }
	int type = ioctl(mm_container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	if (ioctl(mm_group, VFIO_GROUP_SET_CONTAINER, &mm_container) < 0) { logf_("mmio: SET_CONTAINER: %m"); goto fail; }
	if (ioctl(mm_container, VFIO_SET_IOMMU, type) < 0) { logf_("mmio: SET_IOMMU: %m"); goto fail; }
	mm_device = ioctl(mm_group, VFIO_GROUP_GET_DEVICE_FD, mmio_bdf);
	if (mm_device < 0) { logf_("mmio: GET_DEVICE_FD %s: %m", mmio_bdf); goto fail; }
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR2_REGION_INDEX };
	if (ioctl(mm_device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) { logf_("mmio: REGION_INFO BAR2: %m"); goto fail; }
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size == 0) { logf_("mmio: BAR2 cannot be mmapped"); errno = ENODEV; goto fail; }
	bar_offset = ri.offset;
	bar_size = ri.size;
	/* the BAR's fault handler inserts pages only while memory decoding is on */
	struct vfio_region_info ci = { .argsz = sizeof ci, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;
	if (ioctl(mm_device, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0 || pread(mm_device, &cmd, 2, ci.offset + 4) != 2) {
		logf_("mmio: PCI_COMMAND: %m");
		goto fail;
	}
	cmd |= 0x2; /* MEMORY */
	if (pwrite(mm_device, &cmd, 2, ci.offset + 4) != 2) { logf_("mmio: pwrite PCI_COMMAND: %m"); goto fail; }
	void *m = mmap(NULL, bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, mm_device, bar_offset);
	if (m == MAP_FAILED) { logf_("mmio: mmap BAR2: %m"); goto fail; }
	bar = m;
	if ((uint64_t)(uintptr_t)m + bar_size > ARENA_START && (uint64_t)(uintptr_t)m < ARENA_START + ARENA_SIZE) {
		logf_("mmio: the BAR mapping landed in the arena");
		errno = ENOMEM;
		goto fail;
	}
	next_free = 0;
	return 0;
fail:
	{
		int e = errno;
		mmio_close();
		errno = e;
	}
	return -1;
}

int mmio_mmap(uint64_t vaddr, uint64_t size, int prot, const char **fatal)
{
	if (mmio_open() < 0) {
		*fatal = "mmap: cannot open the MMIO device (see the guest console)";
		return -1;
	}
	uint64_t at = next_free;
	/* what the kernel refuses up front (size 0, unaligned) gets the kernel's answer, unallocated */
	int fresh = size != 0 && !((vaddr | size) & (PAGE - 1));
	if (fresh) {
		if (size > bar_size - next_free) {
			logf_("mmio: BAR2 used up in this case (0x%" PRIx64 " of 0x%" PRIx64 " bytes)", next_free, bar_size);
			*fatal = "mmap: the agent's MMIO BAR is used up in this case";
			return -1;
		}
		memset(bar + at, 0, size); /* fresh memory reads as token 0 */
	}
	void *p = mmap((void *)(uintptr_t)vaddr, size, prot, MAP_SHARED | MAP_FIXED, mm_device, bar_offset + at);
	if (p == MAP_FAILED) return -1;
	if (fresh) next_free += size;
	stats->mmio_maps++;
	return 0;
}

/* The VMA of /proc/self/maps holding [vaddr, vaddr + 8): 1 if it is a VFIO device mapping in
 * the arena (never the agent's own BAR mappings) whose protection has `perm` ('r' or 'w'). */
static int device_vma_allows(uint64_t vaddr, char perm)
{
	if (vaddr < ARENA_START || vaddr - ARENA_START > ARENA_SIZE - 8) return 0;
	static char buf[1 << 18];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0) return 0;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += n;
	close(fd);
	buf[len] = 0;
	for (char *line = buf; line && *line;) {
		char *next = strchr(line, '\n');
		if (next) *next++ = 0;
		unsigned long long s, e;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &s, &e, perms) == 3 && s <= vaddr && vaddr + 8 <= e)
			return strstr(line, "vfio") && strchr(perms, perm) != NULL;
		line = next;
	}
	return 0;
}

int mmio_cpu_read(uint64_t vaddr, uint64_t *token)
{
	if (mm_device < 0 || !device_vma_allows(vaddr, 'r')) { errno = EFAULT; return -1; }
	*token = *(volatile uint64_t *)(uintptr_t)vaddr;
	return 0;
}

int mmio_cpu_write(uint64_t vaddr, uint64_t token)
{
	if (mm_device < 0 || !device_vma_allows(vaddr, 'w')) { errno = EFAULT; return -1; }
	*(volatile uint64_t *)(uintptr_t)vaddr = token;
	return 0;
}

int mmio_check(void)
{
	/* a page just below the arena's end: the probe never maps anything else there */
	uint64_t at = ARENA_START + ARENA_SIZE - PAGE, t = 0;
	const char *fatal = NULL;
	int ok = mmio_mmap(at, PAGE, PROT_READ | PROT_WRITE, &fatal) == 0 && mmio_cpu_read(at, &t) == 0 && t == 0 &&
		 mmio_cpu_write(at, 0x6d6d696f) == 0 && mmio_cpu_read(at, &t) == 0 && t == 0x6d6d696f;
	if (ok) logf_("mmio: %s BAR2, 0x%" PRIx64 " bytes", mmio_bdf, bar_size);
	munmap((void *)(uintptr_t)at, PAGE);
	mmio_close();
	return ok ? 0 : -1;
}
