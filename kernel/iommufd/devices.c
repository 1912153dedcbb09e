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
 *   check: done
 * Only libc and linux/vfio.h: the host's uapi headers (Debian 12: 6.1) have no iommufd.h, so its
 * two ioctls are defined here from include/uapi/linux/iommufd.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
	printf("check: done\n");
	fflush(stdout);
	return 0;
}
