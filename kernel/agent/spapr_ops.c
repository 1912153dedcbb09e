/* spapr_ops.c - one operation of spec/spapr/ops.ts, in the wire form of spec/spapr/wire.ts (u64
 * as "0x..." strings; proc, ct, flags, pageShift, levels as numbers), executed as the ioctl or
 * syscall it names, its result appended to the reply. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "host.h"
#include "json.h"
#include "spapr.h"
#include "util.h"

static const char *fatal_msg(const char *kind, const char *what)
{
	static char m[160];
	snprintf(m, sizeof m, "%s: %s", kind, what);
	return m;
}

/* An ioctl's answer, by the uAPI's convention: a negative return is the error, anything else
 * success. 6.12 returns positive values that are no success: 1 from MAP and UNMAP when
 * iommu_tce_put_param_check / iommu_tce_clear_param_check fail (arch/powerpc/include/asm/iommu.h:
 * both macros join -EINVAL results with ||), and pin_user_pages' count from a short-pinned
 * REGISTER (mm_iommu_do_alloc). A caller testing for a negative return takes them as success,
 * and so are they answered (logged on the console): the model then names the rule the kernel
 * breaks at that very operation. */
static int ioctl_result(const char *kind, long r, const char **fatal)
{
	if (r < 0) return op_errno_result(errno, fatal);
	if (r > 0) logf_("%s returned %ld: answered ok", kind, r);
	emit("{\"ok\":true}");
	return 0;
}

/* host memory of the case process: the operations of spec/spapr/ops.ts that are not ioctls */
static int host_op(const char *kind, J *op, const char **fatal)
{
	uint64_t v = 0, s = 0;
	if (strcmp(kind, "setRlimitMemlock") && strcmp(kind, "setCapIpcLock")) {
		v = fu64(op, "vaddr");
		if (strcmp(kind, "cpuWrite") && strcmp(kind, "cpuRead")) s = fu64(op, "size");
		if (!bad && outside_arena(v, s)) { *fatal = fatal_msg(kind, "outside the declared arena"); return -1; }
	}
	int r;
	if (!strcmp(kind, "mmap")) {
		int prot = host_prot(fstr(op, "prot"));
		const char *backing = fstr(op, "backing");
		if (prot < 0) bad = "prot";
		if (bad) return 1;
		int hugetlb = !strcmp(backing, "hugetlb");
		if (!hugetlb && strcmp(backing, "anon")) { *fatal = fatal_msg(kind, "backing not offered"); return -1; }
		r = host_mmap(v, s, prot, hugetlb);
	} else if (!strcmp(kind, "munmap")) {
		if (bad) return 1;
		r = host_munmap(v, s);
	} else if (!strcmp(kind, "mremap")) {
		uint64_t nv = fu64(op, "newVaddr"), ns = fu64(op, "newSize");
		if (bad) return 1;
		if (outside_arena(nv, ns)) { *fatal = fatal_msg(kind, "outside the declared arena"); return -1; }
		r = host_mremap(v, s, nv, ns);
	} else if (!strcmp(kind, "cpuWrite")) {
		uint64_t t = fu64(op, "token");
		if (bad) return 1;
		r = host_cpu_write(v, t);
	} else if (!strcmp(kind, "cpuRead")) {
		uint64_t t = 0;
		if (bad) return 1;
		if (host_cpu_read(v, &t) < 0) return op_errno_result(errno, fatal);
		emit("{\"ok\":true,\"token\":\"0x%" PRIx64 "\"}", t);
		return 0;
	} else if (!strcmp(kind, "setRlimitMemlock")) {
		uint64_t b = fu64(op, "bytes");
		if (bad) return 1;
		r = host_set_rlimit_memlock(b);
	} else if (!strcmp(kind, "setCapIpcLock")) {
		int on = fbool(op, "enabled");
		if (bad) return 1;
		r = set_cap_ipc_lock(on);
		if (r == 0) cap_held = on;
	} else {
		*fatal = fatal_msg(kind, "not an operation of this backend");
		return -1;
	}
	return ioctl_result(kind, r, fatal);
}

static int get_info(int fd, const char **fatal)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof info };
	if (ioctl(fd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info) < 0) return op_errno_result(errno, fatal);
	emit("{\"ok\":true,\"dma32WindowStart\":\"0x%llx\",\"dma32WindowSize\":\"0x%llx\"",
	     (unsigned long long)info.dma32_window_start, (unsigned long long)info.dma32_window_size);
	if (info.flags & VFIO_IOMMU_SPAPR_INFO_DDW)
		emit(",\"ddw\":{\"pgsizes\":\"0x%llx\",\"maxDynamicWindows\":%u,\"levels\":%u}",
		     (unsigned long long)info.ddw.pgsizes, info.ddw.max_dynamic_windows_supported, info.ddw.levels);
	emit("}");
	return 0;
}

/* the container's ioctls: register, unregister, enable, disable, getInfo, create, remove, map,
 * unmap, closeContainer */
