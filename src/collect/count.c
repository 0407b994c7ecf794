/* collect/count.c — load/attach/read for the count collector (see
 * count.h). Hides the skeleton; prints only on load failures. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "collect/count.h"
#include "count.skel.h"
#include "sys/log.h"

struct count_collector {
	struct count_bpf *skel;
	/* the raw sys_enter/sys_exit links counting syscalls: events */
	struct bpf_link *sys_link[2];
	bool sys_ok;                 /* their programs loaded */
	bool *sys_ev;                /* per event: counted by them */
	struct bpf_link **links;     /* per event: tracepoint, kprobe or fentry link */
	struct bpf_link *multi;      /* the kprobe_multi link of every k: event */
	/* one instance per f: event, and per t: event without cookies */
	struct count_bpf *inst[COUNT_MAX_FENTRY + COUNT_MAX_TP_INSTANCES];
	unsigned nfentry, ninst;
	unsigned nevents;
	uint32_t tgid;
	bool tp_by_instance;         /* no attach cookies (< 5.15): an instance per tracepoint */
	bool cpus_set;
	struct cpuset cpus;
	int ncpus;
	int map_fd;
};

/* Syscalls are counted through the raw sys_enter/sys_exit tracepoints
 * where the syscall number is read the way ftrace reads it (x86_64). */
#ifdef __x86_64__
#define SYSCALL_RAW 1
#else
#define SYSCALL_RAW 0
#endif

struct sysnr {
	const char *name;
	int nr;
};

/* This architecture's syscalls by the names of their syscalls: events:
 * the build's kernel headers, then the event names that differ from the
 * header's (the entry point's name: newuname for uname) and syscalls newer
 * than the headers, numbers from arch/x86/entry/syscalls/syscall_64.tbl. */
static const struct sysnr sysnr_headers[] = {
#include "syscall_nr.h"
};
static const struct sysnr sysnr_more[] = {
#ifdef __x86_64__
	{ "newstat", 4 }, { "newfstat", 5 }, { "newlstat", 6 }, { "sendfile64", 40 },
	{ "newuname", 63 }, { "umount", 166 },
	{ "cachestat", 451 }, { "fchmodat2", 452 }, { "map_shadow_stack", 453 },
	{ "futex_wake", 454 }, { "futex_wait", 455 }, { "futex_requeue", 456 },
	{ "statmount", 457 }, { "listmount", 458 }, { "lsm_get_self_attr", 459 },
	{ "lsm_set_self_attr", 460 }, { "lsm_list_modules", 461 }, { "mseal", 462 },
	{ "setxattrat", 463 }, { "getxattrat", 464 }, { "listxattrat", 465 },
	{ "removexattrat", 466 }, { "open_tree_attr", 467 }, { "file_getattr", 468 },
	{ "file_setattr", 469 },
#endif
	{ NULL, -1 },
};

/* The number of the syscall whose events are sys_enter_NAME, or -1. */
static int syscall_nr(const char *name)
{
	for (size_t k = 0; k < sizeof(sysnr_headers) / sizeof(sysnr_headers[0]); k++)
		if (!strcmp(sysnr_headers[k].name, name))
			return sysnr_headers[k].nr;
	for (size_t k = 0; sysnr_more[k].name; k++)
		if (!strcmp(sysnr_more[k].name, name))
			return sysnr_more[k].nr;
	return -1;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

int count_kprobe_multi_probe(void)
{
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_KPROBE_MULTI);
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	const char *sym = "vfs_read";
	int prog, link, e = 0;

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "ks_probe_kmulti", "GPL", ret0,
			     sizeof(ret0) / sizeof(ret0[0]), &po);
	if (prog < 0)
		return -errno;
	lo.kprobe_multi.syms = &sym;
	lo.kprobe_multi.cnt = 1;
	link = bpf_link_create(prog, 0, BPF_TRACE_KPROBE_MULTI, &lo);
	if (link < 0)
		e = -errno;
	else
		close(link);
	close(prog);
	return e;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int count_btf_funcs_mark(const char *const *names, size_t n, bool *has_btf)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const char **fn;
	size_t nf = 0;
	__u32 cnt;

	if (!btf)
		return errno ? -errno : -ENOENT;
	cnt = btf__type_cnt(btf);
	fn = malloc(cnt * sizeof(*fn));
	if (!fn) {
		btf__free(btf);
		return -ENOMEM;
	}
	for (__u32 id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (btf_is_func(t))
			fn[nf++] = btf__name_by_offset(btf, t->name_off);
	}
	/* one sort, then a binary search per name: names can be 60000 */
	qsort(fn, nf, sizeof(*fn), cmp_strp);
	for (size_t k = 0; k < n; k++)
		has_btf[k] = bsearch(&names[k], fn, nf, sizeof(*fn), cmp_strp) != NULL;
	free(fn);
	btf__free(btf);
	return 0;
}

