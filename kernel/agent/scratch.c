/* scratch.c - the DMA scratch, its reserved IOVA range and the helper process that maps it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "config.h"
#include "device.h"
#include "host.h"
#include "iommufd.h"
#include "mmio.h"
#include "protocol.h"
#include "scratch.h"
#include "util.h"
#include "container.h"
#include "uapi.h"

uint64_t res_iova = RES_IOVA;
uint64_t *scratch;

/* The DMA scratch is mapped and unmapped by a "scratch helper" process, forked by the case
 * (and probe) process right after setup(): it inherits the container fd, and the scratch
 * memory is MAP_SHARED|MAP_ANONYMOUS, created before the fork, so both processes see it. Type1
 * charges a mapping's pages to the mm of the process that called MAP_DMA (dma->mm) and checks
 * that process's RLIMIT_MEMLOCK: the scratch never shows in the case process's VmLck, and the
 * suite's RLIMIT_MEMLOCK / CAP_IPC_LOCK settings of the case process never get in its way. The
 * case process asks over a socketpair: one byte 'M' (map) or 'U' (unmap) and a u32 target,
 * answered by an int errno (0 = done). Type1 ignores the target (one container); if the scratch
 * cannot be unmapped there (the virtio-iommu wrap below), the helper keeps it mapped and answers
 * the next 'M' with 0 without a new MAP_DMA. The iommufd family names the IOAS (its kernel id):
 * IOMMU_IOAS_MAP / IOMMU_IOAS_UNMAP of the scratch range on the inherited /dev/iommu fd, which
 * makes the helper the source of the scratch's pages (pages.c: iopt_alloc_pages). */
static int helper_sock = -1;
static pid_t helper_pid = -1;
int scratch_held; /* case side */

/* one request of the iommufd family: the scratch mapped into / unmapped from IOAS `target` */
static int helper_iommufd(char c, uint32_t target)
{
	uint64_t iova = res_iova, len = RES_SIZE;
	if (c == 'M') {
		uint32_t fl = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
		return ioas_map(target, fl, &iova, (uint64_t)(uintptr_t)scratch, RES_SIZE) < 0 ? errno : 0;
	}
	if (c == 'U') {
		if (ioas_unmap(target, iova, &len) < 0) return errno;
		return len == RES_SIZE ? 0 : EBUSY;
	}
	return EINVAL;
}

static void helper_main(int sock, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) _exit(0);
	signal(SIGPIPE, SIG_DFL);
	/* keep only the container fd: group, device, BAR0 and the protocol socket belong to the case */
	if (bar0) munmap((void *)bar0, bar0_size);
	bar0 = NULL;
	if (device >= 0) close(device);
	if (group >= 0) close(group);
	device = group = -1;
	dev_close(); /* the iommufd family's cdev: bound, it would keep the context alive */
	if (port >= 0) close(port);
	port = -1;
	mmio_close();
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &inf);
	set_cap_ipc_lock(1);
	int mapped = 0, logged = 0;
	for (;;) {
		char req[5];
		size_t got = 0;
		while (got < sizeof req) {
			ssize_t n = read(sock, req + got, sizeof req - got);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) _exit(0);
			got += n;
		}
		char c = req[0];
		uint32_t target;
		memcpy(&target, req + 1, 4);
		int e = 0;
		if (family_iommufd) {
			e = helper_iommufd(c, target);
		} else if (c == 'M') {
			if (!mapped) {
				struct vfio_iommu_type1_dma_map m = {
					.argsz = sizeof m, .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
					.vaddr = (uint64_t)(uintptr_t)scratch, .iova = res_iova, .size = RES_SIZE,
				};
				if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m) < 0) e = errno;
				else mapped = 1;
			}
		} else if (c == 'U') {
			if (mapped) {
				struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .iova = res_iova, .size = RES_SIZE };
				if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) e = errno;
				else if (u.size != RES_SIZE) e = EBUSY;
				else mapped = 0;
				/* Seen with a mapping that ends at 2^64-1 on virtio-iommu: vfio_find_dma_first_node
				 * computes dma->iova + dma->size = 0 for it and walks past every mapping to its
				 * left, so UNMAP_DMA finds nothing (the T1-UNMAP-TOP bug). The scratch then stays
				 * mapped, charged to this helper's mm, until the container is closed. */
				if (e && !logged++)
					logf_("scratch unmap failed: %s size=%llu; the scratch helper keeps it mapped",
					      strerror(e), (unsigned long long)u.size);
			}
		} else {
			e = EINVAL;
		}
		if (write(sock, &e, sizeof e) != sizeof e) _exit(0);
	}
}

