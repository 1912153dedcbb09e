/* iommufd.h - the iommufd context of a case: /dev/iommu, the suite's IOAS handles and the IOAS
 * ioctls (include/uapi/linux/iommufd.h; drivers/iommu/iommufd/ioas.c).
 *
 * Handles are the suite's names 0 .. MAX_IOAS-1 (spec/iommufd/ops.ts); each is the kernel id
 * of the IOAS allocated under it, or 0 while dead (never allocated, destroyed, or the context
 * closed): iommufd never allocates id 0, so the kernel's own lookup answers ENOENT for it.
 * Every wrapper is the ioctl and returns like it: 0, or -1 with errno. */
#ifndef AGENT_IOMMUFD_H
#define AGENT_IOMMUFD_H

#include <stdint.h>

#define MAX_IOAS 4
#define MAX_ALLOW 64

extern int iommufd;                /* the context's fd, -1 when closed */
extern uint32_t ioas_ids[MAX_IOAS]; /* handle -> kernel id, 0 = dead */

/* The allowed list of each handle as the last successful ALLOW_IOVAS set it: the scratch
 * reservation (fdops.c) must know it, and the kernel has no ioctl that reads it back. */
struct allowed { int n; uint64_t r[MAX_ALLOW][2]; };
extern struct allowed ioas_allowed[MAX_IOAS];

int ctx_open(void);  /* /dev/iommu; every handle dead */
void ctx_close(void);

int ioas_alloc(uint32_t *id);
int ioas_destroy(uint32_t id);
int ioas_map(uint32_t id, uint32_t flags, uint64_t *iova, uint64_t user_va, uint64_t length);
int ioas_unmap(uint32_t id, uint64_t iova, uint64_t *length); /* *length: bytes unmapped */
int ioas_copy(uint32_t dst, uint32_t src, uint32_t flags, uint64_t *dst_iova, uint64_t src_iova, uint64_t length);
/* at most max ranges into r (inclusive ends); *n is how many the kernel has (EMSGSIZE beyond) */
int ioas_iova_ranges(uint32_t id, uint64_t r[][2], int max, int *n, uint64_t *alignment);
int ioas_allow_iovas(uint32_t id, uint64_t r[][2], int n);
/* IOMMU_OPTION RLIMIT_MODE (object 0): set `*val`, or get it into *val */
int rlimit_mode(int set, uint64_t *val);

#endif
