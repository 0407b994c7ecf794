/* count.c — `ksleuth count EVENT...`: counts tracepoint hits per interval in
 * the kernel (per-CPU counters, no per-event traffic) and prints them in
 * the funccount -i -T layout or as JSON Lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <bpf/libbpf.h>

#include "collect/count.h"
#include "ksleuth.h"
#include "lib/evspec.h"
#include "lib/json.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "lib/strutil.h"
#include "sys/cli.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sysinfo.h"
#include "sys/tracefs.h"

/* One counted event: a tracepoint or a kernel function. */
struct count_event {
	char *name;             /* row name: "category:name", "k:func", "f:func"; owned */
	enum ev_kind kind;
	bool globbed;           /* matched by a pattern, not named exactly */
	bool refused;           /* the kernel refused its probe: left out of the output */
};

struct count_args {
	uint64_t interval_ns;   /* 0: one table at the end */
	uint64_t duration_ns;   /* 0: until Ctrl-C */
	bool timestamp, per_cpu, json;
	struct cpuset cpus;     /* empty: every CPU */
	uint32_t tgid;
};

struct count_run {
	struct count_args a;
	char **args;            /* the EVENT operands */
	int nargs;
	char what[512];         /* them in one string, for the banner */
	/* what the kernel allows (probed when a k:/f: event is named) */
	bool kprobe_single, kprobe_multi;
	/* events */
	struct count_event *ev;
	unsigned n, ntp, nkprobe, nfentry, nrefused;
	/* state */
	struct count_collector *col;
	struct loop *loop;
	int ncpus;
	uint64_t *cur, *prev, *first;   /* n x ncpus cumulative counts */
	struct count_row *rows, *cpu_rows;
	uint64_t start_ns, last_ns, end_ns;
	unsigned intervals;
	bool final_done;
	int read_err;
	struct json j;
};

/* The kernel's lists, read once when a spec needs them. */
struct ev_lists {
	char **tps;             /* "category:name" of available_events */
	size_t ntps;
	bool tps_read;
	char **fns;             /* available_filter_functions, sorted, unique */
	size_t nfns;
	bool fns_read;
	bool *btf;              /* fns[k] is described by the kernel's BTF (f:) */
};

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct opt count_opts[] = {
	OPT_INTERVAL(struct count_args, interval_ns, 0),
	{ 'T', "timestamp", OPT_FLAG_AT(struct count_args, timestamp),
	  .help = "a wall-clock time line before each table" },
	OPT_DURATION(struct count_args, duration_ns),
	{ 'p', "pid", OPT_PID_AT(struct count_args, tgid), .arg = "PID", .must_exist = true,
	  .help = "only events raised by process PID (its threads too)" },
	OPT_CPUS(struct count_args, cpus),
	{ .lname = "per-cpu", OPT_FLAG_AT(struct count_args, per_cpu), .help = "one row per event and CPU" },
	OPT_JSON(struct count_args, json, "JSON Lines: {\"type\":\"interval\",...} per interval, then "
		 "{\"type\":\"summary\",...}"),
	{ 0 }
};

const struct opt_cmd count_cli = {
	.name = "count",
	.summary = "count kernel events per interval (funccount-style)",
	.operands = "EVENT...",
	.max_operands = -1,
	.description =
	"Count kernel events in the kernel (per-CPU counters) and print them per\n"
	"interval, funccount-style.\n"
	"\n"
	"EVENT is one of:\n"
	"  t:CATEGORY:NAME, tracepoint:CATEGORY:NAME or CATEGORY:NAME, with globs\n"
	"      (t:tcp:*, t:sched:sched_wak*): tracepoints; rows CATEGORY:NAME\n"
	"  k:FUNC, kprobe:FUNC or FUNC, with globs (k:vfs_*): kernel functions ftrace\n"
	"      can hook (available_filter_functions), by kprobes: one kprobe_multi\n"
	"      link (5.18+, CONFIG_FPROBE), else one kprobe each; rows k:FUNC\n"
	"  f:FUNC or fentry:FUNC, with globs: such functions that have BTF, by\n"
	"      fentry: one BPF program each, at most " STR(COUNT_MAX_FENTRY) " (k: for more); rows f:FUNC\n"
	"Functions are counted where the kernel allows kprobes or fentry ('ksleuth\n"
	"info'); elsewhere count says so and exits 1.\n",
	.opts = count_opts,
	.notes =
	"At most " STR(COUNT_MAX_EVENTS) " events (tracepoints and functions). Without -i one table is\n"
	"printed at the end. On -d's end or Ctrl-C the last (partial) interval is\n"
	"printed and the exit status is 0. Examples:\n"
	"  ksleuth count t:tcp:tcp_retransmit_skb -i 1 -T\n"
	"  ksleuth count 'k:vfs_*' -d 5\n",
};