/* The filters every instance shares (the main object and each fentry one). */
static void set_filters(struct count_bpf *s, const struct count_collector *c)
{
	s->rodata->filter_tgid = c->tgid;
	if (c->cpus_set) {
		s->rodata->filter_cpus = 1;
		for (int w = 0; w < COUNT_CPU_WORDS; w++)
			s->rodata->cpu_mask[w] = c->cpus.bits[w];
	}
}

/* Loads the main object, with the raw syscall programs when tracepoints
 * are counted; a kernel that refuses those gets the perf tracepoints. */
static int load_main(struct count_collector *c, const struct count_params *p)
{
	bool sys = p->tracepoints && SYSCALL_RAW;
	int e;

	bpf_program__set_autoload(c->skel->progs.ks_count_sysenter, sys);
	bpf_program__set_autoload(c->skel->progs.ks_count_sysexit, sys);
	e = count_bpf__load(c->skel);
	if (!e || !sys) {
		c->sys_ok = sys && !e;
		return e;
	}
	dbg("count: the raw syscall programs were refused (%s); syscalls by perf tracepoints",
	    strerror(-e));
	count_bpf__destroy(c->skel);
	if (!(c->skel = count_bpf__open()))
		return -errno;
	set_filters(c->skel, c);
	bpf_map__set_max_entries(c->skel->maps.counts, c->nevents);
	c->skel->rodata->tp_by_instance = c->tp_by_instance;
	bpf_program__set_autoload(c->skel->progs.ks_count, true);
	bpf_program__set_autoload(c->skel->progs.ks_count_kmulti, p->kprobe_multi);
	bpf_program__set_autoload(c->skel->progs.ks_count_kprobe, p->kprobe_single);
	bpf_program__set_autoload(c->skel->progs.ks_count_fentry, false);
	bpf_program__set_autoload(c->skel->progs.ks_count_sysenter, false);
	bpf_program__set_autoload(c->skel->progs.ks_count_sysexit, false);
	return count_bpf__load(c->skel);
}

int count_collector_open(struct count_collector **out, const struct count_params *p)
{
	struct count_collector *c;
	int e;

	*out = NULL;
	if (!p->nevents || p->nevents > COUNT_MAX_EVENTS)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->nevents = p->nevents;
	c->tgid = p->tgid;
	if (p->cpus) {
		c->cpus_set = true;
		c->cpus = *p->cpus;
	}
	c->links = calloc(p->nevents, sizeof(*c->links));
	c->sys_ev = calloc(p->nevents, sizeof(*c->sys_ev));
	c->ncpus = libbpf_num_possible_cpus();
	if (!c->links || !c->sys_ev || c->ncpus <= 0) {
		e = c->ncpus < 0 ? c->ncpus : -ENOMEM;
		goto fail;
	}
	c->skel = count_bpf__open();
	if (!c->skel) {
		e = -errno;
		err("cannot open the count BPF object: %s", strerror(-e));
		goto fail;
	}
	set_filters(c->skel, c);
	bpf_map__set_max_entries(c->skel->maps.counts, p->nevents);
	c->tp_by_instance = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
						    BPF_FUNC_get_attach_cookie, NULL) != 1;
	c->skel->rodata->tp_by_instance = c->tp_by_instance;
	/* Only what this run attaches: kprobe.multi does not load before
	 * 5.18; fentry programs load per function (attach_fentry). */
	bpf_program__set_autoload(c->skel->progs.ks_count, p->tracepoints);
	bpf_program__set_autoload(c->skel->progs.ks_count_kmulti, p->kprobe_multi);
	bpf_program__set_autoload(c->skel->progs.ks_count_kprobe, p->kprobe_single);
	bpf_program__set_autoload(c->skel->progs.ks_count_fentry, false);
	e = load_main(c, p);
	if (e) {
		err("the kernel refused the count BPF program (%s); 'ksleuth -v count ...' shows the "
		    "verifier's log", strerror(-e));
		goto fail;
	}
	c->map_fd = bpf_map__fd(c->skel->maps.counts);
	*out = c;
	return 0;
fail:
	count_collector_free(c);
	return e;
}

/* A new instance of the object counting event idx into the main
 * object's array, only prog loaded; NULL with errno set. */
