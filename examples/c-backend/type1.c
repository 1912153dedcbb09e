/* type1.c - a simulation of drivers/vfio/vfio_iommu_type1.c for the calls the suite makes.
 *
 * The container is a sorted array of mappings (vfio_dma). Each mapping holds the frames it
 * pinned at map time as runs, one per VMA piece, so a 2^46-byte mapping costs what a 4 KiB one
 * does: nothing here loops over pages. Checks follow the kernel's order and errnos before
 * v6.18 (a wrapping range is EINVAL, not EOVERFLOW), but ranges ending at 2^64 - 1 work, as
 * they do since v6.18: every end below is inclusive, so nothing computes 2^64.
 */
#include "type1.h"

#include <errno.h>
#include <string.h>

#include "host.h"
#include "util.h"

const struct iova_range IOVA_RANGES[NUM_IOVA_RANGES] = {
	{ 0, 0xfedfffffull },
	{ 0xfef00000ull, UINT64_MAX },
};

/* The smallest IOMMU page: iova, vaddr and size must be multiples of it. */
#define MIN_PGSIZE (IOVA_PGSIZES & -IOVA_PGSIZES)

/* `pages` consecutive frames of one memory object, pinned for part of a mapping. */
struct run {
	uint64_t offset; /* bytes from the mapping's iova */
	uint64_t pages;
	struct frame first;
};

/* One vfio_dma. */
struct mapping {
	uint64_t iova, size; /* [iova, iova + size - 1] */
	bool read, write;
	uint64_t vaddr;
	bool vaddr_valid; /* false between a VADDR invalidate and the update */
	int owner;        /* the process charged, dma->mm */
	bool lock_cap;    /* the owner's CAP_IPC_LOCK when it mapped, dma->lock_cap */
	uint64_t charge;  /* pages charged to the owner's locked_vm, dma->locked_vm */
	struct run *runs; /* ascending offsets, covering the whole mapping */
	size_t nruns;
};

static struct {
	bool v2;
	struct mapping *maps; /* sorted by iova, disjoint */
	size_t n, capacity;
} c;

static uint64_t last_of(const struct mapping *m) { return m->iova + (m->size - 1); }

static uint64_t memlock_pages(const struct process *p) { return p->rlimit_memlock / PAGE_SIZE; }