/* Which ways of kprobing this kernel allows: a kprobe PMU (*p) and
 * kprobe_multi links (the return value: 0 or why not). */
static int probe_kprobes(struct count_run *r, struct attach_probe *p)
{
	int me;

	bpf_probe_attach(ATTACH_KPROBE, p);
	me = count_kprobe_multi_probe();
	r->kprobe_single = p->works;
	r->kprobe_multi = me == 0;
	return me;
}

/* k: events need a kprobe PMU or kprobe_multi links. */
static int kprobe_support(struct count_run *r, const char *arg)
{
	struct attach_probe p;
	int me = probe_kprobes(r, &p);

	if (!me)
		return 0;
	/* one program tells every function apart by its link's cookie */
	if (p.works && libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, NULL) != 1) {
		err("cannot count '%s': k: tells functions apart by BPF cookies (Linux 5.15), which this "
		    "kernel lacks; count them with f:FUNC (fentry) or count a tracepoint instead", log_arg(arg));
		return EXIT_RUNTIME;
	}
	if (p.works)
		return 0;
	if (p.err == ENOENT)
		err("cannot count '%s': this kernel has no kprobes (no kprobe PMU: CONFIG_KPROBES is "
		    "not set; a kprobe_multi link fails with %s); count a tracepoint instead "
		    "(t:CATEGORY:NAME)", log_arg(arg), strerror(-me));
	else
		err("cannot count '%s': this kernel refuses kprobes (%s; a kprobe_multi link fails "
		    "with %s); count a tracepoint instead (t:CATEGORY:NAME)", log_arg(arg), p.reason,
		    strerror(-me));
	return EXIT_RUNTIME;
}

/* f: events need fentry; where it is refused, k: is the way if kprobes work. */
static int fentry_support(struct count_run *r, const struct ev_spec *s, const char *arg)
{
	struct attach_probe p, kp;

	bpf_probe_attach(ATTACH_FENTRY, &p);
	if (p.works)
		return 0;
	probe_kprobes(r, &kp);
	if (r->kprobe_single || r->kprobe_multi)
		err("cannot count '%s': this kernel refuses fentry programs (loading and attaching one "
		    "to vfs_read fails: %s); count k:%s (kprobes) instead", log_arg(arg), strerror(p.err),
		    s->pattern);
	else
		err("cannot count '%s': this kernel refuses fentry programs (loading and attaching one "
		    "to vfs_read fails: %s); count a tracepoint instead (t:CATEGORY:NAME)", log_arg(arg),
		    strerror(p.err));
	return EXIT_RUNTIME;
}

/* f:/k: events: the kernel must allow the attach type, probed the way
 * `ksleuth info` does, before any list is read; else one sentence. */
static int function_support(struct count_run *r, const struct ev_spec *specs, char **args,
			    int nargs)
{
	bool kp_done = false, fe_done = false;
	int rc = 0;

	for (int i = 0; i < nargs && !rc; i++) {
		if (specs[i].kind == EV_KPROBE && !kp_done) {
			kp_done = true;
			rc = kprobe_support(r, args[i]);
		} else if (specs[i].kind == EV_FENTRY && !fe_done) {
			fe_done = true;
			rc = fentry_support(r, &specs[i], args[i]);
		}
	}
	return rc;
}

static bool already(const struct count_run *r, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->ev[i].name, name))
			return true;
	return false;
}

