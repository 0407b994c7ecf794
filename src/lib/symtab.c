/* symtab.c — sorted symbol table, kallsyms line parser, lookups. Pure. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/symtab.h"

void symtab_init(struct symtab *t)
{
	memset(t, 0, sizeof(*t));
}

void symtab_free(struct symtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->syms[i].name);
	free(t->syms);
	symtab_init(t);
}

int symtab_add(struct symtab *t, uint64_t addr, const char *name)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct sym *s = realloc(t->syms, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		t->syms = s;
		t->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	t->syms[t->n++] = (struct sym){ .addr = addr, .name = copy };
	t->sorted = false;
	return 0;
}

int symtab_add_kallsyms_line(struct symtab *t, const char *line)
{
	char name[256], type;
	uint64_t addr;
	int rc;

	if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) != 3)
		return -EINVAL;
	if (!strcmp(name, "_etext"))
		t->text_end = addr;
	if (addr == 0)
		return 0;
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	rc = symtab_add(t, addr, name);
	return rc < 0 ? rc : 1;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* stable enough: the name that sorts first wins among aliases */
	return strcmp(x->name, y->name);
}

void symtab_sort(struct symtab *t)
{
	size_t w = 0;

	if (t->n)
		qsort(t->syms, t->n, sizeof(*t->syms), cmp_sym);
	for (size_t i = 0; i < t->n; i++) {
		if (w && t->syms[w - 1].addr == t->syms[i].addr) {
			free(t->syms[i].name);
			continue;
		}
		t->syms[w++] = t->syms[i];
	}
	t->n = w;
	t->sorted = true;
}

const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = t->n;

	if (!t->n || addr < t->syms[0].addr)
		return NULL;
	/* last symbol with sym.addr <= addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (off)
		*off = addr - t->syms[lo].addr;
	return &t->syms[lo];
}

const char *symtab_format(const struct symtab *t, uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const struct sym *s = symtab_lookup(t, addr, &off);

	if (s)
		snprintf(buf, size, "%s+0x%" PRIx64, s->name, off);
	else
		snprintf(buf, size, "0x%" PRIx64, addr);
	return buf;
}

bool sym_is_bpf_prog(const char *name)
{
	return strncmp(name, "bpf_prog_", 9) == 0;
}
