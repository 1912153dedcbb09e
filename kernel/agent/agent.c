/*
 * vfio-conform kernel agent: runs inside a QEMU guest (as the payload of the initramfs /init)
 * and speaks the suite's JSON-lines protocol (spec/protocol.md, version 1) over a
 * virtio-serial port. Every operation is the real syscall / VFIO type1 ioctl; device DMA goes
 * through the QEMU "edu" PCI device behind the emulated IOMMU (intel-iommu or virtio-iommu).
 *
 * Build: gcc -O2 -static -Wall -o agent agent.c   (needs only linux/vfio.h)
 *
 * Kernel command line options read from /proc/cmdline:
 *   agent.profile=v1|v2     VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU (default v2)
 *   agent.port=PATH         protocol channel (default /dev/vport0p1)
 *   agent.bdf=DDDD:BB:DD.F  the edu device (default: found by vendor/device id 1234:11e8)
 *   agent.iommu=NAME        only used in the description
 *   agent.poll=US           sleep between edu status polls (default 100000; with -icount
 *                           shift=0,sleep=off the virtual clock jumps to the DMA deadline)
 *
 * Processes: the protocol loop runs in a process that never opens VFIO nor maps the arena; each
 * case (from one `reset` to the next) runs in a case process forked at `reset`, which opens the
 * container, group and device and executes the case's `execute` batches, forwarded to it over a
 * socketpair. A fresh mm per case: pins a kernel bug leaks stay charged to a dead process. A
 * probe process forked at start reads the geometry and checks fault detection.
 *
 * Things the agent adds on top of the kernel (all documented in kernel/README.md):
 *   - A scratch page is mapped at a reserved IOVA (RES_IOVA) only for the duration of a
 *     dmaRead/dmaWrite (the edu device can only move data between RAM and its own buffer),
 *     by a scratch helper process forked by the case process (see helper_main), so that its
 *     pin is charged to the helper's mm, never to the case's locked_vm.
 *     That page is removed from the IOVA ranges declared in hello and returned by getInfo, and
 *     a `map` touching it is answered as a kernel with that page reserved would answer
 *     (see do_map).
 *   - A DMA fault is detected by the IOMMU fault interrupt count in /proc/interrupts
 *     (DMAR-MSI for intel-iommu, the virtio-iommu event virtqueue for virtio-iommu).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

/* ---------------------------------------------------------------- configuration */

#define ARENA_START 0x200000000000ULL /* far from the binary (0x400000), heap and mmap_base (0x7f...) */
#define ARENA_SIZE (1ULL << 40)
#define PAGE 4096ULL
#define U64MAX 0xffffffffffffffffULL

#define EDU_VENDOR "0x1234"
#define EDU_DEVICE "0x11e8"
#define EDU_BUF 0x40000ULL
#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_CNT 0x90
#define EDU_CMD 0x98
#define SENTINEL 0x5e7e11e1dead5a5aULL

static int profile_v1;
static char port_path[256]; /* default: the virtio-serial port named PORT_NAME */
#define PORT_NAME "vfio-conform"
static char viommu_irq_name[64]; /* "virtioN" of the virtio-iommu device, if any */
static char bdf[256];
static char iommu_name[64] = "unknown";
static long poll_us = 100000;

/* VFIO state */
static int container = -1, group = -1, device = -1;
static volatile uint8_t *bar0;
static size_t bar0_size;
static char group_path[64];
static int has_vaddr_ext, has_unmap_all_ext;

/* geometry as the kernel reported it on the first setup */
#define MAXR 16
static uint64_t geo_pgsizes, geo_avail;
static uint64_t geo_r[MAXR][2];
static int geo_n;
/* The reserved scratch IOVA range: two pages straddling 4 GiB. Unmapping a range whose
 * naturally aligned cover is that large makes the Linux intel-iommu driver (6.12) fall back
 * from a page-selective to a domain-selective IOTLB invalidation, so every observation ends
 * with QEMU's intel-iommu IOTLB empty and the next observation DMA does a full page walk,
 * which is where QEMU reports permission faults (a cached translation with the wrong
 * permission drops the access silently, without a fault record). */
#define RES_IOVA 0xfffff000ULL
#define RES_SIZE 0x2000ULL
static uint64_t res_iova = RES_IOVA;
static uint64_t *scratch;           /* scratch pages (MAP_SHARED with the scratch helper, outside the arena) */
static int port = -1; /* where send_line writes: the port (protocol process) or the socketpair (case process) */
/* the x86 interrupt address window: DMA writes there are MSIs, not memory writes */
#define MSI_LO 0xfee00000ULL
#define MSI_HI 0xfeefffffULL

static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "agent: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- errno names */

static const char *errno_name(int e)
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
	}
	return NULL;
}

/* ---------------------------------------------------------------- output buffer */

static char *out;
static size_t out_len, out_cap;

static void emit(const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(out + out_len, out_cap - out_len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < out_cap - out_len) {
			out_len += n;
			return;
		}
		out_cap *= 2;
		out = realloc(out, out_cap);
		if (!out) abort();
	}
}

static void emit_str(const char *s)
{
	emit("\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') emit("\\%c", *s);
		else if ((unsigned char)*s < 0x20) emit("\\u%04x", *s);
		else emit("%c", *s);
	}
	emit("\"");
}

/* ---------------------------------------------------------------- tiny JSON parser */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct J {
	int type;
	char *key;      /* member name when inside an object */
	char *str;      /* J_STR (unescaped, NUL terminated), J_NUM text */
	int b;
	long long n;    /* J_NUM */
	struct J *child, *next;
} J;

#define JPOOL 65536
static J jpool[JPOOL];
static int jused;
static const char *jerr;

static J *jnew(int t)
{
	if (jused >= JPOOL) { jerr = "request too large"; return NULL; }
	J *j = &jpool[jused++];
	memset(j, 0, sizeof *j);
	j->type = t;
	return j;
}

