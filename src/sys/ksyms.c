/* ksyms.c — /proc/kallsyms for kernel text, the BPF syscall for JIT
 * extents (bpf_prog_get_next_id -> get_fd_by_id -> get_info: jited_ksyms,
 * jited_func_lens, prog_tags, func_info names), merged into lib/symtab. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "lib/symtab.h"
#include "sys/ksyms.h"
#include "sys/log.h"
#include "sys/loop.h"

#define KSYMS_RELOAD_MIN_NS (2000 * 1000000ULL)
#define KSYMS_BPF_MIN_NS ((uint64_t)KSYMS_BPF_REFRESH_MS * 1000000ULL)
#define KSYMS_MAX_PROGS 65536

struct ksyms {
	struct symtab t;
	uint64_t loaded_ns;        /* last kallsyms read */
	uint64_t bpf_ns;           /* last BPF refresh */
	bool bpf_denied;           /* the syscall said no: BPF frames stay "[bpf] 0x..." */
	uint32_t *ids;             /* programs loaded at the last refresh, ascending */
	size_t nids;
};

static int read_kallsyms(struct symtab *t)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512];
	int rc = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		rc = symtab_add_kallsyms_line(t, line);
		if (rc == -ENOMEM)
			break;
		rc = 0;
	}
	fclose(f);
	if (rc < 0) {
		symtab_free_text(t);
		return rc;
	}
	symtab_sort(t);
	return 0;
}

