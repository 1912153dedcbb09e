/*
 * pfnmap-prot-none: what VFIO_IOMMU_MAP_DMA answers for a PFNMAP (MMIO) VMA, populated or not,
 * after mprotect. The reproducer of the T1-MAP-UNBACKED measurement (README.md in this folder).
 *
 * Runs as the payload of the kernel backend's guest instead of the agent:
 *   node --import tsx kernel/vm/backend.ts --iommu intel-iommu \
 *        --guest-program kernel/divergences/pfnmap-prot-none.c
 * and prints one line per step on the guest console. Needs root, the edu device bound to
 * vfio-pci (the initramfs /init does that) and nothing but libc and linux/vfio.h.
 *
 * The PFNMAP VMA is an mmap of the edu device's BAR0 through the VFIO device fd. "Touched" means
 * a CPU load faulted the page table entry in (vfio-pci inserts one page per fault); an earlier
 * MAP_DMA does too. /proc/self/pagemap cannot show it: the page walk skips VM_PFNMAP VMAs.
 * Every map is READ, READ|WRITE or WRITE of one or two pages at IOVA 0x100000, undone when it
 * succeeds. VmLck (locked_vm, in pages) is read before and after each map.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/vfio.h>

#define PAGE 4096UL
#define AT ((char *)0x200000000000UL) /* where the PFNMAP VMA goes */
#define MOVED ((char *)0x200000100000UL) /* where mremap moves it */
#define IOVA 0x100000UL

static int container, device;
static uint64_t bar0_offset;

static void fail(const char *what)
{
	printf("pfnmap: FATAL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static long vmlck(void)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0) close(fd);
	if (n <= 0) return -1;
	buf[n] = 0;
	char *p = strstr(buf, "VmLck:");
	return p ? atol(p + 6) / 4 : -1; /* in 4 KiB pages */
}

/* a fresh PFNMAP VMA of `pages` pages onto BAR0 page 1 on (page 0 holds the edu registers
 * the agent uses; loads elsewhere return all-ones and change nothing) */
static char *map_bar(int pages)
{
	void *p = mmap(AT, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, device, bar0_offset + PAGE);
	if (p == MAP_FAILED) fail("mmap BAR0");
	return p;
}

static void touch(char *at) { (void)*(volatile uint32_t *)at; }

static const char *prot_name(int prot)
{
	return prot == PROT_NONE ? "none" : prot == PROT_READ ? "r" : "rw";
}

static void protect(char *at, int pages, int prot)
{
	if (mprotect(at, pages * PAGE, prot) < 0) {
		printf("pfnmap:   mprotect(%s) -> %s\n", prot_name(prot), strerror(errno));
		fail("mprotect");
	}
}

/* MAP_DMA and, if it succeeded, UNMAP_DMA; prints the answer and the VmLck change */
static void map_dma(const char *label, char *at, int pages, uint32_t flags)
{
	long before = vmlck();
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof m, .flags = flags, .vaddr = (uintptr_t)at, .iova = IOVA, .size = pages * PAGE,
	};
	int r = ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
	int e = errno;
	long during = vmlck();
	if (r == 0) {
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .iova = IOVA, .size = pages * PAGE };
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) fail("UNMAP_DMA");
	}
	const char *f = flags == 1 ? "READ" : flags == 2 ? "WRITE" : "READ|WRITE";
	printf("pfnmap: %-48s MAP_DMA %-10s %d page%s -> %-6s locked_vm %ld -> %ld\n", label, f, pages,
	       pages > 1 ? "s" : " ", r == 0 ? "ok" : e == EFAULT ? "EFAULT" : strerror(e), before, during);
	fflush(stdout);
}

