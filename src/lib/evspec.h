/* evspec.h — `ksleuth count` event specifications: parsing "t:tcp:*",
 * "tracepoint:sched:sched_switch", "sched:sched_wak*", "f:vfs_read",
 * "k:tcp_*"; the kernel's traceable function list (lines of
 * available_filter_functions, given as strings); "did you mean"
 * suggestions; and the funccount-style interval table.
 * Pure: the event list is passed in, output goes to a FILE given. */
#ifndef LIB_EVSPEC_H
#define LIB_EVSPEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/json.h"

enum ev_kind {
	EV_TRACEPOINT, /* t:, tracepoint:, or bare CATEGORY:NAME */
	EV_FENTRY,     /* f:, fentry: */
	EV_KPROBE,     /* k:, kprobe:, p:, or a bare FUNC (funccount's default) */
};

#define EV_PATTERN_MAX 256

struct ev_spec {
	enum ev_kind kind;
	char pattern[EV_PATTERN_MAX]; /* "category:name" (globs allowed) or "func" */
};

/* Returns 0, or -EINVAL with *why set to a phrase for the error message. */
int ev_spec_parse(const char *arg, struct ev_spec *out, const char **why);

/* The prefix of a counted function's row name ("k:" or "f:"; "" for a
 * tracepoint, whose row is its "category:name"): k:vfs_read and
 * f:vfs_read are two events. */
const char *ev_kind_prefix(enum ev_kind kind);

/* The function name of one available_filter_functions line ("vfs_read",
 * "nf_hook_slow [nf_tables]", "name.isra.0"), cut in place; NULL for a
 * line that names none (empty, a comment). */
char *ev_func_line(char *line);

/* Sorts v[0..n) and frees repeated strings (a name the file lists twice:
 * static functions of one name in several files, modules). Returns the
 * new length. */
size_t ev_names_unique(char **v, size_t n);

/* Up to max events of list[0..n) close to pattern, best first (by edit
 * distance on "category:name" and on the name alone). Returns how many. */
size_t ev_suggest(const char *pattern, const char *const *list, size_t n,
		  const char **out, size_t max);

/* One row of an interval table: an event's count (on one CPU with --per-cpu). */
struct count_row {
	const char *name;
	int cpu;          /* -1: all CPUs */
	uint64_t count;
};

/* funccount's order: ascending by count (largest last, next to the
 * prompt), ties by name then CPU. */
void count_rows_sort(struct count_row *rows, size_t n);

/* funccount -i -T layout: an empty line, the timestamp line when
 * timestamp != NULL, "FUNC  COUNT" header, one row per non-zero count:
 *
 *   18:33:41
 *   FUNC                                    COUNT
 *   tcp:tcp_retransmit_skb                      5
 *
 * With per_cpu a CPU column is added. */
void count_table_print(FILE *f, const struct count_row *rows, size_t n,
		       const char *timestamp, bool per_cpu);

/* Inside an open JSON object: "counts":{name:count,...} from totals (every
 * matched event, zeros too, so consumers see stable keys) and, when
 * per_cpu rows are given (grouped by name, as produced), also
 * "per_cpu":{name:{"0":count,...}} with non-zero counts only. */
void count_json_body(struct json *j, const struct count_row *totals, size_t n,
		     const struct count_row *per_cpu, size_t n_per_cpu);

#endif
