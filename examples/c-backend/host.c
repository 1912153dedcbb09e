/* host.c - a simulation of the two processes' memory, as Linux mm behaves for the calls the
 * suite makes. Each process has a sorted array of VMAs; each VMA is a window onto a memory
 * object, so moving a VMA (mremap) moves its frames and splitting one keeps them. Work is per
 * VMA, never per page.
 */
#include "host.h"

#include <errno.h>
#include <string.h>

#include "util.h"

static struct process procs[NPROCS];

void host_reset(void)
{
	for (int i = 0; i < NPROCS; i++) {
		free(procs[i].vmas);
		free(procs[i].ptes);
		procs[i] = (struct process){ .rlimit_memlock = RLIM_INFINITY_BYTES };
	}
	frames_reset();
}

struct process *host_process(int proc) { return &procs[proc]; }

struct frame vma_frame(const struct vma *v, uint64_t vaddr)
{
	return (struct frame){ v->object, v->pgoff + (vaddr - v->start) / PAGE_SIZE };
}

/* Index of the first VMA ending after `addr` (VMAs are sorted and disjoint, so are their ends). */
static size_t first_ending_after(const struct process *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nvmas;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->vmas[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static struct vma *vma_at(struct process *p, uint64_t addr)
{
	size_t i = first_ending_after(p, addr);
	return i < p->nvmas && p->vmas[i].start <= addr ? &p->vmas[i] : NULL;
}

const struct vma *host_vma_at(int proc, uint64_t vaddr) { return vma_at(&procs[proc], vaddr); }

static void insert_at(struct process *p, size_t i, struct vma v)
{
	if (p->nvmas == p->vma_capacity) {
		p->vma_capacity = p->vma_capacity ? 2 * p->vma_capacity : 16;
		p->vmas = xrealloc(p->vmas, p->vma_capacity * sizeof *p->vmas);
	}
	memmove(&p->vmas[i + 1], &p->vmas[i], (p->nvmas - i) * sizeof v);
	p->vmas[i] = v;
	p->nvmas++;
}

/* Insert a VMA into a range known to be free. */
static void insert_vma(struct process *p, struct vma v) { insert_at(p, first_ending_after(p, v.start), v); }

/* Split vmas[i] at `addr`: the right half keeps its frames because its pgoff moves with it. */
static void split(struct process *p, size_t i, uint64_t addr)
{
	struct vma right = p->vmas[i];
	right.start = addr;
	right.pgoff += (addr - p->vmas[i].start) / PAGE_SIZE;
	p->vmas[i].end = addr;
	insert_at(p, i + 1, right);
}

/* Remove [start, end) from the address space. If `removed` is not NULL it receives a malloc'ed
 * copy of the removed pieces in address order (the caller frees it); returns their number. */
static size_t carve(struct process *p, uint64_t start, uint64_t end, struct vma **removed)
{
	size_t i = first_ending_after(p, start);
	if (i < p->nvmas && p->vmas[i].start < start)
		split(p, i++, start);
	size_t j = i;
	while (j < p->nvmas && p->vmas[j].start < end)
		j++;
	if (j > i && p->vmas[j - 1].end > end)
		split(p, j - 1, end);
	size_t n = j - i;
	if (removed)
		*removed = n ? xrealloc(NULL, n * sizeof **removed) : NULL;
	if (n == 0)
		return 0; /* nothing mapped there (and no NULL array handed to memcpy) */
	if (removed)
		memcpy(*removed, &p->vmas[i], n * sizeof **removed);
	memmove(&p->vmas[i], &p->vmas[j], (p->nvmas - j) * sizeof *p->vmas);
	p->nvmas -= n;
	return n;
}

/* Is [start, end) mapped without a hole? With `one_vma`, the pieces must also agree on prot
 * and backing: Linux merges such neighbours into one VMA, which is what mremap's source must
 * lie in. This simulation never merges, so it accepts the run of pieces instead. */
static bool covered(struct process *p, uint64_t start, uint64_t end, bool one_vma)
{
	size_t i = first_ending_after(p, start);
	if (i == p->nvmas || p->vmas[i].start > start)
		return false;
	for (;; i++) {
		const struct vma *v = &p->vmas[i], *next = v + 1;
		if (v->end >= end)
			return true;
		if (i + 1 == p->nvmas || next->start != v->end)
			return false;
		if (one_vma && (next->prot != v->prot || next->backing != v->backing))
			return false;
	}
}

/* Would a boundary at `addr` split a hugetlb VMA off a huge page boundary? Linux refuses
 * that with EINVAL (hugetlb_vm_op_split), for munmap, mprotect and MAP_FIXED alike. */
static bool cuts_hugetlb(struct process *p, uint64_t addr)
{
	const struct vma *v = vma_at(p, addr);
	return v && v->backing == BACKING_HUGETLB && v->start < addr && (addr - v->start) % HUGE_PAGE_SIZE;
}

/* Non-empty, page aligned, and vaddr + size does not wrap. */
static bool valid_range(uint64_t vaddr, uint64_t size)
{
	return size && vaddr % PAGE_SIZE == 0 && size % PAGE_SIZE == 0 && size <= UINT64_MAX - vaddr;
}

int host_mmap(int proc, uint64_t vaddr, uint64_t size, enum prot prot, enum backing backing)
{
	struct process *p = &procs[proc];
	uint64_t align = backing == BACKING_HUGETLB ? HUGE_PAGE_SIZE : PAGE_SIZE;
	if (size == 0 || vaddr % align || size % align)
		return EINVAL;
	if (size > UINT64_MAX - vaddr)
		return ENOMEM;
	if (cuts_hugetlb(p, vaddr) || cuts_hugetlb(p, vaddr + size))
		return EINVAL;
	carve(p, vaddr, vaddr + size, NULL); /* MAP_FIXED replaces what was there */
	insert_vma(p, (struct vma){ vaddr, vaddr + size, prot, backing, frames_new_object(), 0 });
	return 0;
}

int host_munmap(int proc, uint64_t vaddr, uint64_t size)
{
	struct process *p = &procs[proc];
	if (!valid_range(vaddr, size) || cuts_hugetlb(p, vaddr) || cuts_hugetlb(p, vaddr + size))
		return EINVAL;
	carve(p, vaddr, vaddr + size, NULL);
	return 0;
}

int host_mremap(int proc, uint64_t vaddr, uint64_t size, uint64_t new_vaddr, uint64_t new_size)
{
	struct process *p = &procs[proc];
	if (!valid_range(vaddr, size) || !valid_range(new_vaddr, new_size))
		return EINVAL;
	if (new_vaddr < vaddr + size && vaddr < new_vaddr + new_size)
		return EINVAL; /* the ranges overlap */
	if (!covered(p, vaddr, vaddr + size, true))
		return EFAULT;
	const struct vma source = *vma_at(p, vaddr);
	if (source.backing == BACKING_HUGETLB &&
	    (new_size != size || vaddr % HUGE_PAGE_SIZE || new_vaddr % HUGE_PAGE_SIZE))
		return EINVAL;
	if (source.backing == BACKING_MMIO && new_size > size)
		return EFAULT; /* a VM_PFNMAP VMA cannot grow */
	if (cuts_hugetlb(p, new_vaddr) || cuts_hugetlb(p, new_vaddr + new_size))
		return EINVAL;

	carve(p, new_vaddr, new_vaddr + new_size, NULL); /* MREMAP_FIXED replaces the target */
	struct vma *moved;
	size_t n = carve(p, vaddr, vaddr + size, &moved);
	uint64_t kept = size < new_size ? size : new_size; /* shrinking drops the tail */
	for (size_t k = 0; k < n && moved[k].start < vaddr + kept; k++) {
		struct vma v = moved[k];
		if (v.end > vaddr + kept)
			v.end = vaddr + kept;
		v.start = v.start - vaddr + new_vaddr; /* same object and pgoff: the frames move */
		v.end = v.end - vaddr + new_vaddr;
		insert_vma(p, v);
	}
	free(moved);
	if (new_size > size) /* growth gets fresh zero frames */
		insert_vma(p, (struct vma){ new_vaddr + size, new_vaddr + new_size, source.prot,
					    source.backing, frames_new_object(), 0 });
	return 0;
}

int host_mprotect(int proc, uint64_t vaddr, uint64_t size, enum prot prot)
{
	struct process *p = &procs[proc];
	if (!valid_range(vaddr, size))
		return EINVAL;
	/* The order Linux meets them walking the range: a hole at the start, a split there, a
	 * hole further on, a split at the end. */
	if (!vma_at(p, vaddr))
		return ENOMEM;
	if (cuts_hugetlb(p, vaddr))
		return EINVAL;
	if (!covered(p, vaddr, vaddr + size, false))
		return ENOMEM;
	if (cuts_hugetlb(p, vaddr + size))
		return EINVAL;
	struct vma *pieces;
	size_t n = carve(p, vaddr, vaddr + size, &pieces);
	for (size_t k = 0; k < n; k++) {
		pieces[k].prot = prot;
		insert_vma(p, pieces[k]);
	}
	free(pieces);
	return 0;
}

int host_cpu_write(int proc, uint64_t vaddr, uint64_t token)
{
	const struct vma *v = vma_at(&procs[proc], vaddr);
	if (!v || v->prot != PROT_RW)
		return EFAULT;
	if (v->backing == BACKING_MMIO)
		host_fault_in(proc, vma_frame(v, vaddr), 1);
	frames_set(vma_frame(v, vaddr), token);
	return 0;
}

int host_cpu_read(int proc, uint64_t vaddr, uint64_t *token)
{
	const struct vma *v = vma_at(&procs[proc], vaddr);
	if (!v || v->prot == PROT_NONE_)
		return EFAULT;
	if (v->backing == BACKING_MMIO)
		host_fault_in(proc, vma_frame(v, vaddr), 1);
	*token = frames_get(vma_frame(v, vaddr));
	return 0;
}

/* The recorded ranges of an object are disjoint and never adjacent (host_fault_in merges), so
 * [first, first + pages) is present only if one range holds all of it. */
bool host_ptes_present(int proc, struct frame first, uint64_t pages)
{
	const struct process *p = &procs[proc];
	for (size_t i = 0; i < p->nptes; i++) {
		const struct page_range *r = &p->ptes[i];
		if (r->object == first.object && r->first <= first.page && first.page + pages <= r->end)
			return true;
	}
	return false;
}

void host_fault_in(int proc, struct frame first, uint64_t pages)
{
	struct process *p = &procs[proc];
	struct page_range add = { first.object, first.page, first.page + pages };
	size_t kept = 0;
	for (size_t i = 0; i < p->nptes; i++) {
		struct page_range r = p->ptes[i];
		if (r.object == add.object && r.first <= add.end && add.first <= r.end) { /* touching: merge */
			add.first = r.first < add.first ? r.first : add.first;
			add.end = r.end > add.end ? r.end : add.end;
		} else {
			p->ptes[kept++] = r;
		}
	}
	if (kept == p->pte_capacity) {
		p->pte_capacity = p->pte_capacity ? 2 * p->pte_capacity : 16;
		p->ptes = xrealloc(p->ptes, p->pte_capacity * sizeof *p->ptes);
	}
	p->ptes[kept++] = add;
	p->nptes = kept;
}