static void setup(void)
{
	char bdf[64] = "", p[512], link[512];
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *ent;
	while (d && (ent = readdir(d))) {
		char v[16] = "", dv[16] = "";
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/vendor", ent->d_name);
		FILE *f = fopen(p, "r");
		if (!f) continue;
		if (!fgets(v, sizeof v, f)) v[0] = 0;
		fclose(f);
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/device", ent->d_name);
		if (!(f = fopen(p, "r"))) continue;
		if (!fgets(dv, sizeof dv, f)) dv[0] = 0;
		fclose(f);
		if (!strncmp(v, "0x1234", 6) && !strncmp(dv, "0x11e8", 6)) snprintf(bdf, sizeof bdf, "%.60s", ent->d_name);
	}
	if (d) closedir(d);
	if (!bdf[0]) { errno = ENODEV; fail("no edu device"); }
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ssize_t n = readlink(p, link, sizeof link - 1);
	if (n < 0) fail("readlink iommu_group");
	link[n] = 0;
	snprintf(p, sizeof p, "/dev/vfio/%s", strrchr(link, '/') + 1);
	container = open("/dev/vfio/vfio", O_RDWR);
	int group = open(p, O_RDWR);
	if (container < 0 || group < 0) fail("open container or group");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) fail("SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) fail("SET_IOMMU");
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0) fail("GET_DEVICE_FD");
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) fail("REGION_INFO BAR0");
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) { errno = ENOTSUP; fail("BAR0 cannot be mmapped"); }
	bar0_offset = ri.offset;
	struct vfio_region_info ci = { .argsz = sizeof ci, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0) fail("REGION_INFO CONFIG");
	uint16_t cmd;
	if (pread(device, &cmd, 2, ci.offset + 4) != 2) fail("pread PCI_COMMAND");
	cmd |= 0x2; /* MEMORY: the BAR's fault handler refuses to insert pages without it */
	if (pwrite(device, &cmd, 2, ci.offset + 4) != 2) fail("pwrite PCI_COMMAND");
	struct utsname u;
	uname(&u);
	printf("pfnmap: Linux %s %s; edu %s, %s, BAR0 size 0x%llx; uid %d\n", u.release, u.version, bdf, p,
	       (unsigned long long)ri.size, (int)getuid());
}

int main(void)
{
	setup();
	static const uint32_t flags[] = { 1, 3, 2 };
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };
	char label[128];

	/* one page: touched or not, then mprotect (or not), then each kind of map */
	for (int t = 1; t >= 0; t--)
		for (int pi = 0; pi < 3; pi++)
			for (int fi = 0; fi < 3; fi++) {
				char *at = map_bar(1);
				if (t) touch(at);
				if (prots[pi] != (PROT_READ | PROT_WRITE)) protect(at, 1, prots[pi]);
				snprintf(label, sizeof label, "%s, prot %s", t ? "touched" : "untouched", prot_name(prots[pi]));
				map_dma(label, at, 1, flags[fi]);
			}

	/* populated by MAP_DMA itself: READ map of an untouched rw page, then PROT_NONE */
	char *at = map_bar(1);
	map_dma("untouched, prot rw (this map faults the PTE in)", at, 1, 1);
	protect(at, 1, PROT_NONE);
	map_dma("  then prot none", at, 1, 1);

	/* two pages, only the first touched, PROT_NONE: the second page fails the whole map */
	at = map_bar(2);
	touch(at);
	protect(at, 2, PROT_NONE);
	map_dma("page 0 touched, page 1 not, prot none", at, 2, 1);

	/* PROT_NONE, then back to rw: the PTE stays, and is writable again */
	at = map_bar(1);
	touch(at);
	protect(at, 1, PROT_NONE);
	protect(at, 1, PROT_READ | PROT_WRITE);
	map_dma("touched, prot none, then rw again", at, 1, 3);

	/* mremap moves the populated PTE with the VMA */
	at = map_bar(1);
	touch(at);
	char *moved = mremap(at, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, MOVED);
	if (moved == MAP_FAILED) fail("mremap");
	protect(moved, 1, PROT_NONE);
	map_dma("touched, moved by mremap, prot none", moved, 1, 1);
	munmap(moved, PAGE);

	/* mmap with PROT_NONE from the start: nothing can populate it */
	void *p = mmap(AT, PAGE, PROT_NONE, MAP_SHARED | MAP_FIXED, device, bar0_offset + PAGE);
	if (p == MAP_FAILED) fail("mmap PROT_NONE");
	map_dma("mmap PROT_NONE", p, 1, 1);

	printf("pfnmap: done\n");
	fflush(stdout);
	return 0;
}
