/* common.c - what every reproducer does whatever its family: results and their checks, host
 * memory of the calling process, its counters. The emitter puts the family's file, the cases
 * and main.c after this one, in one translation unit, so everything here is static. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPRO_MAX_VALUES 4
#define REPRO_MAX_RANGES 16

/* One answer: err is 0 or the errno; the op's values in the order the emitter compares them. */
struct res {
	int err;
	uint64_t v[REPRO_MAX_VALUES];
	uint64_t ranges[REPRO_MAX_RANGES][2];
	int nranges;
	char text[512];
};

static const char *case_name = "";
/* the case's position in the program, whether or not --case picked it */
static int case_index;

static const char *errno_name(int e)
{
	for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
		if (errno_names[i].e == e) return errno_names[i].name;
	static char other[32];
	snprintf(other, sizeof other, "errno %d", e);
	return other;
}

/* r->err from a syscall's return, and the text of a failure (a success's text is the op's). */
static int answer(struct res *r, long rc)
{
	memset(r, 0, sizeof *r);
	r->err = rc < 0 ? errno : 0;
	snprintf(r->text, sizeof r->text, "%s", r->err ? errno_name(r->err) : "ok");
	return r->err;
}

static void append(struct res *r, const char *fmt, ...)
{
	size_t n = strlen(r->text);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->text + n, sizeof r->text - n, fmt, ap);
	va_end(ap);
}

/* Exit 2: the case cannot be performed here; nothing about the kernel is claimed. */
static int refuse(const char *fmt, ...)
{
	va_list ap;
	printf("repro: %s: cannot run: ", case_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 2;
}

/* Exit 1: the answer of `step` is none of those its rule allows. */
static int departs(int step, const char *rule, const char *expected, const struct res *r)
{
	printf("repro: %s: step %d %s: expected %s, got %s\n", case_name, step, rule, expected, r->text);
	return 1;
}

static void trace(int step, const char *op, const struct res *r)
{
	printf("repro: %s: #%d %s -> %s\n", case_name, step, op, r->text);
}

/* ------------------------------------------------------------ host memory of this process */

static int prot_bits(int prot) { return prot == 2 ? PROT_READ | PROT_WRITE : prot == 1 ? PROT_READ : PROT_NONE; }

/* The addresses a case uses must be free in this process before it starts: a fixed mmap there
 * would replace the program's own memory. */
static int span_is_free(uint64_t start, uint64_t end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f) return 1;
	char line[512];
	int free_ = 1;
	while (fgets(line, sizeof line, f)) {
		uint64_t a, b;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &a, &b) == 2 && a < end && start < b) free_ = 0;
	}
	fclose(f);
	return free_;
}

static int host_mmap(struct res *r, uint64_t vaddr, uint64_t size, int prot, int hugetlb)
{
	int fl = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | (hugetlb ? MAP_HUGETLB : 0);
	void *p = mmap((void *)(uintptr_t)vaddr, size, prot_bits(prot), fl, -1, 0);
	return answer(r, p == MAP_FAILED ? -1 : 0);
}

static int host_munmap(struct res *r, uint64_t vaddr, uint64_t size)
{
	return answer(r, munmap((void *)(uintptr_t)vaddr, size));
}

static int host_mremap(struct res *r, uint64_t vaddr, uint64_t size, uint64_t nvaddr, uint64_t nsize)
{
	void *p = mremap((void *)(uintptr_t)vaddr, size, nsize, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)nvaddr);
	return answer(r, p == MAP_FAILED ? -1 : 0);
}

static int host_mprotect(struct res *r, uint64_t vaddr, uint64_t size, int prot)
{
	return answer(r, mprotect((void *)(uintptr_t)vaddr, size, prot_bits(prot)));
}

/* CPU access through process_vm_*: a page the process cannot reach answers EFAULT instead of
 * killing it, as the suite's cpuRead/cpuWrite. */
static int host_cpu_write(struct res *r, uint64_t vaddr, uint64_t token)
{
	struct iovec l = { &token, 8 }, rm = { (void *)(uintptr_t)vaddr, 8 };
	ssize_t n = process_vm_writev(getpid(), &l, 1, &rm, 1, 0);
	if (n >= 0 && n != 8) errno = EFAULT;
	return answer(r, n == 8 ? 0 : -1);
}

static int host_cpu_read(struct res *r, uint64_t vaddr)
{
	uint64_t t = 0;
	struct iovec l = { &t, 8 }, rm = { (void *)(uintptr_t)vaddr, 8 };
	ssize_t n = process_vm_readv(getpid(), &l, 1, &rm, 1, 0);
	if (n >= 0 && n != 8) errno = EFAULT;
	if (answer(r, n == 8 ? 0 : -1)) return r->err;
	r->v[0] = t;
	append(r, " token=0x%" PRIx64, t);
	return 0;
}

static int host_rlimit_memlock(struct res *r, uint64_t bytes)
{
	struct rlimit rl = { bytes == UINT64_MAX ? RLIM_INFINITY : bytes, RLIM_INFINITY };
	return answer(r, setrlimit(RLIMIT_MEMLOCK, &rl));
}

/* capget/capset with the v3 structures: only the effective CAP_IPC_LOCK bit changes */
static int set_cap_ipc_lock(int on)
{
	struct { uint32_t version; int pid; } h = { 0x20080522, 0 };
	struct { uint32_t effective, permitted, inheritable; } d[2];
	if (syscall(SYS_capget, &h, d) < 0) return -1;
	if (on) d[0].effective |= 1u << 14;
	else d[0].effective &= ~(1u << 14);
	return (int)syscall(SYS_capset, &h, d);
}

static int host_cap_ipc_lock(struct res *r, int on) { return answer(r, set_cap_ipc_lock(on)); }

/* A "Name:   N kB" line of /proc/self/status in 4 KiB pages: VmLck is mm->locked_vm, VmPin
 * mm->pinned_vm (fs/proc/task_mmu.c: task_mem). */
static int64_t status_pages(const char *name)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) return -1;
	buf[n] = 0;
	char *p = strstr(buf, name);
	return p ? atoll(p + strlen(name)) / 4 : -1;
}

/* counters: VmLck of this process in r->v[0], the only process of a reproducer (the emitters
 * refuse a case that needs process 1); `tail` follows the value in the text. */
static int host_counters(struct res *r, const char *tail)
{
	int64_t lck = status_pages("VmLck:");
	if (lck < 0) { errno = EIO; return answer(r, -1); }
	answer(r, 0);
	r->v[0] = (uint64_t)lck;
	append(r, " lockedVm=[0x%" PRIx64 "%s]", r->v[0], tail);
	return 0;
}

/* The fresh state of the suite's reset: unlimited RLIMIT_MEMLOCK, CAP_IPC_LOCK as the family
 * defines it. */
static int host_fresh(int cap_ipc_lock)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	if (setrlimit(RLIMIT_MEMLOCK, &inf) < 0) return refuse("setrlimit(RLIMIT_MEMLOCK, infinity): %s (run as root)", strerror(errno));
	if (set_cap_ipc_lock(cap_ipc_lock) < 0) return refuse("capset CAP_IPC_LOCK: %s (run as root)", strerror(errno));
	return 0;
}