static void jws(char **p) { while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n') (*p)++; }

static char *jstring(char **p) /* *p at the opening quote; unescapes in place */
{
	char *s = ++(*p), *d = s;
	while (**p && **p != '"') {
		if (**p == '\\') {
			(*p)++;
			switch (**p) {
			case 'n': *d++ = '\n'; break;
			case 't': *d++ = '\t'; break;
			case 'r': *d++ = '\r'; break;
			case 'b': *d++ = '\b'; break;
			case 'f': *d++ = '\f'; break;
			case 'u': { /* keep ASCII only */
				unsigned v = 0;
				for (int i = 0; i < 4 && isxdigit((unsigned char)(*p)[1]); i++) {
					(*p)++;
					v = v * 16 + (isdigit((unsigned char)**p) ? **p - '0' : (tolower(**p) - 'a' + 10));
				}
				*d++ = v < 0x80 ? (char)v : '?';
				break;
			}
			case 0: jerr = "bad escape"; return NULL;
			default: *d++ = **p;
			}
			(*p)++;
		} else {
			*d++ = *(*p)++;
		}
	}
	if (**p != '"') { jerr = "unterminated string"; return NULL; }
	(*p)++;
	*d = 0;
	return s;
}

static J *jparse(char **p)
{
	jws(p);
	J *j;
	switch (**p) {
	case '{':
	case '[': {
		int obj = **p == '{';
		char close = obj ? '}' : ']';
		j = jnew(obj ? J_OBJ : J_ARR);
		if (!j) return NULL;
		(*p)++;
		jws(p);
		J **tail = &j->child;
		if (**p == close) { (*p)++; return j; }
		for (;;) {
			char *key = NULL;
			jws(p);
			if (obj) {
				if (**p != '"') { jerr = "expected member name"; return NULL; }
				if (!(key = jstring(p))) return NULL;
				jws(p);
				if (**p != ':') { jerr = "expected ':'"; return NULL; }
				(*p)++;
			}
			J *c = jparse(p);
			if (!c) return NULL;
			c->key = key;
			*tail = c;
			tail = &c->next;
			jws(p);
			if (**p == ',') { (*p)++; continue; }
			if (**p == close) { (*p)++; return j; }
			jerr = "expected ',' or close";
			return NULL;
		}
	}
	case '"':
		j = jnew(J_STR);
		if (!j || !(j->str = jstring(p))) return NULL;
		return j;
	case 't':
	case 'f':
	case 'n': {
		const char *w = **p == 't' ? "true" : **p == 'f' ? "false" : "null";
		if (strncmp(*p, w, strlen(w))) { jerr = "bad literal"; return NULL; }
		j = jnew(**p == 'n' ? J_NULL : J_BOOL);
		if (!j) return NULL;
		j->b = **p == 't';
		*p += strlen(w);
		return j;
	}
	default:
		if (**p == '-' || isdigit((unsigned char)**p)) {
			j = jnew(J_NUM);
			if (!j) return NULL;
			char *e;
			j->n = strtoll(*p, &e, 10);
			*p = e;
			while (**p == '.' || **p == 'e' || **p == 'E' || **p == '+' || **p == '-' || isdigit((unsigned char)**p)) (*p)++;
			return j;
		}
		jerr = "unexpected character";
		return NULL;
	}
}

static J *jget(J *o, const char *k)
{
	if (!o || o->type != J_OBJ) return NULL;
	for (J *c = o->child; c; c = c->next)
		if (c->key && !strcmp(c->key, k)) return c;
	return NULL;
}

/* field accessors: set *bad on a missing/malformed field */
static const char *bad;
static uint64_t fu64(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_STR || strncasecmp(v->str, "0x", 2) || !v->str[2]) { bad = k; return 0; }
	char *e;
	errno = 0;
	uint64_t x = strtoull(v->str + 2, &e, 16);
	if (*e || errno) { bad = k; return 0; }
	return x;
}
static long long fnum(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_NUM) { bad = k; return 0; }
	return v->n;
}
static const char *fstr(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_STR) { bad = k; return ""; }
	return v->str;
}
static int fbool(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_BOOL) { bad = k; return 0; }
	return v->b;
}

/* ---------------------------------------------------------------- helpers */

static int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0) return -1;
	buf[r] = 0;
	return (int)r;
}

static void parse_cmdline(void)
{
	char buf[4096];
	if (read_file("/proc/cmdline", buf, sizeof buf) < 0) return;
	for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
		if (!strcmp(t, "agent.profile=v1")) profile_v1 = 1;
		else if (!strncmp(t, "agent.port=", 11)) snprintf(port_path, sizeof port_path, "%s", t + 11);
		else if (!strncmp(t, "agent.bdf=", 10)) snprintf(bdf, sizeof bdf, "%s", t + 10);
		else if (!strncmp(t, "agent.iommu=", 12)) snprintf(iommu_name, sizeof iommu_name, "%s", t + 12);
		else if (!strncmp(t, "agent.poll=", 11)) poll_us = atol(t + 11);
	}
}

static void find_names(void)
{
	DIR *d = opendir("/sys/bus/virtio/drivers/virtio_iommu");
	struct dirent *e;
	if (d) {
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "virtio", 6)) snprintf(viommu_irq_name, sizeof viommu_irq_name, "%.32s", e->d_name);
		closedir(d);
	}
	if (port_path[0]) return;
	snprintf(port_path, sizeof port_path, "/dev/vport0p1");
	d = opendir("/sys/class/virtio-ports");
	if (!d) return;
	while ((e = readdir(d))) {
		char p[512], n[128];
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof p, "/sys/class/virtio-ports/%.200s/name", e->d_name);
		if (read_file(p, n, sizeof n) < 0) continue;
		if (!strncmp(n, PORT_NAME "\n", strlen(PORT_NAME) + 1)) snprintf(port_path, sizeof port_path, "/dev/%.200s", e->d_name);
	}
	closedir(d);
}

static int find_edu(void)
{
	if (bdf[0]) return 0;
	DIR *d = opendir("/sys/bus/pci/devices");
	if (!d) return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[512], v[32], dv[32];
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (read_file(p, v, sizeof v) < 0) continue;
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/device", e->d_name);
		if (read_file(p, dv, sizeof dv) < 0) continue;
		if (!strncmp(v, EDU_VENDOR, 6) && !strncmp(dv, EDU_DEVICE, 6)) {
			snprintf(bdf, sizeof bdf, "%s", e->d_name);
			break;
		}
	}
	closedir(d);
	return bdf[0] ? 0 : -1;
}

static long vmlck_pages(void)
{
	char buf[8192];
	if (read_file("/proc/self/status", buf, sizeof buf) < 0) return -1;
	char *p = strstr(buf, "VmLck:");
	if (!p) return -1;
	return atol(p + 6) / 4;
}

/* capabilities: v3 structs, defined here so that only linux/vfio.h is needed */
struct capv3_hdr { uint32_t version; int pid; };
struct capv3_data { uint32_t effective, permitted, inheritable; };
#define CAP_IPC_LOCK_BIT 14

static int set_cap_ipc_lock(int on)
{
	struct capv3_hdr h = { 0x20080522, 0 };
	struct capv3_data d[2];
	if (syscall(SYS_capget, &h, d) < 0) return -1;
	if (on) d[0].effective |= 1u << CAP_IPC_LOCK_BIT;
	else d[0].effective &= ~(1u << CAP_IPC_LOCK_BIT);
	return (int)syscall(SYS_capset, &h, d);
}

/* the sum of IOMMU fault interrupts (intel DMAR-MSI, virtio-iommu event queue) */
static uint64_t fault_irqs(void)
{
	static char buf[65536];
	if (read_file("/proc/interrupts", buf, sizeof buf) < 0) return 0;
	uint64_t sum = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		int dmar = strstr(line, "dmar") || strstr(line, "DMAR");
		int viommu = 0;
		if (viommu_irq_name[0]) {
			/* the action name is the last word: "virtioN" (INTx) or "virtioN-..." (MSI-X) */
			char *w = strrchr(line, ' ');
			size_t l = strlen(viommu_irq_name);
			viommu = w && !strncmp(w + 1, viommu_irq_name, l) && (w[1 + l] == 0 || w[1 + l] == '-') &&
				 !strstr(w + 1, "-request");
		}
		if (!dmar && !viommu) continue;
		char *p = strchr(line, ':');
		if (!p) continue;
		p++;
		/* per-cpu counts follow */
		for (;;) {
			while (*p == ' ') p++;
			if (!isdigit((unsigned char)*p)) break;
			sum += strtoull(p, &p, 10);
		}
	}
	return sum;
}

