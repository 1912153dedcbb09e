/* spapr_main.c - the ppc64 agent's start and request loop (spec/protocol.md, version 2, family
 * spapr).
 *
 * Processes: the protocol process forks a case process that opens every container and serves
 * requests itself, from the port, until a `reset` (it exits; the protocol process forks the
 * next one, which answers the reset once its containers are open) or `bye`. A fresh process per
 * case is a fresh mm: what a kernel bug leaves pinned (SPAPR-UNREG-MAPPED on 6.12) stays
 * charged to the dead case's mm. A case process that dies is answered with an error for the
 * request it was serving. A probe process at start reads each container's geometry. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "host.h"
#include "json.h"
#include "spapr.h"
#include "util.h"

int spapr_v1, n_ct = 2, n_phb;
struct spapr_geometry geo[MAXPHB];
/* host.c's settings for the x86 agent's families: neither applies here */
int family_iommufd;
/* host.c falls back to these for PFNMAP memory, which this family never maps: EFAULT stays */
int mmio_cpu_write(uint64_t vaddr, uint64_t token) { (void)vaddr; (void)token; errno = EFAULT; return -1; }
int mmio_cpu_read(uint64_t vaddr, uint64_t *token) { (void)vaddr; (void)token; errno = EFAULT; return -1; }

static int port = -1;
static char port_path[280];

/* what the protocol process and the case processes share */
static struct shared {
	long long reset_id;    /* the reset the next case process answers, or -1 */
	long long inflight_id; /* the request a case process is serving, or -1 */
	int bye;
	struct spapr_geometry geo[MAXPHB];
	int probed;
	int tainted[MAXPHB];
} *sh;

static void parse_cmdline(void)
{
	char buf[4096];
	if (read_file("/proc/cmdline", buf, sizeof buf) < 0) return;
	for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
		if (!strcmp(t, "agent.profile=v1")) spapr_v1 = 1;
		else if (!strncmp(t, "agent.containers=", 17)) n_ct = atoi(t + 17);
	}
	if (n_ct < 1 || n_ct > MAXCT) n_ct = 2;
}

/* the edu devices in bus order (PHB 1, 2, ...) */
static int find_edus(void)
{
	struct dirent **e;
	int n = scandir("/sys/bus/pci/devices", &e, NULL, alphasort), found = 0;
	for (int k = 0; k < n; k++) {
		char p[512], id[32], link[512];
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/vendor", e[k]->d_name);
		int ok = read_file(p, id, sizeof id) > 0 && !strncmp(id, "0x1234", 6);
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/device", e[k]->d_name);
		ok = ok && read_file(p, id, sizeof id) > 0 && !strncmp(id, "0x11e8", 6);
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", e[k]->d_name);
		ssize_t l = ok ? readlink(p, link, sizeof link - 1) : -1;
		if (l > 0 && found < MAXPHB) {
			link[l] = 0;
			snprintf(geo[found].bdf, sizeof geo[found].bdf, "%s", e[k]->d_name);
			geo[found++].group = atoi(strrchr(link, '/') + 1);
		}
		free(e[k]);
	}
	if (n >= 0) free(e);
	return found;
}

static void find_port(void)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[512], name[64];
		snprintf(p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
		if (read_file(p, name, sizeof name) > 0 && !strncmp(name, "vfio-conform", 12))
			snprintf(port_path, sizeof port_path, "/dev/%s", e->d_name);
	}
	if (d) closedir(d);
}

/* GET_INFO of each PHB's container and, on v2, where TCE_CREATE puts a dynamic window: in slot 0
 * of a fresh container whose pending default window was cancelled (TCE_REMOVE of its start), and
 * in slot 1 (the first TCE_CREATE of a fresh container makes the default window first,
 * tce_iommu_create_default_window). On pseries the hypervisor places it: at the 64-bit address
 * while its 32-bit window is live, which a cancelled default window leaves so; a default window
 * that was created and then removed frees the 32-bit place, and a dynamic window made then
 * starts there (0x0), which the declaration's one start per slot cannot say. */
