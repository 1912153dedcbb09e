/* fdops.c - the iommufd operations, and the agent's scratch IOVA as a reserved region.
 *
 * The agent declares the scratch range [RES_IOVA, RES_IOVA + RES_SIZE) as a reserved region of
 * the edu device (geometry.c), so the suite expects what iommufd does with a device's reserved
 * regions while the device is attached to an IOAS (io_pagetable.c:
 * iopt_table_enforce_dev_resv_regions, iopt_check_iova, iopt_alloc_iova, iopt_set_allow_iova).
 * The kernel does not know the range, so while the device is attached to the IOAS the agent
 * answers as it would:
 *   - map / copy into it: the helper maps the scratch there as a placeholder area for the
 *     duration of the ioctl, so the kernel's allocator avoids the range exactly as it avoids a
 *     reserved one (both are used spans), and a FIXED range touching it fails at
 *     iopt_check_iova: EEXIST from the area, where a reserved range gives EINVAL (checked just
 *     before the areas, nothing else in between), so EEXIST becomes EINVAL there;
 *   - copy whose source range touches it in the same IOAS: no placeholder (no area is there:
 *     the kernel answers ENOENT as for a reserved range);
 *   - iovaRanges: the range is cut out of the kernel's answer;
 *   - allowIovas with a range touching it: EADDRINUSE (after every EINVAL check of the kernel:
 *     ioas.c iommufd_ioas_allow_iovas validates the list before iopt_set_allow_iova), the old
 *     list restored;
 *   - attach to an IOAS with an area or an allowed range touching it: EADDRINUSE, as
 *     iopt_reserve_iova answers, without attaching; a replace answers the kernel's own errno
 *     first when filling the new domain fails, as the kernel fills before it reserves.
 * Unmap never meets it: no area of the suite's is there while the device is attached, and the
 * scratch is mapped only inside one operation. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "dma.h"
#include "fdops.h"
#include "host.h"
#include "iommufd.h"
#include "ops.h"
#include "scratch.h"
#include "uapi.h"
#include "util.h"

int fd_case_open(void)
{
	if (ctx_open() < 0 || dev_open() < 0) return -1;
	return 0;
}

void fd_case_close(void)
{
	dev_close();
	ctx_close();
}

/* a handle field: 0 .. MAX_IOAS-1, else `bad` */
static int handle(J *op, const char *k)
{
	long long h = fnum(op, k);
	if (h < 0 || h >= MAX_IOAS) { bad = k; return 0; }
	return (int)h;
}

/* the device field: the edu device is device 0, the only one declared */
static void device(J *op)
{
	if (fnum(op, "dev") != 0) bad = "dev";
}

/* is the edu device attached to the IOAS of kernel id `id`? (then the scratch is reserved there) */
static int reserved_in(uint32_t id)
{
	return id && id == dev_pt;
}

static int ranges_touch_scratch(uint64_t r[][2], int n)
{
	for (int i = 0; i < n; i++)
		if (r[i][0] <= res_iova + RES_SIZE - 1 && res_iova <= r[i][1]) return 1;
	return 0;
}

static int emit_ranges_fd(uint64_t r[][2], int n, int cut)
{
	emit("[");
	int first = 1;
	for (int i = 0; i < n; i++) {
		uint64_t s = r[i][0], e = r[i][1];
		uint64_t piece[2][2];
		int np = 0;
		if (!cut || res_iova + RES_SIZE - 1 < s || res_iova > e) {
			piece[np][0] = s; piece[np++][1] = e;
		} else {
			if (res_iova > s) { piece[np][0] = s; piece[np++][1] = res_iova - 1; }
			if (res_iova + RES_SIZE - 1 < e) { piece[np][0] = res_iova + RES_SIZE; piece[np++][1] = e; }
		}
		for (int j = 0; j < np; j++, first = 0)
			emit("%s{\"start\":\"0x%" PRIx64 "\",\"last\":\"0x%" PRIx64 "\"}", first ? "" : ",", piece[j][0], piece[j][1]);
	}
	emit("]");
	return 0;
}

#define CHECK() do { if (bad) { static char m_[128]; snprintf(m_, sizeof m_, "%s: bad or missing field %s", kind, bad); *fatal = m_; return -1; } } while (0)
#define FAIL_IF(expr) do { if ((expr) < 0) return op_errno_result(errno, fatal); } while (0)
#define OK() do { emit("{\"ok\":true}"); return 0; } while (0)

/* the end of a map or copy into IOAS `id` (ph: with the scratch placeholder, now removed):
 * the kernel's answer, EEXIST of a FIXED range touching the scratch as EINVAL */
