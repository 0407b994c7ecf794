/* profagg.c — per-symbol overhead and merged stacks (see profagg.h).
 * Pure: no I/O. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/profagg.h"

#define FRAME_MAX 512

const char *prof_frame_func(const char *frame, char *out, size_t size)
{
	const char *plus = strstr(frame, "+0x");
	size_t n;

	if (!size)
		return out;
	if (frame[0] == '0' && frame[1] == 'x')
		frame = "[unknown]"; /* no symbol, no file: as perf names it */
	if (!plus || plus == frame || frame[0] == '[') {
		/* an address, or "[file]+0x..": the offset is all there is */
		n = strlen(frame);
		if (n >= size)
			n = size - 1;
		memcpy(out, frame, n);
		out[n] = '\0';
		return out;
	}
	n = (size_t)(plus - frame);
	if (n >= size)
		n = size - 1;
	memcpy(out, frame, n);
	out[n] = '\0';
	/* what follows the hex offset (" [mod]") stays */
	plus += 3;
	while (isxdigit((unsigned char)*plus))
		plus++;
	strncat(out, plus, size - 1 - strlen(out));
	return out;
}

/* Sorts n elements by key, folds each run of equal keys into its first
 * (fold adds the counts and frees the other's strings), then sorts what
 * is left by count: the shape both reports share. Returns how many are left. */
static size_t merge_by_key(void *base, size_t n, size_t size, int (*key)(const void *, const void *),
			   int (*by_count)(const void *, const void *), void (*fold)(void *into, void *from))
{
	char *b = base;
	size_t w = 0;

	if (!n)
		return 0;
	qsort(base, n, size, key);
	for (size_t i = 0; i < n; i++) {
		if (w && !key(b + (w - 1) * size, b + i * size)) {
			fold(b + (w - 1) * size, b + i * size);
			continue;
		}
		if (w != i)
			memcpy(b + w * size, b + i * size, size);
		w++;
	}
	qsort(base, w, size, by_count);
	return w;
}

/* ---- per-symbol rows ---- */

static int cmp_row(const void *a, const void *b)
{
	const struct prof_row *x = a, *y = b;
	int c = strcmp(x->comm, y->comm);

	if (c)
		return c;
	if (x->kernel != y->kernel)
		return x->kernel ? -1 : 1;
	return strcmp(x->sym, y->sym);
}

static int cmp_row_count(const void *a, const void *b)
{
	const struct prof_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_row(a, b);
}

static void fold_row(void *into, void *from)
{
	struct prof_row *x = into, *y = from;

	x->count += y->count;
	free(y->comm);
	free(y->sym);
}

int prof_sym_rows(const struct prof_stack *s, size_t n, struct prof_row **rows, size_t *nrows)
{
	struct prof_row *r = calloc(n ? n : 1, sizeof(*r));
	char f[FRAME_MAX];

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *leaf = s[i].nk ? s[i].kf[0] : s[i].nu ? s[i].uf[0] : "[unknown]";
		r[i].comm = strdup(s[i].comm ? s[i].comm : "");
		r[i].sym = strdup(prof_frame_func(leaf, f, sizeof(f)));
		r[i].kernel = s[i].nk > 0;
		r[i].count = s[i].count;
		if (!r[i].comm || !r[i].sym) {
			prof_rows_free(r, i + 1);
			return -ENOMEM;
		}
	}
	*nrows = merge_by_key(r, n, sizeof(*r), cmp_row, cmp_row_count, fold_row);
	*rows = r;
	return 0;
}

void prof_rows_free(struct prof_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		free(rows[i].comm);
		free(rows[i].sym);
	}
	free(rows);
}

/* ---- merged stacks ---- */

/* Appends one name to the line: in folded form, characters that would
 * break "STACK COUNT" (spaces, ';', control bytes) become '_'. */
static void put_name(char *buf, size_t size, size_t *len, const char *name, bool folded, bool sep)
{
	if (sep && *len + 1 < size)
		buf[(*len)++] = ';';
	for (const char *p = name; *p && *len + 1 < size; p++) {
		char c = *p;
		if (folded && (c == ' ' || c == ';' || (unsigned char)c < 0x20))
			c = '_';
		else if (!folded && c == ';')
			c = ':';
		buf[(*len)++] = c;
	}
	buf[*len] = '\0';
}

static char *stack_text(const struct prof_stack *s, bool folded)
{
	size_t size = 64 + (size_t)(s->nk + s->nu) * FRAME_MAX, len = 0;
	char *buf = malloc(size), f[FRAME_MAX];

	if (!buf)
		return NULL;
	buf[0] = '\0';
	put_name(buf, size, &len, s->comm && s->comm[0] ? s->comm : "[unknown]", folded, false);
	for (unsigned i = s->nu; i-- > 0;)
		put_name(buf, size, &len, prof_frame_func(s->uf[i], f, sizeof(f)), folded, true);
	for (unsigned i = s->nk; i-- > 0;)
		put_name(buf, size, &len, prof_frame_func(s->kf[i], f, sizeof(f)), folded, true);
	return buf;
}

static int cmp_line(const void *a, const void *b)
{
	const struct prof_line *x = a, *y = b;

	return strcmp(x->text, y->text);
}

static int cmp_line_count(const void *a, const void *b)
{
	const struct prof_line *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_line(a, b);
}

static void fold_line(void *into, void *from)
{
	struct prof_line *x = into, *y = from;

	x->count += y->count;
	free(y->text);
}

int prof_fold(const struct prof_stack *s, size_t n, bool folded, struct prof_line **out, size_t *nout)
{
	struct prof_line *l = calloc(n ? n : 1, sizeof(*l));
	size_t w;

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		l[i].text = stack_text(&s[i], folded);
		l[i].nk = s[i].nk;
		l[i].count = s[i].count;
		if (!l[i].text) {
			prof_lines_free(l, i + 1);
			return -ENOMEM;
		}
	}
	w = merge_by_key(l, n, sizeof(*l), cmp_line, cmp_line_count, fold_line);
	*out = l;
	*nout = w;
	return 0;
}

void prof_lines_free(struct prof_line *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		free(l[i].text);
	free(l);
}
