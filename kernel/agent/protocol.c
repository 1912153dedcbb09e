/* protocol.c - the request loop of the protocol process and the replies it writes.
 *
 * Protocol versions 1 and 2 differ only in hello: the reply is in the version the request asks
 * for, and version 2 adds "family":"type1". Any other version is answered with an error.
 *
 * Every request line gets exactly one reply line with the same id. `execute` requests are
 * forwarded verbatim to the case process (cases.c) and its reply relayed. Before the suite's
 * first request the host side sends "#sync"; the agent answers "#ready ..." once it serves. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cases.h"
#include "config.h"
#include "json.h"
#include "mmio.h"
#include "ops.h"
#include "protocol.h"
#include "scratch.h"
#include "util.h"
#include "container.h"
#include "geometry.h"

int port = -1;

static char *raw_line; /* the current request as received (the parser unescapes in place) */
static size_t raw_cap;

void send_line(void)
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

void reply_error(long long id, const char *msg)
{
	out_len = 0;
	emit("{\"id\":%lld,\"type\":\"error\",\"message\":", id);
	emit_str(msg);
	emit("}");
	send_line();
}

void emit_host_info(void)
{
	char meminfo[8192];
	uint64_t huge = 0x200000;
	if (read_file("/proc/meminfo", meminfo, sizeof meminfo) > 0) {
		char *p = strstr(meminfo, "Hugepagesize:");
		if (p) huge = (uint64_t)atol(p + 13) * 1024;
	}
	emit("\"host\":{\"pageSize\":\"0x%lx\",\"hugePageSize\":\"0x%" PRIx64 "\",\"arena\":{\"start\":\"0x%llx\",\"size\":\"0x%llx\"}}",
	     sysconf(_SC_PAGESIZE), huge, ARENA_START, ARENA_SIZE);
}

/*
 * On a kernel built with IOMMUFD_VFIO_CONTAINER, /dev/vfio/vfio is iommufd's compat layer
 * (drivers/iommu/iommufd/vfio_compat.c), not VFIO's type1: the same ioctls, judged by the
 * type1 family's compat profiles.
 */
static const char *profile_name(void)
{
	int compat = !strcmp(kernel_name, "iommufd-compat");
	if (profile_v1) return compat ? "type1v1-compat" : "type1v1";
	return compat ? "type1v2-compat" : "type1v2";
}

/* the hello reply in the version asked: version 2 adds "family" before "info" */
static void hello(long long id, int version)
{
	struct utsname u;
	uname(&u);
	char desc[1024];
	snprintf(desc, sizeof desc,
		 "Linux %s (%s) VFIO %s container%s in a QEMU TCG guest, %s, DMA through the QEMU edu device at %s; "
		 "IOVA 0x%" PRIx64 "+0x2000 reserved by the agent for DMA scratch; one process, a fresh one per case%s%s",
		 u.release, u.version, profile_v1 ? "VFIO_TYPE1_IOMMU" : "VFIO_TYPE1v2_IOMMU",
		 strcmp(kernel_name, "iommufd-compat") ? "" : " served by iommufd (IOMMUFD_VFIO_CONTAINER)", iommu_name, bdf, res_iova,
		 mmio_available ? "; mmio memory: BAR2 of the ivshmem device at " : "", mmio_available ? mmio_bdf : "");
	out_len = 0;
	emit("{\"id\":%lld,\"type\":\"hello\",\"protocol\":%d,", id, version);
	if (version >= 2) emit("\"family\":\"type1\",");
	/* the name carries the kernel's major.minor: two kernels' runs side by side (diff, one
	 * report) are told apart, and an expectations file names the version it was measured on */
	unsigned major = 0, minor = 0;
	sscanf(u.release, "%u.%u", &major, &minor);
	emit("\"info\":{\"name\":\"linux-%u.%u-%s-%s\",\"description\":", major, minor, iommu_name, profile_name());
	emit_str(desc);
	emit(",\"profile\":\"%s\",\"geometry\":{\"pgsizes\":\"0x%" PRIx64 "\",\"iovaRanges\":", profile_name(),
	     geo_pgsizes);
	emit_ranges(geo_r, geo_n);
	emit(",\"dmaEntryLimit\":\"0x%" PRIx64 "\"},", geo_avail);
	emit_host_info();
	/* dirtyPages and migrationInfo: the ioctls exist on every container, type1 or compat */
	emit(",\"capabilities\":[\"mremap\",\"mprotect\",\"cpuRead\",\"dmaWrite\"%s,\"rlimit\",\"capIpcLock\",\"dirtyPages\",\"migrationInfo\"",
	     mmio_available ? ",\"mmio\"" : "");
	if (has_unmap_all_ext) emit(",\"unmapAll\"");
	if (has_vaddr_ext) emit(",\"vaddr\"");
	emit("]}}");
	send_line();
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
		J *v = jget(req, "protocol");
		int version = v && v->type == J_NUM && (v->d == 1 || v->d == 2) ? (int)v->d : 0;
		if (!version) { reply_error(id, "this backend speaks protocols 1 and 2"); return; }
		if (family_iommufd) {
			/* families came with version 2: a version-1 peer is a type1 peer */
			if (version != 2) { reply_error(id, "this backend serves the iommufd family: protocol 2 only"); return; }
			out_len = 0;
			emit("{\"id\":%lld,\"type\":\"hello\",\"protocol\":2,\"family\":\"iommufd\",\"info\":", id);
			emit_iommufd_info(&fd_geo);
			emit("}");
			send_line();
			return;
		}
		hello(id, version);
	} else if (!strcmp(type, "reset")) {
		char err[512];
		if (case_reset(err, sizeof err) < 0) { reply_error(id, err); return; }
		out_len = 0;
		emit("{\"id\":%lld,\"type\":\"reset\"}", id);
		send_line();
	} else if (!strcmp(type, "execute")) {
		case_execute(id, raw_line);
	} else if (!strcmp(type, "bye")) {
		case_end();
		out_len = 0;
		emit("{\"id\":%lld,\"type\":\"bye\"}", id);
		send_line();
		logf_("bye (cases %llu, case processes died %llu, killed %llu, dma observations %llu, faults %llu, MSI-window DMAs refused %llu, "
		      "mmio mmaps %llu, DMA of an unbound device refused %llu, DMA through a domain that can map nothing %llu)",
		      (unsigned long long)stats->cases, (unsigned long long)stats->crashes, (unsigned long long)stats->child_killed,
		      (unsigned long long)stats->dma_ops, (unsigned long long)stats->dma_faults, (unsigned long long)stats->msi_refused,
		      (unsigned long long)stats->mmio_maps, (unsigned long long)stats->dma_unbound,
		      (unsigned long long)stats->dma_unreachable);
		exit(0);
	} else {
		reply_error(id, "unknown request type");
	}
}

/* the request loop: one request per line; "#..." lines are the host's handshake */
int serve(void)
{
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
