/* symtab.h — a sorted address -> symbol table with binary search, filled
 * from kallsyms-format lines ("ffffffff81000000 T _text [mod]"). Pure:
 * no I/O; sys/ksyms.c feeds it /proc/kallsyms. */
#ifndef LIB_SYMTAB_H
#define LIB_SYMTAB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym {
	uint64_t addr;
	char *name;
};

struct symtab {
	struct sym *syms;
	size_t n, cap;
	bool sorted;
	uint64_t text_end; /* address of _etext when seen, else 0 */
};

void symtab_init(struct symtab *t);
void symtab_free(struct symtab *t);
int symtab_add(struct symtab *t, uint64_t addr, const char *name); /* 0 or -ENOMEM */
/* One kallsyms line. Keeps text symbols (t, T, w, W) with a non-zero
 * address, BPF JIT images ("bpf_prog_<tag>_<name> [bpf]") included.
 * Returns 1 kept, 0 skipped, -EINVAL malformed, -ENOMEM. */
int symtab_add_kallsyms_line(struct symtab *t, const char *line);
void symtab_sort(struct symtab *t); /* by address; duplicates keep the first name */
/* The symbol at or below addr (NULL if addr is below all); *off = addr - sym. */
const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t *off);
/* "name+0x1f" or, when unknown, "0xffffffff81234567". Returns buf. */
const char *symtab_format(const struct symtab *t, uint64_t addr, char *buf, size_t size);
/* True for the symbol of a JIT-compiled BPF program. */
bool sym_is_bpf_prog(const char *name);

#endif