static int placed_result(int rc, int e, int ph, uint32_t id, long long fl, uint64_t in, uint64_t len, uint64_t iova,
			 const char **fatal)
{
	if (ph) scratch_unmap_from(id);
	if (rc < 0) {
		if (e == EEXIST && ph && (fl & IOMMU_IOAS_MAP_FIXED_IOVA) && res_overlap(in, len)) e = EINVAL;
		return op_errno_result(e, fatal);
	}
	emit("{\"ok\":true,\"iova\":\"0x%" PRIx64 "\"}", iova);
	return 0;
}

static int do_map(J *op, const char *kind, const char **fatal)
{
	int h = handle(op, "ioas");
	long long fl = fnum(op, "flags");
	uint64_t iova = fu64(op, "iova"), va = fu64(op, "vaddr"), len = fu64(op, "length");
	CHECK();
	uint32_t id = ioas_ids[h];
	int ph = reserved_in(id) && scratch_map_in(id) == 0;
	uint64_t in = iova;
	int rc = ioas_map(id, (uint32_t)fl, &iova, va, len);
	return placed_result(rc, errno, ph, id, fl, in, len, iova, fatal);
}

static int do_copy(J *op, const char *kind, const char **fatal)
{
	int dh = handle(op, "dstIoas"), sh = handle(op, "srcIoas");
	long long fl = fnum(op, "flags");
	uint64_t diova = fu64(op, "dstIova"), siova = fu64(op, "srcIova"), len = fu64(op, "length");
	CHECK();
	uint32_t dst = ioas_ids[dh], src = ioas_ids[sh];
	int ph = reserved_in(dst) && !(src == dst && res_overlap(siova, len)) && scratch_map_in(dst) == 0;
	uint64_t in = diova;
	int rc = ioas_copy(dst, src, (uint32_t)fl, &diova, siova, len);
	return placed_result(rc, errno, ph, dst, fl, in, len, diova, fatal);
}

static int do_allow(J *op, const char *kind, const char **fatal)
{
	int h = handle(op, "ioas");
	J *arr = jget(op, "ranges");
	if (!arr || arr->type != J_ARR) bad = "ranges";
	uint64_t r[MAX_ALLOW][2];
	int n = 0;
	for (J *c = arr && arr->type == J_ARR ? arr->child : NULL; c; c = c->next) {
		if (n == MAX_ALLOW) { *fatal = "allowIovas: more ranges than the agent passes"; return -1; }
		r[n][0] = fu64(c, "start");
		r[n++][1] = fu64(c, "last");
	}
	CHECK();
	uint32_t id = ioas_ids[h];
	FAIL_IF(ioas_allow_iovas(id, r, n));
	if (reserved_in(id) && ranges_touch_scratch(r, n)) {
		struct allowed *old = &ioas_allowed[h];
		if (ioas_allow_iovas(id, old->r, old->n) < 0) { *fatal = "allowIovas: cannot restore the allowed list"; return -1; }
		return op_errno_result(EADDRINUSE, fatal);
	}
	ioas_allowed[h].n = n;
	memcpy(ioas_allowed[h].r, r, sizeof r[0] * n);
	OK();
}

static int do_attach(J *op, const char *kind, const char **fatal)
{
	device(op);
	int h = handle(op, "ioas");
	CHECK();
	uint32_t id = ioas_ids[h];
	if (dev_id && id && id != dev_pt) {
		int conflict = ranges_touch_scratch(ioas_allowed[h].r, ioas_allowed[h].n);
		if (!conflict) {
			if (scratch_map_in(id) == 0) scratch_unmap_from(id);
			else if (errno == EEXIST) conflict = 1; /* an area of the suite's is there */
			else logf_("attach: probing the scratch range: %m");
		}
		if (conflict && dev_pt) {
			/* A replace fills the new domain before it reserves the group's regions
			 * (device.c: iommufd_device_auto_get_domain allocates the domain without
			 * immediate_attach, so iopt_table_add_domain runs before
			 * iommufd_device_do_replace reserves): the kernel's fill errno comes first.
			 * Try the replace; if the kernel takes it, move the device back. */
			uint32_t back = dev_pt;
			FAIL_IF(dev_attach(id));
			if (dev_attach(back) < 0) {
				*fatal = "attach: the device could not be moved back after the scratch's reservation conflict";
				return -1;
			}
		}
		if (conflict) return op_errno_result(EADDRINUSE, fatal);
	}
	FAIL_IF(dev_attach(id));
	OK();
}

static int do_dma(J *op, const char *kind, int write, const char **fatal)
{
	device(op);
	uint64_t iova = fu64(op, "iova"), t = write ? fu64(op, "token") : 0;
	CHECK();
	if (!dev_id) {
		/* Not performed: an unbound cdev grants no access to the device's registers
		 * (vfio_main.c: vfio_device_fops_unl_ioctl), so the agent cannot start a DMA. The
		 * device is in no domain of the context: answered as a blocked DMA. */
		stats->dma_unbound++;
		return op_errno_result(EFAULT, fatal);
	}
	int r = write ? dma_write(iova, t, fatal) : dma_read(iova, &t, fatal);
	if (r < 0) return *fatal ? -1 : op_errno_result(errno, fatal);
	if (write) OK();
	emit("{\"ok\":true,\"token\":\"0x%" PRIx64 "\"}", t);
	return 0;
}