static struct count_bpf *open_instance(struct count_collector *c, unsigned idx,
				       struct bpf_program *(*prog)(struct count_bpf *), const char *func)
{
	struct count_bpf *s = count_bpf__open();
	struct bpf_program *p;
	int e;

	if (!s)
		return NULL;
	set_filters(s, c);
	s->rodata->inst_idx = idx;
	s->rodata->tp_by_instance = true;
	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, p == prog(s));
	e = bpf_map__reuse_fd(s->maps.counts, c->map_fd);
	if (!e && func)
		e = bpf_program__set_attach_target(prog(s), 0, func);
	if (!e)
		e = count_bpf__load(s);
	if (e) {
		count_bpf__destroy(s);
		errno = -e;
		return NULL;
	}
	return s;
}

static struct bpf_program *tp_prog(struct count_bpf *s) { return s->progs.ks_count; }
static struct bpf_program *fentry_prog(struct count_bpf *s) { return s->progs.ks_count_fentry; }

static int attach_tp_instance(struct count_collector *c, unsigned idx, const char *category,
			      const char *name)
{
	struct count_bpf *s;
	struct bpf_link *l;

	if (c->ninst - c->nfentry >= COUNT_MAX_TP_INSTANCES)
		return -E2BIG;
	s = open_instance(c, idx, tp_prog, NULL);
	if (!s)
		return errno ? -errno : -EINVAL;
	l = bpf_program__attach_tracepoint(s->progs.ks_count, category, name);
	if (!l) {
		int e = errno ? -errno : -EINVAL;
		count_bpf__destroy(s);
		return e;
	}
	c->inst[c->ninst++] = s;
	c->links[idx] = l;
	return 0;
}

/* syscalls:sys_enter_NAME / sys_exit_NAME as event idx through the raw
 * tracepoint: 0 done, 1 not a syscall this path knows (use a perf
 * tracepoint), -errno. */
static int attach_syscall(struct count_collector *c, unsigned idx, const char *category,
			  const char *name)
{
	bool exit = !strncmp(name, "sys_exit_", 9);
	struct bpf_program *prog;
	int nr, fd;
	__u32 key, val = idx + 1;

	if (!c->sys_ok || strcmp(category, "syscalls") ||
	    (!exit && strncmp(name, "sys_enter_", 10)) ||
	    (nr = syscall_nr(name + (exit ? 9 : 10))) < 0 || nr >= COUNT_MAX_SYSCALLS)
		return 1;
	key = (__u32)nr;
	prog = exit ? c->skel->progs.ks_count_sysexit : c->skel->progs.ks_count_sysenter;
	fd = bpf_map__fd(exit ? c->skel->maps.sys_exit_idx : c->skel->maps.sys_enter_idx);
	if (bpf_map_update_elem(fd, &key, &val, BPF_ANY) < 0)
		return -errno;
	if (!c->sys_link[exit] &&
	    !(c->sys_link[exit] = bpf_program__attach_raw_tracepoint(prog, exit ? "sys_exit" :
								      "sys_enter"))) {
		int e = errno ? -errno : -EINVAL;
		val = 0;
		bpf_map_update_elem(fd, &key, &val, BPF_ANY);
		return e;
	}
	return 0;
}

int count_collector_attach(struct count_collector *c, unsigned idx, const char *category,
			   const char *name)
{
	LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = idx);
	struct bpf_link *l;
	int e;

	if (idx >= c->nevents || c->links[idx] || c->sys_ev[idx])
		return -EINVAL;
	e = attach_syscall(c, idx, category, name);
	if (!e) {
		c->sys_ev[idx] = true;
		return 0;
	}
	if (e < 0) {
		dbg("count: the raw syscall tracepoints refused a link (%s); syscalls by perf "
		    "tracepoints", strerror(-e));
		c->sys_ok = false;
	}
	if (c->tp_by_instance)
		return attach_tp_instance(c, idx, category, name);
	l = bpf_program__attach_tracepoint_opts(c->skel->progs.ks_count, category, name, &opts);
	if (!l)
		return -errno;
	c->links[idx] = l;
	return 0;
}

/* One link for every function, the cookies in the same order. */
static int attach_multi(struct count_collector *c, const unsigned *idx, const char *const *funcs,
			unsigned n)
{
	LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = (const char **)funcs, .cnt = n);
	__u64 *cookies = calloc(n, sizeof(*cookies));
	int e = 0;

	if (!cookies)
		return -ENOMEM;
	for (unsigned k = 0; k < n; k++)
		cookies[k] = idx[k];
	o.cookies = cookies;
	c->multi = bpf_program__attach_kprobe_multi_opts(c->skel->progs.ks_count_kmulti, NULL, &o);
	if (!c->multi)
		e = errno ? -errno : -EINVAL;
	free(cookies);
	return e;
}

