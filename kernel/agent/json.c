/* json.c - the request parser and the reply buffer. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "util.h"

/* ---------------------------------------------------------------- reply buffer */

char *out;
size_t out_len;
static size_t out_cap;

void reply_buffer_init(void)
{
	out_cap = 1 << 20;
	out = malloc(out_cap);
	if (!out) abort();
}

void emit(const char *fmt, ...)
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

void emit_str(const char *s)
{
	emit("\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') emit("\\%c", *s);
		else if ((unsigned char)*s < 0x20) emit("\\u%04x", *s);
		else emit("%c", *s);
	}
	emit("\"");
}

/* ---------------------------------------------------------------- parser */

#define JPOOL 65536
static J jpool[JPOOL];
int jused;
const char *jerr;

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

J *jparse(char **p)
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
			j->d = strtod(*p, NULL);
			j->n = strtoll(*p, &e, 10);
			*p = e;
			while (**p == '.' || **p == 'e' || **p == 'E' || **p == '+' || **p == '-' || isdigit((unsigned char)**p)) (*p)++;
			return j;
		}
		jerr = "unexpected character";
		return NULL;
	}
}

J *jget(J *o, const char *k)
{
	if (!o || o->type != J_OBJ) return NULL;
	for (J *c = o->child; c; c = c->next)
		if (c->key && !strcmp(c->key, k)) return c;
	return NULL;
}

/* field accessors: set *bad on a missing/malformed field */
const char *bad;
uint64_t fu64(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_STR || strncasecmp(v->str, "0x", 2) || !v->str[2]) { bad = k; return 0; }
	char *e;
	errno = 0;
	uint64_t x = strtoull(v->str + 2, &e, 16);
	if (*e || errno) { bad = k; return 0; }
	return x;
}
long long fnum(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_NUM) { bad = k; return 0; }
	return v->n;
}
const char *fstr(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_STR) { bad = k; return ""; }
	return v->str;
}
int fbool(J *o, const char *k)
{
	J *v = jget(o, k);
	if (!v || v->type != J_BOOL) { bad = k; return 0; }
	return v->b;
}

int op_errno_result(int e, const char **fatal)
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
