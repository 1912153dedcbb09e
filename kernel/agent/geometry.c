/* geometry.c - the iommufd declaration: the edu device's domain as the kernel reports it.
 *
 * iommufd has no ioctl that returns a domain's aperture or page sizes; an IOAS reports what its
 * attached domains impose (io_pagetable.c: iopt_table_add_domain reserves [0, aperture_start)
 * and (aperture_end, ULONG_MAX] and the device's reserved regions; iopt_calculate_iova_alignment
 * raises iova_alignment to the smallest page of each domain). So the probe attaches the device
 * to a fresh IOAS with no allowed list and reads IOMMU_IOAS_IOVA_RANGES:
 *   - aperture: from the first range's start to the last range's last;
 *   - pgsizes: out_iova_alignment is the domain's smallest page; the larger ones are not
 *     observable through the native uAPI, and only the smallest matters to it (alignment), so
 *     every power of two from it up is declared;
 *   - reserved: /sys/kernel/iommu_groups/<g>/reserved_regions (the group's, as
 *     iommu_get_group_resv_regions merges them), without "direct-relaxable" ones, which
 *     iopt_table_enforce_dev_resv_regions skips; cross-checked against the gaps between the
 *     ranges; plus the agent's scratch range (fdops.c).
 * hwInfoType is IOMMU_GET_HW_INFO's out_data_type; the group is the iommu_group link's name. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config.h"
#include "device.h"
#include "dma.h"
#include "geometry.h"
#include "stage.h"
#include "iommufd.h"
#include "json.h"
#include "mmio.h"
#include "protocol.h"
#include "scratch.h"
#include "util.h"

static void add_reserved(struct fd_geometry *g, uint64_t s, uint64_t l)
{
	if (g->nres == MAX_RESV) { logf_("more than %d reserved regions: the rest ignored", MAX_RESV); return; }
	int i = g->nres++;
	while (i > 0 && g->reserved[i - 1][0] > s) { /* keep ascending */
		g->reserved[i][0] = g->reserved[i - 1][0];
		g->reserved[i][1] = g->reserved[i - 1][1];
		i--;
	}
	g->reserved[i][0] = s;
	g->reserved[i][1] = l;
}

/* the group's reserved regions from sysfs: "0x00000000fee00000 0x00000000feefffff msi" lines */
static int read_reserved(struct fd_geometry *g)
{
	char p[256], buf[4096];
	snprintf(p, sizeof p, "/sys/kernel/iommu_groups/%d/reserved_regions", g->group);
	if (read_file(p, buf, sizeof buf) < 0) { logf_("read %s: %m", p); return -1; }
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long s, l;
		char type[32];
		if (sscanf(line, "%llx %llx %31s", &s, &l, type) != 3) continue;
		logf_("reserved region [0x%llx, 0x%llx] %s", s, l, type);
		if (strcmp(type, "direct-relaxable")) add_reserved(g, s, l);
	}
	return 0;
}

