/*
 * vfio-conform kernel agent: runs inside a QEMU guest (as the payload of the initramfs /init)
 * and speaks the suite's JSON-lines protocol (spec/protocol.md, versions 1 and 2) over a
 * virtio-serial port, for the type1 family (a VFIO container) or, with agent.family=iommufd,
 * the iommufd family (/dev/iommu and the VFIO device cdev). Every operation is the real
 * syscall / ioctl; device DMA goes through the QEMU "edu" PCI device behind the emulated IOMMU
 * (intel-iommu or virtio-iommu).
 *
 * Build: gcc -O2 -static -std=c11 -Wall -o agent <every .c file of kernel/agent>
 *        (libc and linux/vfio.h only; kernel/vm/backend.ts builds it this way)
 *
 *   main.c      start: settings, the probe process, the port; then the request loop
 *   protocol.c  the request loop, hello, reset, execute, bye
 *   cases.c     a fresh case process per reset, requests forwarded to it
 *   ops.c       each operation decoded, executed, its result written
 *   host.c      mmap, munmap, mremap, mprotect, CPU access, RLIMIT_MEMLOCK, CAP_IPC_LOCK, VmLck
 *   mmio.c      mmap of backing "mmio": fresh pages of a VFIO device BAR (ivshmem), CPU access
 *   container.c container, group and edu device setup; GET_INFO
 *   iommufd.c   (iommufd) /dev/iommu, the IOAS handles and ioctls
 *   device.c    (iommufd) the edu device's cdev: bind, attach, detach, hw_info; DMA staging
 *   fdops.c     (iommufd) each operation that is not host memory; the scratch as reserved
 *   geometry.c  (iommufd) the probe and the declaration of hello
 *   uapi.h      the iommufd and cdev uAPI that bookworm's linux-libc-dev lacks
 *   dma.c       edu DMA, dmaRead/dmaWrite
 *   faults.c    IOMMU fault detection: the fault interrupt lines' counts
 *   stage.c     the scratch kept reachable across a run of DMA observations
 *   scratch.c   the DMA scratch, its reserved IOVA range and its helper process
 *   json.c      request parser and reply buffer
 *   config.c    kernel command line options (config.h), the port, the edu and ivshmem devices
 *   util.c      logging, files, errno names, shared statistics
 *
 * Processes (cases.h): the protocol loop runs in a process that never opens VFIO nor maps the
 * arena; each case (from one `reset` to the next) runs in a case process forked at `reset`. A
 * probe process forked at start reads the geometry, checks fault detection and the mmio memory.
 *
 * Things the agent adds on top of the kernel (all documented in kernel/README.md):
 *   - A scratch page is mapped at a reserved IOVA (RES_IOVA) only for a run of consecutive
 *     dmaRead/dmaWrite (the edu device can only move data between RAM and its own buffer),
 *     by a scratch helper process forked by the case process (scratch.h), so that its pin is
 *     charged to the helper's mm, never to the case's locked_vm.
 *   - A DMA fault is detected by the IOMMU fault interrupt count (DMAR-MSI for intel-iommu,
 *     the virtio-iommu event virtqueue for virtio-iommu), read from sysfs (faults.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "cases.h"
#include "config.h"
#include "dma.h"
#include "faults.h"
#include "host.h"
#include "json.h"
#include "mmio.h"
#include "protocol.h"
#include "scratch.h"
#include "stage.h"
#include "util.h"
#include "container.h"
#include "geometry.h"

/* ---------------------------------------------------------------- the probe
 *
 * A process of its own, at start: opens the container, reads the geometry and the extensions
 * for hello, checks that a DMA fault is observed, closes everything and exits. */

struct probe_result {
	int ok, has_vaddr, has_unmap_all, has_mmio, n;
	uint64_t pgsizes, avail, r[MAXR][2];
	char group_path[64];
	struct fd_geometry fd; /* the iommufd family */
};

struct fd_geometry fd_geo; /* the iommufd declaration, in the protocol process */