/* ---------------------------------------------------------------- VFIO setup */

static void teardown(void)
{
	if (bar0) munmap((void *)bar0, bar0_size);
	bar0 = NULL;
	if (device >= 0) close(device);
	if (group >= 0) close(group);
	if (container >= 0) close(container);
	device = group = container = -1;
}

static int get_info(uint64_t *pgsizes, uint64_t r[][2], int *nr, uint64_t *avail)
{
	static uint8_t buf[16384];
	struct vfio_iommu_type1_info *info = (void *)buf;
	memset(buf, 0, sizeof buf);
	info->argsz = sizeof buf;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info) < 0) return -1;
	if (info->argsz > sizeof buf) { errno = EOVERFLOW; return -1; }
	*pgsizes = info->iova_pgsizes;
	*nr = 0;
	*avail = U64MAX;
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) || !info->cap_offset) { errno = ENOENT; return -1; }
	uint32_t off = info->cap_offset;
	int guard = 0;
	while (off && off + sizeof(struct vfio_info_cap_header) <= sizeof buf && guard++ < 64) {
		struct vfio_info_cap_header *h = (void *)(buf + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *c = (void *)h;
			for (uint32_t i = 0; i < c->nr_iovas && *nr < MAXR; i++) {
				r[*nr][0] = c->iova_ranges[i].start;
				r[*nr][1] = c->iova_ranges[i].end;
				(*nr)++;
			}
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			struct vfio_iommu_type1_info_dma_avail *c = (void *)h;
			*avail = c->avail;
		}
		off = h->next;
	}
	if (*avail == U64MAX) { errno = ENOENT; return -1; }
	return 0;
}

static int setup(void)
{
	char p[512], link[512];
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0) { logf_("open /dev/vfio/vfio: %m"); return -1; }
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) { logf_("bad API version"); return -1; }
	int type = profile_v1 ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU;
	if (ioctl(container, VFIO_CHECK_EXTENSION, type) != 1) { logf_("type %d unsupported", type); return -1; }
	if (!group_path[0]) {
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", bdf);
		ssize_t n = readlink(p, link, sizeof link - 1);
		if (n < 0) { logf_("readlink %s: %m", p); return -1; }
		link[n] = 0;
		snprintf(group_path, sizeof group_path, "/dev/vfio/%s", strrchr(link, '/') + 1);
	}
	group = open(group_path, O_RDWR | O_CLOEXEC);
	if (group < 0) { logf_("open %s: %m", group_path); return -1; }
	struct vfio_group_status st = { .argsz = sizeof st };
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		logf_("group not viable");
		return -1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) { logf_("SET_CONTAINER: %m"); return -1; }
	if (ioctl(container, VFIO_SET_IOMMU, type) < 0) { logf_("SET_IOMMU: %m"); return -1; }
	has_vaddr_ext = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR) == 1;
	has_unmap_all_ext = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) == 1;
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0) { logf_("GET_DEVICE_FD: %m"); return -1; }
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0) { logf_("REGION_INFO BAR0: %m"); return -1; }
	bar0_size = ri.size;
	void *m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, ri.offset);
	if (m == MAP_FAILED) { logf_("mmap BAR0: %m"); return -1; }
	bar0 = m;
	struct vfio_region_info ci = { .argsz = sizeof ci, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0) { logf_("REGION_INFO CONFIG: %m"); return -1; }
	uint16_t cmd;
	if (pread(device, &cmd, 2, ci.offset + 4) != 2) { logf_("pread PCI_COMMAND: %m"); return -1; }
	cmd |= 0x6; /* MEMORY | BUS_MASTER */
	if (pwrite(device, &cmd, 2, ci.offset + 4) != 2) { logf_("pwrite PCI_COMMAND: %m"); return -1; }
	return 0;
}

/* ---------------------------------------------------------------- edu DMA */

static inline void w64(uint32_t off, uint64_t v) { *(volatile uint64_t *)(bar0 + off) = v; }
static inline uint64_t r64(uint32_t off) { return *(volatile uint64_t *)(bar0 + off); }

/* cmd 1: RAM(iova) -> device buffer; cmd 3: device buffer -> RAM(iova) */
static int edu_dma(int to_ram, uint64_t iova, uint32_t len, uint32_t devoff)
{
	/* QEMU 7.2 edu aborts the whole QEMU on an off-by-one range check: never len 0,
	 * devoff + len <= 4095 */
	if (!bar0 || len == 0 || devoff + len > 4095) { errno = EINVAL; return -1; }
	if (to_ram) {
		w64(EDU_SRC, EDU_BUF + devoff);
		w64(EDU_DST, iova);
	} else {
		w64(EDU_SRC, iova);
		w64(EDU_DST, EDU_BUF + devoff);
	}
	w64(EDU_CNT, len);
	w64(EDU_CMD, to_ram ? 3 : 1);
	for (int i = 0; i < 2000; i++) {
		if (!(r64(EDU_CMD) & 1)) return 0;
		if (poll_us) usleep(poll_us);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* The DMA scratch is mapped and unmapped by a "scratch helper" process, forked by the case
 * (and probe) process right after setup(): it inherits the container fd, and the scratch
 * memory is MAP_SHARED|MAP_ANONYMOUS, created before the fork, so both processes see it. Type1
 * charges a mapping's pages to the mm of the process that called MAP_DMA (dma->mm) and checks
 * that process's RLIMIT_MEMLOCK: the scratch never shows in the case process's VmLck, and the
 * suite's RLIMIT_MEMLOCK / CAP_IPC_LOCK settings of the case process never get in its way. The
 * case process asks over a socketpair: one byte 'M' (map) or 'U' (unmap), answered by an int
 * errno (0 = done). If the scratch cannot be unmapped (the virtio-iommu wrap below), the helper
 * keeps it mapped and answers the next 'M' with 0 without a new MAP_DMA. */
static int helper_sock = -1;
static pid_t helper_pid = -1;
static int scratch_held; /* case side: scratch mappings the helper currently holds (0 or 1) */

static void helper_main(int sock, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) _exit(0);
	signal(SIGPIPE, SIG_DFL);
	/* keep only the container fd: group, device, BAR0 and the protocol socket belong to the case */
	if (bar0) munmap((void *)bar0, bar0_size);
	bar0 = NULL;
	if (device >= 0) close(device);
	if (group >= 0) close(group);
	device = group = -1;
	if (port >= 0) close(port);
	port = -1;
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &inf);
	set_cap_ipc_lock(1);
	int mapped = 0, logged = 0;
	for (;;) {
		char c;
		ssize_t n = read(sock, &c, 1);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) _exit(0);
		int e = 0;
		if (c == 'M') {
			if (!mapped) {
				struct vfio_iommu_type1_dma_map m = {
					.argsz = sizeof m, .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
					.vaddr = (uint64_t)(uintptr_t)scratch, .iova = res_iova, .size = RES_SIZE,
				};
				if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m) < 0) e = errno;
				else mapped = 1;
			}
		} else if (c == 'U') {
			if (mapped) {
				struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .iova = res_iova, .size = RES_SIZE };
				if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) e = errno;
				else if (u.size != RES_SIZE) e = EBUSY;
				else mapped = 0;
				/* Seen with a mapping that ends at 2^64-1 on virtio-iommu: vfio_find_dma_first_node
				 * computes dma->iova + dma->size = 0 for it and walks past every mapping to its
				 * left, so UNMAP_DMA finds nothing (the T1-UNMAP-TOP bug). The scratch then stays
				 * mapped, charged to this helper's mm, until the container is closed. */
				if (e && !logged++)
					logf_("scratch unmap failed: %s size=%llu; the scratch helper keeps it mapped",
					      strerror(e), (unsigned long long)u.size);
			}
		} else {
			e = EINVAL;
		}
		if (write(sock, &e, sizeof e) != sizeof e) _exit(0);
	}
}

