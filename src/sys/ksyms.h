/* ksyms.h — kernel symbolization from /proc/kallsyms: loaded once, sorted,
 * binary search (lib/symtab.h). BPF JIT images (bpf_prog_<tag>_<name>)
 * are included; programs loaded after the first read are picked up by a
 * rate-limited reload when an address falls outside the kernel's text. */
#ifndef SYS_KSYMS_H
#define SYS_KSYMS_H
#include <stddef.h>
#include <stdint.h>

struct ksyms;

/* Returns NULL after printing one sentence (unreadable, or addresses
 * hidden by kernel.kptr_restrict). */
struct ksyms *ksyms_load(void);
void ksyms_free(struct ksyms *k);
/* "name+0x1f" (or "0x..." when unknown) into buf; returns buf. */
const char *ksyms_format(struct ksyms *k, uint64_t addr, char *buf, size_t size);

#endif
