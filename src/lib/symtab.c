/* symtab.c — kallsyms table, merged BPF extents, lookups. Pure: no I/O. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/symtab.h"

/* An ftrace trampoline (or other [__builtin__*] text) is at most a page
 * or so; never let one swallow whatever lies above it. */
#define SYM_DYN_MAX 4096
/* kallsyms does not say where a module's text ends: the next-symbol rule
 * holds, but the last function of a module must not swallow what follows. */
#define SYM_MOD_MAX (64 * 1024)

void symtab_init(struct symtab *t)
{
	memset(t, 0, sizeof(*t));
}

void symtab_free_text(struct symtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->syms[i].name);
	free(t->syms);
	t->syms = NULL;
	t->n = t->cap = 0;
	t->sorted = false;
	t->text_end = t->inittext_start = t->inittext_end = 0;
}

void symtab_free(struct symtab *t)
{
	symtab_free_text(t);
	for (size_t i = 0; i < t->nr; i++)
		free(t->ranges[i].name);
	free(t->ranges);
	symtab_init(t);
}

int symtab_add_kind(struct symtab *t, uint64_t addr, const char *name, enum sym_kind kind)
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
	t->syms[t->n++] = (struct sym){ .addr = addr, .name = copy, .kind = kind };
	t->sorted = false;
	return 0;
}

int symtab_add_mod(struct symtab *t, uint64_t addr, const char *name, const char *mod)
{
	size_t ln = strlen(name), lm = strlen(mod);
	char *both = malloc(ln + lm + 2);
	int rc;

	if (!both)
		return -ENOMEM;
	memcpy(both, name, ln + 1);
	memcpy(both + ln + 1, mod, lm + 1);
	rc = symtab_add_kind(t, addr, both, SYM_MOD);
	if (rc == 0) {
		/* symtab_add_kind copied only the name: give the entry both */
		free(t->syms[t->n - 1].name);
		t->syms[t->n - 1].name = both;
		t->syms[t->n - 1].mod = both + ln + 1;
	} else {
		free(both);
	}
	return rc;
}

int symtab_add(struct symtab *t, uint64_t addr, const char *name)
{
	return symtab_add_kind(t, addr, name, SYM_TEXT);
}

int symtab_add_kallsyms_line(struct symtab *t, const char *line)
{
	char name[256], mod[64] = "", type;
	enum sym_kind kind = SYM_TEXT;
	uint64_t addr;
	int rc;

	if (sscanf(line, "%" SCNx64 " %c %255s %63s", &addr, &type, name, mod) < 3)
		return -EINVAL;
	if (!strcmp(name, "_etext"))
		t->text_end = addr;
	else if (!strcmp(name, "_sinittext"))
		t->inittext_start = addr;
	else if (!strcmp(name, "_einittext"))
		t->inittext_end = addr;
	if (addr == 0)
		return 0;
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	if (mod[0] == '[' && strcmp(mod, "[bpf]") && strncmp(mod, "[__builtin__", 12)) {
		size_t lm = strlen(mod);
		if (mod[lm - 1] == ']')
			mod[lm - 1] = '\0';
		rc = symtab_add_mod(t, addr, name, mod + 1);
		return rc < 0 ? rc : 1;
	}
	if (mod[0] == '[')
		kind = !strcmp(mod, "[bpf]") ? SYM_BPF : SYM_DYN;
	rc = symtab_add_kind(t, addr, name, kind);
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

int symtab_add_range(struct symtab *t, uint64_t addr, uint64_t len, const char *name)
{
	uint64_t end = addr + len;
	struct sym *out;
	size_t w = 0, at;
	char *copy;

	if (!len || end < addr)
		return -EINVAL;
	for (size_t i = 0; i < t->nr; i++) {
		const struct sym *r = &t->ranges[i];
		if (r->addr == addr && r->len == len && !r->off0 && !strcmp(r->name, name))
			return 0;
	}
	copy = strdup(name);
	out = calloc(t->nr + 2, sizeof(*out));
	if (!copy || !out) {
		free(copy);
		free(out);
		return -ENOMEM;
	}
	at = t->nr + 2; /* where the new range goes: before the first range above it */
	for (size_t i = 0; i < t->nr; i++) {
		struct sym o = t->ranges[i];
		uint64_t oend = o.addr + o.len;
		bool head = o.addr < addr, tail = oend > end;

		if (at > t->nr + 1 && o.addr >= addr)
			at = w++;
		if (oend <= addr || o.addr >= end) {
			out[w++] = o;
			continue;
		}
		/* overlapped: keep what lies outside [addr, end) */
		if (head)
			out[w++] = (struct sym){ .addr = o.addr, .len = addr - o.addr, .off0 = o.off0,
						 .name = o.name, .kind = SYM_BPF };
		if (tail) {
			char *n = head ? strdup(o.name) : o.name;
			if (!n) {
				/* out of memory: drop the tail rather than fail the merge */
				tail = false;
			} else {
				if (at > t->nr + 1)
					at = w++;
				out[w++] = (struct sym){ .addr = end, .len = oend - end,
							 .off0 = o.off0 + (end - o.addr), .name = n,
							 .kind = SYM_BPF };
			}
		}
		if (!head && !tail)
			free(o.name);
	}
	if (at > t->nr + 1)
		at = w++;
	out[at] = (struct sym){ .addr = addr, .len = len, .name = copy, .kind = SYM_BPF };
	free(t->ranges);
	t->ranges = out;
	t->nr = w;
	t->rcap = t->nr + 2;
	return 1;
}

/* Index of the last entry of a[0..n) with addr <= key, or -1. */
static long last_at_or_below(const struct sym *a, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	if (!n || key < a[0].addr)
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid].addr <= key)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo;
}

