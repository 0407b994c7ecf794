/* json.c — streaming JSON writer (see json.h). Pure. */
#include <math.h>
#include <string.h>

#include "lib/json.h"
#include "lib/text.h"

static const char *record_command;

void json_set_command(const char *name)
{
	record_command = name;
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* Before any value or key: a comma unless first at this level. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && !j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void open(struct json *j, char c)
{
	j->type_next = false;
	sep(j);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

/* Valid UTF-8 goes out as it is; control characters and bytes that are
 * not UTF-8 (comms and log lines can hold anything) are escaped by the
 * one shared definition in lib/text.h, so every line is valid JSON. */
static void put_escaped(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	text_json(f, s, n);
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	/* a record's first key "type" is followed by "command" */
	j->type_next = j->depth == 1 && j->first[1] && !strcmp(key, "type");
	sep(j);
	put_escaped(j->f, key, strlen(key));
	fputc(':', j->f);
	j->after_key = true;
}

void json_strn(struct json *j, const char *s, size_t n)
{
	bool lead = j->type_next;

	j->type_next = false;
	sep(j);
	put_escaped(j->f, s, n);
	if (lead && record_command) {
		fputs(",\"command\":", j->f);
		put_escaped(j->f, record_command, strlen(record_command));
	}
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	sep(j);
	fprintf(j->f, "%lld", (long long)v);
}

void json_uint(struct json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_double(struct json *j, double v)
{
	sep(j);
	if (!isfinite(v))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.6g", v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	sep(j);
	fputs("null", j->f);
}

void json_kobjs(struct json *j, const char *key, const void *base, size_t size, unsigned n,
		void (*one)(struct json *j, const void *elem))
{
	json_key(j, key);
	json_arr_begin(j);
	for (unsigned i = 0; i < n; i++) {
		json_obj_begin(j);
		one(j, (const char *)base + i * size);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void json_line_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
	j->depth = 0;
	j->after_key = false;
	j->type_next = false;
	j->first[0] = true;
}
