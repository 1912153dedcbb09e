/* host.h - the case process's own memory and limits, as the suite's host operations drive
 * them: mmap, munmap, mremap and mprotect in the arena, CPU loads and stores, RLIMIT_MEMLOCK,
 * CAP_IPC_LOCK and locked_vm (VmLck).
 *
 * Every call is the real syscall on the calling process and returns like it: 0, or -1 with
 * errno. The caller (ops.c) keeps every range it passes inside the arena (outside_arena). */
#ifndef AGENT_HOST_H
#define AGENT_HOST_H

#include <stdint.h>

/* would the kernel act on [a, a + size) outside the arena? Ranges the kernel rejects up front
 * (size 0, unaligned) pass, so that the kernel's answer to them is observed */
int outside_arena(uint64_t a, uint64_t size);

/* the start of a case: an empty arena, RLIMIT_MEMLOCK unlimited; CAP_IPC_LOCK dropped from the
 * effective set for type1 (it stays permitted), held for iommufd */
void host_reset(void);

/* the mmap protection of the wire's "none", "r", "rw"; -1 for anything else */
int host_prot(const char *name);

int host_mmap(uint64_t vaddr, uint64_t size, int prot, int hugetlb); /* MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS */
/* the huge page pool (vm.nr_hugepages) hugetlb mmaps draw from; logged on failure */
void host_hugetlb_pool(long pages);
int host_munmap(uint64_t vaddr, uint64_t size);
int host_mremap(uint64_t vaddr, uint64_t size, uint64_t new_vaddr, uint64_t new_size); /* MAYMOVE|FIXED */
int host_mprotect(uint64_t vaddr, uint64_t size, int prot);

/* 8 bytes at vaddr, through process_vm_writev/readv on ourselves: EFAULT for an unmapped or
 * protected page, never a signal. PFNMAP memory, which those refuse, goes through mmio.h. */
int host_cpu_write(uint64_t vaddr, uint64_t token);
int host_cpu_read(uint64_t vaddr, uint64_t *token);

int host_set_rlimit_memlock(uint64_t bytes); /* U64MAX is RLIM_INFINITY */
int set_cap_ipc_lock(int on);                 /* in the effective set */
long vmlck_pages(void);                       /* VmLck of /proc/self/status in 4 KiB pages, or -1 */
long vmpin_pages(void);                       /* VmPin, likewise */

#endif
