/* json.h — a streaming JSON writer for JSON Lines output: one object per
 * line, commas and escaping handled here. Pure: writes to a FILE given. */
#ifndef LIB_JSON_H
#define LIB_JSON_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool after_key;             /* a key was written; the value follows */
	bool type_next;             /* the record's leading "type" value follows */
};

/* The command every record names after its "type" (cli_run sets it once,
 * before the command runs; NULL, the default, writes no such field).
 * Central so that no writer can forget it: see docs/json.md. */
void json_set_command(const char *name);

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v); /* non-finite -> null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* "key":[{...},...]: one object for each of the n elements of base (size
 * bytes apart), its members written by one(j, element). */
void json_kobjs(struct json *j, const char *key, const void *base, size_t size, unsigned n,
		void (*one)(struct json *j, const void *elem));
/* End a top-level record: newline, flush (JSON Lines). */
void json_line_end(struct json *j);

/* key + value in one call */
static inline void json_kstr(struct json *j, const char *k, const char *v) { json_key(j, k); json_str(j, v); }
static inline void json_kint(struct json *j, const char *k, int64_t v) { json_key(j, k); json_int(j, v); }
static inline void json_kuint(struct json *j, const char *k, uint64_t v) { json_key(j, k); json_uint(j, v); }
static inline void json_kdouble(struct json *j, const char *k, double v) { json_key(j, k); json_double(j, v); }
static inline void json_kbool(struct json *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }

#endif
