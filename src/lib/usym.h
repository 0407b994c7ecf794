/* usym.h — user-space address -> (file, function): the executable
 * mappings of a process from /proc/PID/maps text, and a file's function
 * symbols and loadable segments as read from its ELF headers. Pure: fed
 * with strings and numbers; src/sys/usyms.c reads /proc and the files. */
#ifndef LIB_USYM_H
#define LIB_USYM_H
#include <stddef.h>
#include <stdint.h>

/* One executable mapping: [start, end) maps file offset pgoff onwards. */
struct pmap {
	uint64_t start, end, pgoff;
	char *path; /* "" for an anonymous mapping (JIT code); " (deleted)" kept */
};

struct pmaps {
	struct pmap *m; /* ascending by start, disjoint (as the kernel lists them) */
	size_t n, cap;
};

/* One /proc/PID/maps line. Keeps executable mappings only. Returns 1
 * kept, 0 skipped (not executable), -EINVAL malformed, -ENOMEM. */
int pmaps_add_line(struct pmaps *p, const char *line);
/* A whole maps file; a malformed line is skipped. Returns mappings kept
 * or -ENOMEM. */
int pmaps_parse(struct pmaps *p, const char *text);
const struct pmap *pmaps_find(const struct pmaps *p, uint64_t addr);
void pmaps_free(struct pmaps *p);
/* The last path component ("libc.so.6"), "[anon]" when there is none. */
const char *pmap_name(const struct pmap *m);

struct usym {
	uint64_t addr, size; /* ELF st_value / st_size (virtual addresses) */
	char *name;
	size_t seq;          /* order of addition */
};

/* A PT_LOAD segment: file bytes [off, off + filesz) at vaddr. */
struct useg {
	uint64_t off, vaddr, filesz;
};

#define USYM_MAX_SEGS 16

struct usymtab {
	struct usym *s;
	size_t n, cap;
	struct useg seg[USYM_MAX_SEGS];
	unsigned nseg;
};

int usymtab_add(struct usymtab *t, uint64_t addr, uint64_t size, const char *name); /* 0, -ENOMEM */
int usymtab_add_seg(struct usymtab *t, uint64_t off, uint64_t vaddr, uint64_t filesz); /* 0, -ENOSPC */
/* By address; one name per address (the first added: .symtab before .dynsym). */
void usymtab_sort(struct usymtab *t);
/* The virtual address of file offset off (through the segment holding it;
 * a file without segments: off itself). Returns 0 or -ENOENT. */
int usymtab_vaddr(const struct usymtab *t, uint64_t off, uint64_t *vaddr);
/* The function holding vaddr: inside [addr, addr + size), or for a symbol
 * of size 0 below the next symbol and within 4 KiB. NULL when none;
 * *off: the offset inside it. */
const struct usym *usymtab_lookup(const struct usymtab *t, uint64_t vaddr, uint64_t *off);
void usymtab_free(struct usymtab *t);

#endif