/* Adds PREFIX NAME unless already there. */
static int add_event(struct count_run *r, const struct ev_spec *s, const char *name,
		     const char *arg)
{
	char row[EV_PATTERN_MAX + 8];

	snprintf(row, sizeof(row), "%s%s", ev_kind_prefix(s->kind), name);
	if (already(r, row))
		return 0;
	if (r->n >= COUNT_MAX_EVENTS) {
		err("'%s' brings the number of events over the limit of %d: name fewer or narrower "
		    "patterns", log_arg(arg), COUNT_MAX_EVENTS);
		return EXIT_USAGE;
	}
	if (!(r->ev[r->n].name = strdup(row))) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	r->ev[r->n].kind = s->kind;
	r->ev[r->n].globbed = has_glob_chars(s->pattern);
	r->ntp += s->kind == EV_TRACEPOINT;
	r->nkprobe += s->kind == EV_KPROBE;
	r->nfentry += s->kind == EV_FENTRY;
	r->n++;
	return 0;
}

/* " did you mean a, b or c?" for up to three suggestions, "" for none. */
static const char *did_you_mean(char *buf, size_t size, const char **sug, size_t ns)
{
	if (!ns)
		return "";
	snprintf(buf, size, "; did you mean %s%s%s%s%s?", sug[0],
		 ns == 3 ? ", " : ns == 2 ? " or " : "", ns > 1 ? sug[1] : "",
		 ns == 3 ? " or " : "", ns == 3 ? sug[2] : "");
	return buf;
}

static int read_tracepoints(struct ev_lists *L)
{
	int e;

	if (L->tps_read)
		return 0;
	e = tracefs_events(&L->tps, &L->ntps);
	if (e < 0) {
		err("cannot read the kernel's tracepoint list from tracefs (%s): mount it with "
		    "'mount -t tracefs nodev /sys/kernel/tracing'", strerror(-e));
		return EXIT_RUNTIME;
	}
	L->tps_read = true;
	return 0;
}

static int resolve_tracepoint(struct count_run *r, struct ev_lists *L, const struct ev_spec *s,
			      const char *arg)
{
	const char *sug[3];
	char buf[256];
	unsigned matched = 0;
	size_t ns;
	int rc = read_tracepoints(L);

	for (size_t k = 0; k < L->ntps && !rc; k++) {
		if (glob_match(s->pattern, L->tps[k])) {
			matched++;
			rc = add_event(r, s, L->tps[k], arg);
		}
	}
	if (rc || matched)
		return rc;
	if (has_glob_chars(s->pattern)) {
		err("'%s' matches no tracepoint of this kernel (see %s/available_events)", arg,
		    tracefs_root() ? tracefs_root() : "tracefs");
		return EXIT_USAGE;
	}
	ns = ev_suggest(s->pattern, (const char *const *)L->tps, L->ntps, sug, 3);
	if (ns == 0)
		err("unknown tracepoint '%s': this kernel has no '%s'", log_arg(arg), s->pattern);
	else
		err("unknown tracepoint '%s'%s", log_arg(arg), did_you_mean(buf, sizeof(buf), sug, ns));
	return EXIT_USAGE;
}

/* available_filter_functions: the functions ftrace can hook, i.e. without
 * notrace, noinstr and the kernel's own blacklist (kallsyms lists those
 * too, and a probe on them is refused). */
static int read_functions(struct ev_lists *L)
{
	const char *root = tracefs_root();
	char path[256], *line = NULL;
	size_t cap = 0, lcap = 0;
	FILE *f = NULL;
	int rc = 0;

	if (L->fns_read)
		return 0;
	if (root) {
		snprintf(path, sizeof(path), "%s/available_filter_functions", root);
		f = fopen(path, "re");
	}
	if (!f) {
		err("cannot read the kernel's traceable functions (%s/available_filter_functions: "
		    "%s); mount tracefs with 'mount -t tracefs nodev /sys/kernel/tracing'",
		    root ? root : "tracefs", strerror(errno));
		return EXIT_RUNTIME;
	}
	while (!rc && getline(&line, &lcap, f) > 0) {
		char *name = ev_func_line(line);
		if (!name)
			continue;
		if (L->nfns == cap) {
			char **v = realloc(L->fns, (cap = cap ? cap * 2 : 4096) * sizeof(*v));
			if (!v) {
				rc = EXIT_RUNTIME;
				break;
			}
			L->fns = v;
		}
		if (!(L->fns[L->nfns] = strdup(name)))
			rc = EXIT_RUNTIME;
		else
			L->nfns++;
	}
	free(line);
	fclose(f);
	if (rc) {
		err("out of memory");
		return rc;
	}
	L->nfns = ev_names_unique(L->fns, L->nfns);
	L->fns_read = true;
	return 0;
}