/* after setup(): allocate the shared scratch (once per process) and fork the helper */
static int helper_start(void)
{
	if (!scratch) {
		void *s = mmap(NULL, RES_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED) { logf_("scratch mmap: %m"); return -1; }
		if ((uint64_t)(uintptr_t)s - ARENA_START < ARENA_SIZE) { logf_("scratch inside the arena"); munmap(s, RES_SIZE); return -1; }
		scratch = s;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { logf_("helper socketpair: %m"); return -1; }
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0) { logf_("helper fork: %m"); close(sv[0]); close(sv[1]); return -1; }
	if (p == 0) {
		close(sv[0]);
		helper_main(sv[1], parent);
		_exit(0);
	}
	close(sv[1]);
	helper_sock = sv[0];
	helper_pid = p;
	scratch_held = 0;
	return 0;
}

/* before the container fds are closed: the helper exits (its container fd with it) */
static void helper_stop(void)
{
	if (helper_sock >= 0) close(helper_sock);
	helper_sock = -1;
	if (helper_pid > 0) {
		kill(helper_pid, SIGKILL);
		while (waitpid(helper_pid, NULL, 0) < 0 && errno == EINTR) {}
	}
	helper_pid = -1;
	scratch_held = 0;
}

/* one request to the helper: its errno (0 = done), or EPIPE if it is gone */
static int helper_req(char c)
{
	if (helper_sock < 0) return EPIPE;
	ssize_t n;
	do n = send(helper_sock, &c, 1, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
	if (n != 1) return EPIPE;
	int e = 0;
	size_t got = 0;
	while (got < sizeof e) {
		n = read(helper_sock, (char *)&e + got, sizeof e - got);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return EPIPE;
		got += n;
	}
	return e;
}

/* map the scratch at the reserved IOVA for the duration of one DMA observation */
static int scratch_map(void)
{
	int e = helper_req('M');
	if (e) { errno = e; return -1; }
	scratch_held = 1;
	return 0;
}
static void scratch_unmap(void)
{
	int e = helper_req('U');
	if (!e) scratch_held = 0;
	else if (e == EPIPE) {} /* the helper is gone: whatever it mapped stays in the container */
	else scratch_held = 1; /* stuck: still mapped (and counted in getInfo's dmaAvail) */
}

/* statistics, shared by the protocol process and all case processes (MAP_SHARED page) */
struct shared_stats { uint64_t dma_ops, dma_faults, msi_refused, cases, crashes, child_killed; };
static struct shared_stats *stats;
#define stat_dma_ops (stats->dma_ops)
#define stat_dma_faults (stats->dma_faults)
#define stat_msi_refused (stats->msi_refused)

/* returns 0 and *token, or -1 with errno (EFAULT = blocked by the IOMMU) or a
 * negative-return with *fatal set for infrastructure failures */
static int dma_read(uint64_t iova, uint64_t *token, const char **fatal)
{
	if (iova <= res_iova + RES_SIZE - 1 && res_iova <= iova) { errno = EFAULT; return -1; }
	if (scratch_map() < 0) {
		static char m[96];
		snprintf(m, sizeof m, "cannot map the DMA scratch IOVA: %s", strerror(errno));
		*fatal = m;
		return -1;
	}
	scratch[0] = SENTINEL;
	scratch[1] = 0;
	int r = edu_dma(0, res_iova, 8, 0); /* device buffer := sentinel */
	uint64_t f0 = fault_irqs();
	if (!r) r = edu_dma(0, iova, 8, 0); /* the observation */
	if (!r) r = edu_dma(1, res_iova + 8, 8, 0);
	uint64_t f1 = fault_irqs();
	int e = errno;
	scratch_unmap();
	stat_dma_ops++;
	if (r) { errno = e; *fatal = "edu DMA did not complete"; return -1; }
	uint64_t v = scratch[1];
	if (f1 != f0) {
		stat_dma_faults++;
		if (v != 0) logf_("dmaRead 0x%llx: fault irq but value 0x%llx", (unsigned long long)iova, (unsigned long long)v);
		errno = EFAULT;
		return -1;
	}
	if (v == SENTINEL) logf_("dmaRead 0x%llx: device buffer unchanged (sentinel)", (unsigned long long)iova);
	*token = v;
	return 0;
}

static int dma_write(uint64_t iova, uint64_t token, const char **fatal)
{
	if (iova <= res_iova + RES_SIZE - 1 && res_iova <= iova) { errno = EFAULT; return -1; }
	/* Refused, not performed: a device write into the interrupt window is an MSI (with
	 * virtio-iommu it reaches the APIC untranslated and the token's low bits pick vector and
	 * delivery mode, e.g. INIT). Answered EFAULT, counted, and documented. */
	if (iova <= MSI_HI && MSI_LO <= iova + 7) { stat_msi_refused++; errno = EFAULT; return -1; }
	if (scratch_map() < 0) {
		static char m[96];
		snprintf(m, sizeof m, "cannot map the DMA scratch IOVA: %s", strerror(errno));
		*fatal = m;
		return -1;
	}
	scratch[0] = token;
	int r = edu_dma(0, res_iova, 8, 0); /* device buffer := token */
	uint64_t f0 = fault_irqs();
	if (!r) r = edu_dma(1, iova, 8, 0); /* the observation */
	uint64_t f1 = fault_irqs();
	int e = errno;
	scratch_unmap();
	stat_dma_ops++;
	if (r) { errno = e; *fatal = "edu DMA did not complete"; return -1; }
	if (f1 != f0) { stat_dma_faults++; errno = EFAULT; return -1; }
	return 0;
}

/* ---------------------------------------------------------------- operations */

static int prot_of(const char *s)
{
	if (!strcmp(s, "none")) return PROT_NONE;
	if (!strcmp(s, "r")) return PROT_READ;
	if (!strcmp(s, "rw")) return PROT_READ | PROT_WRITE;
	bad = "prot";
	return 0;
}

/* host ranges that the kernel would act on must stay inside the arena (never clobber the
 * agent); ranges the kernel rejects up front (size 0, unaligned) pass through */
static int outside_arena(uint64_t a, uint64_t size)
{
	if (size == 0 || (a | size) & (PAGE - 1)) return 0;
	return a < ARENA_START || size > ARENA_SIZE || a - ARENA_START > ARENA_SIZE - size;
}

static int res_overlap(uint64_t iova, uint64_t size)
{
	if (size == 0) return 0;
	uint64_t last = iova + size - 1;
	if (last < iova) last = U64MAX;
	return iova <= res_iova + RES_SIZE - 1 && res_iova <= last;
}

static int do_map(uint32_t flags, uint64_t iova, uint64_t vaddr, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size };
	int r = ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
	int e = errno;
	if (!(flags & VFIO_DMA_MAP_FLAG_VADDR) && res_overlap(iova, size)) {
		/* The reserved page is "not a valid IOVA": the kernel checks the IOVA ranges after
		 * argument validation (EINVAL), the EEXIST overlap check and the ENOSPC entry limit,
		 * and before pinning (ENOMEM, EFAULT). Keep the kernel's earlier answers, replace the
		 * later ones by EINVAL, and undo a success. */
		if (r == 0) {
			struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .iova = iova, .size = size };
			if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) logf_("undo map: %m");
			errno = EINVAL;
			return -1;
		}
		if (e != EINVAL && e != EEXIST && e != ENOSPC) e = EINVAL;
		errno = e;
		return -1;
	}
	errno = e;
	return r;
}

