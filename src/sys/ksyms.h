/* ksyms.h — kernel symbolization: kernel text from /proc/kallsyms (read
 * once), BPF JIT functions with exact extents from the BPF syscall,
 * merged over time (lib/symtab.h) so a program seen loaded is still named
 * after it unloads, and an address no known program covers prints as
 * "[bpf] 0x..." — never as a neighbouring program's name. */
#ifndef SYS_KSYMS_H
#define SYS_KSYMS_H
#include <stddef.h>
#include <stdint.h>

struct ksyms;

/* Returns NULL after printing one sentence (unreadable, or addresses
 * hidden by kernel.kptr_restrict). */
struct ksyms *ksyms_load(void);
/* The address of a kernel text symbol by name, 0 if none (a linear scan). */
uint64_t ksyms_addr_of(const struct ksyms *k, const char *name);
void ksyms_free(struct ksyms *k);
/* Picks up BPF programs loaded since the last look, through the BPF
 * syscall only (no kallsyms read; programs already known are skipped).
 * Rate-limited: does nothing within KSYMS_BPF_REFRESH_MS of the last
 * refresh. Call it while something interesting runs (a stall), so that
 * short-lived programs are seen while they are loaded. Returns the number
 * of new functions, or -errno. */
#define KSYMS_BPF_REFRESH_MS 50
int ksyms_refresh_bpf(struct ksyms *k);
/* "name+0x1f", "[bpf] 0x..." or "0x..." into buf; returns buf. */
const char *ksyms_format(struct ksyms *k, uint64_t addr, char *buf, size_t size);
/* The same for a return address (a caller's frame): symtab_format_ret. */
const char *ksyms_format_ret(struct ksyms *k, uint64_t addr, char *buf, size_t size);

#endif
