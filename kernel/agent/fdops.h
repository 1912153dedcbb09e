/* fdops.h - the operations of spec/iommufd/ops.ts that are not host memory (ops.c does those
 * for both families): decoded, run with the real ioctls, their results written. */
#ifndef AGENT_FDOPS_H
#define AGENT_FDOPS_H

#include "json.h"

/* `kind` of `op`: 0 and its result appended, -1 with *fatal, or 1 if it is no iommufd op */
int do_iommufd_op(const char *kind, J *op, const char **fatal);

/* a case's context: /dev/iommu and the device cdev opened (unbound), every handle dead; and
 * closed (the scratch helper must be stopped first: it holds the /dev/iommu fd too) */
int fd_case_open(void);
void fd_case_close(void);

#endif
