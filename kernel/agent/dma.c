/* dma.c - the edu device's DMA engine and the dmaRead/dmaWrite observations. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "container.h"
#include "device.h"
#include "dma.h"
#include "edu.h"
#include "faults.h"
#include "scratch.h"
#include "stage.h"
#include "util.h"

#define SENTINEL 0x5e7e11e1dead5a5aULL
/* the x86 interrupt address window: DMA writes there are MSIs, not memory writes */
#define MSI_LO 0xfee00000ULL
#define MSI_HI 0xfeefffffULL

/* The edu buffer as 8-byte slots. A dmaRead lands in a slot that holds the sentinel, so a
 * read that left the buffer unchanged shows; slots are used once and refilled together, one
 * DMA of the scratch's first page for READ_SLOTS reads. The last slot carries dmaWrite's
 * token. The scratch's second page takes the token and the read-backs (up to READ_SLOTS at
 * once). edu bounds a DMA to devoff + len <= 4095 (see edu_dma): slots 0..510. */
#define READ_SLOTS 510
#define WRITE_SLOT 510
#define SCRATCH_TOKEN 512 /* u64 index into the scratch: its second page */
#define SCRATCH_BACK 513
/* the slots [fresh, READ_SLOTS) hold the sentinel. Per process: each case process refills at
 * its first dmaRead, as the edu buffer is shared with every process before it. */
static int fresh = READ_SLOTS;

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

/* every read slot holds the sentinel again: one DMA from the scratch's first page */
static int refill(void)
{
	for (int i = 0; i < READ_SLOTS; i++) scratch[i] = SENTINEL;
	if (edu_dma(0, res_iova, READ_SLOTS * 8, 0) < 0) return -1;
	fresh = 0;
	return 0;
}

static int agent_failed(const char **fatal, const char *what)
{
	static char m[96];
	snprintf(m, sizeof m, "%s: %s", what, strerror(errno));
	*fatal = m;
	stage_release();
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

/* Not performed, answered EFAULT: the agent's own scratch, and the interrupt window. There a
 * device write is an MSI (with virtio-iommu it reaches the APIC untranslated and the token's
 * low bits pick vector and delivery mode, e.g. INIT); a device read is no memory access either
 * (QEMU's intel-iommu answers it from its interrupt-remapping region with zeros and no fault
 * record; virtio-iommu lets it reach the APIC). */
static int refused(uint64_t iova)
{
	if (iova <= res_iova + RES_SIZE - 1 && res_iova <= iova) return 1;
	if (iova <= MSI_HI && MSI_LO <= iova + 7) { stats->msi_refused++; return 1; }
	return 0;
}

/* the observation itself, after a first fault count (*f0): 0, or -1 with errno for the
 * agent's own failure (*what names it) */
static int observe(int to_ram, uint64_t iova, uint32_t devoff, uint64_t *f0, const char **what)
{
	/* iommufd, a device attached to nothing: the observation runs in the blocking domain */
	if (family_iommufd && fd_observe_begin() < 0) { *what = "cannot detach for the observation"; return -1; }
	*f0 = fault_irqs();
	int r = edu_dma(to_ram, iova, 8, devoff);
	int e = errno;
	if (family_iommufd && fd_observe_end() < 0) { *what = "cannot re-attach after the observation"; return -1; }
	if (r < 0) { errno = e; *what = "edu DMA did not complete"; return -1; }
	return 0;
}

/* The slots [first, first + n) observed into and not read back yet: the index in the run of
 * each, or -1 for a read that faulted. */
struct pending { uint32_t first; int n; int at[READ_SLOTS]; };

/* one read-back DMA of the pending slots into the scratch, their values into token[] */
static int read_back(struct pending *p, const uint64_t *iova, uint64_t *token, const char **fatal)
{
	if (!p->n) return 0;
	memset(&scratch[SCRATCH_BACK], 0, (size_t)p->n * 8);
	uint64_t f = fault_irqs();
	if (edu_dma(1, res_iova + SCRATCH_BACK * 8, (uint32_t)p->n * 8, p->first * 8) < 0) return agent_failed(fatal, "edu DMA did not complete");
	if (fault_irqs() != f) return agent_failed(fatal, "the read-back into the scratch faulted");
	for (int k = 0; k < p->n; k++) {
		if (p->at[k] < 0) continue;
		uint64_t v = scratch[SCRATCH_BACK + k];
		if (v == SENTINEL) logf_("dmaRead 0x%llx: device buffer unchanged (sentinel)", (unsigned long long)iova[p->at[k]]);
		token[p->at[k]] = v;
	}
	p->n = 0;
	return 0;
}

/* Each read is observed into a slot of its own, judged by the fault count around it alone
 * (QEMU raises the IOMMU's fault interrupt within the DMA: intel_iommu.c: vtd_report_fault,
 * virtio-iommu.c: virtio_iommu_report_fault, so it is taken before the guest sees the DMA
 * done); the values come back in one DMA for the whole run, so n reads cost n + 1 edu DMAs
 * (+2 per READ_SLOTS: the refill and the read-back before it). */
int dma_read_run(const uint64_t *iova, int n, uint64_t *token, int *err, const char **fatal)
{
	static struct pending p;
	p.n = 0;
	for (int i = 0; i < n; i++) {
		err[i] = EFAULT;
		if (refused(iova[i])) continue;
		int s = stage_for(iova[i], 0);
		if (s > 0) { unreachable(); continue; }
		if (s < 0) return agent_failed(fatal, "cannot make the DMA scratch reachable");
		if (fresh >= READ_SLOTS) {
			if (read_back(&p, iova, token, fatal) < 0) return -1;
			if (refill() < 0) return agent_failed(fatal, "edu DMA did not complete");
		}
		if (!p.n) p.first = (uint32_t)fresh;
		uint32_t slot = (uint32_t)fresh++;
		const char *what;
		uint64_t f0;
		if (observe(0, iova[i], slot * 8, &f0, &what) < 0) return agent_failed(fatal, what);
		stats->dma_ops++;
		int fault = fault_irqs() != f0;
		p.at[p.n++] = fault ? -1 : i;
		if (fault) stats->dma_faults++;
		else err[i] = 0;
	}
	/* the scratch is still staged: the last stage_for left it so and nothing came between */
	return read_back(&p, iova, token, fatal);
}

int dma_read(uint64_t iova, uint64_t *token, const char **fatal)
{
	int err;
	if (dma_read_run(&iova, 1, token, &err, fatal) < 0) return -1;
	errno = err;
	return err ? -1 : 0;
}

int dma_write(uint64_t iova, uint64_t token, const char **fatal)
{
	if (refused(iova)) { errno = EFAULT; return -1; }
	int s = stage_for(iova, 1);
	if (s > 0) return unreachable();
	if (s < 0) return agent_failed(fatal, "cannot make the DMA scratch reachable");
	scratch[SCRATCH_TOKEN] = token;
	if (edu_dma(0, res_iova + SCRATCH_TOKEN * 8, 8, WRITE_SLOT * 8) < 0) return agent_failed(fatal, "edu DMA did not complete");
	const char *what = NULL;
	uint64_t f0;
	if (observe(1, iova, WRITE_SLOT * 8, &f0, &what) < 0) return agent_failed(fatal, what);
	int fault = fault_irqs() != f0;
	stats->dma_ops++;
	if (fault) { stats->dma_faults++; errno = EFAULT; return -1; }
	return 0;
}