static void subtract_res(uint64_t in[][2], int n, uint64_t outr[][2], int *on)
{
	*on = 0;
	for (int i = 0; i < n && *on < MAXR; i++) {
		uint64_t s = in[i][0], e = in[i][1];
		if (res_iova + RES_SIZE - 1 < s || res_iova > e) {
			outr[*on][0] = s; outr[(*on)++][1] = e;
			continue;
		}
		if (res_iova > s) { outr[*on][0] = s; outr[(*on)++][1] = res_iova - 1; }
		if (res_iova + RES_SIZE - 1 < e && *on < MAXR) { outr[*on][0] = res_iova + RES_SIZE; outr[(*on)++][1] = e; }
	}
}

static void emit_ranges(uint64_t r[][2], int n)
{
	uint64_t o[MAXR][2];
	int on;
	subtract_res(r, n, o, &on);
	emit("[");
	for (int i = 0; i < on; i++)
		emit("%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\"}", i ? "," : "", o[i][0], o[i][1]);
	emit("]");
}

static int result_err(int e, const char **fatal)
{
	const char *n = errno_name(e);
	if (!n) {
		static char msg[128];
		snprintf(msg, sizeof msg, "unexpected errno %d (%s)", e, strerror(e));
		*fatal = msg;
		return -1;
	}
	emit("{\"ok\":false,\"errno\":\"%s\"}", n);
	return 0;
}

/* executes one op and appends its result; returns -1 with *fatal on a backend failure */
static int do_op(J *op, const char **fatal)
{
	bad = NULL;
	const char *kind = fstr(op, "op");
	if (bad) { *fatal = "op without a name"; return -1; }
	int r = 0;
	long long proc = 0;
	if (jget(op, "proc")) {
		proc = fnum(op, "proc");
		if (proc != 0) { *fatal = "this backend has one process (proc 0)"; return -1; }
	}
#define CHECK() do { if (bad) { static char m_[128]; snprintf(m_, sizeof m_, "%s: bad or missing field %s", kind, bad); *fatal = m_; return -1; } } while (0)
#define SYSRES(expr) do { if ((expr) < 0) return result_err(errno, fatal); emit("{\"ok\":true}"); return 0; } while (0)
	if (!strcmp(kind, "mmap")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size");
		int prot = prot_of(fstr(op, "prot"));
		const char *backing = fstr(op, "backing");
		CHECK();
		int fl = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS;
		if (!strcmp(backing, "hugetlb")) fl |= MAP_HUGETLB;
		else if (strcmp(backing, "anon")) { *fatal = "mmap: backing not supported (no mmio capability)"; return -1; }
		if (outside_arena(v, s)) { *fatal = "mmap outside the declared arena"; return -1; }
		void *p = mmap((void *)(uintptr_t)v, s, prot, fl, -1, 0);
		SYSRES(p == MAP_FAILED ? -1 : 0);
	} else if (!strcmp(kind, "munmap")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size");
		CHECK();
		if (outside_arena(v, s)) { *fatal = "munmap outside the declared arena"; return -1; }
		SYSRES(munmap((void *)(uintptr_t)v, s));
	} else if (!strcmp(kind, "mremap")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size"), nv = fu64(op, "newVaddr"), ns = fu64(op, "newSize");
		CHECK();
		if (outside_arena(v, s) || outside_arena(nv, ns)) { *fatal = "mremap outside the declared arena"; return -1; }
		void *p = mremap((void *)(uintptr_t)v, s, ns, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)nv);
		SYSRES(p == MAP_FAILED ? -1 : 0);
	} else if (!strcmp(kind, "mprotect")) {
		uint64_t v = fu64(op, "vaddr"), s = fu64(op, "size");
		int prot = prot_of(fstr(op, "prot"));
		CHECK();
		if (outside_arena(v, s)) { *fatal = "mprotect outside the declared arena"; return -1; }
		SYSRES(mprotect((void *)(uintptr_t)v, s, prot));
	} else if (!strcmp(kind, "cpuWrite")) {
		uint64_t v = fu64(op, "vaddr"), t = fu64(op, "token");
		CHECK();
		struct iovec l = { &t, 8 }, rm = { (void *)(uintptr_t)v, 8 };
		ssize_t n = process_vm_writev(getpid(), &l, 1, &rm, 1, 0);
		if (n != 8) return result_err(n < 0 ? errno : EFAULT, fatal);
		emit("{\"ok\":true}");
		return 0;
	} else if (!strcmp(kind, "cpuRead")) {
		uint64_t v = fu64(op, "vaddr"), t = 0;
		CHECK();
		struct iovec l = { &t, 8 }, rm = { (void *)(uintptr_t)v, 8 };
		ssize_t n = process_vm_readv(getpid(), &l, 1, &rm, 1, 0);
		if (n != 8) return result_err(n < 0 ? errno : EFAULT, fatal);
		emit("{\"ok\":true,\"token\":\"0x%" PRIx64 "\"}", t);
		return 0;
	} else if (!strcmp(kind, "setRlimitMemlock")) {
		uint64_t b = fu64(op, "bytes");
		CHECK();
		struct rlimit rl = { b == U64MAX ? RLIM_INFINITY : b, RLIM_INFINITY };
		SYSRES(setrlimit(RLIMIT_MEMLOCK, &rl));
	} else if (!strcmp(kind, "setCapIpcLock")) {
		int on = fbool(op, "enabled");
		CHECK();
		SYSRES(set_cap_ipc_lock(on));
	} else if (!strcmp(kind, "map")) {
		long long fl = fnum(op, "flags");
		uint64_t i = fu64(op, "iova"), v = fu64(op, "vaddr"), s = fu64(op, "size");
		CHECK();
		SYSRES(do_map((uint32_t)fl, i, v, s));
	} else if (!strcmp(kind, "unmap")) {
		long long fl = fnum(op, "flags");
		uint64_t i = fu64(op, "iova"), s = fu64(op, "size");
		CHECK();
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .flags = (uint32_t)fl, .iova = i, .size = s };
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) return result_err(errno, fatal);
		emit("{\"ok\":true,\"unmapped\":\"0x%llx\"}", (unsigned long long)u.size);
		return 0;
	} else if (!strcmp(kind, "getInfo")) {
		uint64_t pg, av, rr[MAXR][2];
		int n;
		if (get_info(&pg, rr, &n, &av) < 0) return result_err(errno, fatal);
		emit("{\"ok\":true,\"pgsizes\":\"0x%" PRIx64 "\",\"iovaRanges\":", pg);
		emit_ranges(rr, n);
		/* the scratch is the agent's own mapping (like the reserved IOVA): while it is stuck
		 * mapped (virtio-iommu wrap, see helper_main) it does not count against DMA_AVAIL */
		emit(",\"dmaAvail\":\"0x%" PRIx64 "\"}", av + (uint64_t)scratch_held);
		return 0;
	} else if (!strcmp(kind, "closeContainer")) {
		helper_stop(); /* it holds the container fd too */
		teardown();
		if (setup() < 0) { *fatal = "closeContainer: re-opening the container failed"; return -1; }
		if (helper_start() < 0) { *fatal = "closeContainer: cannot start the DMA scratch helper"; return -1; }
		emit("{\"ok\":true}");
		return 0;
	} else if (!strcmp(kind, "dmaRead")) {
		uint64_t i = fu64(op, "iova"), t = 0;
		CHECK();
		if (dma_read(i, &t, fatal) < 0) return *fatal ? -1 : result_err(errno, fatal);
		emit("{\"ok\":true,\"token\":\"0x%" PRIx64 "\"}", t);
		return 0;
	} else if (!strcmp(kind, "dmaWrite")) {
		uint64_t i = fu64(op, "iova"), t = fu64(op, "token");
		CHECK();
		if (dma_write(i, t, fatal) < 0) return *fatal ? -1 : result_err(errno, fatal);
		emit("{\"ok\":true}");
		return 0;
	} else if (!strcmp(kind, "counters")) {
		long p = vmlck_pages();
		if (p < 0) { *fatal = "cannot read VmLck"; return -1; }
		emit("{\"ok\":true,\"lockedVm\":[\"0x%lx\"]}", p);
		return 0;
	}
	if (!strcmp(kind, "agentCrash")) { /* test hook of kernel/ (not a suite operation): the case process dies */
		logf_("agentCrash: raising SIGSEGV in the case process");
		raise(SIGSEGV);
	}
	static char m[96];
	snprintf(m, sizeof m, "operation %s not supported by this backend", kind);
	*fatal = m;
	(void)r;
	return -1;
}