/* fentry needs the function's BTF (its prototype): vmlinux's. */
static int read_btf_funcs(struct ev_lists *L)
{
	int e;

	if (L->btf)
		return 0;
	if (!(L->btf = calloc(L->nfns ? L->nfns : 1, sizeof(*L->btf)))) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	e = count_btf_funcs_mark((const char *const *)L->fns, L->nfns, L->btf);
	if (e < 0) {
		err("cannot read the kernel's BTF (/sys/kernel/btf/vmlinux: %s), which fentry needs; "
		    "count with k:FUNC instead", strerror(-e));
		return EXIT_RUNTIME;
	}
	return 0;
}

static bool fn_usable(const struct ev_lists *L, const struct ev_spec *s, size_t k)
{
	return s->kind != EV_FENTRY || L->btf[k];
}

/* A function pattern that matched nothing usable: one sentence, exit 2. */
static int no_function(const struct ev_lists *L, const struct ev_spec *s, const char *arg,
		       size_t traceable)
{
	const char *sug[3];
	char buf[256];
	size_t ns;

	if (traceable && !has_glob_chars(s->pattern)) /* f: only: traceable, no BTF */
		err("cannot count '%s' with fentry: the kernel's BTF does not describe %s, and fentry "
		    "needs it; count it with k:%s instead", log_arg(arg), s->pattern, s->pattern);
	else if (traceable)
		err("cannot count '%s' with fentry: it matches %zu traceable functions but the "
		    "kernel's BTF describes none of them, and fentry needs it; count them with k:%s "
		    "instead", log_arg(arg), traceable, s->pattern);
	else if (has_glob_chars(s->pattern))
		err("'%s' matches no traceable function of this kernel (see %s/"
		    "available_filter_functions)", arg, tracefs_root() ? tracefs_root() : "tracefs");
	else if ((ns = ev_suggest(s->pattern, (const char *const *)L->fns, L->nfns, sug, 3)))
		err("unknown function '%s': not among this kernel's traceable functions%s", log_arg(arg),
		    did_you_mean(buf, sizeof(buf), sug, ns));
	else
		err("unknown function '%s': not among this kernel's traceable functions (not a "
		    "function here, inlined, or notrace)", log_arg(arg));
	return EXIT_USAGE;
}

/* Matches not yet counted; refuses a pattern over a limit whole, saying
 * how many functions it matched. */
static int function_limits(const struct count_run *r, const struct ev_lists *L,
			   const struct ev_spec *s, const char *arg, size_t matched)
{
	size_t fresh = 0;
	char row[EV_PATTERN_MAX + 8];

	for (size_t k = 0; k < L->nfns && matched <= COUNT_MAX_EVENTS; k++) {
		if (!glob_match(s->pattern, L->fns[k]) || !fn_usable(L, s, k))
			continue;
		snprintf(row, sizeof(row), "%s%s", ev_kind_prefix(s->kind), L->fns[k]);
		fresh += !already(r, row);
	}
	if (matched > COUNT_MAX_EVENTS) {
		err("'%s' matches %zu functions, over the limit of %d events: narrow the pattern",
		    log_arg(arg), matched, COUNT_MAX_EVENTS);
		return EXIT_USAGE;
	}
	if (r->n + fresh > COUNT_MAX_EVENTS) {
		err("'%s' brings the number of events over the limit of %d: name fewer or narrower "
		    "patterns", log_arg(arg), COUNT_MAX_EVENTS);
		return EXIT_USAGE;
	}
	if (s->kind != EV_FENTRY || r->nfentry + fresh <= COUNT_MAX_FENTRY)
		return 0;
	if (matched > COUNT_MAX_FENTRY)
		err("'%s' matches %zu functions, but fentry loads one BPF program per function and "
		    "ksleuth loads at most %d: narrow the pattern, or count them with k:%s (one "
		    "kprobe_multi link)", log_arg(arg), matched, COUNT_MAX_FENTRY, s->pattern);
	else
		err("'%s' brings the f: functions to %zu, over the limit of %d (fentry loads one BPF "
		    "program per function): name fewer, or count them with k:FUNC", log_arg(arg),
		    r->nfentry + fresh, COUNT_MAX_FENTRY);
	return EXIT_USAGE;
}