int count_collector_attach_kprobes(struct count_collector *c, const unsigned *idx,
				   const char *const *funcs, unsigned n, int *errs, int *multi_err)
{
	unsigned refused = 0;

	*multi_err = 0;
	for (unsigned k = 0; k < n; k++)
		if (idx[k] >= c->nevents || c->links[idx[k]])
			return -EINVAL;
	if (c->multi)
		return -EINVAL;
	if (bpf_program__fd(c->skel->progs.ks_count_kmulti) >= 0) {
		*multi_err = attach_multi(c, idx, funcs, n);
		if (!*multi_err)
			return 0;
		dbg("count: the kprobe_multi link was refused (%s); one kprobe per function",
		    strerror(-*multi_err));
	}
	if (bpf_program__fd(c->skel->progs.ks_count_kprobe) < 0)
		return *multi_err ? *multi_err : -EOPNOTSUPP;
	for (unsigned k = 0; k < n; k++) {
		LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = idx[k]);
		struct bpf_link *l = bpf_program__attach_kprobe_opts(c->skel->progs.ks_count_kprobe,
								     funcs[k], &o);
		errs[k] = l ? 0 : errno ? -errno : -EINVAL;
		c->links[idx[k]] = l;
		refused += !l;
	}
	return (int)refused;
}

int count_collector_attach_fentry(struct count_collector *c, unsigned idx, const char *func)
{
	struct count_bpf *s;
	struct bpf_link *l;

	if (idx >= c->nevents || c->links[idx] || c->nfentry >= COUNT_MAX_FENTRY)
		return -EINVAL;
	s = open_instance(c, idx, fentry_prog, func);
	if (!s)
		return errno ? -errno : -EINVAL;
	if (!(l = bpf_program__attach_trace(s->progs.ks_count_fentry))) {
		int e = errno ? -errno : -EINVAL;
		count_bpf__destroy(s);
		return e;
	}
	c->inst[c->ninst++] = s;
	c->nfentry++;
	c->links[idx] = l;
	return 0;
}

int count_collector_ncpus(const struct count_collector *c)
{
	return c->ncpus;
}

int count_collector_read(struct count_collector *c, unsigned idx, uint64_t *per_cpu)
{
	__u32 key = idx;
	if (bpf_map_lookup_elem(c->map_fd, &key, per_cpu) < 0)
		return -errno;
	return 0;
}

/* Closing a perf event's tracepoint or kprobe waits for an RCU grace
 * period in the kernel (tracepoint_synchronize_unregister, ~45 ms here).
 * Kprobe closes from several threads share grace periods; tracepoint
 * closes wait one after another under the kernel's event_mutex whatever
 * we do, which is why syscalls, the one category with hundreds of
 * events, go through two raw tracepoint links (no such wait) instead. */
#define DETACH_THREADS 32

struct detach_job {
	struct count_collector *c;
	unsigned first, step;
};

static void *detach_some(void *arg)
{
	struct detach_job *j = arg;
	for (unsigned i = j->first; i < j->c->nevents; i += j->step) {
		bpf_link__destroy(j->c->links[i]);
		j->c->links[i] = NULL;
	}
	return NULL;
}

static void detach_all(struct count_collector *c)
{
	pthread_t th[DETACH_THREADS];
	struct detach_job jobs[DETACH_THREADS];
	unsigned nth = c->nevents / 4;
	unsigned started = 0;

	if (nth > DETACH_THREADS)
		nth = DETACH_THREADS;
	for (unsigned t = 0; nth > 1 && t < nth; t++) {
		jobs[t] = (struct detach_job){ c, t, nth };
		if (pthread_create(&th[t], NULL, detach_some, &jobs[t]) != 0)
			break;
		started++;
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	/* Whatever no thread took (no threads, or pthread_create failed). */
	for (unsigned i = 0; i < c->nevents; i++)
		if (c->links[i] && (!started || i % nth >= started)) {
			bpf_link__destroy(c->links[i]);
			c->links[i] = NULL;
		}
}

void count_collector_free(struct count_collector *c)
{
	if (!c)
		return;
	if (c->links)
		detach_all(c);
	free(c->links);
	free(c->sys_ev);
	bpf_link__destroy(c->sys_link[0]);
	bpf_link__destroy(c->sys_link[1]);
	bpf_link__destroy(c->multi);
	for (unsigned i = 0; i < c->ninst; i++)
		count_bpf__destroy(c->inst[i]);
	count_bpf__destroy(c->skel);
	free(c);
}
