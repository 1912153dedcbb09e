/* device.c - the edu device's VFIO cdev: bind, attach, detach, hw_info, and DMA staging. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "container.h"
#include "device.h"
#include "iommufd.h"
#include "scratch.h"
#include "uapi.h"
#include "util.h"

int dev_fd = -1;
uint32_t dev_id;
uint32_t dev_pt;

/* /dev/vfio/devices/vfioN of the edu device: the one entry of its vfio-dev/ directory */
static int cdev_path(char *out, size_t n)
{
	char p[512];
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	DIR *d = opendir(p);
	if (!d) { logf_("opendir %s: %m (no VFIO cdev: CONFIG_VFIO_DEVICE_CDEV?)", p); return -1; }
	struct dirent *e;
	int found = -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "vfio", 4)) {
			snprintf(out, n, "/dev/vfio/devices/%.200s", e->d_name);
			found = 0;
		}
	closedir(d);
	if (found < 0) logf_("no vfioN in %s", p);
	return found;
}

int dev_open(void)
{
	char p[256];
	dev_id = 0;
	dev_pt = 0;
	if (cdev_path(p, sizeof p) < 0) return -1;
	dev_fd = open(p, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) { logf_("open %s: %m", p); return -1; }
	return 0;
}

void dev_close(void)
{
	if (bar0) munmap((void *)bar0, bar0_size);
	bar0 = NULL;
	if (dev_fd >= 0) close(dev_fd);
	dev_fd = -1;
	dev_id = 0;
	dev_pt = 0;
}

/* BAR0 mapped and PCI_COMMAND MEMORY | BUS_MASTER set: what dma.c drives */
static int enable_edu(void)
{
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) { logf_("REGION_INFO BAR0: %m"); return -1; }
	void *m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd, ri.offset);
	if (m == MAP_FAILED) { logf_("mmap BAR0: %m"); return -1; }
	bar0 = m;
	bar0_size = ri.size;
	struct vfio_region_info ci = { .argsz = sizeof ci, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;
	if (ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0 || pread(dev_fd, &cmd, 2, ci.offset + 4) != 2) {
		logf_("PCI_COMMAND: %m");
		return -1;
	}
	cmd |= 0x6; /* MEMORY | BUS_MASTER */
	if (pwrite(dev_fd, &cmd, 2, ci.offset + 4) != 2) { logf_("pwrite PCI_COMMAND: %m"); return -1; }
	return 0;
}

int dev_bind(const char **fatal)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof b, .iommufd = iommufd };
	if (ioctl(dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &b) < 0) return -1;
	dev_id = b.out_devid;
	if (enable_edu() < 0) { *fatal = "bind: cannot map the edu BAR0 or enable bus mastering"; return -1; }
	return 0;
}

int dev_attach(uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof a, .pt_id = pt_id };
	if (ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) < 0) return -1;
	dev_pt = pt_id; /* the IOAS; a.pt_id now names the automatic HWPT */
	return 0;
}

int dev_detach(void)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof d };
	if (ioctl(dev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) < 0) return -1;
	dev_pt = 0;
	return 0;
}

int dev_hw_info(uint32_t id, uint32_t *type, uint64_t *caps)
{
	struct iommu_hw_info h = { .size = sizeof h, .dev_id = id };
	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &h) < 0) return -1;
	*type = h.out_data_type;
	*caps = h.out_capabilities;
	return 0;
}

/* ---------------------------------------------------------------- DMA staging
 *
 * The edu device moves data only between its own buffer and IOVAs, so every observation needs
 * the scratch reachable by the device before and after it (dma.c). The scratch helper maps it
 * at the reserved scratch IOVA (scratch.h) with IOMMU_IOAS_MAP into:
 *   - the IOAS the device is attached to, for a run of DMA observations (stage.h); the agent
 *     declares the scratch range as a reserved region of the device, so no area of the suite's
 *     is ever there while the device is attached (fdops.c);
 *   - a device that is bound but not attached sits in the blocking domain: the staging DMAs go
 *     through a private IOAS holding only the scratch (allocated, attached, then destroyed
 *     within the operation), and the observation itself runs detached, i.e. in the blocking
 *     domain, as the suite asked.
 * The helper's IOAS_MAP makes it the pages' source mm (pages.c: iopt_alloc_pages), and it holds
 * CAP_IPC_LOCK (IOPT_PAGES_ACCOUNT_NONE): the scratch pin never shows in the case's VmPin, nor
 * charges the user's locked_vm. */

static uint32_t private_ioas; /* the private IOAS of a staging in progress, or 0 */

/* Can the IOAS of kernel id `id` hold no area at all (no IOVA range of a page)? Then the device
 * attached to it reaches nothing. Seen on virtio-iommu (6.12) after an attach that replaces into
 * an IOAS without a domain: iommufd adds the new domain to the IOAS before attaching it
 * (hw_pagetable.c: iommufd_hwpt_paging_alloc without immediate_attach), and virtio-iommu sets a
 * domain's aperture only at its first attach (virtio-iommu.c: viommu_domain_finalise), so the
 * IOAS reserves all but [0, 0]. */
static int holds_nothing(uint32_t id)
{
	uint64_t r[MAX_ALLOW][2], align;
	int n;
	if (ioas_iova_ranges(id, r, MAX_ALLOW, &n, &align) < 0) return 0;
	for (int i = 0; i < n; i++)
		if (r[i][1] - r[i][0] >= PAGE - 1) return 0;
	return 1;
}

int fd_stage_begin(void)
{
	if (dev_pt) {
		if (scratch_map_in(dev_pt) == 0) return 0;
		int e = errno;
		if (e == EINVAL && holds_nothing(dev_pt)) return 1;
		errno = e;
		return -1;
	}
	if (ioas_alloc(&private_ioas) < 0) return -1;
	if (scratch_map_in(private_ioas) < 0 || dev_attach(private_ioas) < 0) {
		int e = errno;
		fd_stage_end();
		errno = e;
		return -1;
	}
	return 0;
}

void fd_stage_end(void)
{
	if (dev_pt && !private_ioas) {
		scratch_unmap_from(dev_pt);
		return;
	}
	if (!private_ioas) return;
	if (dev_detach() < 0 && errno != ENOENT) logf_("staging: detach: %m");
	scratch_unmap_from(private_ioas);
	if (ioas_destroy(private_ioas) < 0) logf_("staging: destroy of the private IOAS: %m");
	private_ioas = 0;
}

int fd_observe_begin(void)
{
	return private_ioas ? dev_detach() : 0;
}

int fd_observe_end(void)
{
	return private_ioas ? dev_attach(private_ioas) : 0;
}
