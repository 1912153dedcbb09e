/* json.c - a small recursive-descent JSON reader and a reply buffer. */
#include "json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_DEPTH 32 /* the protocol nests 3 deep; refuse anything that could blow the stack */

struct parser {
	const char *p;
	char *error;
	size_t error_size;
};

static struct json *fail(struct parser *ps, const char *what)
{
	if (!ps->error[0])
		snprintf(ps->error, ps->error_size, "%s at \"%.20s\"", what, ps->p);
	return NULL;
}

static void skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n')
		ps->p++;
}

static void put_utf8(char **out, unsigned c)
{
	char *o = *out;
	if (c < 0x80) {
		*o++ = (char)c;
	} else if (c < 0x800) {
		*o++ = (char)(0xc0 | c >> 6);
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xe0 | c >> 12);
		*o++ = (char)(0x80 | (c >> 6 & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	*out = o;
}

/* A string starting at the opening quote; the result is malloc'ed. Escapes are decoded;
 * \uXXXX gives UTF-8 (the protocol's strings are ASCII, so surrogate pairs are not joined). */
static char *parse_string(struct parser *ps)
{
	const char *p = ++ps->p;
	char *out = xrealloc(NULL, strlen(p) + 1), *o = out; /* decoding never lengthens */
	for (;; p++) {
		if (*p == '"')
			break;
		if (*p == '\0' || (unsigned char)*p < 0x20)
			goto bad;
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case '"': case '\\': case '/': *o++ = *p; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned c = 0;
			for (int i = 0; i < 4; i++) {
				char h = *++p;
				int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
					: h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
				if (d < 0)
					goto bad;
				c = c << 4 | (unsigned)d;
			}
			put_utf8(&o, c);
			break;
		}
		default: goto bad;
		}
	}
	*o = '\0';
	ps->p = p + 1;
	return out;
bad:
	free(out);
	ps->p = p;
	fail(ps, "bad string");
	return NULL;
}

static struct json *parse_value(struct parser *ps, int depth);

/* The elements of an array or the members of an object, up to `close`. */
static struct json *parse_container(struct parser *ps, struct json *v, char close, int depth)
{
	struct json **tail = &v->child;
	ps->p++;
	skip_space(ps);
	if (*ps->p == close) {
		ps->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		if (v->type == JSON_OBJECT) {
			skip_space(ps);
			if (*ps->p != '"' || !(key = parse_string(ps)))
				return fail(ps, "expected a member name");
			skip_space(ps);
			if (*ps->p++ != ':') {
				free(key);
				return fail(ps, "expected ':'");
			}
		}
		struct json *item = parse_value(ps, depth + 1);
		if (!item) {
			free(key);
			return NULL;
		}
		item->key = key;
		*tail = item;
		tail = &item->next;
		skip_space(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p++ == close)
			return v;
		return fail(ps, "expected ',' or the end of the array or object");
	}
}

static struct json *parse_value(struct parser *ps, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(ps, "nested too deep");
	skip_space(ps);
	struct json *v = xrealloc(NULL, sizeof *v), *done = v;
	memset(v, 0, sizeof *v);
	const char *p = ps->p;
	if (*p == '{') {
		v->type = JSON_OBJECT;
		done = parse_container(ps, v, '}', depth);
	} else if (*p == '[') {
		v->type = JSON_ARRAY;
		done = parse_container(ps, v, ']', depth);
	} else if (*p == '"') {
		v->type = JSON_STRING;
		done = (v->string = parse_string(ps)) ? v : NULL;
	} else if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
		v->type = JSON_BOOL;
		v->boolean = *p == 't';
		ps->p += v->boolean ? 4 : 5;
	} else if (!strncmp(p, "null", 4)) {
		ps->p += 4;
	} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;
		v->type = JSON_NUMBER;
		v->number = strtod(p, &end);
		ps->p = end;
	} else {
		done = fail(ps, "expected a value");
	}
	if (!done)
		json_free(v);
	return done;
}

struct json *json_parse(const char *text, char *error, size_t error_size)
{
	struct parser ps = { text, error, error_size };
	error[0] = '\0';
	struct json *v = parse_value(&ps, 0);
	if (!v)
		return NULL;
	skip_space(&ps);
	if (*ps.p) {
		json_free(v);
		return fail(&ps, "trailing characters");
	}
	return v;
}

void json_free(struct json *v)
{
	while (v) {
		struct json *next = v->next;
		json_free(v->child);
		free(v->key);
		free(v->string);
		free(v);
		v = next;
	}
}

const struct json *json_get(const struct json *object, const char *key)
{
	if (!object || object->type != JSON_OBJECT)
		return NULL;
	for (const struct json *m = object->child; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

void buf_printf(struct buf *b, const char *format, ...)
{
	if (!b->data) {
		b->capacity = 256;
		b->data = xrealloc(NULL, b->capacity);
	}
	for (;;) {
		va_list ap;
		va_start(ap, format);
		int n = vsnprintf(b->data + b->len, b->capacity - b->len, format, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->capacity - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->capacity = b->capacity * 2 + (n > 0 ? (size_t)n : 0) + 64;
		b->data = xrealloc(b->data, b->capacity);
	}
}

void buf_string(struct buf *b, const char *s)
{
	buf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			buf_printf(b, "\\%c", ch);
		else if (ch < 0x20)
			buf_printf(b, "\\u%04x", ch);
		else
			buf_printf(b, "%c", ch);
	}
	buf_printf(b, "\"");
}

void buf_u64(struct buf *b, uint64_t v) { buf_printf(b, "\"0x%" PRIx64 "\"", v); }
