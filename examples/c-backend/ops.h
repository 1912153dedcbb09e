/* ops.h - executing one operation of spec/type1/ops.ts. */
#ifndef OPS_H
#define OPS_H

#include "json.h"

/* Run `op` (a JSON object as spec/type1/wire.ts encodes it) and append its result object to `out`:
 * {"ok":true,...} or {"ok":false,"errno":"..."}. Returns NULL, or a message when the
 * operation itself is malformed, which the caller answers as a protocol error. */
const char *execute_op(const struct json *op, struct buf *out);

#endif
