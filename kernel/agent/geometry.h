/* geometry.h - the iommufd family's declaration (spec/iommufd/backend.ts): what the probe
 * process learns about the edu device's domain at start, and the hello reply's info. */
#ifndef AGENT_GEOMETRY_H
#define AGENT_GEOMETRY_H

#include <stdint.h>

#define MAX_RESV 16

struct fd_geometry {
	int ok;
	uint64_t pgsizes, aperture[2], alignment;
	int nres;
	uint64_t reserved[MAX_RESV][2]; /* ascending, disjoint, inclusive; the scratch range included */
	uint32_t hw_info_type;
	int has_hw_info, group, has_mmio;
};

extern struct fd_geometry fd_geo; /* in the protocol process, from the probe (main.c) */

/* In the probe process: opens the context and the device, binds, attaches to a scratch IOAS,
 * reads IOVA_RANGES, GET_HW_INFO and sysfs, checks that a DMA fault is observed, closes
 * everything. 0, or -1 (logged). */
int fd_probe(struct fd_geometry *g);

/* the hello reply's "info" object of the iommufd family (appended with emit) */
void emit_iommufd_info(const struct fd_geometry *g);

#endif
