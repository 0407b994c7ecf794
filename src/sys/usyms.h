/* usyms.h — user-space symbolization for sampled stacks: a process's
 * executable mappings from /proc/PID/maps (read while it runs: after it
 * exits they are gone), and each mapped file's function symbols from its
 * ELF .symtab, else .dynsym (libelf), read once per file. */
#ifndef SYS_USYMS_H
#define SYS_USYMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct usyms;

struct usyms *usyms_new(void);
void usyms_free(struct usyms *u);
/* Reads tgid's mappings if not known yet, or again when refresh (a
 * process still running may have mapped more since). A process that has
 * exited keeps what was read. Returns 0 or -errno (gone, never read). */
int usyms_snapshot(struct usyms *u, uint32_t tgid, bool refresh);
/* "func+0x12"; in a file without the symbol: "[libc.so.6]+0x2a1c0" (the
 * file offset); outside any known mapping: "0x7f12345678". ret: addr is
 * a return address (a caller's frame), named by its call instruction
 * (addr - 1) as symtab_format_ret does. Returns buf. */
const char *usyms_format(struct usyms *u, uint32_t tgid, uint64_t addr, bool ret, char *buf,
			 size_t size);

#endif