static bool id_known(const struct ksyms *k, uint32_t id)
{
	size_t lo = 0, hi = k->nids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->ids[mid] == id)
			return true;
		if (k->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The kallsyms name of function f: bpf_prog_<tag>_<name>, the name from
 * BTF func_info when the program has it (as the kernel does), else the
 * program's (possibly truncated) name. */
static void func_name(char *out, size_t size, const unsigned char *tag, const struct btf *btf,
		      const void *fi, uint32_t nfi, uint32_t fisz, uint32_t f, const char *pname)
{
	char hex[2 * BPF_TAG_SIZE + 1];
	const char *name = pname;

	for (int i = 0; i < BPF_TAG_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", tag[i]);
	if (btf && f < nfi) {
		const struct bpf_func_info *rec = (const void *)((const char *)fi + (size_t)f * fisz);
		const struct btf_type *t = btf__type_by_id(btf, rec->type_id);
		const char *n = t ? btf__name_by_offset(btf, t->name_off) : NULL;
		if (n && n[0])
			name = n;
	}
	if (name && name[0])
		snprintf(out, size, "bpf_prog_%s_%s", hex, name);
	else
		snprintf(out, size, "bpf_prog_%s", hex);
}

/* Adds the JIT functions of one program. Returns functions added or -errno. */
static int add_prog(struct ksyms *k, int fd)
{
	struct bpf_prog_info info = {}, full = {};
	__u32 len = sizeof(info);
	__u64 *addrs = NULL;
	__u32 *lens = NULL;
	unsigned char *tags = NULL;
	void *fi = NULL;
	struct btf *btf = NULL;
	int added = 0, rc = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (!info.nr_jited_ksyms || info.nr_jited_func_lens != info.nr_jited_ksyms)
		return 0; /* not JIT-compiled, or an older kernel: nothing exact to add */
	uint32_t nf = info.nr_jited_ksyms, nt = info.nr_prog_tags, nfi = info.nr_func_info;
	uint32_t fisz = info.func_info_rec_size;
	if (fisz < sizeof(struct bpf_func_info))
		nfi = 0;
	addrs = calloc(nf, sizeof(*addrs));
	lens = calloc(nf, sizeof(*lens));
	tags = calloc(nt ? nt : 1, BPF_TAG_SIZE);
	fi = nfi ? calloc(nfi, fisz) : NULL;
	if (!addrs || !lens || !tags || (nfi && !fi)) {
		rc = -ENOMEM;
		goto out;
	}
	full.nr_jited_ksyms = nf;
	full.jited_ksyms = (__u64)(unsigned long)addrs;
	full.nr_jited_func_lens = nf;
	full.jited_func_lens = (__u64)(unsigned long)lens;
	full.nr_prog_tags = nt;
	full.prog_tags = (__u64)(unsigned long)tags;
	full.nr_func_info = nfi;
	full.func_info_rec_size = fisz;
	full.func_info = (__u64)(unsigned long)fi;
	len = sizeof(full);
	if (bpf_obj_get_info_by_fd(fd, &full, &len)) {
		rc = -errno;
		goto out;
	}
	/* the program may have been replaced between the two calls */
	if (full.nr_jited_ksyms < nf)
		nf = full.nr_jited_ksyms;
	if (nfi && info.btf_id)
		btf = btf__load_from_kernel_by_id(info.btf_id);
	if (btf && libbpf_get_error(btf))
		btf = NULL;
	for (uint32_t f = 0; f < nf; f++) {
		char name[256];
		/* kallsyms names the main function with the whole program's
		 * tag, each subprogram with its own */
		const unsigned char *tag = f && f < nt ? tags + (size_t)f * BPF_TAG_SIZE : info.tag;
		if (!addrs[f] || !lens[f])
			continue;
		func_name(name, sizeof(name), tag, btf, fi, btf ? nfi : 0, fisz, f, info.name);
		rc = symtab_add_range(&k->t, addrs[f], lens[f], name);
		if (rc < 0)
			goto out;
		added += rc;
	}
	rc = added;
out:
	btf__free(btf);
	free(fi);
	free(tags);
	free(lens);
	free(addrs);
	return rc;
}

static int refresh_bpf(struct ksyms *k)
{
	uint32_t id = 0, *ids = NULL;
	size_t n = 0, cap = 0;
	int added = 0;

	k->bpf_ns = now_ns();
	if (k->bpf_denied)
		return 0;
	while (n < KSYMS_MAX_PROGS) {
		if (bpf_prog_get_next_id(id, &id)) {
			if (errno == EPERM || errno == EACCES) {
				k->bpf_denied = true;
				free(ids);
				return -EPERM;
			}
			break; /* ENOENT: the end */
		}
		if (n == cap) {
			size_t c = cap ? 2 * cap : 64;
			uint32_t *p = realloc(ids, c * sizeof(*p));
			if (!p)
				break;
			ids = p;
			cap = c;
		}
		ids[n++] = id;
		if (id_known(k, id))
			continue;
		int fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue; /* unloaded meanwhile */
		int rc = add_prog(k, fd);
		close(fd);
		if (rc > 0)
			added += rc;
	}
	free(k->ids);
	k->ids = ids;
	k->nids = n;
	return added;
}

int ksyms_refresh_bpf(struct ksyms *k)
{
	if (!k || now_ns() - k->bpf_ns < KSYMS_BPF_MIN_NS)
		return 0;
	return refresh_bpf(k);
}

struct ksyms *ksyms_load(void)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	int rc;

	if (!k)
		return NULL;
	symtab_init(&k->t);
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
	refresh_bpf(k);
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	symtab_free(&k->t);
	free(k->ids);
	free(k);
}

/* Makes sure addr is known if it can be: BPF programs and modules loaded
 * since the last look are read again (rate-limited). */
static void resolve(struct ksyms *k, uint64_t addr)
{
	uint64_t off;
	const struct sym *s = symtab_lookup(&k->t, addr, &off);

	if (!s && symtab_near_bpf(&k->t, addr)) {
		/* a program loaded since the last look may still be there */
		ksyms_refresh_bpf(k);
	} else if (!s && now_ns() - k->loaded_ns > KSYMS_RELOAD_MIN_NS) {
		/* text outside the image we have not seen (a module loaded since) */
		symtab_free_text(&k->t);
		if (read_kallsyms(&k->t) < 0)
			symtab_free_text(&k->t);
		k->loaded_ns = now_ns();
	}
}

const char *ksyms_format(struct ksyms *k, uint64_t addr, char *buf, size_t size)
{
	resolve(k, addr);
	return symtab_format(&k->t, addr, buf, size);
}

const char *ksyms_format_ret(struct ksyms *k, uint64_t addr, char *buf, size_t size)
{
	resolve(k, addr ? addr - 1 : addr);
	return symtab_format_ret(&k->t, addr, buf, size);
}

uint64_t ksyms_addr_of(const struct ksyms *k, const char *name)
{
	for (size_t i = 0; k && i < k->t.n; i++)
		if (k->t.syms[i].kind == SYM_TEXT && !strcmp(k->t.syms[i].name, name))
			return k->t.syms[i].addr;
	return 0;
}