static int group_number(void)
{
	char p[512], link[512];
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ssize_t n = readlink(p, link, sizeof link - 1);
	if (n < 0) { logf_("readlink %s: %m", p); return -1; }
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

/* do the gaps between the IOVA ranges inside the aperture match the reserved regions? */
static void cross_check(const struct fd_geometry *g, uint64_t r[][2], int n)
{
	int k = 0;
	for (int i = 0; i + 1 < n; i++, k++) {
		uint64_t s = r[i][1] + 1, l = r[i + 1][0] - 1;
		if (k >= g->nres || g->reserved[k][0] != s || g->reserved[k][1] != l)
			logf_("warning: the IOVA ranges' gap [0x%" PRIx64 ", 0x%" PRIx64 "] is not reserved region %d of sysfs", s, l, k);
	}
	if (k != g->nres) logf_("warning: %d reserved regions in sysfs, %d gaps between the IOVA ranges", g->nres, k);
}

int fd_probe(struct fd_geometry *g)
{
	const char *fatal = NULL;
	uint32_t ioas;
	uint64_t r[MAX_ALLOW][2];
	int n;
	memset(g, 0, sizeof *g);
	if ((g->group = group_number()) < 0) return -1;
	if (ctx_open() < 0 || dev_open() < 0) return -1;
	if (dev_bind(&fatal) < 0) { logf_("VFIO_DEVICE_BIND_IOMMUFD: %s", fatal ? fatal : strerror(errno)); return -1; }
	if (ioas_alloc(&ioas) < 0 || dev_attach(ioas) < 0) { logf_("IOAS_ALLOC or ATTACH_IOMMUFD_PT: %m"); return -1; }
	if (ioas_iova_ranges(ioas, r, MAX_ALLOW, &n, &g->alignment) < 0 || n < 1) { logf_("IOAS_IOVA_RANGES: %m"); return -1; }
	g->aperture[0] = r[0][0];
	g->aperture[1] = r[n - 1][1];
	g->pgsizes = ~(g->alignment - 1);
	if (read_reserved(g) < 0) return -1;
	cross_check(g, r, n);
	int inside = 0;
	for (int i = 0; i < n; i++) inside |= r[i][0] <= res_iova && res_iova + RES_SIZE - 1 <= r[i][1];
	if (!inside) { logf_("the scratch IOVA range is not inside one IOVA range"); return -1; }
	add_reserved(g, res_iova, res_iova + RES_SIZE - 1);
	uint64_t caps;
	g->has_hw_info = dev_hw_info(dev_id, &g->hw_info_type, &caps) == 0;
	if (!g->has_hw_info) logf_("IOMMU_GET_HW_INFO: %m (no hwInfo capability)");
	/* self check: the device attached to an empty IOAS reads an unmapped IOVA: a fault */
	if (helper_start() < 0) return -1;
	uint64_t t = 0;
	int rc = dma_read(0x1000, &t, &fatal);
	int e = errno;
	stage_release();
	logf_("selfcheck dmaRead(unmapped) -> %s", rc < 0 ? (fatal ? fatal : errno_name(e)) : "ok (BAD)");
	if (rc == 0 || fatal || e != EFAULT) { logf_("FATAL: cannot observe IOMMU faults, refusing to serve"); return -1; }
	if (mmio_bdf[0] && mmio_check() < 0) logf_("mmio: %s does not work: no mmio capability", mmio_bdf);
	else g->has_mmio = mmio_bdf[0] != 0;
	helper_stop();
	dev_close();
	ctx_close();
	g->ok = 1;
	return 0;
}

void emit_iommufd_info(const struct fd_geometry *g)
{
	struct utsname u;
	uname(&u);
	char desc[2048];
	snprintf(desc, sizeof desc,
		 "Linux %s (%s, kernel %s) iommufd (/dev/iommu, VFIO device cdev) in a QEMU TCG guest, %s, device 0 = the QEMU edu device at %s; "
		 "IOVA 0x%" PRIx64 "+0x2000 reserved by the agent for DMA scratch (declared as a reserved region); a process per case%s%s",
		 u.release, u.version, kernel_name, iommu_name, bdf, res_iova,
		 g->has_mmio ? "; mmio memory: BAR2 of the ivshmem device at " : "", g->has_mmio ? mmio_bdf : "");
	emit("{\"name\":\"linux-iommufd-%s\",\"description\":", iommu_name);
	emit_str(desc);
	emit(",\"family\":\"iommufd\",\"profile\":\"iommufd\",\"devices\":[{\"pgsizes\":\"0x%" PRIx64 "\","
	     "\"aperture\":{\"start\":\"0x%" PRIx64 "\",\"last\":\"0x%" PRIx64 "\"},\"reserved\":[",
	     g->pgsizes, g->aperture[0], g->aperture[1]);
	for (int i = 0; i < g->nres; i++)
		emit("%s{\"start\":\"0x%" PRIx64 "\",\"last\":\"0x%" PRIx64 "\"}", i ? "," : "", g->reserved[i][0], g->reserved[i][1]);
	emit("],\"hwInfoType\":%u,\"group\":%d}],", g->hw_info_type, g->group);
	emit_host_info();
	emit(",\"capabilities\":[\"dma\",\"dmaWrite\",\"cpuRead\",\"rlimit\",\"capIpcLock\",\"rlimitMode\",\"pinnedVm\"%s%s]}",
	     g->has_hw_info ? ",\"hwInfo\"" : "", g->has_mmio ? ",\"mmio\"" : "");
}
