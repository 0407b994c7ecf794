/* usyms.c — /proc/PID/maps snapshots per process and ELF symbol tables
 * per file (libelf), for user frames (see usyms.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/usym.h"
#include "sys/usyms.h"

#define MAPS_MAX_BYTES (16u << 20)

/* One file's symbols, shared by every process mapping it. */
struct ufile {
	dev_t dev;
	ino_t ino;
	bool ok;              /* an ELF file was read (maybe without symbols) */
	struct usymtab t;
};

struct uproc {
	uint32_t tgid;
	struct pmaps maps;
	struct ufile **files; /* [maps.n]: resolved on first use, NULL: not yet */
	bool *tried;          /* [maps.n] */
};

struct usyms {
	struct uproc *p;      /* ascending by tgid */
	size_t n, cap;
	struct ufile **f;
	size_t nf, fcap;
};

struct usyms *usyms_new(void)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	return calloc(1, sizeof(struct usyms));
}

static void uproc_clear(struct uproc *p)
{
	pmaps_free(&p->maps);
	free(p->files);
	free(p->tried);
	p->files = NULL;
	p->tried = NULL;
}

void usyms_free(struct usyms *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		uproc_clear(&u->p[i]);
	for (size_t i = 0; i < u->nf; i++) {
		usymtab_free(&u->f[i]->t);
		free(u->f[i]);
	}
	free(u->p);
	free(u->f);
	free(u);
}

static struct uproc *find_proc(struct usyms *u, uint32_t tgid, size_t *at)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (u->p[mid].tgid == tgid)
			return &u->p[mid];
		if (u->p[mid].tgid < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return NULL;
}

/* The whole of /proc/TGID/maps as one string; NULL with errno set. */
static char *read_maps(uint32_t tgid)
{
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/maps", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *b = cap < MAPS_MAX_BYTES ? realloc(buf, cap ? 2 * cap : 16384) : NULL;
			if (!b)
				break; /* enough: the first 16 MiB of mappings */
			buf = b;
			cap = cap ? 2 * cap : 16384;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	if (buf && !len) {
		/* an exited process (a zombie) lists nothing */
		free(buf);
		errno = ESRCH;
		return NULL;
	}
	return buf;
}

static int insert_proc(struct usyms *u, size_t at, struct uproc *np)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 64;
		struct uproc *a = realloc(u->p, cap * sizeof(*a));
		if (!a) {
			uproc_clear(np);
			return -ENOMEM;
		}
		u->p = a;
		u->cap = cap;
	}
	memmove(&u->p[at + 1], &u->p[at], (u->n - at) * sizeof(*u->p));
	u->p[at] = *np;
	u->n++;
	return 0;
}

int usyms_snapshot(struct usyms *u, uint32_t tgid, bool refresh)
{
	struct uproc np = { .tgid = tgid }, *p;
	size_t at = 0;
	char *text;
	int rc = 0;

	p = find_proc(u, tgid, &at);
	if (p && !refresh)
		return 0;
	text = read_maps(tgid);
	if (!text)
		rc = -errno;
	else if (pmaps_parse(&np.maps, text) < 0)
		rc = -ENOMEM;
	free(text);
	if (rc < 0 && p)
		return rc; /* gone since: keep what was read */
	np.files = calloc(np.maps.n + 1, sizeof(*np.files));
	np.tried = calloc(np.maps.n + 1, sizeof(*np.tried));
	if (!np.files || !np.tried) {
		uproc_clear(&np);
		return -ENOMEM;
	}
	if (p) {
		uproc_clear(p);
		*p = np;
		return 0;
	}
	/* a process never read is remembered empty, so it is not tried again */
	if (insert_proc(u, at, &np) < 0)
		return -ENOMEM;
	return rc;
}

/* Segments and function symbols (.symtab first, then .dynsym) of an ELF
 * file; a file that is not ELF leaves t empty. */
static void read_elf(int fd, struct usymtab *t)
{
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t nph = 0;

	if (!e)
		return;
	if (elf_getphdrnum(e, &nph) == 0)
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
				usymtab_add_seg(t, ph.p_offset, ph.p_vaddr, ph.p_filesz);
		}
	for (int pass = 0; pass < 2; pass++) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB) ||
			    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
				continue;
			for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				const char *name;
				int type;
				if (!gelf_getsym(d, (int)i, &s))
					break;
				type = GELF_ST_TYPE(s.st_info);
				if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !s.st_value ||
				    s.st_shndx == SHN_UNDEF)
					continue;
				name = elf_strptr(e, sh.sh_link, s.st_name);
				if (name && name[0] && usymtab_add(t, s.st_value, s.st_size, name) < 0)
					break;
			}
		}
	}
	elf_end(e);
	usymtab_sort(t);
}

/* The file behind mapping m of process tgid: through the process's own
 * root while it runs (containers), else by its path. */
static struct ufile *get_file(struct usyms *u, uint32_t tgid, const struct pmap *m)
{
	char path[4200];
	struct stat st;
	struct ufile *f;
	int fd;

	if (m->path[0] != '/')
		return NULL;
	snprintf(path, sizeof(path), "/proc/%u/root%s", tgid, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < u->nf; i++)
		if (u->f[i]->dev == st.st_dev && u->f[i]->ino == st.st_ino) {
			close(fd);
			return u->f[i];
		}
	if (u->nf == u->fcap) {
		size_t cap = u->fcap ? 2 * u->fcap : 32;
		struct ufile **a = realloc(u->f, cap * sizeof(*a));
		if (!a) {
			close(fd);
			return NULL;
		}
		u->f = a;
		u->fcap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		close(fd);
		return NULL;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	read_elf(fd, &f->t);
	f->ok = true;
	close(fd);
	u->f[u->nf++] = f;
	return f;
}

const char *usyms_format(struct usyms *u, uint32_t tgid, uint64_t addr, bool ret, char *buf,
			 size_t size)
{
	struct uproc *p = find_proc(u, tgid, NULL);
	uint64_t at = ret && addr ? addr - 1 : addr;
	const struct pmap *m = p ? pmaps_find(&p->maps, at) : NULL;
	const struct usym *s = NULL;
	uint64_t foff, vaddr, off = 0;

	if (!m) {
		snprintf(buf, size, "0x%" PRIx64, addr);
		return buf;
	}
	size_t i = (size_t)(m - p->maps.m);
	if (!p->tried[i]) {
		p->tried[i] = true;
		p->files[i] = get_file(u, tgid, m);
	}
	foff = addr - m->start + m->pgoff;
	if (p->files[i] && usymtab_vaddr(&p->files[i]->t, foff - (addr - at), &vaddr) == 0)
		s = usymtab_lookup(&p->files[i]->t, vaddr, &off);
	off += addr - at;
	if (s)
		snprintf(buf, size, "%s+0x%" PRIx64, s->name, off);
	else
		snprintf(buf, size, pmap_name(m)[0] == '[' ? "%s+0x%" PRIx64 : "[%s]+0x%" PRIx64,
			 pmap_name(m), foff);
	return buf;
}
