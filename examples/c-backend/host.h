/* host.h - the simulated processes that share the container: their address spaces (VMAs onto
 * memory objects), locked_vm, RLIMIT_MEMLOCK and CAP_IPC_LOCK.
 *
 * To drive a real system, replace host.c: these calls become mmap, munmap, mremap, mprotect,
 * loads and stores, setrlimit and capset in two real processes (a parent and a forked child).
 * Every function returns 0 or an errno value (EINVAL, EFAULT, ENOMEM), never -1.
 */
#ifndef HOST_H
#define HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frames.h"

#define HUGE_PAGE_SIZE 0x200000ull
#define ARENA_START 0x7f0000000000ull /* where the suite may mmap, in both processes */
#define ARENA_SIZE 0x10000000000ull
#define NPROCS 2
#define RLIM_INFINITY_BYTES UINT64_MAX

enum prot { PROT_NONE_ = 0, PROT_READ_ = 1, PROT_RW = 3 }; /* '_' avoids <sys/mman.h> names */
enum backing { BACKING_ANON, BACKING_HUGETLB, BACKING_MMIO };

/* [start, end) of one process, a window onto the pages of one memory object from `pgoff`. */
struct vma {
	uint64_t start, end;
	enum prot prot;
	enum backing backing;
	uint64_t object, pgoff;
};

/* Pages [first, end) of one memory object. */
struct page_range {
	uint64_t object, first, end;
};

struct process {
	struct vma *vmas; /* sorted by start, disjoint */
	size_t nvmas, vma_capacity;
	struct page_range *ptes; /* MMIO pages with a page table entry (host_fault_in) */
	size_t nptes, pte_capacity;
	uint64_t locked_vm;      /* mm->locked_vm, in pages */
	uint64_t rlimit_memlock; /* bytes; RLIM_INFINITY_BYTES means unlimited */
	bool cap_ipc_lock;
};

void host_reset(void); /* empty address spaces, locked_vm 0, no limit, no capability */
struct process *host_process(int proc);

int host_mmap(int proc, uint64_t vaddr, uint64_t size, enum prot prot, enum backing backing);
int host_munmap(int proc, uint64_t vaddr, uint64_t size);
int host_mremap(int proc, uint64_t vaddr, uint64_t size, uint64_t new_vaddr, uint64_t new_size);
int host_mprotect(int proc, uint64_t vaddr, uint64_t size, enum prot prot);
int host_cpu_write(int proc, uint64_t vaddr, uint64_t token);
int host_cpu_read(int proc, uint64_t vaddr, uint64_t *token);

/* The VMA holding `vaddr`, or NULL: what the container walks when it pins pages. */
const struct vma *host_vma_at(int proc, uint64_t vaddr);

/* The frame behind `vaddr` inside `v`. */
struct frame vma_frame(const struct vma *v, uint64_t vaddr);

/* Page table entries of MMIO (PFNMAP) memory: the driver inserts one per fault, that is when
 * the CPU touches the page or MAP_DMA faults it in. mprotect keeps an entry (PROT_NONE makes
 * it inaccessible, not absent) and mremap moves it with the frame. MAP_DMA uses a present
 * entry as it finds it, so a READ-only map of PROT_NONE MMIO pages works once they were
 * touched. Only MMIO pages are recorded. */
bool host_ptes_present(int proc, struct frame first, uint64_t pages);
void host_fault_in(int proc, struct frame first, uint64_t pages);

#endif
