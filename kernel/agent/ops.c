/* ops.c - decodes each operation, runs it (host.c, the container, dma.c), writes its result.
 * The host operations serve both families; the iommufd family's others are in fdops.c.
 *
 * Host operations act only inside the arena: a range the kernel would act on outside it is a
 * backend failure, never executed. A `map` that touches the scratch IOVA range is answered as a
 * kernel with that range reserved would answer (do_map). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "config.h"
#include "dma.h"
#include "fdops.h"
#include "host.h"
#include "json.h"
#include "mmio.h"
#include "ops.h"
#include "scratch.h"
#include "stage.h"
#include "util.h"
#include "container.h"

static int do_map(uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size };
	int r = ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
	int e = errno;
	if (!(flags & VFIO_DMA_MAP_FLAG_VADDR) && res_overlap(iova, size)) {
		/* The reserved page is "not a valid IOVA": type1 checks the IOVA ranges after
		 * argument validation (EINVAL, EOVERFLOW), the EEXIST overlap check and the ENOSPC
		 * entry limit, and before pinning (ENOMEM, EFAULT); iommufd's compat layer checks
		 * them after argument validation only (iopt_alloc_pages, then iopt_check_iova, which
		 * tests reserved ranges before areas). Keep the kernel's earlier answers, replace the
		 * later ones by EINVAL, and undo a success. */
		if (r == 0) {
			struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .iova = iova, .size = size };
			if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) logf_("undo map: %m");
			errno = EINVAL;
			return -1;
		}
		int compat = !strcmp(kernel_name, "iommufd-compat");
		if (e != EINVAL && e != EOVERFLOW && (compat || (e != EEXIST && e != ENOSPC))) e = EINVAL;
		errno = e;
		return -1;
	}
	errno = e;
	return r;
}

void emit_ranges(uint64_t r[][2], int n)
{
	uint64_t o[MAXR][2];
	int on;
	subtract_res(r, n, o, &on);
	emit("[");
	for (int i = 0; i < on; i++)
		emit("%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\"}", i ? "," : "", o[i][0], o[i][1]);
	emit("]");
}

/* `op`, a well-formed dmaRead, and the well-formed dmaReads right after it, as one run (at
 * most RUN_MAX: a longer one goes on in the next) */
#define RUN_MAX 1024
static int do_reads(J *op, int *more, const char **fatal)
{
	static uint64_t iova[RUN_MAX], token[RUN_MAX];
	static int err[RUN_MAX];
	int n = 0;
	for (J *j = op; j && n < RUN_MAX; j = j->next) {
		bad = NULL;
		const char *k = fstr(j, "op");
		uint64_t v = bad ? 0 : fu64(j, "iova");
		if (bad || strcmp(k, "dmaRead") || jget(j, "proc")) break; /* answered on its own */
		iova[n++] = v;
	}
	bad = NULL;
	if (dma_read_run(iova, n, token, err, fatal) < 0) return -1;
	for (int i = 0; i < n; i++) {
		if (i) emit(",");
		if (err[i]) {
			if (op_errno_result(err[i], fatal) < 0) return -1;
		} else {
			emit("{\"ok\":true,\"token\":\"0x%" PRIx64 "\"}", token[i]);
		}
	}
	*more = n - 1;
	return 0;
}

