/* dma.c - the edu device's DMA engine, dmaRead/dmaWrite observations, IOMMU fault counting. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "device.h"
#include "dma.h"
#include "edu.h"
#include "scratch.h"
#include "util.h"
#include "container.h"

#define SENTINEL 0x5e7e11e1dead5a5aULL
/* the x86 interrupt address window: DMA writes there are MSIs, not memory writes */
#define MSI_LO 0xfee00000ULL
#define MSI_HI 0xfeefffffULL

/* the sum of IOMMU fault interrupts (intel DMAR-MSI, virtio-iommu event queue) */
uint64_t fault_irqs(void)
{
	static char buf[65536];
	if (read_file("/proc/interrupts", buf, sizeof buf) < 0) return 0;
	uint64_t sum = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		int dmar = strstr(line, "dmar") || strstr(line, "DMAR");
		int viommu = 0;
		if (viommu_irq_name[0]) {
			/* the action name is the last word: "virtioN" (INTx) or "virtioN-..." (MSI-X) */
			char *w = strrchr(line, ' ');
			size_t l = strlen(viommu_irq_name);
			viommu = w && !strncmp(w + 1, viommu_irq_name, l) && (w[1 + l] == 0 || w[1 + l] == '-') &&
				 !strstr(w + 1, "-request");
		}
		if (!dmar && !viommu) continue;
		char *p = strchr(line, ':');
		if (!p) continue;
		p++;
		/* per-cpu counts follow */
		for (;;) {
			while (*p == ' ') p++;
			if (!isdigit((unsigned char)*p)) break;
			sum += strtoull(p, &p, 10);
		}
	}
	return sum;
}

/* The scratch reachable by the device around an observation, and the device's translation
 * during it: type1 maps the scratch into the container; iommufd as device.h says. */
static int stage_begin(void) { return family_iommufd ? fd_stage_begin() : scratch_map(); }
static void stage_end(void) { if (family_iommufd) fd_stage_end(); else scratch_unmap(); }
static int observe_begin(void) { return family_iommufd ? fd_observe_begin() : 0; }
static int observe_end(void) { return family_iommufd ? fd_observe_end() : 0; }

static inline void w64(uint32_t off, uint64_t v) { *(volatile uint64_t *)(bar0 + off) = v; }
static inline uint64_t r64(uint32_t off) { return *(volatile uint64_t *)(bar0 + off); }

/* cmd 1: RAM(iova) -> device buffer; cmd 3: device buffer -> RAM(iova) */
static int edu_dma(int to_ram, uint64_t iova, uint32_t len, uint32_t devoff)
{
	/* QEMU 7.2 edu aborts the whole QEMU on an off-by-one range check: never len 0,
	 * devoff + len <= 4095 */
	if (!bar0 || len == 0 || devoff + len > 4095) { errno = EINVAL; return -1; }
	if (to_ram) {
		w64(EDU_SRC, EDU_BUF + devoff);
		w64(EDU_DST, iova);
	} else {
		w64(EDU_SRC, iova);
		w64(EDU_DST, EDU_BUF + devoff);
	}
	w64(EDU_CNT, len);
	w64(EDU_CMD, to_ram ? 3 : 1);
	for (int i = 0; i < 2000; i++) {
		if (!(r64(EDU_CMD) & 1)) return 0;
		if (poll_us) usleep(poll_us);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int stage_failed(const char **fatal)
{
	static char m[96];
	snprintf(m, sizeof m, "cannot make the DMA scratch reachable: %s", strerror(errno));
	*fatal = m;
	stage_end();
	return -1;
}

/* the device's domain maps nothing and can map nothing (device.h: fd_stage_begin): a fault,
 * answered without a DMA */
static int unreachable(void)
{
	stats->dma_unreachable++;
	errno = EFAULT;
	return -1;
}

int dma_read(uint64_t iova, uint64_t *token, const char **fatal)
{
	if (iova <= res_iova + RES_SIZE - 1 && res_iova <= iova) { errno = EFAULT; return -1; }
	/* Refused, not performed, as writes there: a device read of the interrupt window is no
	 * memory access either (QEMU's intel-iommu answers it from its interrupt-remapping region
	 * with zeros and no fault record; virtio-iommu lets it reach the APIC). */
	if (iova <= MSI_HI && MSI_LO <= iova + 7) { stats->msi_refused++; errno = EFAULT; return -1; }
	int s = stage_begin();
	if (s > 0) return unreachable();
	if (s < 0) return stage_failed(fatal);
	scratch[0] = SENTINEL;
	scratch[1] = 0;
	int r = edu_dma(0, res_iova, 8, 0); /* device buffer := sentinel */
	if (!r && observe_begin() < 0) return stage_failed(fatal);
	uint64_t f0 = fault_irqs();
	if (!r) r = edu_dma(0, iova, 8, 0); /* the observation */
	if (observe_end() < 0) return stage_failed(fatal);
	if (!r) r = edu_dma(1, res_iova + 8, 8, 0);
	uint64_t f1 = fault_irqs(); /* after the copy-out: a late fault interrupt still counts */
	int e = errno;
	stage_end();
	stats->dma_ops++;
	if (r) { errno = e; *fatal = "edu DMA did not complete"; return -1; }
	uint64_t v = scratch[1];
	if (f1 != f0) {
		stats->dma_faults++;
		if (v != 0) logf_("dmaRead 0x%llx: fault irq but value 0x%llx", (unsigned long long)iova, (unsigned long long)v);
		errno = EFAULT;
		return -1;
	}
	if (v == SENTINEL) logf_("dmaRead 0x%llx: device buffer unchanged (sentinel)", (unsigned long long)iova);
	*token = v;
	return 0;
}

int dma_write(uint64_t iova, uint64_t token, const char **fatal)
{
	if (iova <= res_iova + RES_SIZE - 1 && res_iova <= iova) { errno = EFAULT; return -1; }
	/* Refused, not performed: a device write into the interrupt window is an MSI (with
	 * virtio-iommu it reaches the APIC untranslated and the token's low bits pick vector and
	 * delivery mode, e.g. INIT). Answered EFAULT, counted, and documented. */
	if (iova <= MSI_HI && MSI_LO <= iova + 7) { stats->msi_refused++; errno = EFAULT; return -1; }
	int s = stage_begin();
	if (s > 0) return unreachable();
	if (s < 0) return stage_failed(fatal);
	scratch[0] = token;
	int r = edu_dma(0, res_iova, 8, 0); /* device buffer := token */
	if (!r && observe_begin() < 0) return stage_failed(fatal);
	uint64_t f0 = fault_irqs();
	if (!r) r = edu_dma(1, iova, 8, 0); /* the observation */
	uint64_t f1 = fault_irqs();
	int e = errno;
	if (observe_end() < 0) return stage_failed(fatal);
	stage_end();
	stats->dma_ops++;
	if (r) { errno = e; *fatal = "edu DMA did not complete"; return -1; }
	if (f1 != f0) { stats->dma_faults++; errno = EFAULT; return -1; }
	return 0;
}