static bool in_kernel_image(const struct symtab *t, uint64_t addr)
{
	if (t->inittext_end && addr >= t->inittext_start && addr < t->inittext_end)
		return true;
	return !t->text_end || addr < t->text_end;
}

const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t *off)
{
	long i = last_at_or_below(t->ranges, t->nr, addr);
	const struct sym *s;
	uint64_t o;

	if (i >= 0 && addr - t->ranges[i].addr < t->ranges[i].len) {
		s = &t->ranges[i];
		if (off)
			*off = s->off0 + (addr - s->addr);
		return s;
	}
	i = last_at_or_below(t->syms, t->n, addr);
	if (i < 0)
		return NULL;
	s = &t->syms[i];
	o = addr - s->addr;
	switch (s->kind) {
	case SYM_BPF:
		return NULL; /* size unknown: a neighbour's name would be a guess */
	case SYM_DYN:
		if (o >= SYM_DYN_MAX)
			return NULL;
		break;
	case SYM_MOD:
		if (o >= SYM_MOD_MAX)
			return NULL;
		break;
	case SYM_TEXT:
		/* the next-symbol rule, but not across the end of the section */
		if (t->text_end && s->addr <= t->text_end && addr >= t->text_end)
			return NULL;
		if (t->inittext_end && s->addr >= t->inittext_start && s->addr < t->inittext_end &&
		    addr >= t->inittext_end)
			return NULL;
		if (!in_kernel_image(t, s->addr) && o >= SYM_DYN_MAX)
			return NULL;
		break;
	}
	if (off)
		*off = o;
	return s;
}

bool symtab_near_bpf(const struct symtab *t, uint64_t addr)
{
	long r, k;
	const struct sym *lo = NULL, *hi = NULL;

	if (in_kernel_image(t, addr))
		return false;
	/* the nearest known symbol below and above addr, both tables */
	r = last_at_or_below(t->ranges, t->nr, addr);
	k = last_at_or_below(t->syms, t->n, addr);
	if (r >= 0)
		lo = &t->ranges[r];
	if (k >= 0 && (!lo || t->syms[k].addr > lo->addr))
		lo = &t->syms[k];
	if ((size_t)(r + 1) < t->nr)
		hi = &t->ranges[r + 1];
	if ((size_t)(k + 1) < t->n && (!hi || t->syms[k + 1].addr < hi->addr))
		hi = &t->syms[k + 1];
	return (lo && lo->kind == SYM_BPF) || (hi && hi->kind == SYM_BPF);
}

/* ret: addr is a return address, the instruction after a call; the call
 * itself (addr - 1) names the function. After a call that never returns
 * the return address is the next function's first byte. The offset shown
 * is addr's either way, as perf shows it. */
static const char *format_at(const struct symtab *t, uint64_t addr, bool ret, char *buf, size_t size)
{
	uint64_t off;
	const struct sym *s = symtab_lookup(t, ret && addr ? addr - 1 : addr, &off);

	if (s && ret && addr)
		off++;
	if (s && s->mod)
		snprintf(buf, size, "%s+0x%" PRIx64 " [%s]", s->name, off, s->mod);
	else if (s)
		snprintf(buf, size, "%s+0x%" PRIx64, s->name, off);
	else
		snprintf(buf, size, "%s0x%" PRIx64, symtab_near_bpf(t, addr) ? "[bpf] " : "", addr);
	return buf;
}

const char *symtab_format(const struct symtab *t, uint64_t addr, char *buf, size_t size)
{
	return format_at(t, addr, false, buf, size);
}

const char *symtab_format_ret(const struct symtab *t, uint64_t addr, char *buf, size_t size)
{
	return format_at(t, addr, true, buf, size);
}

bool sym_is_bpf_prog(const char *name)
{
	return strncmp(name, "bpf_prog_", 9) == 0;
}

unsigned stack_irq_frames(const char *frames, size_t stride, unsigned n)
{
	static const char *const stubs[] = { "asm_sysvec_", "asm_common_interrupt", "el1h_64_irq" };

	for (unsigned i = 0; i < n; i++) {
		const char *f = frames + i * stride;
		for (size_t k = 0; k < sizeof(stubs) / sizeof(stubs[0]); k++)
			if (!strncmp(f, stubs[k], strlen(stubs[k])))
				return i + 1;
	}
	return 0;
}