int do_iommufd_op(const char *kind, J *op, const char **fatal)
{
	if (!strcmp(kind, "ioasAlloc")) {
		int h = handle(op, "ioas");
		CHECK();
		uint32_t id;
		FAIL_IF(ioas_alloc(&id));
		ioas_ids[h] = id; /* an IOAS the handle named before stays in the context, unnamed */
		ioas_allowed[h].n = 0;
		OK();
	} else if (!strcmp(kind, "destroy")) {
		int h = handle(op, "ioas");
		CHECK();
		FAIL_IF(ioas_destroy(ioas_ids[h]));
		ioas_ids[h] = 0;
		ioas_allowed[h].n = 0;
		OK();
	} else if (!strcmp(kind, "map")) {
		return do_map(op, kind, fatal);
	} else if (!strcmp(kind, "unmap")) {
		int h = handle(op, "ioas");
		uint64_t iova = fu64(op, "iova"), len = fu64(op, "length");
		CHECK();
		FAIL_IF(ioas_unmap(ioas_ids[h], iova, &len));
		emit("{\"ok\":true,\"unmapped\":\"0x%" PRIx64 "\"}", len);
		return 0;
	} else if (!strcmp(kind, "copy")) {
		return do_copy(op, kind, fatal);
	} else if (!strcmp(kind, "iovaRanges")) {
		int h = handle(op, "ioas");
		CHECK();
		uint64_t r[MAX_ALLOW][2], align;
		int n;
		if (ioas_iova_ranges(ioas_ids[h], r, MAX_ALLOW, &n, &align) < 0) {
			if (errno == EMSGSIZE) { *fatal = "iovaRanges: more ranges than the agent reads"; return -1; }
			return op_errno_result(errno, fatal);
		}
		emit("{\"ok\":true,\"ranges\":");
		emit_ranges_fd(r, n, reserved_in(ioas_ids[h]));
		emit(",\"alignment\":\"0x%" PRIx64 "\"}", align);
		return 0;
	} else if (!strcmp(kind, "allowIovas")) {
		return do_allow(op, kind, fatal);
	} else if (!strcmp(kind, "setRlimitMode")) {
		uint64_t v = fu64(op, "value");
		CHECK();
		FAIL_IF(rlimit_mode(1, &v));
		OK();
	} else if (!strcmp(kind, "getRlimitMode")) {
		uint64_t v;
		FAIL_IF(rlimit_mode(0, &v));
		emit("{\"ok\":true,\"value\":\"0x%" PRIx64 "\"}", v);
		return 0;
	} else if (!strcmp(kind, "bind")) {
		device(op);
		CHECK();
		if (dev_bind(fatal) < 0) return *fatal ? -1 : op_errno_result(errno, fatal);
		OK();
	} else if (!strcmp(kind, "attach")) {
		return do_attach(op, kind, fatal);
	} else if (!strcmp(kind, "detach")) {
		device(op);
		CHECK();
		FAIL_IF(dev_detach());
		OK();
	} else if (!strcmp(kind, "hwInfo")) {
		device(op);
		CHECK();
		uint32_t type;
		uint64_t caps;
		FAIL_IF(dev_hw_info(dev_id, &type, &caps));
		emit("{\"ok\":true,\"dataType\":%u,\"capabilities\":\"0x%" PRIx64 "\"}", type, caps);
		return 0;
	} else if (!strcmp(kind, "closeCtx")) {
		helper_stop(); /* it holds the /dev/iommu fd too */
		fd_case_close();
		if (fd_case_open() < 0) { *fatal = "closeCtx: re-opening /dev/iommu or the device failed"; return -1; }
		if (helper_start() < 0) { *fatal = "closeCtx: cannot start the DMA scratch helper"; return -1; }
		OK();
	} else if (!strcmp(kind, "dmaRead")) {
		return do_dma(op, kind, 0, fatal);
	} else if (!strcmp(kind, "dmaWrite")) {
		return do_dma(op, kind, 1, fatal);
	} else if (!strcmp(kind, "counters")) {
		long l = vmlck_pages(), p = vmpin_pages();
		if (l < 0 || p < 0) { *fatal = "cannot read VmLck or VmPin"; return -1; }
		emit("{\"ok\":true,\"lockedVm\":\"0x%lx\",\"pinnedVm\":\"0x%lx\"}", l, p);
		return 0;
	}
	return 1;
}
