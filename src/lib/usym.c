/* usym.c — /proc/PID/maps lines and ELF-derived symbol tables (see
 * usym.h). Pure: no I/O. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/usym.h"

#define USYM_NOSIZE_MAX 4096

/* Room for one more of n elements in *arr (doubling, first at least).
 * Returns 0 or -ENOMEM (*arr unchanged). */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t c = *cap ? 2 * *cap : first;
	void *a;

	if (n < *cap)
		return 0;
	a = realloc(*arr, c * elem);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = c;
	return 0;
}

static int pmaps_push(struct pmaps *p, const struct pmap *m)
{
	if (grow((void **)&p->m, &p->cap, p->n, sizeof(*p->m), 64) < 0)
		return -ENOMEM;
	p->m[p->n++] = *m;
	return 0;
}

int pmaps_add_line(struct pmaps *p, const char *line)
{
	struct pmap m = { 0 };
	char perms[8];
	int pos = 0;
	size_t len;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u%n", &m.start, &m.end, perms,
		   &m.pgoff, &pos) < 4 || !pos || m.end <= m.start || strlen(perms) < 4)
		return -EINVAL;
	if (perms[2] != 'x')
		return 0;
	line += pos;
	line += strspn(line, " \t");
	len = strcspn(line, "\n");
	m.path = strndup(line, len);
	if (!m.path)
		return -ENOMEM;
	if (pmaps_push(p, &m) < 0) {
		free(m.path);
		return -ENOMEM;
	}
	return 1;
}

int pmaps_parse(struct pmaps *p, const char *text)
{
	int kept = 0;

	while (text && *text) {
		int rc = pmaps_add_line(p, text);
		if (rc == -ENOMEM)
			return rc;
		if (rc > 0)
			kept++;
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	return kept;
}

const struct pmap *pmaps_find(const struct pmaps *p, uint64_t addr)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pmap *m = &p->m[mid];
		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

void pmaps_free(struct pmaps *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->m[i].path);
	free(p->m);
	memset(p, 0, sizeof(*p));
}

const char *pmap_name(const struct pmap *m)
{
	const char *s;

	if (!m->path || !m->path[0])
		return "[anon]";
	s = strrchr(m->path, '/');
	return s && s[1] ? s + 1 : m->path;
}

int usymtab_add(struct usymtab *t, uint64_t addr, uint64_t size, const char *name)
{
	char *copy;

	if (grow((void **)&t->s, &t->cap, t->n, sizeof(*t->s), 256) < 0 || !(copy = strdup(name)))
		return -ENOMEM;
	t->s[t->n] = (struct usym){ .addr = addr, .size = size, .name = copy, .seq = t->n };
	t->n++;
	return 0;
}

int usymtab_add_seg(struct usymtab *t, uint64_t off, uint64_t vaddr, uint64_t filesz)
{
	if (t->nseg == USYM_MAX_SEGS)
		return -ENOSPC;
	t->seg[t->nseg++] = (struct useg){ .off = off, .vaddr = vaddr, .filesz = filesz };
	return 0;
}

/* qsort is not stable: equal addresses keep their order of addition
 * through seq, so the earlier entry (the preferred table) wins. */
static int cmp_usym(const void *a, const void *b)
{
	const struct usym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void usymtab_sort(struct usymtab *t)
{
	size_t w = 0;

	if (t->n)
		qsort(t->s, t->n, sizeof(*t->s), cmp_usym);
	for (size_t i = 0; i < t->n; i++) {
		if (w && t->s[w - 1].addr == t->s[i].addr) {
			if (!t->s[w - 1].size)
				t->s[w - 1].size = t->s[i].size;
			free(t->s[i].name);
			continue;
		}
		t->s[w++] = t->s[i];
	}
	t->n = w;
}

int usymtab_vaddr(const struct usymtab *t, uint64_t off, uint64_t *vaddr)
{
	if (!t->nseg) {
		*vaddr = off;
		return 0;
	}
	for (unsigned i = 0; i < t->nseg; i++) {
		const struct useg *g = &t->seg[i];
		if (off >= g->off && off - g->off < g->filesz) {
			*vaddr = g->vaddr + (off - g->off);
			return 0;
		}
	}
	return -ENOENT;
}

const struct usym *usymtab_lookup(const struct usymtab *t, uint64_t vaddr, uint64_t *off)
{
	size_t lo = 0, hi = t->n;
	const struct usym *s;

	if (!t->n || vaddr < t->s[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->s[mid].addr <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	s = &t->s[lo];
	*off = vaddr - s->addr;
	if (s->size)
		return *off < s->size ? s : NULL;
	return *off < USYM_NOSIZE_MAX ? s : NULL;
}

void usymtab_free(struct usymtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i].name);
	free(t->s);
	memset(t, 0, sizeof(*t));
}