static int resolve_function(struct count_run *r, struct ev_lists *L, const struct ev_spec *s,
			    const char *arg)
{
	size_t matched = 0, traceable = 0;
	int rc = read_functions(L);

	if (!rc && s->kind == EV_FENTRY)
		rc = read_btf_funcs(L);
	if (rc)
		return rc;
	for (size_t k = 0; k < L->nfns; k++) {
		if (glob_match(s->pattern, L->fns[k])) {
			traceable++;
			matched += fn_usable(L, s, k);
		}
	}
	if (!matched)
		return no_function(L, s, arg, traceable);
	if ((rc = function_limits(r, L, s, arg, matched)))
		return rc;
	for (size_t k = 0; k < L->nfns && !rc; k++)
		if (glob_match(s->pattern, L->fns[k]) && fn_usable(L, s, k))
			rc = add_event(r, s, L->fns[k], arg);
	return rc;
}

static void lists_free(struct ev_lists *L)
{
	tracefs_events_free(L->tps, L->ntps);
	tracefs_events_free(L->fns, L->nfns);
	free(L->btf);
}

static int resolve_events(struct count_run *r, char **args, int nargs)
{
	struct ev_lists L = { 0 };
	struct ev_spec *specs = calloc(nargs, sizeof(*specs));
	int rc = 0;

	r->ev = calloc(COUNT_MAX_EVENTS, sizeof(*r->ev));
	if (!r->ev || !specs) {
		free(specs);
		err("out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < nargs && !rc; i++) {
		const char *why;
		if (ev_spec_parse(args[i], &specs[i], &why) < 0) {
			err("bad event '%s': %s; see 'ksleuth count --help'", log_arg(args[i]), why);
			rc = EXIT_USAGE;
		}
	}
	/* A kernel that refuses the attach type is said first, once. */
	if (!rc)
		rc = function_support(r, specs, args, nargs);
	for (int i = 0; i < nargs && !rc; i++)
		rc = specs[i].kind == EV_TRACEPOINT ? resolve_tracepoint(r, &L, &specs[i], args[i]) :
						      resolve_function(r, &L, &specs[i], args[i]);
	lists_free(&L);
	free(specs);
	return rc;
}

/* Two descriptors per event (perf event + link), four per fentry
 * instance (program, link, its .rodata map, BTF), plus slack. */
static int ensure_fd_limit(unsigned n, unsigned nfentry)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n * 2 + (rlim_t)nfentry * 4 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		err("counting %u events needs %llu open files but the limit is %llu: raise it "
		    "(ulimit -n) or count fewer events", n, (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	setrlimit(RLIMIT_NOFILE, &rl);
	return 0;
}

static int attach_tracepoints(struct count_run *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		char cat[EV_PATTERN_MAX];
		if (r->ev[i].kind != EV_TRACEPOINT)
			continue;
		strlcpy_k(cat, r->ev[i].name, sizeof(cat));
		char *colon = strchr(cat, ':');
		if (!colon)
			return EXIT_RUNTIME;
		*colon = '\0';
		int e = count_collector_attach(r->col, i, cat, colon + 1);
		if (e < 0) {
			if (e == -E2BIG && i >= COUNT_MAX_TP_INSTANCES)
				err("cannot attach to %s: this kernel has no BPF cookies (Linux 5.15), so "
				    "each tracepoint takes a program of its own, and ksleuth loads at most %d: "
				    "count fewer", r->ev[i].name, COUNT_MAX_TP_INSTANCES);
			else if (e == -E2BIG)
				err("cannot attach to %s: the kernel allows at most 64 BPF programs per "
				    "tracepoint and other tools use them up", r->ev[i].name);
			else if (e == -EMFILE)
				err("cannot attach to %s: out of file descriptors; count fewer events",
				    r->ev[i].name);
			else
				err("cannot attach to %s: %s", r->ev[i].name, strerror(-e));
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

/* A function whose probe the kernel refused: fatal when it was named
 * exactly; out of a pattern it is left out, and said once after all. */
static int function_refused(struct count_run *r, unsigned i, int e, const char **first,
			    int *first_err)
{
	const char *fn = r->ev[i].name + 2;

	if (!r->ev[i].globbed && r->ev[i].kind == EV_FENTRY) {
		err("cannot count %s: the kernel refuses fentry on it (%s); count it with k:%s "
		    "instead", r->ev[i].name, strerror(-e), fn);
		return EXIT_RUNTIME;
	}
	if (!r->ev[i].globbed) {
		err("cannot count %s: the kernel refuses a kprobe on it (%s); it may be on the "
		    "kernel's kprobe blacklist", r->ev[i].name, strerror(-e));
		return EXIT_RUNTIME;
	}
	r->ev[i].refused = true;
	r->nrefused++;
	if (!*first) {
		*first = r->ev[i].name;
		*first_err = e;
	}
	return 0;
}

/* Every k: function: one kprobe_multi link, else one kprobe each. */
static int attach_kprobes(struct count_run *r, const char **first, int *first_err)
{
	unsigned *idx = calloc(r->nkprobe ? r->nkprobe : 1, sizeof(*idx));
	const char **fn = calloc(r->nkprobe ? r->nkprobe : 1, sizeof(*fn));
	int *errs = calloc(r->nkprobe ? r->nkprobe : 1, sizeof(*errs));
	unsigned m = 0;
	int rc = 0, e, me;

	if (!idx || !fn || !errs) {
		err("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (unsigned i = 0; i < r->n; i++)
		if (r->ev[i].kind == EV_KPROBE) {
			idx[m] = i;
			fn[m++] = r->ev[i].name + 2;
		}
	if (!m)
		goto out;
	e = count_collector_attach_kprobes(r->col, idx, fn, m, errs, &me);
	if (e < 0) {
		err("cannot attach kprobes to the %u functions: the kprobe_multi link fails with %s "
		    "and this kernel has no kprobe PMU for one kprobe each", m, strerror(-e));
		rc = EXIT_RUNTIME;
	}
	for (unsigned k = 0; k < m && e > 0 && !rc; k++)
		if (errs[k])
			rc = function_refused(r, idx[k], errs[k], first, first_err);
	if (!rc)
		dbg("count: %u functions by %s", m, e == 0 && !me && r->kprobe_multi ?
		    "one kprobe_multi link" : "one kprobe each");
out:
	free(idx);
	free(fn);
	free(errs);
	return rc;
}

static int attach_fentries(struct count_run *r, const char **first, int *first_err)
{
	int rc = 0;

	for (unsigned i = 0; i < r->n && !rc; i++) {
		if (r->ev[i].kind != EV_FENTRY)
			continue;
		int e = count_collector_attach_fentry(r->col, i, r->ev[i].name + 2);
		if (e < 0)
			rc = function_refused(r, i, e, first, first_err);
	}
	return rc;
}

static int attach_all(struct count_run *r)
{
	const char *first = NULL;
	int first_err = 0;
	int rc = attach_tracepoints(r);

	if (!rc)
		rc = attach_kprobes(r, &first, &first_err);
	if (!rc)
		rc = attach_fentries(r, &first, &first_err);
	if (rc || !first)
		return rc;
	if (r->nrefused == r->n) {
		err("cannot count any of the functions matched: the kernel refuses them all (%s: %s)",
		    first, strerror(-first_err));
		return EXIT_RUNTIME;
	}
	warn("the kernel refused the probes of %u of the functions matched (%s: %s); they are "
	     "left out, the other %u events are counted", r->nrefused, first,
	     strerror(-first_err), r->n - r->nrefused);
	return 0;
}

static bool cpu_shown(const struct count_run *r, int cpu)
{
	return opt_cpu_wanted(&r->a.cpus, (unsigned)cpu);
}

/* Read every counter into cur[]; rows get cur - base. */
static int snapshot(struct count_run *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		int e = count_collector_read(r->col, i, &r->cur[(size_t)i * r->ncpus]);
		if (e < 0) {
			if (!r->read_err)
				err("cannot read the counters: %s", strerror(-e));
			r->read_err = e;
			return e;
		}
	}
	return 0;
}

/* Rows of the events counted (not those whose probe was refused). */
static size_t make_rows(struct count_run *r, const uint64_t *base, size_t *n_cpu_rows)
{
	size_t n = 0, nc = 0;
	for (unsigned i = 0; i < r->n; i++) {
		uint64_t tot = 0;
		if (r->ev[i].refused)
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			size_t k = (size_t)i * r->ncpus + c;
			uint64_t d = r->cur[k] - base[k];
			tot += d;
			if (r->a.per_cpu && cpu_shown(r, c))
				r->cpu_rows[nc++] = (struct count_row){ r->ev[i].name, c, d };
		}
		r->rows[n++] = (struct count_row){ r->ev[i].name, -1, tot };
	}
	*n_cpu_rows = nc;
	return n;
}

static void print_interval(struct count_run *r)
{
	uint64_t now = now_ns();
	size_t n, nc;

	if (snapshot(r) < 0) {
		loop_stop(r->loop);
		return;
	}
	n = make_rows(r, r->prev, &nc);
	if (r->a.json) {
		json_obj_begin(&r->j);
		json_kstr(&r->j, "type", "interval");
		json_kuint(&r->j, "ts_ns", now);
		json_kuint(&r->j, "interval_ns", now - r->last_ns);
		count_json_body(&r->j, r->rows, n, r->a.per_cpu ? r->cpu_rows : NULL, nc);
		json_obj_end(&r->j);
		json_line_end(&r->j);
	} else {
		char ts[16];
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		if (r->a.per_cpu) {
			count_rows_sort(r->cpu_rows, nc);
			count_table_print(stdout, r->cpu_rows, nc, r->a.timestamp ? ts : NULL, true);
		} else {
			count_rows_sort(r->rows, n);
			count_table_print(stdout, r->rows, n, r->a.timestamp ? ts : NULL, false);
		}
		fflush(stdout);
	}
	memcpy(r->prev, r->cur, (size_t)r->n * r->ncpus * sizeof(*r->cur));
	r->last_ns = now;
	r->intervals++;
}

static void print_summary(struct count_run *r)
{
	size_t n, nc;
	uint64_t now = now_ns();

	if (!r->a.json || r->read_err)
		return;
	n = make_rows(r, r->first, &nc);
	json_obj_begin(&r->j);
	json_kstr(&r->j, "type", "summary");
	json_kuint(&r->j, "ts_ns", now);
	json_kuint(&r->j, "duration_ns", now - r->start_ns);
	json_kuint(&r->j, "intervals", r->intervals);
	json_kuint(&r->j, "events", r->n - r->nrefused);
	if (r->a.tgid)
		json_kuint(&r->j, "pid", r->a.tgid);
	count_json_body(&r->j, r->rows, n, r->a.per_cpu ? r->cpu_rows : NULL, nc);
	json_obj_end(&r->j);
	json_line_end(&r->j);
}

/* funccount's "Tracing N functions for ..." (events when tracepoints are
 * among them): the number the patterns matched and are counted. */
static void banner(const struct count_run *r, FILE *f, const char *what)
{
	unsigned live = r->n - r->nrefused;

	fprintf(f, "Tracing %u %s for \"%s\"... Hit Ctrl-C to end.\n", live,
		r->ntp ? "events" : live == 1 ? "function" : "functions", what);
	fflush(f);
}

static void on_interval(void *arg, struct loop *l)
{
	struct count_run *r = arg;

	print_interval(r);
	/* The interval ending at -d's end is the last one: stop here rather
	 * than print an empty interval when the duration timer fires too. */
	if (r->end_ns && now_ns() + r->a.interval_ns / 10 >= r->end_ns) {
		r->final_done = true;
		loop_stop(l);
	}
}

/* The events named: at least one; "what" for the banner. */
static int count_check(void *arg, const struct opt_result *res)
{
	struct count_run *r = arg;

	if (!res->nargs)
		return cli_usage_error(&count_cli, "name at least one event to count, e.g. 'ksleuth count "
				       "t:tcp:tcp_retransmit_skb'");
	r->args = res->args;
	r->nargs = res->nargs;
	for (int i = 0; i < res->nargs; i++) {
		size_t l = strlen(r->what);
		snprintf(r->what + l, sizeof(r->what) - l, "%s%s", l ? " " : "", res->args[i]);
	}
	return 0;
}

static int alloc_counts(struct count_run *r)
{
	size_t cells = (size_t)r->n * r->ncpus;

	r->cur = calloc(cells, sizeof(*r->cur));
	r->prev = calloc(cells, sizeof(*r->prev));
	r->first = calloc(cells, sizeof(*r->first));
	r->rows = calloc(r->n, sizeof(*r->rows));
	r->cpu_rows = calloc(cells, sizeof(*r->cpu_rows));
	if (!r->cur || !r->prev || !r->first || !r->rows || !r->cpu_rows) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The events resolved against the kernel's lists, then attached. */
static int count_open(void *arg, struct loop *l)
{
	struct count_run *r = arg;
	int rc = resolve_events(r, r->args, r->nargs);

	r->loop = l;
	if (rc)
		return rc;
	if (ensure_fd_limit(r->n, r->nfentry) < 0)
		return EXIT_RUNTIME;
	struct count_params p = { .nevents = r->n, .tgid = r->a.tgid,
				  .cpus = opt_cpus_given(&r->a.cpus) ? &r->a.cpus : NULL,
				  .tracepoints = r->ntp > 0, .kprobe_multi = r->nkprobe && r->kprobe_multi,
				  .kprobe_single = r->nkprobe && r->kprobe_single };
	if (count_collector_open(&r->col, &p) < 0)
		return EXIT_RUNTIME;
	r->ncpus = count_collector_ncpus(r->col);
	if ((rc = attach_all(r)))
		return rc;
	json_init(&r->j, stdout);
	return alloc_counts(r);
}

static int count_start(void *arg)
{
	struct count_run *r = arg;
	size_t cells = (size_t)r->n * r->ncpus;

	if (snapshot(r) < 0)
		return EXIT_RUNTIME;
	memcpy(r->prev, r->cur, cells * sizeof(*r->cur));
	memcpy(r->first, r->cur, cells * sizeof(*r->cur));
	r->start_ns = r->last_ns = now_ns();
	if (r->a.duration_ns)
		r->end_ns = r->start_ns + r->a.duration_ns;
	banner(r, r->a.json ? stderr : stdout, r->what);
	return 0;
}

static int count_summary(void *arg)
{
	struct count_run *r = arg;

	if (!r->final_done && !r->read_err)
		print_interval(r);
	print_summary(r);
	if (!r->a.json)
		printf("Detaching...\n");
	return r->read_err ? EXIT_RUNTIME : EXIT_OK;
}

static void count_close(void *arg)
{
	struct count_run *r = arg;

	count_collector_free(r->col);
	if (r->ev)
		for (unsigned i = 0; i < r->n; i++)
			free(r->ev[i].name);
	free(r->ev);
	free(r->cur);
	free(r->prev);
	free(r->first);
	free(r->rows);
	free(r->cpu_rows);
}

LIVE_COMMAND(count, struct count_run,
	     .check = count_check, .open = count_open, .start = count_start, .tick = on_interval,
	     .summary = count_summary, .close = count_close)