static int probe(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* v1 cannot create windows, but the declaration names the platform's starts whatever the
	 * profile: read them through a v2 container (v1's GET_INFO has no DDW part, and emit_info
	 * leaves ddw out for v1) */
	spapr_v1 = 0;
	for (int p = 0; p < n_phb; p++) {
		const int i = 0;
		ct[i].phb = p;
		if (ct_open(i) < 0) return 1;
		struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof info };
		if (ioctl(ct[i].container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info) < 0) { logf_("GET_INFO: %m"); return 1; }
		struct spapr_geometry *g = &sh->geo[p];
		*g = geo[p];
		g->dma32_start = info.dma32_window_start;
		g->dma32_size = info.dma32_window_size;
		g->ddw = !!(info.flags & VFIO_IOMMU_SPAPR_INFO_DDW);
		g->pgsizes = info.ddw.pgsizes;
		g->max_windows = info.ddw.max_dynamic_windows_supported;
		g->levels = info.ddw.levels;
		if (!g->ddw) { ct_close(i); continue; }
		/* slot 0: a shape that is not the default window's (64 KiB pages), so that it is a
		 * dynamic window and not the 32-bit one restored (is_default_window_request) */
		struct vfio_iommu_spapr_tce_create c = { .argsz = sizeof c, .page_shift = 16, .window_size = 1 << 24, .levels = 1 };
		struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof rm, .start_addr = g->dma32_start };
		if (ioctl(ct[i].container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm) < 0) { logf_("probe TCE_REMOVE (pending default): %m"); return 1; }
		if (ioctl(ct[i].container, VFIO_IOMMU_SPAPR_TCE_CREATE, &c) < 0) { logf_("probe TCE_CREATE (slot 0): %m"); return 1; }
		g->window_start[0] = c.start_addr;
		ct_close(i);
		if (ct_open(i) < 0) return 1;
		c.page_shift = 12;
		if (ioctl(ct[i].container, VFIO_IOMMU_SPAPR_TCE_CREATE, &c) < 0) { logf_("probe TCE_CREATE (slot 1): %m"); return 1; }
		g->window_start[1] = c.start_addr;
		ct_close(i);
	}
	/* the declaration has one geometry per container, and a case may put a container on any PHB */
	for (int p = 1; p < n_phb; p++) {
		struct spapr_geometry a = sh->geo[0], b = sh->geo[p];
		b.group = a.group;
		memcpy(b.bdf, a.bdf, sizeof b.bdf);
		if (memcmp(&a, &b, sizeof a)) { logf_("PHB %d's geometry differs from PHB 0's", p); return 1; }
	}
	sh->probed = 1;
	return 0;
}

void phb_taint(int phb)
{
	if (!sh->tainted[phb]) logf_("edu %s: its PHB refuses every later TCE_CREATE (failed_ddw_pdn_list); later cases use a spare", geo[phb].bdf);
	sh->tainted[phb] = 1;
}

/* the first n_ct PHBs no DDW refusal has marked; -1 when too few are left */
static int assign_phbs(void)
{
	int p = 0;
	for (int i = 0; i < n_ct; i++, p++) {
		while (p < n_phb && sh->tainted[p]) p++;
		if (p == n_phb) return -1;
		ct[i].phb = p;
	}
	return 0;
}

