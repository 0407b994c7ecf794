/* count_attach.c — `ksleuth count`'s resolved events attached to a count
 * collector (see count_events.h): tracepoints by cookie, k: functions by one
 * kprobe_multi link or one kprobe each, f: functions by fentry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base.h"
#include "collect/count_events.h"
#include "lib/strutil.h"
#include "sys/log.h"

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

static int attach_tracepoints(struct count_set *set)
{
	for (unsigned i = 0; i < set->n; i++) {
		char cat[EV_PATTERN_MAX];
		if (set->ev[i].kind != EV_TRACEPOINT)
			continue;
		strlcpy_k(cat, set->ev[i].name, sizeof(cat));
		char *colon = strchr(cat, ':');
		if (!colon)
			return EXIT_RUNTIME;
		*colon = '\0';
		int e = count_collector_attach(set->col, i, cat, colon + 1);
		if (e < 0) {
			if (e == -E2BIG && i >= COUNT_MAX_TP_INSTANCES)
				err("cannot attach to %s: this kernel has no BPF cookies (Linux 5.15), so "
				    "each tracepoint takes a program of its own, and ksleuth loads at most %d: "
				    "count fewer", set->ev[i].name, COUNT_MAX_TP_INSTANCES);
			else if (e == -E2BIG)
				err("cannot attach to %s: the kernel allows at most 64 BPF programs per "
				    "tracepoint and other tools use them up", set->ev[i].name);
			else if (e == -EMFILE)
				err("cannot attach to %s: out of file descriptors; count fewer events",
				    set->ev[i].name);
			else
				err("cannot attach to %s: %s", set->ev[i].name, strerror(-e));
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

/* A function whose probe the kernel refused: fatal when it was named
 * exactly; out of a pattern it is left out, and said once after all. */
static int function_refused(struct count_set *set, unsigned i, int e, const char **first,
			    int *first_err)
{
	const char *fn = set->ev[i].name + 2;

	if (!set->ev[i].globbed && set->ev[i].kind == EV_FENTRY) {
		err("cannot count %s: the kernel refuses fentry on it (%s); count it with k:%s "
		    "instead", set->ev[i].name, strerror(-e), fn);
		return EXIT_RUNTIME;
	}
	if (!set->ev[i].globbed) {
		err("cannot count %s: the kernel refuses a kprobe on it (%s); it may be on the "
		    "kernel's kprobe blacklist", set->ev[i].name, strerror(-e));
		return EXIT_RUNTIME;
	}
	set->ev[i].refused = true;
	set->nrefused++;
	if (!*first) {
		*first = set->ev[i].name;
		*first_err = e;
	}
	return 0;
}

/* Every k: function: one kprobe_multi link, else one kprobe each. */
static int attach_kprobes(struct count_set *set, const char **first, int *first_err)
{
	unsigned *idx = calloc(set->nkprobe ? set->nkprobe : 1, sizeof(*idx));
	const char **fn = calloc(set->nkprobe ? set->nkprobe : 1, sizeof(*fn));
	int *errs = calloc(set->nkprobe ? set->nkprobe : 1, sizeof(*errs));
	unsigned m = 0;
	int rc = 0, e, me;

	if (!idx || !fn || !errs) {
		err("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (unsigned i = 0; i < set->n; i++)
		if (set->ev[i].kind == EV_KPROBE) {
			idx[m] = i;
			fn[m++] = set->ev[i].name + 2;
		}
	if (!m)
		goto out;
	e = count_collector_attach_kprobes(set->col, idx, fn, m, errs, &me);
	if (e < 0) {
		err("cannot attach kprobes to the %u functions: the kprobe_multi link fails with %s "
		    "and this kernel has no kprobe PMU for one kprobe each", m, strerror(-e));
		rc = EXIT_RUNTIME;
	}
	for (unsigned k = 0; k < m && e > 0 && !rc; k++)
		if (errs[k])
			rc = function_refused(set, idx[k], errs[k], first, first_err);
	if (!rc)
		dbg("count: %u functions by %s", m, e == 0 && !me && set->kprobe_multi ?
		    "one kprobe_multi link" : "one kprobe each");
out:
	free(idx);
	free(fn);
	free(errs);
	return rc;
}

static int attach_fentries(struct count_set *set, const char **first, int *first_err)
{
	int rc = 0;

	for (unsigned i = 0; i < set->n && !rc; i++) {
		if (set->ev[i].kind != EV_FENTRY)
			continue;
		int e = count_collector_attach_fentry(set->col, i, set->ev[i].name + 2);
		if (e < 0)
			rc = function_refused(set, i, e, first, first_err);
	}
	return rc;
}

static int attach_all(struct count_set *set)
{
	const char *first = NULL;
	int first_err = 0;
	int rc = attach_tracepoints(set);

	if (!rc)
		rc = attach_kprobes(set, &first, &first_err);
	if (!rc)
		rc = attach_fentries(set, &first, &first_err);
	if (rc || !first)
		return rc;
	if (set->nrefused == set->n) {
		err("cannot count any of the functions matched: the kernel refuses them all (%s: %s)",
		    first, strerror(-first_err));
		return EXIT_RUNTIME;
	}
	warn("the kernel refused the probes of %u of the functions matched (%s: %s); they are "
	     "left out, the other %u events are counted", set->nrefused, first,
	     strerror(-first_err), set->n - set->nrefused);
	return 0;
}

int count_set_attach(struct count_set *set, uint32_t tgid, const struct cpuset *cpus)
{
	struct count_params p = {
		.nevents = set->n, .tgid = tgid, .cpus = cpus, .tracepoints = set->ntp > 0,
		.kprobe_multi = set->nkprobe && set->kprobe_multi,
		.kprobe_single = set->nkprobe && set->kprobe_single,
	};

	if (ensure_fd_limit(set->n, set->nfentry) < 0 || count_collector_open(&set->col, &p) < 0)
		return EXIT_RUNTIME;
	return attach_all(set);
}

void count_set_free(struct count_set *set)
{
	count_collector_free(set->col);
	if (set->ev)
		for (unsigned i = 0; i < set->n; i++)
			free(set->ev[i].name);
	free(set->ev);
}
