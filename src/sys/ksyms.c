/* ksyms.c — /proc/kallsyms into a sorted symbol table, with a reload for
 * BPF programs JIT-compiled after the first read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/symtab.h"
#include "sys/ksyms.h"
#include "sys/log.h"
#include "sys/loop.h"

#define KSYMS_RELOAD_MIN_NS (200 * 1000000ULL)

struct ksyms {
	struct symtab t;
	uint64_t loaded_ns;
};

static int read_kallsyms(struct symtab *t)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512];
	int rc = 0;

	if (!f)
		return -errno;
	symtab_init(t);
	while (fgets(line, sizeof(line), f)) {
		rc = symtab_add_kallsyms_line(t, line);
		if (rc == -ENOMEM)
			break;
		rc = 0;
	}
	fclose(f);
	if (rc < 0) {
		symtab_free(t);
		return rc;
	}
	symtab_sort(t);
	return 0;
}

struct ksyms *ksyms_load(void)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	int rc;

	if (!k)
		return NULL;
	rc = read_kallsyms(&k->t);
	if (rc < 0) {
		err("cannot read /proc/kallsyms (%s): kernel stacks will show addresses only",
		    strerror(-rc));
		free(k);
		return NULL;
	}
	if (k->t.n == 0) {
		err("/proc/kallsyms shows no addresses (kernel.kptr_restrict): run as root to see "
		    "symbol names in kernel stacks");
		symtab_free(&k->t);
		free(k);
		return NULL;
	}
	k->loaded_ns = now_ns();
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	symtab_free(&k->t);
	free(k);
}

/* An address past the kernel's text that no BPF image covers is most
 * likely a program loaded since we read kallsyms. */
static bool looks_stale(const struct ksyms *k, uint64_t addr, const struct sym *s, uint64_t off)
{
	if (!s)
		return true;
	if (k->t.text_end && addr >= k->t.text_end && !sym_is_bpf_prog(s->name))
		return true;
	return off > 1024 * 1024;
}

const char *ksyms_format(struct ksyms *k, uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const struct sym *s = symtab_lookup(&k->t, addr, &off);

	if (looks_stale(k, addr, s, off) && now_ns() - k->loaded_ns > KSYMS_RELOAD_MIN_NS) {
		struct symtab fresh;
		if (read_kallsyms(&fresh) == 0 && fresh.n) {
			symtab_free(&k->t);
			k->t = fresh;
		}
		k->loaded_ns = now_ns();
		s = symtab_lookup(&k->t, addr, &off);
	}
	if (!s || (k->t.text_end && addr >= k->t.text_end && !sym_is_bpf_prog(s->name) &&
		   off > 64 * 1024))
		snprintf(buf, size, "0x%llx", (unsigned long long)addr);
	else
		symtab_format(&k->t, addr, buf, size);
	return buf;
}
