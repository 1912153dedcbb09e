/* ops.h - one operation of spec/type1/ops.ts or spec/iommufd/ops.ts, decoded from its JSON object, executed in the
 * case process, and its result appended to the reply. */
#ifndef AGENT_OPS_H
#define AGENT_OPS_H

#include <stdint.h>

#include "json.h"

/* Executes `op` and appends its result ({"ok":true,...} or {"ok":false,"errno":"..."}) with
 * emit. Returns -1 with *fatal on a backend failure (a malformed or unsupported operation, an
 * errno the protocol has no name for, a broken DMA path), answered as an error reply. A type1
 * dmaRead takes the dmaReads right after it along (dma.h: dma_read_run): *more is how many of
 * the following operations it answered too, their results appended, comma-separated. */
int do_op(J *op, int *more, const char **fatal);


/* the case's kernel objects: the type1 container (container.h) or the iommufd context and
 * device cdev (fdops.h); 0 or -1 (logged) */
int case_open(void);
void case_close(void);

/* the IOVA ranges r (inclusive ends) as a JSON array, without the scratch range */
void emit_ranges(uint64_t r[][2], int n);

#endif
