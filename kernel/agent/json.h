/* json.h - just enough JSON for the protocol: a parser for one request line (into a fixed pool,
 * reset per request), field accessors, and the buffer replies are written into. */
#ifndef AGENT_JSON_H
#define AGENT_JSON_H

#include <stddef.h>
#include <stdint.h>

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct J {
	int type;
	char *key;      /* member name when inside an object */
	char *str;      /* J_STR (unescaped, NUL terminated) */
	int b;
	long long n;    /* J_NUM, its integer part */
	double d;       /* J_NUM, its value */
	struct J *child, *next;
} J;

/* Parses the value at *p (unescaping strings in place) and advances *p past it. NULL and jerr
 * on bad input. Set jused = 0 and jerr = NULL before each request. */
J *jparse(char **p);
extern int jused;
extern const char *jerr;

/* the member `k` of object `o`, or NULL */
J *jget(J *o, const char *k);

/* Field accessors: a missing or malformed field sets `bad` to its name and returns 0 / "". */
extern const char *bad;
uint64_t fu64(J *o, const char *k); /* a "0x..." string */
long long fnum(J *o, const char *k);
const char *fstr(J *o, const char *k);
int fbool(J *o, const char *k);

/* The reply under construction: emit appends, out_len = 0 starts a new one. */
extern char *out;
extern size_t out_len;
void reply_buffer_init(void);
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void emit_str(const char *s); /* a quoted, escaped JSON string */

/* the result {"ok":false,"errno":NAME} of errno e; -1 with *fatal for an errno without a name */
int op_errno_result(int e, const char **fatal);

#endif
