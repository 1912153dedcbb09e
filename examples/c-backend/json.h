/* json.h - just enough JSON for the protocol: a reader for one line (objects, arrays,
 * strings, numbers, booleans, null) and a growing buffer to write replies into. */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

/* A value. The elements of an array and the members of an object are a list through `next`,
 * starting at the container's `child`; members also have a `key`. */
struct json {
	enum json_type type;
	char *key;
	struct json *next, *child;
	char *string;  /* JSON_STRING, unescaped */
	double number; /* JSON_NUMBER */
	bool boolean;  /* JSON_BOOL */
};

/* Parse one complete value. Returns NULL and a message in `error` on bad input. */
struct json *json_parse(const char *text, char *error, size_t error_size);
void json_free(struct json *value);

/* The member `key` of an object, or NULL. */
const struct json *json_get(const struct json *object, const char *key);

/* A reply under construction. */
struct buf {
	char *data;
	size_t len, capacity;
};

void buf_printf(struct buf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
void buf_string(struct buf *b, const char *s); /* a quoted, escaped JSON string */
void buf_u64(struct buf *b, uint64_t v);       /* a u64 as the protocol wants it: "0x..." */

#endif