/* ---------------------------------------------------------------- protocol
 *
 * Process structure. The protocol loop runs in the "protocol process", which never opens VFIO
 * and never maps anything in the arena. Each case runs in its own "case process", forked at
 * `reset`: it opens container, group and device, executes every `execute` batch of the case
 * (forwarded over a socketpair, one request line in, one reply line out) and exits at the next
 * `reset` (the protocol process closes its end of the socketpair, the case process closes its
 * VFIO fds and exits, the protocol process reaps it before forking the next one, so only one
 * process holds the group at a time). A fresh process per case means a fresh mm: pages a kernel
 * bug leaves pinned (T1-UNMAP-TOP / T1-CLOSE-RELEASE on virtio-iommu) stay charged to the dead
 * case's mm only, never to `locked_vm` of a later case. A case process that dies (signal, exit)
 * is answered with an `error` naming the signal, never with silence.
 */

static char *raw_line; /* the current request as received (the parser unescapes in place) */
static size_t raw_cap;

static void send_line(void)
{
	emit("\n");
	size_t off = 0;
	while (off < out_len) {
		ssize_t n = write(port, out + off, out_len - off);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN) { usleep(1000); continue; }
			logf_("write reply: %m");
			exit(1);
		}
		off += n;
	}
	out_len = 0;
}

static void reply_error(long long id, const char *msg)
{
	out_len = 0;
	emit("{\"id\":%lld,\"type\":\"error\",\"message\":", id);
	emit_str(msg);
	emit("}");
	send_line();
}

static void hello(long long id)
{
	struct utsname u;
	uname(&u);
	char meminfo[8192];
	uint64_t huge = 0x200000;
	if (read_file("/proc/meminfo", meminfo, sizeof meminfo) > 0) {
		char *p = strstr(meminfo, "Hugepagesize:");
		if (p) huge = (uint64_t)atol(p + 13) * 1024;
	}
	char desc[1024];
	snprintf(desc, sizeof desc,
		 "Linux %s (%s) VFIO %s container in a QEMU TCG guest, %s, DMA through the QEMU edu device at %s; "
		 "IOVA 0x%" PRIx64 "+0x2000 reserved by the agent for DMA scratch; one process, a fresh one per case",
		 u.release, u.version, profile_v1 ? "VFIO_TYPE1_IOMMU" : "VFIO_TYPE1v2_IOMMU", iommu_name, bdf, res_iova);
	out_len = 0;
	emit("{\"id\":%lld,\"type\":\"hello\",\"protocol\":1,\"info\":{\"name\":\"linux-%s-%s\",\"description\":", id,
	     iommu_name, profile_v1 ? "type1v1" : "type1v2");
	emit_str(desc);
	emit(",\"profile\":\"%s\",\"geometry\":{\"pgsizes\":\"0x%" PRIx64 "\",\"iovaRanges\":", profile_v1 ? "type1v1" : "type1v2",
	     geo_pgsizes);
	emit_ranges(geo_r, geo_n);
	emit(",\"dmaEntryLimit\":\"0x%" PRIx64 "\"},", geo_avail);
	emit("\"host\":{\"pageSize\":\"0x%lx\",\"hugePageSize\":\"0x%" PRIx64 "\",\"arena\":{\"start\":\"0x%llx\",\"size\":\"0x%llx\"}},",
	     sysconf(_SC_PAGESIZE), huge, ARENA_START, ARENA_SIZE);
	emit("\"capabilities\":[\"mremap\",\"mprotect\",\"cpuRead\",\"dmaWrite\",\"rlimit\",\"capIpcLock\"");
	if (has_unmap_all_ext) emit(",\"unmapAll\"");
	if (has_vaddr_ext) emit(",\"vaddr\"");
	emit("]}}");
	send_line();
}

/* ---- case process */

/* an `execute` request, in the case process; the reply goes to the socketpair */
static void case_execute(char *line)
{
	jused = 0;
	jerr = NULL;
	char *p = line;
	J *req = jparse(&p);
	bad = NULL;
	long long id = req ? fnum(req, "id") : -1;
	J *ops = jget(req, "ops");
	if (!req || bad || !ops || ops->type != J_ARR) { reply_error(id, jerr ? jerr : "execute without id or ops"); return; }
	out_len = 0;
	emit("{\"id\":%lld,\"type\":\"results\",\"results\":[", id);
	int i = 0;
	for (J *op = ops->child; op; op = op->next, i++) {
		const char *fatal = NULL;
		if (i) emit(",");
		if (do_op(op, &fatal) < 0) {
			char msg[256];
			snprintf(msg, sizeof msg, "op %d: %s", i, fatal ? fatal : "failed");
			logf_("%s", msg);
			reply_error(id, msg);
			return;
		}
	}
	emit("]}");
	send_line();
}

