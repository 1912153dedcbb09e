/* ops.c - one operation of an `execute` batch: decode its fields (spec/type1/wire.ts OP_FIELDS),
 * run it on the host or the container, and write its result (spec/type1/ops.ts OkValues).
 *
 * This is the only file that knows operation names; a backend for a real system keeps it and
 * replaces what the do_* functions call.
 */
#include "ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "type1.h"

/* Every field any operation has, decoded. */
struct args {
	int proc;
	uint32_t flags;
	uint64_t vaddr, size, new_vaddr, new_size, iova, token, bytes;
	enum prot prot;
	enum backing backing;
	bool enabled;
};

/* Runs an operation; returns 0 or an errno, and on success appends the result's values to
 * `out` as ,"name":value pairs. */
typedef int op_fn(const struct args *a, struct buf *out);

static int do_mmap(const struct args *a, struct buf *out)
{
	(void)out;
	return host_mmap(a->proc, a->vaddr, a->size, a->prot, a->backing);
}

static int do_munmap(const struct args *a, struct buf *out)
{
	(void)out;
	return host_munmap(a->proc, a->vaddr, a->size);
}

static int do_mremap(const struct args *a, struct buf *out)
{
	(void)out;
	return host_mremap(a->proc, a->vaddr, a->size, a->new_vaddr, a->new_size);
}

static int do_mprotect(const struct args *a, struct buf *out)
{
	(void)out;
	return host_mprotect(a->proc, a->vaddr, a->size, a->prot);
}

static int do_cpu_write(const struct args *a, struct buf *out)
{
	(void)out;
	return host_cpu_write(a->proc, a->vaddr, a->token);
}

static int do_cpu_read(const struct args *a, struct buf *out)
{
	uint64_t token;
	int err = host_cpu_read(a->proc, a->vaddr, &token);
	if (!err) {
		buf_printf(out, ",\"token\":");
		buf_u64(out, token);
	}
	return err;
}

static int do_set_rlimit_memlock(const struct args *a, struct buf *out)
{
	(void)out;
	host_process(a->proc)->rlimit_memlock = a->bytes;
	return 0;
}

static int do_set_cap_ipc_lock(const struct args *a, struct buf *out)
{
	(void)out;
	host_process(a->proc)->cap_ipc_lock = a->enabled;
	return 0;
}

static int do_map(const struct args *a, struct buf *out)
{
	(void)out;
	return type1_map(a->proc, a->flags, a->iova, a->vaddr, a->size);
}

static int do_unmap(const struct args *a, struct buf *out)
{
	uint64_t unmapped;
	int err = type1_unmap(a->proc, a->flags, a->iova, a->size, &unmapped);
	if (!err) {
		buf_printf(out, ",\"unmapped\":");
		buf_u64(out, unmapped);
	}
	return err;
}

static int do_get_info(const struct args *a, struct buf *out)
{
	(void)a;
	buf_printf(out, ",\"pgsizes\":");
	buf_u64(out, IOVA_PGSIZES);
	buf_printf(out, ",\"iovaRanges\":[");
	for (int i = 0; i < NUM_IOVA_RANGES; i++) {
		buf_printf(out, "%s{\"start\":", i ? "," : "");
		buf_u64(out, IOVA_RANGES[i].start);
		buf_printf(out, ",\"end\":");
		buf_u64(out, IOVA_RANGES[i].end);
		buf_printf(out, "}");
	}
	buf_printf(out, "],\"dmaAvail\":");
	buf_u64(out, type1_dma_avail());
	return 0;
}

static int do_close_container(const struct args *a, struct buf *out)
{
	(void)a, (void)out;
	type1_close();
	return 0;
}

static int do_dma_read(const struct args *a, struct buf *out)
{
	uint64_t token;
	int err = dma_read(a->iova, &token);
	if (!err) {
		buf_printf(out, ",\"token\":");
		buf_u64(out, token);
	}
	return err;
}

static int do_dma_write(const struct args *a, struct buf *out)
{
	(void)out;
	return dma_write(a->iova, a->token);
}

static int do_counters(const struct args *a, struct buf *out)
{
	(void)a;
	buf_printf(out, ",\"lockedVm\":[");
	for (int p = 0; p < NPROCS; p++) {
		buf_printf(out, p ? "," : "");
		buf_u64(out, host_process(p)->locked_vm);
	}
	buf_printf(out, "]");
	return 0;
}

/* The operations and their fields, as OP_FIELDS in spec/type1/wire.ts. dumpMappings is left out:
 * the backend does not declare that capability, so the suite never sends it. */
