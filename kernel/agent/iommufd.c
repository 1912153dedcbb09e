/* iommufd.c - /dev/iommu and the IOAS ioctls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommufd.h"
#include "uapi.h"
#include "util.h"

int iommufd = -1;
uint32_t ioas_ids[MAX_IOAS];
struct allowed ioas_allowed[MAX_IOAS];

int ctx_open(void)
{
	memset(ioas_ids, 0, sizeof ioas_ids);
	memset(ioas_allowed, 0, sizeof ioas_allowed);
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) { logf_("open /dev/iommu: %m"); return -1; }
	return 0;
}

void ctx_close(void)
{
	if (iommufd >= 0) close(iommufd);
	iommufd = -1;
	memset(ioas_ids, 0, sizeof ioas_ids);
	memset(ioas_allowed, 0, sizeof ioas_allowed);
}

int ioas_alloc(uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof a };
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &a) < 0) return -1;
	*id = a.out_ioas_id;
	return 0;
}

int ioas_destroy(uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof d, .id = id };
	return ioctl(iommufd, IOMMU_DESTROY, &d);
}

int ioas_map(uint32_t id, uint32_t flags, uint64_t *iova, uint64_t user_va, uint64_t length)
{
	struct iommu_ioas_map m = { .size = sizeof m, .flags = flags, .ioas_id = id, .user_va = user_va, .length = length, .iova = *iova };
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &m) < 0) return -1;
	*iova = m.iova;
	return 0;
}

int ioas_unmap(uint32_t id, uint64_t iova, uint64_t *length)
{
	struct iommu_ioas_unmap u = { .size = sizeof u, .ioas_id = id, .iova = iova, .length = *length };
	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &u) < 0) return -1;
	*length = u.length;
	return 0;
}

int ioas_copy(uint32_t dst, uint32_t src, uint32_t flags, uint64_t *dst_iova, uint64_t src_iova, uint64_t length)
{
	struct iommu_ioas_copy c = {
		.size = sizeof c, .flags = flags, .dst_ioas_id = dst, .src_ioas_id = src,
		.length = length, .dst_iova = *dst_iova, .src_iova = src_iova,
	};
	if (ioctl(iommufd, IOMMU_IOAS_COPY, &c) < 0) return -1;
	*dst_iova = c.dst_iova;
	return 0;
}

int ioas_iova_ranges(uint32_t id, uint64_t r[][2], int max, int *n, uint64_t *alignment)
{
	struct iommu_iova_range buf[MAX_ALLOW];
	if (max > MAX_ALLOW) max = MAX_ALLOW;
	struct iommu_ioas_iova_ranges q = { .size = sizeof q, .ioas_id = id, .num_iovas = (uint32_t)max,
					    .allowed_iovas = (uint64_t)(uintptr_t)buf };
	int rc = ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &q);
	*n = (int)q.num_iovas; /* written back on EMSGSIZE too (ioas.c: iommufd_ioas_iova_ranges) */
	if (rc < 0) return -1;
	for (int i = 0; i < *n; i++) {
		r[i][0] = buf[i].start;
		r[i][1] = buf[i].last;
	}
	*alignment = q.out_iova_alignment;
	return 0;
}

int ioas_allow_iovas(uint32_t id, uint64_t r[][2], int n)
{
	struct iommu_iova_range buf[MAX_ALLOW];
	if (n > MAX_ALLOW) { errno = E2BIG; return -1; }
	for (int i = 0; i < n; i++) {
		buf[i].start = r[i][0];
		buf[i].last = r[i][1];
	}
	struct iommu_ioas_allow_iovas a = { .size = sizeof a, .ioas_id = id, .num_iovas = (uint32_t)n,
					    .allowed_iovas = (uint64_t)(uintptr_t)buf };
	return ioctl(iommufd, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

int rlimit_mode(int set, uint64_t *val)
{
	struct iommu_option o = { .size = sizeof o, .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = set ? IOMMU_OPTION_OP_SET : IOMMU_OPTION_OP_GET, .val64 = set ? *val : 0 };
	if (ioctl(iommufd, IOMMU_OPTION, &o) < 0) return -1;
	if (!set) *val = o.val64;
	return 0;
}