static char *ch_buf; /* line buffers (heap, outside the arena) */
static size_t ch_cap;

static void case_main(int sock)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	port = sock;
	/* a new case: fresh container, empty arena, RLIMIT_MEMLOCK unlimited, no CAP_IPC_LOCK */
	if (setup() < 0) {
		out_len = 0;
		emit("#fail container setup failed (see the guest console)");
		send_line();
		teardown();
		_exit(1);
	}
	munmap((void *)ARENA_START, ARENA_SIZE);
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &inf);
	set_cap_ipc_lock(0);
	if (vmlck_pages() != 0) logf_("case: VmLck is %ld pages at start", vmlck_pages());
	if (helper_start() < 0) {
		out_len = 0;
		emit("#fail cannot start the DMA scratch helper (see the guest console)");
		send_line();
		teardown();
		_exit(1);
	}
	out_len = 0;
	emit("#ok");
	send_line();
	size_t len = 0;
	for (;;) {
		if (len + 1 >= ch_cap) { ch_cap *= 2; ch_buf = realloc(ch_buf, ch_cap); if (!ch_buf) abort(); }
		ssize_t n = read(sock, ch_buf + len, ch_cap - 1 - len);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break; /* the protocol process ended the case */
		len += n;
		size_t start = 0;
		for (size_t i = 0; i < len; i++) {
			if (ch_buf[i] != '\n') continue;
			ch_buf[i] = 0;
			if (ch_buf[start]) case_execute(ch_buf + start);
			start = i + 1;
		}
		memmove(ch_buf, ch_buf + start, len - start);
		len -= start;
	}
	helper_stop(); /* the scratch helper first: it holds the container fd too */
	teardown(); /* close device, group and container before exiting */
	_exit(0);
}

/* ---- protocol process side of the case process */

static pid_t child = -1;
static int case_dead; /* the case process died or was killed: refuse executes until reset */
static int child_sock = -1;
static char *rl_buf; /* reply line from the case process */
static size_t rl_cap;

static void describe_status(int st, char *m, size_t n)
{
	if (WIFSIGNALED(st)) snprintf(m, n, "killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)), WCOREDUMP(st) ? ", core dumped" : "");
	else if (WIFEXITED(st)) snprintf(m, n, "exited with status %d", WEXITSTATUS(st));
	else snprintf(m, n, "status 0x%x", st);
}

/* waits for the case process to exit; after `ms` milliseconds it is killed */
static int reap_child(int ms)
{
	int st = 0;
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r == child || (r < 0 && errno != EINTR)) break;
		if (waited >= ms) {
			logf_("case process %d did not exit within %d ms: SIGKILL", (int)child, ms);
			kill(child, SIGKILL);
			stats->child_killed++;
			while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
			break;
		}
		usleep(10000);
	}
	child = -1;
	return st;
}

static void end_child(void)
{
	if (child_sock >= 0) close(child_sock);
	child_sock = -1;
	if (child > 0) {
		int st = reap_child(10000);
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			char m[128];
			describe_status(st, m, sizeof m);
			logf_("case process ended: %s", m);
		}
	}
}

/* reads one line from the case process into rl_buf; 0, or -1 on EOF/error/timeout */
static int child_line(int timeout_ms)
{
	size_t len = 0;
	for (;;) {
		if (len + 1 >= rl_cap) { rl_cap *= 2; rl_buf = realloc(rl_buf, rl_cap); if (!rl_buf) abort(); }
		struct pollfd pf = { child_sock, POLLIN, 0 };
		int pr = poll(&pf, 1, timeout_ms);
		if (pr < 0 && errno == EINTR) continue;
		if (pr == 0) { errno = ETIMEDOUT; return -1; }
		ssize_t n = read(child_sock, rl_buf + len, rl_cap - 1 - len);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) { errno = n < 0 ? errno : EPIPE; return -1; }
		len += n;
		rl_buf[len] = 0;
		char *nl = memchr(rl_buf, '\n', len);
		if (nl) { *nl = 0; return 0; }
	}
}

/* the case process is gone or stuck: reap it and describe why, for an error reply */
static void child_failed(const char *when, char *m, size_t n)
{
	int e = errno;
	char st[128] = "";
	if (child > 0) {
		if (e == ETIMEDOUT) { kill(child, SIGKILL); stats->child_killed++; }
		describe_status(reap_child(e == ETIMEDOUT ? 0 : 5000), st, sizeof st);
	}
	if (child_sock >= 0) close(child_sock);
	child_sock = -1;
	child = -1;
	stats->crashes++;
	case_dead = 1;
	snprintf(m, n, "the case process %s %s: %s", e == ETIMEDOUT ? "did not answer" : "died", when,
		 e == ETIMEDOUT ? "killed after the agent's timeout" : st);
	logf_("%s", m);
}

#define CHILD_TIMEOUT_MS (20 * 60 * 1000) /* far beyond any batch; the suite's own timeout comes first */