static void send_line(void)
{
	emit("\n");
	for (size_t off = 0; off < out_len;) {
		ssize_t n = write(port, out + off, out_len - off);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) { logf_("write reply: %m"); exit(1); }
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

static void emit_info(void)
{
	emit("{\"name\":\"linux-spapr-%s@pseries\",\"description\":", spapr_v1 ? "v1" : "v2");
	emit_str(spapr_v1 ? "Linux 6.12 (Debian ppc64le) VFIO_SPAPR_TCE_IOMMU in a pseries guest, QEMU edu devices"
	                  : "Linux 6.12 (Debian ppc64le) VFIO_SPAPR_TCE_v2_IOMMU in a pseries guest, QEMU edu devices");
	emit(",\"family\":\"spapr\",\"profile\":\"spapr-%s\",\"containers\":[", spapr_v1 ? "v1" : "v2");
	for (int i = 0; i < n_ct; i++) {
		const struct spapr_geometry *g = &geo[i];
		emit("%s{\"dma32\":{\"start\":\"0x%" PRIx64 "\",\"size\":\"0x%" PRIx64 "\"}", i ? "," : "", g->dma32_start, g->dma32_size);
		if (g->ddw && !spapr_v1)
			emit(",\"ddw\":{\"pgsizes\":\"0x%" PRIx64 "\",\"maxDynamicWindows\":%u,\"levels\":%u}", g->pgsizes, g->max_windows, g->levels);
		emit(",\"windowStarts\":[\"0x%" PRIx64 "\",\"0x%" PRIx64 "\"]", g->window_start[0], g->window_start[1]);
		emit(",\"tableSizing\":\"pseries\"}");
	}
	emit("],\"host\":{\"pageSize\":\"0x%lx\",\"hugePageSize\":\"0x200000\",\"arena\":{\"start\":\"0x%llx\",\"size\":\"0x%llx\"}}",
	     sysconf(_SC_PAGESIZE), ARENA_START, ARENA_SIZE);
	emit(",\"capabilities\":[\"dma\",\"dmaWrite\",\"cpuRead\",\"mremap\",\"rlimit\",\"capIpcLock\"]}");
}

static char *line;
static size_t cap;

/* one line from the port (NUL terminated, without the newline); NULL at EOF */
static char *read_line(void)
{
	size_t len = 0;
	for (;;) {
		if (len + 2 > cap) { cap = cap ? 2 * cap : 1 << 16; line = realloc(line, cap); if (!line) return NULL; }
		ssize_t n = read(port, line + len, 1);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return NULL;
		if (line[len] == '\n') { line[len] = 0; return line; }
		len++;
	}
}

static void execute(long long id, J *req)
{
	J *ops = jget(req, "ops");
	if (!ops || ops->type != J_ARR) { reply_error(id, "execute without ops"); return; }
	out_len = 0;
	emit("{\"id\":%lld,\"type\":\"results\",\"results\":[", id);
	const char *fatal = NULL;
	int k = 0;
	for (J *op = ops->child; op; op = op->next, k++) {
		if (k) emit(",");
		if (spapr_op(op, &fatal) < 0) break;
	}
	if (fatal) {
		char m[320];
		snprintf(m, sizeof m, "operation %d of the batch: %s", k, fatal);
		reply_error(id, m);
		return;
	}
	emit("]}");
	send_line();
}

/* the case process: serves until reset (exit 3) or bye (exit 0) */
static int case_main(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	host_reset();
	if (assign_phbs() < 0) return 5;
	for (int i = 0; i < n_ct; i++) if (ct_open(i) < 0) return 4;
	if (sh->reset_id >= 0) { emit("{\"id\":%lld,\"type\":\"reset\"}", sh->reset_id); send_line(); }
	sh->reset_id = -1;
	for (char *l; (l = read_line());) {
		if (!strncmp(l, "#sync", 5)) { emit("#ready spapr"); send_line(); continue; }
		jused = 0;
		jerr = NULL;
		char *p = l;
		J *req = jparse(&p);
		bad = NULL;
		long long id = req ? fnum(req, "id") : -1;
		const char *type = req ? fstr(req, "type") : "";
		if (!req || bad) { reply_error(id, "malformed request"); continue; }
		sh->inflight_id = id;
		if (!strcmp(type, "hello")) {
			emit("{\"id\":%lld,\"type\":\"hello\",\"protocol\":2,\"family\":\"spapr\",\"info\":", id);
			if (fnum(req, "protocol") != 2) { reply_error(id, "this backend speaks protocol 2 only"); continue; }
			emit_info();
			emit("}");
			send_line();
		} else if (!strcmp(type, "reset")) {
			sh->reset_id = id;
			return 3;
		} else if (!strcmp(type, "execute")) {
			execute(id, req);
		} else if (!strcmp(type, "bye")) {
			emit("{\"id\":%lld,\"type\":\"bye\"}", id);
			send_line();
			sh->bye = 1;
			return 0;
		} else {
			reply_error(id, "unknown request type");
		}
		sh->inflight_id = -1;
	}
	logf_("the port closed");
	sh->bye = 1;
	return 0;
}

int main(void)
{
	reply_buffer_init();
	signal(SIGPIPE, SIG_IGN);
	parse_cmdline();
	sh = mmap(NULL, sizeof *sh + sizeof *stats, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) { logf_("shared page: %m"); return 1; }
	stats = (struct shared_stats *)(sh + 1);
	n_phb = find_edus();
	if (n_phb < n_ct) { logf_("%d edu devices with a group, %d containers asked for", n_phb, n_ct); return 1; }
	find_port();
	if (!port_path[0]) { logf_("no virtio-serial port named vfio-conform"); return 1; }
	pid_t p = fork();
	if (p == 0) _exit(probe());
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
	if (!sh->probed) { logf_("the probe failed: not serving"); return 1; }
	memcpy(geo, sh->geo, sizeof geo);
	for (int i = 0; i < n_phb; i++)
		logf_("PHB %d: edu %s group %d dma32 0x%" PRIx64 "+0x%" PRIx64 " ddw %d pgsizes 0x%" PRIx64 " windows %u levels %u starts 0x%" PRIx64 " 0x%" PRIx64,
		      i, geo[i].bdf, geo[i].group, geo[i].dma32_start, geo[i].dma32_size, geo[i].ddw, geo[i].pgsizes,
		      geo[i].max_windows, geo[i].levels, geo[i].window_start[0], geo[i].window_start[1]);
	port = open(port_path, O_RDWR | O_CLOEXEC);
	if (port < 0) { logf_("open %s: %m", port_path); return 1; }
	logf_("serving sPAPR %s on %s", spapr_v1 ? "v1" : "v2", port_path);
	sh->reset_id = sh->inflight_id = -1;
	for (;;) {
		p = fork();
		if (p < 0) { logf_("fork: %m"); return 1; }
		if (p == 0) _exit(case_main());
		while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
		if (sh->bye) return 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 3) continue;
		if (WIFEXITED(st) && (WEXITSTATUS(st) == 4 || WEXITSTATUS(st) == 5)) {
			if (sh->inflight_id >= 0)
				reply_error(sh->inflight_id, WEXITSTATUS(st) == 4 ? "the containers could not be set up"
					: "too few PHBs left whose DDW creation the hypervisor never refused (failed_ddw_pdn_list): restart the backend, or give it more (--phbs)");
			return 1;
		}
		char m[96];
		snprintf(m, sizeof m, "the case process died (%s %d)", WIFSIGNALED(st) ? "signal" : "status",
		         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		logf_("%s", m);
		if (sh->inflight_id >= 0) reply_error(sh->inflight_id, m);
		sh->inflight_id = sh->reset_id = -1;
	}
}
