/* evspec.c — event specifications, suggestions and the interval table for
 * `ksleuth count` (see evspec.h). Pure: no I/O except the FILE given. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/evspec.h"
#include "lib/strutil.h"

static const struct {
	const char *prefix;
	enum ev_kind kind;
} prefixes[] = {
	{ "tracepoint:", EV_TRACEPOINT }, { "t:", EV_TRACEPOINT },
	{ "fentry:", EV_FENTRY },         { "f:", EV_FENTRY },
	{ "kprobe:", EV_KPROBE },         { "k:", EV_KPROBE },
	{ "p:", EV_KPROBE },
};

static bool valid_chars(const char *s)
{
	/* Names in tracefs and kallsyms: letters, digits, '_', '.', '-';
	 * plus the glob characters. */
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-*?[]!:", *s)))
			return false;
	return true;
}

int ev_spec_parse(const char *arg, struct ev_spec *out, const char **why)
{
	const char *rest = arg;
	enum ev_kind kind;
	bool prefixed = false;

	*why = NULL;
	memset(out, 0, sizeof(*out));
	if (!arg || !*arg) {
		*why = "an empty event name";
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (str_starts_with(arg, prefixes[i].prefix)) {
			kind = prefixes[i].kind;
			rest = arg + strlen(prefixes[i].prefix);
			prefixed = true;
			break;
		}
	}
	if (!prefixed)
		kind = strchr(arg, ':') ? EV_TRACEPOINT : EV_KPROBE;
	if (strlen(rest) >= EV_PATTERN_MAX) {
		*why = "a name that is too long";
		return -EINVAL;
	}
	if (kind == EV_TRACEPOINT) {
		const char *colon = strchr(rest, ':');
		if (!colon || colon == rest || !colon[1] || strchr(colon + 1, ':')) {
			*why = "not of the form t:CATEGORY:NAME";
			return -EINVAL;
		}
	} else if (!*rest || strchr(rest, ':')) {
		*why = "not of the form f:FUNC or k:FUNC";
		return -EINVAL;
	}
	if (!valid_chars(rest)) {
		*why = "a name with characters no kernel event has";
		return -EINVAL;
	}
	out->kind = kind;
	strlcpy_k(out->pattern, rest, sizeof(out->pattern));
	return 0;
}

const char *ev_kind_prefix(enum ev_kind kind)
{
	return kind == EV_KPROBE ? "k:" : kind == EV_FENTRY ? "f:" : "";
}

char *ev_func_line(char *line)
{
	char *s = strtrim(line), *end;

	if (!*s || *s == '#')
		return NULL;
	/* "name", "name [module]"; a name has no blank */
	end = s + strcspn(s, " \t");
	*end = '\0';
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t ev_names_unique(char **v, size_t n)
{
	size_t out = 0;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (out && !strcmp(v[out - 1], v[i]))
			free(v[i]);
		else
			v[out++] = v[i];
	}
	return out;
}

struct cand {
	size_t idx;
	int score;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score - y->score;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *after_colon(const char *s)
{
	const char *c = strchr(s, ':');
	return c ? c + 1 : s;
}

size_t ev_suggest(const char *pattern, const char *const *list, size_t n,
		  const char **out, size_t max)
{
	struct cand best[8];
	size_t nbest = 0;
	const char *pname = after_colon(pattern);
	int limit = (int)strlen(pattern) / 3;

	if (limit < 2)
		limit = 2;
	if (max > 8)
		max = 8;
	for (size_t i = 0; i < n; i++) {
		int d = edit_distance(pattern, list[i]);
		/* the right name in the wrong category, or a missing prefix */
		int dn = edit_distance(pname, after_colon(list[i])) + 1;
		if (dn < d)
			d = dn;
		if (strlen(pname) >= 4 && strstr(after_colon(list[i]), pname) && d > 2)
			d = 2;
		if (d > limit)
			continue;
		struct cand c = { i, d };
		if (nbest < max) {
			best[nbest++] = c;
		} else if (cand_cmp(&c, &best[nbest - 1]) < 0) {
			best[nbest - 1] = c;
		} else {
			continue;
		}
		qsort(best, nbest, sizeof(best[0]), cand_cmp);
	}
	for (size_t i = 0; i < nbest; i++)
		out[i] = list[best[i].idx];
	return nbest;
}

static int row_cmp(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;
	int c;
	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->cpu - y->cpu;
}

void count_rows_sort(struct count_row *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), row_cmp);
}

void count_table_print(FILE *f, const struct count_row *rows, size_t n,
		       const char *timestamp, bool per_cpu)
{
	fputc('\n', f);
	if (timestamp)
		fprintf(f, "%-8s\n", timestamp);
	if (per_cpu)
		fprintf(f, "%-36s %4s %8s\n", "FUNC", "CPU", "COUNT");
	else
		fprintf(f, "%-36s %8s\n", "FUNC", "COUNT");
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].count)
			continue;
		if (per_cpu)
			fprintf(f, "%-36s %4d %8llu\n", rows[i].name, rows[i].cpu,
				(unsigned long long)rows[i].count);
		else
			fprintf(f, "%-36s %8llu\n", rows[i].name, (unsigned long long)rows[i].count);
	}
}

void count_json_body(struct json *j, const struct count_row *totals, size_t n,
		     const struct count_row *per_cpu, size_t n_per_cpu)
{
	json_key(j, "counts");
	json_obj_begin(j);
	for (size_t i = 0; i < n; i++)
		json_kuint(j, totals[i].name, totals[i].count);
	json_obj_end(j);
	if (!per_cpu)
		return;
	json_key(j, "per_cpu");
	json_obj_begin(j);
	const char *open = NULL;
	for (size_t i = 0; i < n_per_cpu; i++) {
		char cpu[16];
		if (!per_cpu[i].count)
			continue;
		if (!open || strcmp(open, per_cpu[i].name) != 0) {
			if (open)
				json_obj_end(j);
			open = per_cpu[i].name;
			json_key(j, open);
			json_obj_begin(j);
		}
		snprintf(cpu, sizeof(cpu), "%d", per_cpu[i].cpu);
		json_kuint(j, cpu, per_cpu[i].count);
	}
	if (open)
		json_obj_end(j);
	json_obj_end(j);
}
