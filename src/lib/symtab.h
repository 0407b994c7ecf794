/* symtab.h — address -> symbol lookups for kernel stacks. Two tables:
 * kallsyms text symbols (sorted, no sizes: a kernel text symbol extends to
 * the next one, bounded by the end of its section), and BPF JIT functions
 * with exact extents (from the BPF syscall), merged over time so programs
 * that have since been unloaded keep their names. Pure: no I/O;
 * sys/ksyms.c feeds it /proc/kallsyms and the BPF syscall. */
#ifndef LIB_SYMTAB_H
#define LIB_SYMTAB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sym_kind {
	SYM_TEXT = 0, /* kernel text (_stext.._etext, init text) */
	SYM_BPF,      /* a BPF JIT image ("[bpf]" in kallsyms) */
	SYM_DYN,      /* other text outside the kernel image ([__builtin__ftrace]) */
	SYM_MOD,      /* a module's text: "func [mod]" in kallsyms */
};

struct sym {
	uint64_t addr;  /* start of the range this entry covers */
	uint64_t len;   /* exact length, 0: unknown */
	uint64_t off0;  /* offset of addr inside the function (a range trimmed at its head) */
	char *name;
	const char *mod; /* SYM_MOD: the module's name, in name's allocation; else NULL */
	enum sym_kind kind;
};

struct symtab {
	struct sym *syms;       /* kallsyms: sorted by addr, one name per address */
	size_t n, cap;
	bool sorted;
	uint64_t text_end;      /* _etext when seen, else 0 */
	uint64_t inittext_start, inittext_end; /* _sinittext/_einittext when seen */
	struct sym *ranges;     /* sized BPF functions: sorted, disjoint */
	size_t nr, rcap;
};

void symtab_init(struct symtab *t);
void symtab_free(struct symtab *t);
/* Frees only the kallsyms table (for a reload), keeping the BPF ranges. */
void symtab_free_text(struct symtab *t);
int symtab_add(struct symtab *t, uint64_t addr, const char *name); /* 0 or -ENOMEM; SYM_TEXT */
int symtab_add_kind(struct symtab *t, uint64_t addr, const char *name, enum sym_kind kind);
/* A module's text symbol: name and module in one allocation. */
int symtab_add_mod(struct symtab *t, uint64_t addr, const char *name, const char *mod);
/* One kallsyms line. Keeps text symbols (t, T, w, W) with a non-zero
 * address; "[bpf]" ones as SYM_BPF, "[__builtin__*]" ones as SYM_DYN,
 * other "[module]" ones as SYM_MOD with the module's name.
 * Returns 1 kept, 0 skipped, -EINVAL malformed, -ENOMEM. */
int symtab_add_kallsyms_line(struct symtab *t, const char *line);
void symtab_sort(struct symtab *t); /* by address; duplicates keep the first name */

/* Merges one BPF function [addr, addr + len) into the ranges: older
 * ranges it overlaps lose the overlap (the newer program owns those
 * addresses now); the rest of them keep their names. Returns 1 when the
 * table changed, 0 when the same range was already known under that
 * name, -EINVAL for len 0, -ENOMEM. */
int symtab_add_range(struct symtab *t, uint64_t addr, uint64_t len, const char *name);

/* The symbol whose known extent holds addr, or NULL (*off then
 * undefined). BPF ranges first; then kallsyms, where a BPF symbol without
 * a range is NULL (its size is unknown: never guessed from a neighbour),
 * a text symbol does not reach past _etext / _einittext, other
 * dynamic text (ftrace trampolines) reaches at most one page, and a
 * module's symbol at most SYM_MOD_MAX bytes.
 * *off = offset inside the function. */
const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t *off);
/* True when addr is outside the kernel image and nearest a BPF symbol
 * (a JIT address no known program covers). */
bool symtab_near_bpf(const struct symtab *t, uint64_t addr);
/* "name+0x1f", "name+0x1f [mod]" in a module; unknown: "[bpf] 0xffffffffc0012345" near BPF images, else
 * "0xffffffff81234567". Returns buf. */
const char *symtab_format(const struct symtab *t, uint64_t addr, char *buf, size_t size);
/* The same for a return address (a caller's frame in a stack): named by
 * its call instruction, addr - 1, so that a call that never returns,
 * ending its function, is not named after the next one. */
const char *symtab_format_ret(const struct symtab *t, uint64_t addr, char *buf, size_t size);
/* True for the symbol of a JIT-compiled BPF program. */
bool sym_is_bpf_prog(const char *name);
/* A kernel stack taken inside a hardirq (the sampler on the scheduler
 * tick), as formatted frames, leaf first, stride bytes apart: how many
 * leading frames are the interrupt's own, up to and including its entry
 * stub (x86 "asm_sysvec_*" and "asm_common_interrupt", arm64
 * "el1h_64_irq"), so that the next frame is the interrupted code. 0 when
 * there is no entry stub (the stack is not an interrupt's). */
unsigned stack_irq_frames(const char *frames, size_t stride, unsigned n);

#endif
