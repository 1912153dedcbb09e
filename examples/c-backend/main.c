/* main.c - vfio-c-backend: an example backend for the vfio-conform suite, speaking the
 * JSON-lines protocol of spec/protocol.md on stdin and stdout.
 *
 * Usage: vfio-c-backend [v1]   (v1: a VFIO_TYPE1_IOMMU container instead of VFIO_TYPE1v2_IOMMU)
 *
 * Each request line gets exactly one reply line with the same id, flushed at once: the suite
 * waits for it before sending the next request. Errors inside an operation are errnos in its
 * result; only a request we cannot understand gets an "error" reply.
 */
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "json.h"
#include "ops.h"
#include "type1.h"
#include "util.h"

/* The protocol versions spoken. They differ only in hello: version 2's reply names the family
 * of the backend ("family":"type1") before "info". A hello is answered in the version it asks
 * for; any other version gets an error reply. */
#define PROTOCOL_OLDEST 1
#define PROTOCOL_NEWEST 2

static bool v2 = true;

/* BackendInfo of spec/type1/backend.ts, u64 fields as hex strings. */
static void write_info(struct buf *b)
{
	buf_printf(b, "{\"name\":\"%s\",", v2 ? "c-example-type1" : "c-example-type1-v1");
	buf_printf(b, "\"description\":\"example C backend: a simulated %s container shared by two processes\",",
		   v2 ? "VFIO_TYPE1v2_IOMMU" : "VFIO_TYPE1_IOMMU");
	buf_printf(b, "\"profile\":\"%s\",\"geometry\":{\"pgsizes\":", v2 ? "type1v2" : "type1v1");
	buf_u64(b, IOVA_PGSIZES);
	buf_printf(b, ",\"iovaRanges\":[");
	for (int i = 0; i < NUM_IOVA_RANGES; i++) {
		buf_printf(b, "%s{\"start\":", i ? "," : "");
		buf_u64(b, IOVA_RANGES[i].start);
		buf_printf(b, ",\"end\":");
		buf_u64(b, IOVA_RANGES[i].end);
		buf_printf(b, "}");
	}
	buf_printf(b, "],\"dmaEntryLimit\":");
	buf_u64(b, DMA_ENTRY_LIMIT);
	buf_printf(b, "},\"host\":{\"pageSize\":");
	buf_u64(b, PAGE_SIZE);
	buf_printf(b, ",\"hugePageSize\":");
	buf_u64(b, HUGE_PAGE_SIZE);
	buf_printf(b, ",\"arena\":{\"start\":");
	buf_u64(b, ARENA_START);
	buf_printf(b, ",\"size\":");
	buf_u64(b, ARENA_SIZE);
	/* Everything but dumpMappings: a real type1 container cannot list its mappings either. */
	buf_printf(b, "}},\"capabilities\":[\"mremap\",\"mprotect\",\"cpuRead\",\"dmaWrite\",\"hugetlb\","
		      "\"mmio\",\"rlimit\",\"capIpcLock\",\"secondProcess\",\"unmapAll\",\"vaddr\"]}");
}

/* A fresh case: a new container, empty address spaces, locked_vm 0, no limit, no capability. */
static void reset(void)
{
	type1_open(v2);
	host_reset();
}

/* Serve one request. On success `body` holds the reply's fields after the id and NULL is
 * returned; otherwise the message of an error reply. */
static const char *serve(const struct json *request, struct buf *body, bool *bye)
{
	const struct json *type = json_get(request, "type");
	const char *t = type && type->type == JSON_STRING ? type->string : "";
	if (!strcmp(t, "hello")) {
		const struct json *protocol = json_get(request, "protocol");
		int version = 0;
		for (int v = PROTOCOL_OLDEST; v <= PROTOCOL_NEWEST; v++)
			if (protocol && protocol->type == JSON_NUMBER && protocol->number == v)
				version = v;
		if (!version)
			return "this backend speaks protocols 1 and 2";
		buf_printf(body, "\"type\":\"hello\",\"protocol\":%d,", version);
		if (version >= 2)
			buf_printf(body, "\"family\":\"type1\",");
		buf_printf(body, "\"info\":");
		write_info(body);
	} else if (!strcmp(t, "reset")) {
		reset();
		buf_printf(body, "\"type\":\"reset\"");
	} else if (!strcmp(t, "execute")) {
		const struct json *ops = json_get(request, "ops");
		if (!ops || ops->type != JSON_ARRAY)
			return "execute without an \"ops\" array";
		buf_printf(body, "\"type\":\"results\",\"results\":[");
		for (const struct json *op = ops->child; op; op = op->next) {
			if (op != ops->child)
				buf_printf(body, ",");
			const char *error = execute_op(op, body);
			if (error)
				return error;
		}
		buf_printf(body, "]");
	} else if (!strcmp(t, "bye")) {
		buf_printf(body, "\"type\":\"bye\"");
		*bye = true;
	} else {
		return "unknown request type";
	}
	return NULL;
}

/* One line of stdin without its newline, in a buffer reused between calls; NULL at EOF. */
static char *read_line(void)
{
	static char *line;
	static size_t capacity;
	size_t len = 0;
	for (;;) {
		if (capacity - len < 2) {
			capacity = capacity ? 2 * capacity : 65536;
			line = xrealloc(line, capacity);
		}
		if (!fgets(line + len, (int)(capacity - len), stdin))
			return len ? line : NULL;
		len += strlen(line + len);
		if (line[len - 1] == '\n') {
			line[len - 1] = '\0';
			return line;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "v1"))) {
		fprintf(stderr, "usage: %s [v1]\n", argv[0]);
		return 2;
	}
	v2 = argc == 1;
	reset();

	bool bye = false;
	char *line;
	while (!bye && (line = read_line())) {
		if (!line[strspn(line, " \t\r")])
			continue; /* a blank line is not a request */
		char parse_error[128];
		struct json *request = json_parse(line, parse_error, sizeof parse_error);
		const struct json *id = json_get(request, "id");
		struct buf body = { 0 }, reply = { 0 };
		const char *error = request ? serve(request, &body, &bye) : parse_error;

		if (id && id->type == JSON_NUMBER)
			buf_printf(&reply, "{\"id\":%.0f,", id->number);
		else
			buf_printf(&reply, "{\"id\":null,");
		if (error) {
			buf_printf(&reply, "\"type\":\"error\",\"message\":");
			buf_string(&reply, error);
			fprintf(stderr, "vfio-c-backend: %s\n", error); /* the suite quotes our last words */
		} else {
			buf_printf(&reply, "%.*s", (int)body.len, body.data);
		}
		buf_printf(&reply, "}\n");
		fwrite(reply.data, 1, reply.len, stdout);
		fflush(stdout);
		free(body.data);
		free(reply.data);
		json_free(request);
	}
	return 0;
}