static int probe_main(struct probe_result *pr)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setup() < 0) return 1;
	set_cap_ipc_lock(0);
	if (get_info(&geo_pgsizes, geo_r, &geo_n, &geo_avail) < 0) { logf_("GET_INFO: %m"); return 1; }
	int inside = 0;
	for (int i = 0; i < geo_n; i++)
		inside |= geo_r[i][0] <= res_iova && res_iova + RES_SIZE - 1 <= geo_r[i][1];
	if (!inside) { logf_("the scratch IOVA range is not inside one IOVA range"); return 1; }
	if (helper_start() < 0) return 1;
	/* self check of the DMA path and of fault detection */
	const char *fatal = NULL;
	uint64_t t = 0;
	double t0 = now_s();
	int r = dma_read(0x1000, &t, &fatal); /* nothing mapped: must fault */
	int e = errno;
	stage_release();
	logf_("selfcheck dmaRead(unmapped) -> %s (%.1f ms virtual)", r < 0 ? (fatal ? fatal : errno_name(e)) : "ok (BAD)",
	      (now_s() - t0) * 1e3);
	if (r == 0 || fatal || e != EFAULT) {
		logf_("FATAL: cannot observe IOMMU faults (no fault interrupt counted), refusing to serve");
		return 1;
	}
	/* the mmio capability: only if a page of the BAR maps and keeps a token */
	if (mmio_bdf[0] && mmio_check() < 0) logf_("mmio: %s does not work: no mmio capability", mmio_bdf);
	else pr->has_mmio = mmio_bdf[0] != 0;
	pr->has_vaddr = has_vaddr_ext;
	pr->has_unmap_all = has_unmap_all_ext;
	pr->pgsizes = geo_pgsizes;
	pr->avail = geo_avail;
	pr->n = geo_n;
	memcpy(pr->r, geo_r, sizeof geo_r);
	snprintf(pr->group_path, sizeof pr->group_path, "%s", group_path);
	pr->ok = 1;
	helper_stop();
	teardown();
	return 0;
}

/* the iommufd family: the declaration is the probe's, then the same request loop */
static int serve_iommufd(const struct fd_geometry *g)
{
	fd_geo = *g;
	host_hugetlb_pool(hugepages);
	logf_("iommufd: edu %s group %d aperture [0x%llx, 0x%llx] alignment 0x%llx hwInfoType %u%s, %d reserved regions, mmio %s",
	      bdf, g->group, (unsigned long long)g->aperture[0], (unsigned long long)g->aperture[1],
	      (unsigned long long)g->alignment, g->hw_info_type, g->has_hw_info ? "" : " (GET_HW_INFO failed)", g->nres,
	      g->has_mmio ? mmio_bdf : "none");
	mmio_available = g->has_mmio;
	port = open(port_path, O_RDWR | O_CLOEXEC);
	if (port < 0) { logf_("open %s: %m", port_path); return 1; }
	logf_("serving the iommufd family on %s (protocol process %d; a case process per reset)", port_path, (int)getpid());
	return serve();
}

int main(int argc, char **argv)
{
	reply_buffer_init();
	cases_init();
	signal(SIGPIPE, SIG_IGN); /* a dead case process is seen as EPIPE / EOF */
	parse_cmdline();
	if (argc > 1) snprintf(port_path, sizeof port_path, "%s", argv[1]);
	find_names();
	if (find_edu() < 0) { logf_("no edu device (1234:11e8)"); return 1; }
	find_mmio();
	faults_open();
	void *shm = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || (uint64_t)(uintptr_t)shm - ARENA_START < ARENA_SIZE) {
		logf_("shared page allocation failed or inside the arena");
		return 1;
	}
	stats = shm;
	struct probe_result *pr = (void *)((char *)shm + PAGE);
	pid_t p = fork();
	if (p < 0) { logf_("fork: %m"); return 1; }
	if (p == 0) {
		if (!family_iommufd) _exit(probe_main(pr));
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(fd_probe(&pr->fd) < 0);
	}
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
	if (family_iommufd ? !pr->fd.ok : !pr->ok) {
		char m[128];
		describe_status(st, m, sizeof m);
		logf_("the probe process failed (%s): not serving", m);
		return 1;
	}
	if (family_iommufd) return serve_iommufd(&pr->fd);
	has_vaddr_ext = pr->has_vaddr;
	has_unmap_all_ext = pr->has_unmap_all;
	mmio_available = pr->has_mmio;
	geo_pgsizes = pr->pgsizes;
	geo_avail = pr->avail;
	geo_n = pr->n;
	memcpy(geo_r, pr->r, sizeof geo_r);
	snprintf(group_path, sizeof group_path, "%s", pr->group_path);
	logf_("port %s, virtio-iommu irq name '%s', mmio %s", port_path, viommu_irq_name, mmio_available ? mmio_bdf : "none");
	logf_("edu %s group %s profile %s pgsizes 0x%llx ranges %d avail %llu vaddr-ext %d unmap-all %d scratch iova 0x%llx",
	      bdf, group_path, profile_v1 ? "v1" : "v2", (unsigned long long)geo_pgsizes, geo_n,
	      (unsigned long long)geo_avail, has_vaddr_ext, has_unmap_all_ext, (unsigned long long)res_iova);
	for (int i = 0; i < geo_n; i++)
		logf_("  range [0x%llx, 0x%llx]", (unsigned long long)geo_r[i][0], (unsigned long long)geo_r[i][1]);

	port = open(port_path, O_RDWR | O_CLOEXEC);
	if (port < 0) { logf_("open %s: %m", port_path); return 1; }
	logf_("serving on %s (protocol process %d; a case process per reset)", port_path, (int)getpid());

	return serve();
}