static int start_child(char *err, size_t n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { snprintf(err, n, "socketpair: %s", strerror(errno)); return -1; }
	pid_t p = fork();
	if (p < 0) {
		snprintf(err, n, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (p == 0) {
		close(sv[0]);
		close(port);
		case_main(sv[1]);
	}
	close(sv[1]);
	child = p;
	child_sock = sv[0];
	stats->cases++;
	if (child_line(60000) < 0) { child_failed("while setting up the case", err, n); return -1; }
	if (strcmp(rl_buf, "#ok")) {
		snprintf(err, n, "reset: %s", !strncmp(rl_buf, "#fail ", 6) ? rl_buf + 6 : rl_buf);
		end_child();
		return -1;
	}
	return 0;
}

static void handle(char *line)
{
	jused = 0;
	jerr = NULL;
	char *p = line;
	J *req = jparse(&p);
	if (!req || req->type != J_OBJ) {
		reply_error(-1, jerr ? jerr : "malformed request");
		return;
	}
	bad = NULL;
	long long id = fnum(req, "id");
	const char *type = fstr(req, "type");
	if (bad) { reply_error(id, "request without id or type"); return; }
	if (!strcmp(type, "hello")) {
		if (fnum(req, "protocol") != 1) { reply_error(id, "this backend speaks protocol 1 only"); return; }
		hello(id);
	} else if (!strcmp(type, "reset")) {
		char err[512];
		end_child();
		case_dead = 0;
		if (start_child(err, sizeof err) < 0) { reply_error(id, err); return; }
		out_len = 0;
		emit("{\"id\":%lld,\"type\":\"reset\"}", id);
		send_line();
	} else if (!strcmp(type, "execute")) {
		char err[512];
		if (child < 0 && case_dead) {
			reply_error(id, "the case process of this case died earlier (see the previous error); send reset");
			return;
		}
		if (child < 0) {
			/* execute before the first reset: start a case */
			if (start_child(err, sizeof err) < 0) { reply_error(id, err); return; }
		}
		/* forward the request verbatim (jparse unescaped strings in place: use the raw copy) */
		size_t l = strlen(raw_line);
		raw_line[l] = '\n';
		size_t off = 0;
		int wfail = 0;
		while (off < l + 1) {
			ssize_t n = write(child_sock, raw_line + off, l + 1 - off);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0) { wfail = 1; break; }
			off += n;
		}
		raw_line[l] = 0;
		if (wfail || child_line(CHILD_TIMEOUT_MS) < 0) {
			child_failed("during this execute", err, sizeof err);
			reply_error(id, err);
			return;
		}
		out_len = 0;
		emit("%s", rl_buf);
		send_line();
	} else if (!strcmp(type, "bye")) {
		end_child();
		out_len = 0;
		emit("{\"id\":%lld,\"type\":\"bye\"}", id);
		send_line();
		logf_("bye (cases %llu, case processes died %llu, killed %llu, dma observations %llu, faults %llu, MSI-window writes refused %llu)",
		      (unsigned long long)stats->cases, (unsigned long long)stats->crashes, (unsigned long long)stats->child_killed,
		      (unsigned long long)stat_dma_ops, (unsigned long long)stat_dma_faults, (unsigned long long)stat_msi_refused);
		exit(0);
	} else {
		reply_error(id, "unknown request type");
	}
}

/* ---- the probe: geometry and the self check, in a process of its own */

struct probe_result {
	int ok, has_vaddr, has_unmap_all, n;
	uint64_t pgsizes, avail, r[MAXR][2];
	char group_path[64];
};

static int probe_main(struct probe_result *pr)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setup() < 0) return 1;
	set_cap_ipc_lock(0);
	if (get_info(&geo_pgsizes, geo_r, &geo_n, &geo_avail) < 0) { logf_("GET_INFO: %m"); return 1; }
	int inside = 0;
	for (int i = 0; i < geo_n; i++)
		inside |= geo_r[i][0] <= res_iova && res_iova + RES_SIZE - 1 <= geo_r[i][1];
	if (!inside) { logf_("the scratch IOVA range is not inside one IOVA range"); return 1; }
	if (helper_start() < 0) return 1;
	logf_("fault irqs so far %llu", (unsigned long long)fault_irqs());
	/* self check of the DMA path and of fault detection */
	const char *fatal = NULL;
	uint64_t t = 0;
	double t0 = now_s();
	int r = dma_read(0x1000, &t, &fatal); /* nothing mapped: must fault */
	int e = errno;
	logf_("selfcheck dmaRead(unmapped) -> %s (%.1f ms virtual)", r < 0 ? (fatal ? fatal : errno_name(e)) : "ok (BAD)",
	      (now_s() - t0) * 1e3);
	if (r == 0 || fatal || e != EFAULT) {
		logf_("FATAL: cannot observe IOMMU faults (no fault interrupt counted), refusing to serve");
		return 1;
	}
	pr->has_vaddr = has_vaddr_ext;
	pr->has_unmap_all = has_unmap_all_ext;
	pr->pgsizes = geo_pgsizes;
	pr->avail = geo_avail;
	pr->n = geo_n;
	memcpy(pr->r, geo_r, sizeof geo_r);
	snprintf(pr->group_path, sizeof pr->group_path, "%s", group_path);
	pr->ok = 1;
	helper_stop();
	teardown();
	return 0;
}

int main(int argc, char **argv)
{
	out_cap = 1 << 20;
	out = malloc(out_cap);
	ch_cap = rl_cap = 1 << 16;
	ch_buf = malloc(ch_cap);
	rl_buf = malloc(rl_cap);
	signal(SIGPIPE, SIG_IGN); /* a dead case process is seen as EPIPE / EOF */
	parse_cmdline();
	if (argc > 1) snprintf(port_path, sizeof port_path, "%s", argv[1]);
	find_names();
	if (find_edu() < 0) { logf_("no edu device (1234:11e8)"); return 1; }
	void *shm = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || (uint64_t)(uintptr_t)shm - ARENA_START < ARENA_SIZE) {
		logf_("shared page allocation failed or inside the arena");
		return 1;
	}
	stats = shm;
	struct probe_result *pr = (void *)((char *)shm + PAGE);
	pid_t p = fork();
	if (p < 0) { logf_("fork: %m"); return 1; }
	if (p == 0) _exit(probe_main(pr));
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
	if (!pr->ok) {
		char m[128];
		describe_status(st, m, sizeof m);
		logf_("the probe process failed (%s): not serving", m);
		return 1;
	}
	has_vaddr_ext = pr->has_vaddr;
	has_unmap_all_ext = pr->has_unmap_all;
	geo_pgsizes = pr->pgsizes;
	geo_avail = pr->avail;
	geo_n = pr->n;
	memcpy(geo_r, pr->r, sizeof geo_r);
	snprintf(group_path, sizeof group_path, "%s", pr->group_path);
	logf_("port %s, virtio-iommu irq name '%s'", port_path, viommu_irq_name);
	logf_("edu %s group %s profile %s pgsizes 0x%llx ranges %d avail %llu vaddr-ext %d unmap-all %d scratch iova 0x%llx",
	      bdf, group_path, profile_v1 ? "v1" : "v2", (unsigned long long)geo_pgsizes, geo_n,
	      (unsigned long long)geo_avail, has_vaddr_ext, has_unmap_all_ext, (unsigned long long)res_iova);
	for (int i = 0; i < geo_n; i++)
		logf_("  range [0x%llx, 0x%llx]", (unsigned long long)geo_r[i][0], (unsigned long long)geo_r[i][1]);

	port = open(port_path, O_RDWR | O_CLOEXEC);
	if (port < 0) { logf_("open %s: %m", port_path); return 1; }
	logf_("serving on %s (protocol process %d; a case process per reset)", port_path, (int)getpid());

	static char buf[4 << 20];
	size_t len = 0;
	for (;;) {
		if (len == sizeof buf - 1) { logf_("request line too long"); return 1; }
		ssize_t n = read(port, buf + len, sizeof buf - 1 - len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN) { usleep(1000); continue; }
			logf_("read port: %m");
			return 1;
		}
		if (n == 0) { usleep(10000); continue; } /* host not connected */
		len += n;
		size_t start = 0;
		for (size_t i = start; i < len; i++) {
			if (buf[i] != '\n') continue;
			buf[i] = 0;
			char *line = buf + start;
			start = i + 1;
			if (line[0] == '#') { /* host handshake: "#sync" -> "#ready" */
				out_len = 0;
				emit("#ready %s", line + 1);
				send_line();
				continue;
			}
			if (line[0]) {
				/* keep the raw line: the parser unescapes in place */
				size_t l = strlen(line);
				if (l + 2 > raw_cap) { raw_cap = l + 2; raw_line = realloc(raw_line, raw_cap); if (!raw_line) abort(); }
				memcpy(raw_line, line, l + 1);
				handle(line);
			}
		}
		memmove(buf, buf + start, len - start);
		len -= start;
	}
}
