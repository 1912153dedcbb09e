/* spapr.h - the ppc64 agent (kernel/ppc64/): the sPAPR TCE family (spec/spapr/) on a pseries
 * guest's own kernel. One edu device per PHB, each a group of its own and one container.
 *
 *   spapr_main.c       start, the geometry probe, the case processes and the request loop
 *   spapr_container.c  a container's fds (container, group) and VFIO_SET_IOMMU; the windows
 *                      the agent knows of (spapr_guard.c needs them)
 *   spapr_ops.c        each operation decoded, executed, its result written
 *   spapr_guard.c      the one MAP the agent does not hand to the kernel (it oopses 6.12)
 *
 * Shared with the x86 agent: json.c (protocol), util.c (logging, errno names), host.c (host
 * memory of the case process, VmLck). */
#ifndef AGENT_SPAPR_H
#define AGENT_SPAPR_H

#include <stddef.h>
#include <stdint.h>

#define MAXCT 4
#define MAXWIN 8
#define MAXPHB 16

/* one container's table_group as TCE_GET_INFO and the probe's TCE_CREATE saw it */
struct spapr_geometry {
	uint64_t dma32_start, dma32_size, pgsizes, window_start[2];
	uint32_t max_windows, levels;
	int ddw;
	char bdf[256];
	int group;
};

extern int spapr_v1;  /* agent.profile=v1: VFIO_SPAPR_TCE_IOMMU */
extern int n_ct;      /* agent.containers= */
extern int n_phb;     /* the edu devices found: n_ct and spares */
extern struct spapr_geometry geo[MAXPHB];

/* A PHB whose DDW creation the hypervisor refused once is refused every later TCE_CREATE for
 * the life of the guest's kernel (arch/powerpc/platforms/pseries/iommu.c:
 * spapr_tce_create_table, failed_ddw_pdn_list, answered ENODEV): state no reset clears. Such a
 * PHB is marked and later cases use spare ones. */
void phb_taint(int phb);

/* a window the case created or the default one (spapr_guard.c, spapr_dma.c); `exists`: an
 * answer of the kernel proved it created (the default window is pending until then) */
struct spapr_window { uint64_t start, size; int shift, exists; };

/* IOVA ranges [lo, hi) whose TCEs may be valid: every MAP the kernel answered 0, less what
 * UNMAP, TCE_REMOVE and release cleared (spapr_dma.c picks its scratch entry outside them) */
#define MAXRUN 256

struct spapr_ct {
	int phb; /* the edu device (geo[]) this case uses for the container */
	int container, group;
	struct spapr_window win[MAXWIN];
	int nwin;
	uint64_t run[MAXRUN][2];
	int nrun, overflow, disabled;
	int device;              /* the edu device's fd, its BAR0 mapped */
	volatile uint8_t *bar0;
	size_t bar0_size;
};
extern struct spapr_ct ct[MAXCT];

/* opens container i on the group of ct[i].phb with VFIO_SET_IOMMU of the profile; 0 or -1 (logged) */
int ct_open(int i);
void ct_close(int i);

/* windows: TCE_CREATE succeeded; TCE_REMOVE at an address succeeded */
void win_add(int i, uint64_t start, uint64_t size, int shift);
void win_remove(int i, uint64_t start);
/* the window holding iova, or NULL */
struct spapr_window *win_at(int i, uint64_t iova);
/* the TCEs that may be valid: a MAP answered 0 sets, an UNMAP answered 0 or a removed window clears */
void run_set(int i, uint64_t iova, uint64_t size);
void run_clear(int i, uint64_t iova, uint64_t size);

/* CAP_IPC_LOCK as the case set it (setCapIpcLock), restored after the DMA scratch's REGISTER */
extern int cap_held;

/* dmaRead (write 0: *token is what the device read) or dmaWrite of *token, by container i's
 * device at bus address iova; 0, or -1 with *fatal */
int spapr_dma(int i, int write, uint64_t iova, uint64_t *token, const char **fatal);

/* VFIO_IOMMU_MAP_DMA on container i, or the kernel's answer to it without running it when it
 * would oops (spapr_guard.c); 0 or -1 with errno */
int guarded_map(int i, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size);

/* one operation of spec/spapr/ops.ts; -1 with *fatal on a backend failure */
int spapr_op(void *op, const char **fatal);

#endif
