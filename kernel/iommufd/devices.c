/*
 * devices: which VFIO and iommufd character devices the guest kernel offers, and who serves
 * /dev/vfio/vfio. The device check of the built kernels (kernel/iommufd/, test/kernel-iommufd.test.ts).
 *
 * Runs as the payload of the kernel backend's guest instead of the agent:
 *   node --import tsx kernel/vm/backend.ts --kernel iommufd-compat --iommu intel-iommu \
 *        --guest-program kernel/iommufd/devices.c
 * and prints `check: KEY VALUE` lines on the guest console:
 *   check: /dev/iommu present|absent                   (and /dev/vfio/vfio, /dev/vfio/devices/vfio0)
 *   check: iommufd-ioas-alloc ok|ERRNO                 IOMMU_IOAS_ALLOC on /dev/iommu
 *   check: vfio-container iommufd|vfio ERRNO|absent    IOMMU_IOAS_ALLOC on /dev/vfio/vfio: an iommufd
 *                                                      answers it (IOMMUFD_VFIO_CONTAINER); VFIO's own
 *                                                      container, with no IOMMU driver set, refuses
 *                                                      any ioctl it does not know (EINVAL,
 *                                                      drivers/vfio/container.c: vfio_fops_unl_ioctl)
 *   check: group-iommufd ok|ERRNO                      VFIO_GROUP_SET_CONTAINER of the edu device's group
 *                                                      with a /dev/iommu fd: iommufd's type1 compat
 *                                                      layer serves that group, whichever container
 *                                                      /dev/vfio/vfio is (drivers/vfio/group.c:
 *                                                      vfio_group_ioctl_set_container)
 *   check: done
 * Only libc and linux/vfio.h: the host's uapi headers (Debian 12: 6.1) have no iommufd.h, so its
 * two ioctls are defined here from include/uapi/linux/iommufd.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/vfio.h>

#define IOMMUFD_TYPE (';')
struct iommu_destroy { uint32_t size; uint32_t id; };
struct iommu_ioas_alloc { uint32_t size; uint32_t flags; uint32_t out_ioas_id; };
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, 0x80)
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)

/* 0 when `path` is an iommufd (it allocated and destroyed an IOAS), else the errno */
static int ioas_alloc(const char *path)
{
	int fd = open(path, O_RDWR), err = 0;
	if (fd < 0) return errno;
	struct iommu_ioas_alloc a = { .size = sizeof a };
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a)) err = errno;
	else {
		struct iommu_destroy d = { .size = sizeof d, .id = a.out_ioas_id };
		if (ioctl(fd, IOMMU_DESTROY, &d)) err = errno;
	}
	close(fd);
	return err;
}

/* the VFIO group of QEMU's edu device (1234:11e8), bound to vfio-pci by /init: "/dev/vfio/N" */
static int edu_group(char *out, size_t n)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int found = 0;
	while (d && !found && (e = readdir(d))) {
		char p[PATH_MAX], id[16] = "", link[PATH_MAX];
		FILE *f;
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (!(f = fopen(p, "r"))) continue;
		size_t got = fread(id, 1, 6, f);
		fclose(f);
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/device", e->d_name);
		if (got != 6 || strncmp(id, "0x1234", 6) || !(f = fopen(p, "r"))) continue;
		got = fread(id, 1, 6, f);
		fclose(f);
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", e->d_name);
		ssize_t l = got == 6 && !strncmp(id, "0x11e8", 6) ? readlink(p, link, sizeof link - 1) : -1;
		if (l < 0) continue;
		link[l] = 0;
		snprintf(out, n, "/dev/vfio/%s", strrchr(link, '/') + 1);
		found = 1;
	}
	if (d) closedir(d);
	return found ? 0 : -1;
}

/* 0 when the edu device's group accepts a /dev/iommu fd as its container, else the errno */
static int group_on_iommufd(void)
{
	char path[64];
	if (edu_group(path, sizeof path)) return ENODEV;
	int iommufd = open("/dev/iommu", O_RDWR), group = open(path, O_RDWR), err = 0;
	if (iommufd < 0 || group < 0) err = errno;
	else if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &iommufd)) err = errno;
	else if (ioctl(group, VFIO_GROUP_UNSET_CONTAINER)) err = errno;
	if (group >= 0) close(group);
	if (iommufd >= 0) close(iommufd);
	return err;
}

int main(void)
{
	static const char *const devs[] = { "/dev/iommu", "/dev/vfio/vfio", "/dev/vfio/devices/vfio0" };
	struct utsname u;
	uname(&u);
	printf("check: kernel %s\n", u.release);
	for (unsigned i = 0; i < sizeof devs / sizeof *devs; i++)
		printf("check: %s %s\n", devs[i], access(devs[i], F_OK) ? "absent" : "present");
	int e = ioas_alloc("/dev/iommu");
	printf("check: iommufd-ioas-alloc %s\n", e ? strerrorname_np(e) : "ok");
	e = ioas_alloc("/dev/vfio/vfio");
	if (!e) printf("check: vfio-container iommufd\n");
	else if (e == ENOENT) printf("check: vfio-container absent\n");
	else printf("check: vfio-container vfio %s\n", strerrorname_np(e));
	e = group_on_iommufd();
	printf("check: group-iommufd %s\n", e ? strerrorname_np(e) : "ok");
	printf("check: done\n");
	fflush(stdout);
	return 0;
}
