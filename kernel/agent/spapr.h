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

/* a window the case created or the default one (spapr_guard.c) */
struct spapr_window { uint64_t start, size; int shift; };

struct spapr_ct {
	int phb; /* the edu device (geo[]) this case uses for the container */
	int container, group;
	struct spapr_window win[MAXWIN];
	int nwin;
};
extern struct spapr_ct ct[MAXCT];

/* opens container i on the group of ct[i].phb with VFIO_SET_IOMMU of the profile; 0 or -1 (logged) */
int ct_open(int i);
void ct_close(int i);

/* windows: TCE_CREATE and TCE_REMOVE succeeded */
void win_add(int i, uint64_t start, uint64_t size, int shift);
void win_remove(int i, uint64_t start);

/* VFIO_IOMMU_MAP_DMA on container i, or the kernel's answer to it without running it when it
 * would oops (spapr_guard.c); 0 or -1 with errno */
int guarded_map(int i, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size);

/* one operation of spec/spapr/ops.ts; -1 with *fatal on a backend failure */
int spapr_op(void *op, const char **fatal);

#endif