/* executes one op and appends its result; returns -1 with *fatal on a backend failure */
int do_op(J *op, int *more, const char **fatal)
{
	bad = NULL;
	const char *kind = fstr(op, "op");
	if (bad) { *fatal = "op without a name"; return -1; }
	stage_before_op(kind);
	long long proc = 0;
	if (jget(op, "proc")) {
		proc = fnum(op, "proc");
		if (proc != 0) { *fatal = "this backend has one process (proc 0)"; return -1; }
	}
#define CHECK() do { if (bad) { static char m_[128]; snprintf(m_, sizeof m_, "%s: bad or missing field %s", kind, bad); *fatal = m_; return -1; } } while (0)
#define SYSRES(expr) do { if ((expr) < 0) return op_errno_result(errno, fatal); emit("{\"ok\":true}"); return 0; } while (0)
	if (!strcmp(kind, "mmap")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size");
		int prot = host_prot(fstr(op, "prot"));
		const char *backing = fstr(op, "backing");
		if (prot < 0) bad = "prot";
		CHECK();
		int hugetlb = !strcmp(backing, "hugetlb"), mmio = !strcmp(backing, "mmio");
		if (!hugetlb && !mmio && strcmp(backing, "anon")) { *fatal = "mmap: unknown backing"; return -1; }
		if (outside_arena(v, s)) { *fatal = "mmap outside the declared arena"; return -1; }
		if (mmio) {
			int r = mmio_mmap(v, s, prot, fatal);
			if (r < 0 && *fatal) return -1;
			SYSRES(r);
		}
		SYSRES(host_mmap(v, s, prot, hugetlb));
	} else if (!strcmp(kind, "munmap")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size");
		CHECK();
		if (outside_arena(v, s)) { *fatal = "munmap outside the declared arena"; return -1; }
		SYSRES(host_munmap(v, s));
	} else if (!strcmp(kind, "mremap")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size"), nv = fu64(op, "newVaddr"), ns = fu64(op, "newSize");
		CHECK();
		if (outside_arena(v, s) || outside_arena(nv, ns)) { *fatal = "mremap outside the declared arena"; return -1; }
		SYSRES(host_mremap(v, s, nv, ns));
	} else if (!strcmp(kind, "mprotect")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size");
		int prot = host_prot(fstr(op, "prot"));
		if (prot < 0) bad = "prot";
		CHECK();
		if (outside_arena(v, s)) { *fatal = "mprotect outside the declared arena"; return -1; }
		SYSRES(host_mprotect(v, s, prot));
	} else if (!strcmp(kind, "cpuWrite")) {
		uint64_t v = fu64(op, "vaddr"), t = fu64(op, "token");
		CHECK();
		SYSRES(host_cpu_write(v, t));
	} else if (!strcmp(kind, "cpuRead")) {
		uint64_t v = fu64(op, "vaddr"), t = 0;
		CHECK();
		if (host_cpu_read(v, &t) < 0) return op_errno_result(errno, fatal);
		emit("{\"ok\":true,\"token\":\"0x%" PRIx64 "\"}", t);
		return 0;
	} else if (!strcmp(kind, "setRlimitMemlock")) {
		uint64_t b = fu64(op, "bytes");
		CHECK();
		SYSRES(host_set_rlimit_memlock(b));
	} else if (!strcmp(kind, "setCapIpcLock")) {
		int on = fbool(op, "enabled");
		CHECK();
		SYSRES(set_cap_ipc_lock(on));
	} else if (family_iommufd) {
		int r = do_iommufd_op(kind, op, fatal);
		if (r <= 0) return r;
	} else if (!strcmp(kind, "map")) {
		long long fl = fnum(op, "flags");
		uint64_t i = fu64(op, "iova"), v = fu64(op, "vaddr"), s = fu64(op, "size");
		CHECK();
		SYSRES(do_map((uint32_t)fl, i, v, s));
	} else if (!strcmp(kind, "unmap")) {
		long long fl = fnum(op, "flags");
		uint64_t i = fu64(op, "iova"), s = fu64(op, "size");
		CHECK();
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .flags = (uint32_t)fl, .iova = i, .size = s };
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) return op_errno_result(errno, fatal);
		emit("{\"ok\":true,\"unmapped\":\"0x%llx\"}", (unsigned long long)u.size);
		return 0;
	} else if (!strcmp(kind, "getInfo")) {
		uint64_t pg, av, rr[MAXR][2];
		int n;
		if (get_info(&pg, rr, &n, &av) < 0) return op_errno_result(errno, fatal);
		emit("{\"ok\":true,\"pgsizes\":\"0x%" PRIx64 "\",\"iovaRanges\":", pg);
		emit_ranges(rr, n);
		/* the scratch is the agent's own mapping (like the reserved IOVA): while it is stuck
		 * mapped (virtio-iommu wrap, see helper_main) it does not count against DMA_AVAIL */
		emit(",\"dmaAvail\":\"0x%" PRIx64 "\"}", av + (uint64_t)scratch_held);
		return 0;
	} else if (!strcmp(kind, "dirtyPages")) {
		long long fl = fnum(op, "flags");
		CHECK();
		/* argsz is the header alone: no vfio_iommu_type1_dirty_bitmap_get follows the flags */
		struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof d, .flags = (uint32_t)fl };
		if (ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &d) < 0) return op_errno_result(errno, fatal);
		emit("{\"ok\":true}");
		return 0;
	} else if (!strcmp(kind, "migrationInfo")) {
		int present;
		uint64_t pg, max;
		if (get_migration(&present, &pg, &max) < 0) return op_errno_result(errno, fatal);
		emit("{\"ok\":true,\"present\":%s,\"pgsizes\":\"0x%" PRIx64 "\",\"maxDirtyBitmapSize\":\"0x%" PRIx64 "\"}",
		     present ? "true" : "false", pg, max);
		return 0;
	} else if (!strcmp(kind, "closeContainer")) {
		helper_stop(); /* it holds the container fd too */
		teardown();
		if (setup() < 0) { *fatal = "closeContainer: re-opening the container failed"; return -1; }
		if (helper_start() < 0) { *fatal = "closeContainer: cannot start the DMA scratch helper"; return -1; }
		emit("{\"ok\":true}");
		return 0;
	} else if (!strcmp(kind, "dmaRead")) {
		fu64(op, "iova");
		CHECK();
		return do_reads(op, more, fatal);
	} else if (!strcmp(kind, "dmaWrite")) {
		uint64_t i = fu64(op, "iova"), t = fu64(op, "token");
		CHECK();
		if (dma_write(i, t, fatal) < 0) return *fatal ? -1 : op_errno_result(errno, fatal);
		emit("{\"ok\":true}");
		return 0;
	} else if (!strcmp(kind, "counters")) {
		long p = vmlck_pages();
		if (p < 0) { *fatal = "cannot read VmLck"; return -1; }
		emit("{\"ok\":true,\"lockedVm\":[\"0x%lx\"]}", p);
		return 0;
	}
	if (!strcmp(kind, "agentCrash")) { /* test hook of kernel/ (not a suite operation): the case process dies */
		logf_("agentCrash: raising SIGSEGV in the case process");
		raise(SIGSEGV);
	}
	static char m[96];
	snprintf(m, sizeof m, "operation %s not supported by this backend", kind);
	*fatal = m;
	return -1;
}

int case_open(void)
{
	return family_iommufd ? fd_case_open() : setup();
}

void case_close(void)
{
	if (family_iommufd) fd_case_close();
	else teardown();
}
