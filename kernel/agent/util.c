/* util.c - logging, files, errno names, the shared statistics. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct shared_stats *stats;

void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "agent: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0) return -1;
	buf[r] = 0;
	return (int)r;
}

const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EOVERFLOW: return "EOVERFLOW";
	case EACCES: return "EACCES";
	case ENOTTY: return "ENOTTY";
	case ENXIO: return "ENXIO";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case EMSGSIZE: return "EMSGSIZE";
	case ENODEV: return "ENODEV";
	case EDEADLOCK: return "EDEADLOCK"; /* == EDEADLK on Linux */
	case EINTR: return "EINTR"; /* also -H_PARAMETER passed through by sPAPR v1 MAP (spec/errno.ts) */
	}
	return NULL;
}