int helper_start(void)
{
	if (!scratch) {
		void *s = mmap(NULL, RES_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED) { logf_("scratch mmap: %m"); return -1; }
		if ((uint64_t)(uintptr_t)s - ARENA_START < ARENA_SIZE) { logf_("scratch inside the arena"); munmap(s, RES_SIZE); return -1; }
		scratch = s;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { logf_("helper socketpair: %m"); return -1; }
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0) { logf_("helper fork: %m"); close(sv[0]); close(sv[1]); return -1; }
	if (p == 0) {
		close(sv[0]);
		helper_main(sv[1], parent);
		_exit(0);
	}
	close(sv[1]);
	helper_sock = sv[0];
	helper_pid = p;
	scratch_held = 0;
	return 0;
}

void helper_stop(void)
{
	if (helper_sock >= 0) close(helper_sock);
	helper_sock = -1;
	if (helper_pid > 0) {
		kill(helper_pid, SIGKILL);
		while (waitpid(helper_pid, NULL, 0) < 0 && errno == EINTR) {}
	}
	helper_pid = -1;
	scratch_held = 0;
}

/* one request to the helper: its errno (0 = done), or EPIPE if it is gone */
static int helper_req(char c, uint32_t target)
{
	if (helper_sock < 0) return EPIPE;
	char req[5] = { c };
	memcpy(req + 1, &target, 4);
	ssize_t n;
	do n = send(helper_sock, req, sizeof req, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
	if (n != sizeof req) return EPIPE;
	int e = 0;
	size_t got = 0;
	while (got < sizeof e) {
		n = read(helper_sock, (char *)&e + got, sizeof e - got);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return EPIPE;
		got += n;
	}
	return e;
}

/* map the scratch at the reserved IOVA for a run of DMA observations (stage.h) */
int scratch_map(void)
{
	int e = helper_req('M', 0);
	if (e) { errno = e; return -1; }
	scratch_held = 1;
	return 0;
}
void scratch_unmap(void)
{
	int e = helper_req('U', 0);
	if (!e) scratch_held = 0;
	else if (e == EPIPE) {} /* the helper is gone: whatever it mapped stays in the container */
	else scratch_held = 1; /* stuck: still mapped (and counted in getInfo's dmaAvail) */
}

int scratch_map_in(uint32_t ioas_id)
{
	int e = helper_req('M', ioas_id);
	if (e) { errno = e; return -1; }
	return 0;
}
void scratch_unmap_from(uint32_t ioas_id)
{
	int e = helper_req('U', ioas_id);
	if (e) logf_("scratch unmap from IOAS %u: %s", ioas_id, strerror(e));
}

int res_overlap(uint64_t iova, uint64_t size)
{
	if (size == 0) return 0;
	uint64_t last = iova + size - 1;
	if (last < iova) last = U64MAX;
	return iova <= res_iova + RES_SIZE - 1 && res_iova <= last;
}

void subtract_res(uint64_t in[][2], int n, uint64_t outr[][2], int *on)
{
	*on = 0;
	for (int i = 0; i < n && *on < MAXR; i++) {
		uint64_t s = in[i][0], e = in[i][1];
		if (res_iova + RES_SIZE - 1 < s || res_iova > e) {
			outr[*on][0] = s; outr[(*on)++][1] = e;
			continue;
		}
		if (res_iova > s) { outr[*on][0] = s; outr[(*on)++][1] = res_iova - 1; }
		if (res_iova + RES_SIZE - 1 < e && *on < MAXR) { outr[*on][0] = res_iova + RES_SIZE; outr[(*on)++][1] = e; }
	}
}
