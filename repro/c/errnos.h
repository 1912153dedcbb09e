/* errnos.h - the errno names the suite's results use (spec/errno.ts), for printing answers */
#include <errno.h>
static const struct { int e; const char *name; } errno_names[] = {
ERRNO_TABLE
};
