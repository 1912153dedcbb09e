/* util.h - the one helper every file needs. */
#ifndef UTIL_H
#define UTIL_H

#include <stdlib.h>

/* realloc that never returns NULL: a test backend out of memory has nothing better to do. */
static inline void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		abort();
	return p;
}

#endif
