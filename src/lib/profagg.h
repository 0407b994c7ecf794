/* profagg.h — the profile's reports from symbolized sample counts:
 * overhead per (comm, symbol) as `perf report --sort comm,sym
 * --no-children` shows it, and stacks merged by their function names
 * (folded: "comm;user root..leaf;kernel root..leaf COUNT", the format
 * flamegraph.pl and speedscope read). Pure: no I/O. */
#ifndef LIB_PROFAGG_H
#define LIB_PROFAGG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One in-kernel count, symbolized: frames leaf first, as formatted by the
 * symbolizers ("func+0x12", "func+0x12 [mod]", "[libc.so.6]+0x2a1c0"). */
struct prof_stack {
	const char *comm;
	uint32_t pid, tgid;
	uint64_t count;
	char **kf;   /* kernel frames */
	unsigned nk;
	char **uf;   /* user frames */
	unsigned nu;
};

/* A frame's function: the offset cut ("func+0x12 [mod]" -> "func [mod]");
 * a file's offset ("[libc.so.6]+0x2a1c0", "[bpf] 0x...") is kept whole,
 * a bare address is "[unknown]" (many such merge into one row, as in
 * perf report). Returns out. */
const char *prof_frame_func(const char *frame, char *out, size_t size);

/* Overhead of one (comm, leaf function): the leaf is the innermost kernel
 * frame, else the innermost user frame, else "[unknown]". */
struct prof_row {
	char *comm, *sym;
	bool kernel;
	uint64_t count;
};
/* Rows merged over pids and offsets, by count descending (ties: comm,
 * then symbol). Returns 0 or -ENOMEM. */
int prof_sym_rows(const struct prof_stack *s, size_t n, struct prof_row **rows, size_t *nrows);
void prof_rows_free(struct prof_row *rows, size_t n);

/* One stack merged by function names. folded: frames separated by ';',
 * root first, spaces in names as '_' (a folded line is "STACK COUNT"
 * with one space); else frames separated by ';' as they read ("func
 * [mod]"), for text output. nk: kernel frames at the end of text. */
struct prof_line {
	char *text;
	unsigned nk;
	uint64_t count;
};
/* Lines merged over pids and offsets, by count descending (ties: text).
 * Returns 0 or -ENOMEM. */
int prof_fold(const struct prof_stack *s, size_t n, bool folded, struct prof_line **out, size_t *nout);
void prof_lines_free(struct prof_line *l, size_t n);

#endif