/* Index of the first mapping whose last byte is at or after `iova`. */
static size_t first_ending_from(uint64_t iova)
{
	size_t lo = 0, hi = c.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (last_of(&c.maps[mid]) >= iova)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The lowest mapping overlapping [first, last], or NULL. */
static struct mapping *find_overlap(uint64_t first, uint64_t last)
{
	size_t i = first_ending_from(first);
	return i < c.n && c.maps[i].iova <= last ? &c.maps[i] : NULL;
}

/* Remove maps[i..j): unpin and give each charge back to the process that mapped it,
 * whichever process is unmapping. */
static void remove_mappings(size_t i, size_t j)
{
	if (i == j)
		return; /* also keeps memmove away from a NULL array */
	for (size_t k = i; k < j; k++) {
		host_process(c.maps[k].owner)->locked_vm -= c.maps[k].charge;
		free(c.maps[k].runs);
	}
	memmove(&c.maps[i], &c.maps[j], (c.n - j) * sizeof *c.maps);
	c.n -= j - i;
}

void type1_open(bool v2)
{
	type1_close();
	c.v2 = v2;
}

void type1_close(void) { remove_mappings(0, c.n); }

uint64_t type1_dma_avail(void) { return DMA_ENTRY_LIMIT - c.n; }

/* Is [iova, last] inside one usable range (vfio_iommu_iova_dma_valid)? */
static bool iova_valid(uint64_t iova, uint64_t last)
{
	for (int i = 0; i < NUM_IOVA_RANGES; i++)
		if (iova >= IOVA_RANGES[i].start && last <= IOVA_RANGES[i].end)
			return true;
	return false;
}

/* Pin the frames behind the mapping's vaddr range in process `proc`, in address order as
 * vfio_pin_pages_remote does, so the first failing page decides the errno. On success m->runs
 * and m->charge are set; on failure nothing is kept. */
static int pin(struct mapping *m, int proc)
{
	struct process *p = host_process(proc);
	uint64_t vlast = m->vaddr + (m->size - 1);
	int err;
	for (uint64_t at = m->vaddr;;) {
		const struct vma *v = host_vma_at(proc, at);
		/* No VMA, PROT_NONE, or a WRITE mapping of memory the process cannot write (pages are
		 * pinned with FOLL_WRITE): EFAULT. */
		err = EFAULT;
		if (!v)
			goto fail;
		uint64_t last = v->end - 1 < vlast ? v->end - 1 : vlast;
		uint64_t pages = (last - at) / PAGE_SIZE + 1;
		bool readable = v->prot != PROT_NONE_;
		if (v->backing == BACKING_MMIO) {
			/* GUP refuses PFNMAP memory; follow_fault_pfn takes a page table entry that is
			 * present as it is, even PROT_NONE, for a READ-only mapping, and faults a missing
			 * one in, which the VMA must allow. The entries it faulted in stay, even if the
			 * map fails further on. */
			readable = readable || (!m->write && host_ptes_present(proc, vma_frame(v, at), pages));
			if (readable && (!m->write || v->prot == PROT_RW))
				host_fault_in(proc, vma_frame(v, at), pages);
		}
		if (!readable || (m->write && v->prot != PROT_RW))
			goto fail;
		/* MMIO (PFNMAP) pfns are reserved: mapped but never charged. Other pages are charged
		 * one per 4 KiB page, and refused past RLIMIT_MEMLOCK unless CAP_IPC_LOCK. */
		if (v->backing != BACKING_MMIO) {
			err = ENOMEM;
			if (!m->lock_cap && p->locked_vm + m->charge + pages > memlock_pages(p))
				goto fail;
			m->charge += pages;
		}
		m->runs = xrealloc(m->runs, (m->nruns + 1) * sizeof *m->runs);
		m->runs[m->nruns++] = (struct run){ at - m->vaddr, pages, vma_frame(v, at) };
		if (last == vlast)
			return 0;
		at = last + 1;
	}
fail:
	free(m->runs);
	return err;
}

/* MAP_DMA with FLAG_VADDR: give an invalidated mapping its new vaddr. The pinned frames stay
 * (the kernel trusts the user to have kept the memory). From another process the charge moves
 * to that process, as vfio_change_dma_owner does. */
static int update_vaddr(struct mapping *m, int proc, uint64_t iova, uint64_t size, uint64_t vaddr)
{
	if (!m)
		return ENOENT;
	if (m->vaddr_valid || m->iova != iova || m->size != size)
		return EINVAL;
	if (m->owner != proc) {
		struct process *to = host_process(proc);
		if (!to->cap_ipc_lock && to->locked_vm + m->charge > memlock_pages(to))
			return ENOMEM;
		to->locked_vm += m->charge;
		host_process(m->owner)->locked_vm -= m->charge;
		m->owner = proc;
		m->lock_cap = to->cap_ipc_lock;
	}
	m->vaddr = vaddr;
	m->vaddr_valid = true;
	return 0;
}

int type1_map(int proc, uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	/* The checks of vfio_iommu_type1_map_dma and vfio_dma_do_map, in their order. */
	if (flags & ~(MAP_FLAG_READ | MAP_FLAG_WRITE | MAP_FLAG_VADDR))
		return EINVAL;
	bool set_vaddr = flags & MAP_FLAG_VADDR, prot = flags & (MAP_FLAG_READ | MAP_FLAG_WRITE);
	if (prot == set_vaddr) /* a map needs READ and/or WRITE; a VADDR update takes neither */
		return EINVAL;
	if (size == 0 || (iova | vaddr | size) % MIN_PGSIZE)
		return EINVAL;
	uint64_t last = iova + (size - 1);
	if (last < iova || vaddr + (size - 1) < vaddr)
		return EINVAL; /* wraps past 2^64 - 1; EOVERFLOW since v6.18 */
	struct mapping *found = find_overlap(iova, last);
	if (set_vaddr)
		return update_vaddr(found, proc, iova, size, vaddr);
	if (found)
		return EEXIST;
	if (c.n == DMA_ENTRY_LIMIT)
		return ENOSPC;
	if (!iova_valid(iova, last))
		return EINVAL;

	struct process *p = host_process(proc);
	struct mapping m = {
		.iova = iova, .size = size, .vaddr = vaddr, .vaddr_valid = true,
		.read = flags & MAP_FLAG_READ, .write = flags & MAP_FLAG_WRITE,
		.owner = proc, .lock_cap = p->cap_ipc_lock, /* captured now, kept for life */
	};
	int err = pin(&m, proc);
	if (err)
		return err;
	p->locked_vm += m.charge;
	if (c.n == c.capacity) {
		c.capacity = c.capacity ? 2 * c.capacity : 16;
		c.maps = xrealloc(c.maps, c.capacity * sizeof *c.maps);
	}
	size_t i = first_ending_from(iova);
	memmove(&c.maps[i + 1], &c.maps[i], (c.n - i) * sizeof *c.maps);
	c.maps[i] = m;
	c.n++;
	return 0;
}

int type1_unmap(int proc, uint32_t flags, uint64_t iova, uint64_t size, uint64_t *unmapped)
{
	(void)proc; /* charges go back to each mapping's owner, whoever unmaps */
	/* vfio_iommu_type1_unmap_dma, then vfio_dma_do_unmap, in their order. */
	if (flags & ~(UNMAP_FLAG_GET_DIRTY_BITMAP | UNMAP_FLAG_ALL | UNMAP_FLAG_VADDR))
		return EINVAL;
	if ((flags & UNMAP_FLAG_GET_DIRTY_BITMAP) && (flags & (UNMAP_FLAG_ALL | UNMAP_FLAG_VADDR)))
		return EINVAL;
	if (iova % MIN_PGSIZE)
		return EINVAL;
	bool all = flags & UNMAP_FLAG_ALL;
	uint64_t last;
	if (all) {
		if (iova || size)
			return EINVAL;
		last = UINT64_MAX;
	} else {
		if (size == 0 || size % MIN_PGSIZE || iova + (size - 1) < iova)
			return EINVAL;
		last = iova + (size - 1);
	}
	if (flags & UNMAP_FLAG_GET_DIRTY_BITMAP)
		return EINVAL; /* dirty page tracking is never started here */
	if (c.v2 && !all) { /* v2 refuses to bisect a mapping at either end */
		struct mapping *m = find_overlap(iova, iova);
		if (m && m->iova != iova)
			return EINVAL;
		m = find_overlap(last, last);
		if (m && last_of(m) != last)
			return EINVAL;
	}

	*unmapped = 0;
	size_t i = first_ending_from(iova), j = i;
	/* v1 compatibility: a range starting inside a mapping succeeds and unmaps nothing. */
	if (!c.v2 && i < c.n && c.maps[i].iova < iova)
		return 0;
	/* Every mapping starting in the range goes, whole: in v1 the last one may run past it. */
	while (j < c.n && c.maps[j].iova <= last)
		*unmapped += c.maps[j++].size;

	if (flags & UNMAP_FLAG_VADDR) { /* invalidate the vaddrs, all or none */
		for (size_t k = i; k < j; k++)
			if (!c.maps[k].vaddr_valid) {
				*unmapped = 0;
				return EINVAL;
			}
		for (size_t k = i; k < j; k++)
			c.maps[k].vaddr_valid = false;
		return 0;
	}
	remove_mappings(i, j);
	return 0;
}

/* The frame the device reaches at `iova`, or EFAULT where the IOMMU blocks the access. */
static int reach(uint64_t iova, bool write, struct frame *f)
{
	const struct mapping *m = find_overlap(iova, iova);
	if (!m || !(write ? m->write : m->read))
		return EFAULT;
	uint64_t off = iova - m->iova;
	for (size_t k = 0; k < m->nruns; k++) { /* a mapping has one run per VMA piece: few */
		const struct run *r = &m->runs[k];
		if (off >= r->offset && off - r->offset < r->pages * PAGE_SIZE) {
			*f = (struct frame){ r->first.object, r->first.page + (off - r->offset) / PAGE_SIZE };
			return 0;
		}
	}
	return EFAULT; /* not reached: the runs cover the mapping */
}

int dma_read(uint64_t iova, uint64_t *token)
{
	struct frame f;
	int err = reach(iova, false, &f);
	if (!err)
		*token = frames_get(f);
	return err;
}

int dma_write(uint64_t iova, uint64_t token)
{
	struct frame f;
	int err = reach(iova, true, &f);
	if (!err)
		frames_set(f, token);
	return err;
}
