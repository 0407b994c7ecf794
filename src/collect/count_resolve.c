/* count_resolve.c — `ksleuth count`'s EVENT operands resolved against the
 * kernel's tracepoint and traceable-function lists (see count_events.h).
 * Reads tracefs and BTF; attaches nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "base.h"
#include "collect/count_events.h"
#include "lib/strutil.h"
#include "sys/log.h"
#include "sys/sysinfo.h"
#include "sys/tracefs.h"

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

/* Which ways of kprobing this kernel allows: a kprobe PMU (*p) and
 * kprobe_multi links (the return value: 0 or why not). */
static int probe_kprobes(struct count_set *set, struct attach_probe *p)
{
	int me;

	bpf_probe_attach(ATTACH_KPROBE, p);
	me = count_kprobe_multi_probe();
	set->kprobe_single = p->works;
	set->kprobe_multi = me == 0;
	return me;
}

/* k: events need a kprobe PMU or kprobe_multi links. */
static int kprobe_support(struct count_set *set, const char *arg)
{
	struct attach_probe p;
	int me = probe_kprobes(set, &p);

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
static int fentry_support(struct count_set *set, const struct ev_spec *s, const char *arg)
{
	struct attach_probe p, kp;

	bpf_probe_attach(ATTACH_FENTRY, &p);
	if (p.works)
		return 0;
	probe_kprobes(set, &kp);
	if (set->kprobe_single || set->kprobe_multi)
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
static int function_support(struct count_set *set, const struct ev_spec *specs, char **args,
			    int nargs)
{
	bool kp_done = false, fe_done = false;
	int rc = 0;

	for (int i = 0; i < nargs && !rc; i++) {
		if (specs[i].kind == EV_KPROBE && !kp_done) {
			kp_done = true;
			rc = kprobe_support(set, args[i]);
		} else if (specs[i].kind == EV_FENTRY && !fe_done) {
			fe_done = true;
			rc = fentry_support(set, &specs[i], args[i]);
		}
	}
	return rc;
}

static bool already(const struct count_set *set, const char *name)
{
	for (unsigned i = 0; i < set->n; i++)
		if (!strcmp(set->ev[i].name, name))
			return true;
	return false;
}

/* Adds PREFIX NAME unless already there. */
static int add_event(struct count_set *set, const struct ev_spec *s, const char *name,
		     const char *arg)
{
	char row[EV_PATTERN_MAX + 8];

	snprintf(row, sizeof(row), "%s%s", ev_kind_prefix(s->kind), name);
	if (already(set, row))
		return 0;
	if (set->n >= COUNT_MAX_EVENTS) {
		err("'%s' brings the number of events over the limit of %d: name fewer or narrower "
		    "patterns", log_arg(arg), COUNT_MAX_EVENTS);
		return EXIT_USAGE;
	}
	if (!(set->ev[set->n].name = strdup(row))) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	set->ev[set->n].kind = s->kind;
	set->ev[set->n].globbed = has_glob_chars(s->pattern);
	set->ntp += s->kind == EV_TRACEPOINT;
	set->nkprobe += s->kind == EV_KPROBE;
	set->nfentry += s->kind == EV_FENTRY;
	set->n++;
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

static int resolve_tracepoint(struct count_set *set, struct ev_lists *L, const struct ev_spec *s,
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
			rc = add_event(set, s, L->tps[k], arg);
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
static int function_limits(const struct count_set *set, const struct ev_lists *L,
			   const struct ev_spec *s, const char *arg, size_t matched)
{
	size_t fresh = 0;
	char row[EV_PATTERN_MAX + 8];

	for (size_t k = 0; k < L->nfns && matched <= COUNT_MAX_EVENTS; k++) {
		if (!glob_match(s->pattern, L->fns[k]) || !fn_usable(L, s, k))
			continue;
		snprintf(row, sizeof(row), "%s%s", ev_kind_prefix(s->kind), L->fns[k]);
		fresh += !already(set, row);
	}
	if (matched > COUNT_MAX_EVENTS) {
		err("'%s' matches %zu functions, over the limit of %d events: narrow the pattern",
		    log_arg(arg), matched, COUNT_MAX_EVENTS);
		return EXIT_USAGE;
	}
	if (set->n + fresh > COUNT_MAX_EVENTS) {
		err("'%s' brings the number of events over the limit of %d: name fewer or narrower "
		    "patterns", log_arg(arg), COUNT_MAX_EVENTS);
		return EXIT_USAGE;
	}
	if (s->kind != EV_FENTRY || set->nfentry + fresh <= COUNT_MAX_FENTRY)
		return 0;
	if (matched > COUNT_MAX_FENTRY)
		err("'%s' matches %zu functions, but fentry loads one BPF program per function and "
		    "ksleuth loads at most %d: narrow the pattern, or count them with k:%s (one "
		    "kprobe_multi link)", log_arg(arg), matched, COUNT_MAX_FENTRY, s->pattern);
	else
		err("'%s' brings the f: functions to %zu, over the limit of %d (fentry loads one BPF "
		    "program per function): name fewer, or count them with k:FUNC", log_arg(arg),
		    set->nfentry + fresh, COUNT_MAX_FENTRY);
	return EXIT_USAGE;
}

static int resolve_function(struct count_set *set, struct ev_lists *L, const struct ev_spec *s,
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
	if ((rc = function_limits(set, L, s, arg, matched)))
		return rc;
	for (size_t k = 0; k < L->nfns && !rc; k++)
		if (glob_match(s->pattern, L->fns[k]) && fn_usable(L, s, k))
			rc = add_event(set, s, L->fns[k], arg);
	return rc;
}

static void lists_free(struct ev_lists *L)
{
	tracefs_events_free(L->tps, L->ntps);
	tracefs_events_free(L->fns, L->nfns);
	free(L->btf);
}

int count_set_resolve(struct count_set *set, char **args, int nargs)
{
	struct ev_lists L = { 0 };
	struct ev_spec *specs = calloc(nargs, sizeof(*specs));
	int rc = 0;

	set->ev = calloc(COUNT_MAX_EVENTS, sizeof(*set->ev));
	if (!set->ev || !specs) {
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
		rc = function_support(set, specs, args, nargs);
	for (int i = 0; i < nargs && !rc; i++)
		rc = specs[i].kind == EV_TRACEPOINT ? resolve_tracepoint(set, &L, &specs[i], args[i]) :
						      resolve_function(set, &L, &specs[i], args[i]);
	lists_free(&L);
	free(specs);
	return rc;
}
