/* host.c - host memory, limits and capabilities of the calling process. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "mmio.h"
#include "util.h"

int outside_arena(uint64_t a, uint64_t size)
{
	if (size == 0 || (a | size) & (PAGE - 1)) return 0;
	return a < ARENA_START || size > ARENA_SIZE || a - ARENA_START > ARENA_SIZE - size;
}

void host_reset(void)
{
	munmap((void *)ARENA_START, ARENA_SIZE);
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &inf);
	set_cap_ipc_lock(family_iommufd); /* spec/type1/backend.ts and spec/iommufd/backend.ts: reset */
}

int host_prot(const char *name)
{
	if (!strcmp(name, "none")) return PROT_NONE;
	if (!strcmp(name, "r")) return PROT_READ;
	if (!strcmp(name, "rw")) return PROT_READ | PROT_WRITE;
	return -1;
}

int host_mmap(uint64_t vaddr, uint64_t size, int prot, int hugetlb)
{
	int fl = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS;
	/* iommufd has no hugetlb capability, so its cases mmap hugetlb memory of any size: without
	 * a reservation the mmap never fails for want of pool pages, and only touching more pages
	 * than the pool holds (host_hugetlb_pool) fails (EFAULT for the CPU, EFAULT/ENOMEM to pin) */
	if (hugetlb) fl |= MAP_HUGETLB | (family_iommufd ? MAP_NORESERVE : 0);
	void *p = mmap((void *)(uintptr_t)vaddr, size, prot, fl, -1, 0);
	return p == MAP_FAILED ? -1 : 0;
}

void host_hugetlb_pool(long pages)
{
	char v[32];
	int n = snprintf(v, sizeof v, "%ld\n", pages);
	int fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, v, n) != n) logf_("nr_hugepages := %ld: %m", pages);
	if (fd >= 0) close(fd);
}

int host_munmap(uint64_t vaddr, uint64_t size)
{
	return munmap((void *)(uintptr_t)vaddr, size);
}

int host_mremap(uint64_t vaddr, uint64_t size, uint64_t new_vaddr, uint64_t new_size)
{
	void *p = mremap((void *)(uintptr_t)vaddr, size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)new_vaddr);
	return p == MAP_FAILED ? -1 : 0;
}

int host_mprotect(uint64_t vaddr, uint64_t size, int prot)
{
	return mprotect((void *)(uintptr_t)vaddr, size, prot);
}

int host_cpu_write(uint64_t vaddr, uint64_t token)
{
	struct iovec l = { &token, 8 }, rm = { (void *)(uintptr_t)vaddr, 8 };
	ssize_t n = process_vm_writev(getpid(), &l, 1, &rm, 1, 0);
	if (n == 8) return 0;
	if (n >= 0) errno = EFAULT;
	return errno == EFAULT ? mmio_cpu_write(vaddr, token) : -1;
}

int host_cpu_read(uint64_t vaddr, uint64_t *token)
{
	uint64_t t = 0;
	struct iovec l = { &t, 8 }, rm = { (void *)(uintptr_t)vaddr, 8 };
	ssize_t n = process_vm_readv(getpid(), &l, 1, &rm, 1, 0);
	if (n == 8) {
		*token = t;
		return 0;
	}
	if (n >= 0) errno = EFAULT;
	return errno == EFAULT ? mmio_cpu_read(vaddr, token) : -1;
}

int host_set_rlimit_memlock(uint64_t bytes)
{
	struct rlimit rl = { bytes == U64MAX ? RLIM_INFINITY : bytes, RLIM_INFINITY };
	return setrlimit(RLIMIT_MEMLOCK, &rl);
}

/* capabilities: v3 structs, defined here so that only linux/vfio.h is needed */
struct capv3_hdr { uint32_t version; int pid; };
struct capv3_data { uint32_t effective, permitted, inheritable; };
#define CAP_IPC_LOCK_BIT 14

int set_cap_ipc_lock(int on)
{
	struct capv3_hdr h = { 0x20080522, 0 };
	struct capv3_data d[2];
	if (syscall(SYS_capget, &h, d) < 0) return -1;
	if (on) d[0].effective |= 1u << CAP_IPC_LOCK_BIT;
	else d[0].effective &= ~(1u << CAP_IPC_LOCK_BIT);
	return (int)syscall(SYS_capset, &h, d);
}

/* a "Name:   N kB" line of /proc/self/status, in 4 KiB pages */
static long status_pages(const char *name)
{
	char buf[8192];
	if (read_file("/proc/self/status", buf, sizeof buf) < 0) return -1;
	char *p = strstr(buf, name);
	if (!p) return -1;
	return atol(p + strlen(name)) / 4;
}

long vmlck_pages(void) { return status_pages("VmLck:"); }
long vmpin_pages(void) { return status_pages("VmPin:"); }