static int container_op(const char *kind, J *op, int i, const char **fatal)
{
	int fd = ct[i].container;
	uint32_t flags = jget(op, "flags") ? (uint32_t)fnum(op, "flags") : 0;
	if (!strcmp(kind, "register") || !strcmp(kind, "unregister")) {
		struct vfio_iommu_spapr_register_memory m = { .argsz = sizeof m, .flags = flags, .vaddr = fu64(op, "vaddr"), .size = fu64(op, "size") };
		if (bad) return 1;
		return ioctl_result(kind, ioctl(fd, kind[0] == 'r' ? VFIO_IOMMU_SPAPR_REGISTER_MEMORY : VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &m), fatal);
	}
	if (!strcmp(kind, "enable") || !strcmp(kind, "disable")) {
		int en = kind[0] == 'e';
		long r = ioctl(fd, en ? VFIO_IOMMU_ENABLE : VFIO_IOMMU_DISABLE);
		if (r == 0) ct[i].disabled = !en;
		return ioctl_result(kind, r, fatal);
	}
	if (!strcmp(kind, "getInfo")) return get_info(fd, fatal);
	if (!strcmp(kind, "create")) {
		struct vfio_iommu_spapr_tce_create c = { .argsz = sizeof c, .flags = flags, .page_shift = (uint32_t)fnum(op, "pageShift"),
			.window_size = fu64(op, "windowSize"), .levels = (uint32_t)fnum(op, "levels") };
		if (bad) return 1;
		if (ioctl(fd, VFIO_IOMMU_SPAPR_TCE_CREATE, &c) < 0) {
			if (errno == ENODEV) phb_taint(ct[i].phb);
			return op_errno_result(errno, fatal);
		}
		for (int w = 0; w < ct[i].nwin; w++) ct[i].win[w].exists = 1; /* the pending default first */
		win_add(i, c.start_addr, c.window_size, (int)c.page_shift);
		emit("{\"ok\":true,\"startAddr\":\"0x%llx\"}", (unsigned long long)c.start_addr);
		return 0;
	}
	if (!strcmp(kind, "remove")) {
		struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof rm, .flags = flags, .start_addr = fu64(op, "startAddr") };
		if (bad) return 1;
		if (ioctl(fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm) < 0) return op_errno_result(errno, fatal);
		win_remove(i, rm.start_addr);
		emit("{\"ok\":true}");
		return 0;
	}
	if (!strcmp(kind, "map")) {
		uint64_t iova = fu64(op, "iova"), vaddr = fu64(op, "vaddr"), size = fu64(op, "size");
		if (bad) return 1;
		int r = guarded_map(i, flags, iova, vaddr, size);
		if (r == 0) {
			run_set(i, iova, size);
			if (win_at(i, iova)) win_at(i, iova)->exists = 1;
		}
		return ioctl_result(kind, r, fatal);
	}
	if (!strcmp(kind, "unmap")) {
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .flags = flags, .iova = fu64(op, "iova"), .size = fu64(op, "size") };
		if (bad) return 1;
		int r = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u);
		if (r == 0) {
			run_clear(i, u.iova, u.size);
			if (win_at(i, u.iova)) win_at(i, u.iova)->exists = 1;
		}
		return ioctl_result(kind, r, fatal);
	}
	if (!strcmp(kind, "dmaRead") || !strcmp(kind, "dmaWrite")) {
		int w = kind[3] == 'W';
		uint64_t iova = fu64(op, "iova"), t = w ? fu64(op, "token") : 0;
		if (bad) return 1;
		if (spapr_dma(i, w, iova, &t, fatal) < 0) return -1;
		if (w) emit("{\"ok\":true}");
		else emit("{\"ok\":true,\"token\":\"0x%" PRIx64 "\"}", t);
		return 0;
	}
	if (!strcmp(kind, "closeContainer")) {
		ct_close(i);
		if (ct_open(i) < 0) { *fatal = "closeContainer: the fresh container could not be set up"; return -1; }
		emit("{\"ok\":true}");
		return 0;
	}
	*fatal = fatal_msg(kind, "not an operation of this backend");
	return -1;
}

int spapr_op(void *o, const char **fatal)
{
	J *op = o;
	bad = NULL;
	const char *kind = fstr(op, "op");
	if (bad) { *fatal = "op without a name"; return -1; }
	if (jget(op, "proc") && fnum(op, "proc") != 0) { *fatal = "this backend has one process (proc 0)"; return -1; }
	int r;
	if (!strcmp(kind, "counters")) {
		long p = vmlck_pages();
		if (p < 0) { *fatal = "cannot read VmLck"; return -1; }
		emit("{\"ok\":true,\"lockedVm\":[\"0x%lx\"]}", p);
		return 0;
	}
	if (jget(op, "ct")) {
		long long i = fnum(op, "ct");
		if (i < 0 || i >= n_ct) { *fatal = fatal_msg(kind, "no such container"); return -1; }
		r = container_op(kind, op, (int)i, fatal);
	} else {
		r = host_op(kind, op, fatal);
	}
	if (r == 1) *fatal = fatal_msg(kind, bad ? bad : "bad field");
	return r == 1 ? -1 : r;
}