static const struct {
	const char *name;
	const char *fields[6]; /* NULL-terminated */
	op_fn *run;
} OPS[] = {
	{ "mmap", { "proc", "vaddr", "size", "prot", "backing" }, do_mmap },
	{ "munmap", { "proc", "vaddr", "size" }, do_munmap },
	{ "mremap", { "proc", "vaddr", "size", "newVaddr", "newSize" }, do_mremap },
	{ "mprotect", { "proc", "vaddr", "size", "prot" }, do_mprotect },
	{ "cpuWrite", { "proc", "vaddr", "token" }, do_cpu_write },
	{ "cpuRead", { "proc", "vaddr" }, do_cpu_read },
	{ "setRlimitMemlock", { "proc", "bytes" }, do_set_rlimit_memlock },
	{ "setCapIpcLock", { "proc", "enabled" }, do_set_cap_ipc_lock },
	{ "map", { "proc", "flags", "iova", "vaddr", "size" }, do_map },
	{ "unmap", { "proc", "flags", "iova", "size" }, do_unmap },
	{ "getInfo", { NULL }, do_get_info },
	{ "closeContainer", { NULL }, do_close_container },
	{ "dmaRead", { "iova" }, do_dma_read },
	{ "dmaWrite", { "iova", "token" }, do_dma_write },
	{ "counters", { NULL }, do_counters },
};

/* A u64 on the wire: "0x" and 1 to 16 hex digits. */
static bool decode_u64(const struct json *v, uint64_t *out)
{
	if (!v || v->type != JSON_STRING || strncmp(v->string, "0x", 2))
		return false;
	const char *digits = v->string + 2;
	size_t n = strspn(digits, "0123456789abcdefABCDEF");
	if (n < 1 || n > 16 || digits[n])
		return false;
	*out = strtoull(digits, NULL, 16);
	return true;
}

static uint64_t *u64_field(struct args *a, const char *name)
{
	static const char *const names[] = { "vaddr", "size", "newVaddr", "newSize", "iova", "token", "bytes" };
	uint64_t *fields[] = { &a->vaddr, &a->size, &a->new_vaddr, &a->new_size, &a->iova, &a->token, &a->bytes };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(name, names[i]))
			return fields[i];
	return NULL;
}

/* Decode field `name` of the operation into `a`; false when it is missing or malformed. */
static bool decode_field(const struct json *op, const char *name, struct args *a)
{
	const struct json *v = json_get(op, name);
	const char *s = v && v->type == JSON_STRING ? v->string : "";
	if (!v)
		return false;
	if (!strcmp(name, "proc")) {
		a->proc = (int)v->number;
		return v->type == JSON_NUMBER && (v->number == 0 || v->number == 1);
	}
	if (!strcmp(name, "flags")) {
		a->flags = (uint32_t)v->number;
		return v->type == JSON_NUMBER && v->number >= 0 && v->number <= 0xffffffffu && v->number == a->flags;
	}
	if (!strcmp(name, "enabled")) {
		a->enabled = v->boolean;
		return v->type == JSON_BOOL;
	}
	if (!strcmp(name, "prot")) {
		a->prot = !strcmp(s, "rw") ? PROT_RW : !strcmp(s, "r") ? PROT_READ_ : PROT_NONE_;
		return !strcmp(s, "rw") || !strcmp(s, "r") || !strcmp(s, "none");
	}
	if (!strcmp(name, "backing")) {
		a->backing = !strcmp(s, "mmio") ? BACKING_MMIO : !strcmp(s, "hugetlb") ? BACKING_HUGETLB : BACKING_ANON;
		return !strcmp(s, "anon") || !strcmp(s, "hugetlb") || !strcmp(s, "mmio");
	}
	return decode_u64(v, u64_field(a, name));
}

static const char *errno_name(int err)
{
	switch (err) {
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
	default: return NULL;
	}
}

const char *execute_op(const struct json *op, struct buf *out)
{
	static char message[160];
	const struct json *kind = json_get(op, "op");
	if (!kind || kind->type != JSON_STRING)
		return "an operation without an \"op\" name";
	for (size_t i = 0; i < sizeof OPS / sizeof *OPS; i++) {
		if (strcmp(kind->string, OPS[i].name))
			continue;
		struct args a = { 0 };
		for (const char *const *f = OPS[i].fields; *f; f++) {
			if (!decode_field(op, *f, &a)) {
				snprintf(message, sizeof message, "%s: field \"%s\" is missing or malformed", OPS[i].name, *f);
				return message;
			}
		}
		struct buf values = { 0 };
		int err = OPS[i].run(&a, &values);
		if (err && !errno_name(err)) {
			snprintf(message, sizeof message, "%s: errno %d is not one the protocol knows", OPS[i].name, err);
			free(values.data);
			return message;
		}
		if (err)
			buf_printf(out, "{\"ok\":false,\"errno\":\"%s\"}", errno_name(err));
		else
			buf_printf(out, "{\"ok\":true%.*s}", (int)values.len, values.data ? values.data : "");
		free(values.data);
		return NULL;
	}
	snprintf(message, sizeof message, "unknown or unsupported operation \"%.40s\"", kind->string);
	return message;
}
