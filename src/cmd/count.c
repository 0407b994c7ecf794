/* count.c — `ksleuth count EVENT...`: counts tracepoint hits per interval in
 * the kernel (per-CPU counters, no per-event traffic) and prints them in
 * the funccount -i -T layout or as JSON Lines. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
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
#include "lib/parse.h"
#include "lib/strutil.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sysinfo.h"
#include "sys/tracefs.h"

struct count_run {
	/* options */
	uint64_t interval_ns;   /* 0: one table at the end */
	uint64_t duration_ns;   /* 0: until Ctrl-C */
	bool timestamp, per_cpu, json;
	bool cpus_set;
	struct cpuset cpus;
	uint32_t tgid;
	/* events */
	char **names;           /* "category:name", owned */
	unsigned n;
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ksleuth count EVENT... [-i SEC] [-T] [-d DUR] [-p PID] [-C CPUS] [--per-cpu] [--json]\n\n"
		"Count kernel events in the kernel (per-CPU counters) and print them per\n"
		"interval, funccount-style.\n\n"
		"EVENT  t:CATEGORY:NAME, tracepoint:CATEGORY:NAME or CATEGORY:NAME, with globs\n"
		"       (t:tcp:*, t:sched:sched_wak*); f:FUNC / k:FUNC count kernel functions\n"
		"       where the kernel allows fentry or kprobes (see 'ksleuth info').\n"
		"  -i, --interval SEC  print every SEC seconds (units allowed: 500ms, 2s)\n"
		"  -T, --timestamp     a wall-clock time line before each table\n"
		"  -d, --duration DUR  stop after DUR (10s, 5m); default: until Ctrl-C\n"
		"  -p, --pid PID       only events raised by process PID (its threads too)\n"
		"  -C, --cpus CPUS     only events on these CPUs (0-3,6)\n"
		"      --per-cpu       one row per event and CPU\n"
		"      --json          JSON Lines: {\"type\":\"interval\",...} per interval, then\n"
		"                      {\"type\":\"summary\",...}\n"
		"  -h, --help\n\n"
		"At most %d events. On -d's end or Ctrl-C the last (partial) interval is\n"
		"printed and the exit status is 0.\n"
		"Example: ksleuth count t:tcp:tcp_retransmit_skb -i 1 -T\n", COUNT_MAX_EVENTS);
}

/* f:/k: events: refused here unless the same probe as `ksleuth info` says
 * the kernel allows the attach type. */
static int function_event(const struct ev_spec *s, const char *arg)
{
	struct attach_probe p;
	enum bpf_attach_kind k = s->kind == EV_FENTRY ? ATTACH_FENTRY : ATTACH_KPROBE;

	bpf_probe_attach(k, &p);
	if (!p.works) {
		if (k == ATTACH_FENTRY)
			err("cannot count '%s': this kernel refuses fentry programs (loading one fails: "
			    "%s); count a tracepoint instead (t:CATEGORY:NAME)", arg, strerror(p.err));
		else
			err("cannot count '%s': this kernel has no kprobes (no kprobe PMU: CONFIG_KPROBES "
			    "is not set); count a tracepoint instead (t:CATEGORY:NAME)", arg);
		return EXIT_RUNTIME;
	}
	err("cannot count '%s': function counting is not implemented yet, although this kernel "
	    "allows %s; count a tracepoint instead (t:CATEGORY:NAME)", arg, p.name);
	return EXIT_RUNTIME;
}

static bool already(const struct count_run *r, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->names[i], name))
			return true;
	return false;
}

static int add_event(struct count_run *r, const char *name, const char *arg)
{
	if (already(r, name))
		return 0;
	if (r->n >= COUNT_MAX_EVENTS) {
		err("'%s' brings the number of events over the limit of %d: name fewer or narrower "
		    "patterns", arg, COUNT_MAX_EVENTS);
		return EXIT_USAGE;
	}
	if (!(r->names[r->n] = strdup(name))) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	r->n++;
	return 0;
}

static int resolve_events(struct count_run *r, char **args, int nargs)
{
	char **list = NULL;
	size_t nlist = 0;
	int rc = 0, e;

	r->names = calloc(COUNT_MAX_EVENTS, sizeof(*r->names));
	if (!r->names) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	/* Function events first: they end the run with their own sentence. */
	for (int i = 0; i < nargs; i++) {
		struct ev_spec s;
		const char *why;
		if (ev_spec_parse(args[i], &s, &why) < 0) {
			err("bad event '%s': %s; see 'ksleuth count --help'", args[i], why);
			return EXIT_USAGE;
		}
		if (s.kind != EV_TRACEPOINT)
			return function_event(&s, args[i]);
	}
	e = tracefs_events(&list, &nlist);
	if (e < 0) {
		err("cannot read the kernel's tracepoint list from tracefs (%s): mount it with "
		    "'mount -t tracefs nodev /sys/kernel/tracing'", strerror(-e));
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < nargs && !rc; i++) {
		struct ev_spec s;
		const char *why;
		unsigned matched = 0;
		ev_spec_parse(args[i], &s, &why);
		for (size_t k = 0; k < nlist && !rc; k++) {
			if (glob_match(s.pattern, list[k])) {
				matched++;
				rc = add_event(r, list[k], args[i]);
			}
		}
		if (rc || matched)
			continue;
		if (has_glob_chars(s.pattern)) {
			err("'%s' matches no tracepoint of this kernel (see %s/available_events)",
			    args[i], tracefs_root() ? tracefs_root() : "tracefs");
		} else {
			const char *sug[3];
			size_t ns = ev_suggest(s.pattern, (const char *const *)list, nlist, sug, 3);
			if (ns == 0)
				err("unknown tracepoint '%s': this kernel has no '%s'", args[i], s.pattern);
			else
				err("unknown tracepoint '%s'; did you mean %s%s%s%s%s?", args[i], sug[0],
				    ns == 3 ? ", " : ns == 2 ? " or " : "", ns > 1 ? sug[1] : "",
				    ns == 3 ? " or " : "", ns == 3 ? sug[2] : "");
		}
		rc = EXIT_USAGE;
	}
	tracefs_events_free(list, nlist);
	return rc;
}

/* Two descriptors per event (perf event + link), plus slack. */
static int ensure_fd_limit(unsigned n)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n * 2 + 64;

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

static int attach_all(struct count_run *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		char cat[EV_PATTERN_MAX];
		strlcpy_k(cat, r->names[i], sizeof(cat));
		char *colon = strchr(cat, ':');
		if (!colon)
			return EXIT_RUNTIME;
		*colon = '\0';
		int e = count_collector_attach(r->col, i, cat, colon + 1);
		if (e < 0) {
			if (e == -E2BIG)
				err("cannot attach to %s: the kernel allows at most 64 BPF programs per "
				    "tracepoint and other tools use them up", r->names[i]);
			else if (e == -EMFILE)
				err("cannot attach to %s: out of file descriptors; count fewer events",
				    r->names[i]);
			else
				err("cannot attach to %s: %s", r->names[i], strerror(-e));
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

static bool cpu_shown(const struct count_run *r, int cpu)
{
	return !r->cpus_set || cpuset_has(&r->cpus, (unsigned)cpu);
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

static size_t make_rows(struct count_run *r, const uint64_t *base, size_t *n_cpu_rows)
{
	size_t nc = 0;
	for (unsigned i = 0; i < r->n; i++) {
		uint64_t tot = 0;
		for (int c = 0; c < r->ncpus; c++) {
			size_t k = (size_t)i * r->ncpus + c;
			uint64_t d = r->cur[k] - base[k];
			tot += d;
			if (r->per_cpu && cpu_shown(r, c))
				r->cpu_rows[nc++] = (struct count_row){ r->names[i], c, d };
		}
		r->rows[i] = (struct count_row){ r->names[i], -1, tot };
	}
	*n_cpu_rows = nc;
	return r->n;
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
	if (r->json) {
		json_obj_begin(&r->j);
		json_kstr(&r->j, "type", "interval");
		json_kuint(&r->j, "ts_ns", now);
		json_kuint(&r->j, "interval_ns", now - r->last_ns);
		count_json_body(&r->j, r->rows, n, r->per_cpu ? r->cpu_rows : NULL, nc);
		json_obj_end(&r->j);
		json_line_end(&r->j);
	} else {
		char ts[16];
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		if (r->per_cpu) {
			count_rows_sort(r->cpu_rows, nc);
			count_table_print(stdout, r->cpu_rows, nc, r->timestamp ? ts : NULL, true);
		} else {
			count_rows_sort(r->rows, n);
			count_table_print(stdout, r->rows, n, r->timestamp ? ts : NULL, false);
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

	if (!r->json || r->read_err)
		return;
	n = make_rows(r, r->first, &nc);
	json_obj_begin(&r->j);
	json_kstr(&r->j, "type", "summary");
	json_kuint(&r->j, "ts_ns", now);
	json_kuint(&r->j, "duration_ns", now - r->start_ns);
	json_kuint(&r->j, "intervals", r->intervals);
	json_kuint(&r->j, "events", r->n);
	if (r->tgid)
		json_kuint(&r->j, "pid", r->tgid);
	count_json_body(&r->j, r->rows, n, r->per_cpu ? r->cpu_rows : NULL, nc);
	json_obj_end(&r->j);
	json_line_end(&r->j);
}

static void on_interval(struct loop *l, void *arg)
{
	struct count_run *r = arg;

	print_interval(r);
	/* The interval ending at -d's end is the last one: stop here rather
	 * than print an empty interval when the duration timer fires too. */
	if (r->end_ns && now_ns() + r->interval_ns / 10 >= r->end_ns) {
		r->final_done = true;
		loop_stop(l);
	}
}

static void on_duration(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

static int run(struct count_run *r, const char *what)
{
	size_t cells = (size_t)r->n * r->ncpus;
	int rc;

	r->cur = calloc(cells, sizeof(*r->cur));
	r->prev = calloc(cells, sizeof(*r->prev));
	r->first = calloc(cells, sizeof(*r->first));
	r->rows = calloc(r->n, sizeof(*r->rows));
	r->cpu_rows = calloc(cells, sizeof(*r->cpu_rows));
	r->loop = loop_new();
	if (!r->cur || !r->prev || !r->first || !r->rows || !r->cpu_rows || !r->loop) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	if (snapshot(r) < 0)
		return EXIT_RUNTIME;
	memcpy(r->prev, r->cur, cells * sizeof(*r->cur));
	memcpy(r->first, r->cur, cells * sizeof(*r->cur));
	r->start_ns = r->last_ns = now_ns();
	if (r->duration_ns)
		r->end_ns = r->start_ns + r->duration_ns;
	if ((r->interval_ns && loop_add_timer(r->loop, r->interval_ns, r->interval_ns,
					      on_interval, r) < 0) ||
	    (r->duration_ns && loop_add_timer(r->loop, r->duration_ns, 0, on_duration, r) < 0)) {
		err("cannot create a timer: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (r->json)
		fprintf(stderr, "Tracing %u events for \"%s\"... Hit Ctrl-C to end.\n", r->n, what);
	else
		printf("Tracing %u events for \"%s\"... Hit Ctrl-C to end.\n", r->n, what);
	fflush(stdout);
	rc = loop_run(r->loop);
	if (rc < 0) {
		err("the event loop failed: %s", strerror(-rc));
		return EXIT_RUNTIME;
	}
	if (!r->final_done && !r->read_err)
		print_interval(r);
	print_summary(r);
	if (!r->json)
		printf("Detaching...\n");
	return r->read_err ? EXIT_RUNTIME : EXIT_OK;
}

static void run_free(struct count_run *r)
{
	count_collector_free(r->col);
	loop_free(r->loop);
	if (r->names)
		for (unsigned i = 0; i < r->n; i++)
			free(r->names[i]);
	free(r->names);
	free(r->cur);
	free(r->prev);
	free(r->first);
	free(r->rows);
	free(r->cpu_rows);
}

int cmd_count(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "timestamp", no_argument, NULL, 'T' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "per-cpu", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct count_run r = { 0 };
	char what[512] = "";
	long pid;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:Td:p:C:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_duration_ns(optarg, NS_PER_SEC, &r.interval_ns) < 0 ||
			    r.interval_ns < 10 * NS_PER_MS) {
				err("bad interval '%s': give seconds or a duration of at least 10ms "
				    "(1, 500ms, 2s)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_duration_ns(optarg, NS_PER_SEC, &r.duration_ns) < 0 ||
			    r.duration_ns < 10 * NS_PER_MS) {
				err("bad duration '%s': give a duration of at least 10ms (10s, 5m)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'T':
			r.timestamp = true;
			break;
		case 'p':
			if (parse_int_range(optarg, 1, 4194304, &pid) < 0) {
				err("bad pid '%s': give a process id", optarg);
				return EXIT_USAGE;
			}
			if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
				err("no process with pid %ld", pid);
				return EXIT_USAGE;
			}
			r.tgid = (uint32_t)pid;
			break;
		case 'C':
			if (parse_cpulist(optarg, &r.cpus) < 0 || !cpuset_count(&r.cpus)) {
				err("bad CPU list '%s': give CPUs like 0-3,6", optarg);
				return EXIT_USAGE;
			}
			if (cpuset_max(&r.cpus) >= libbpf_num_possible_cpus()) {
				err("bad CPU list '%s': CPU %d does not exist here (CPUs 0-%d)", optarg,
				    cpuset_max(&r.cpus), libbpf_num_possible_cpus() - 1);
				return EXIT_USAGE;
			}
			r.cpus_set = true;
			break;
		case 'P':
			r.per_cpu = true;
			break;
		case 'j':
			r.json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			err("option '%s' needs a value; see 'ksleuth count --help'", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			err("unknown option '%s'; see 'ksleuth count --help'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		err("name at least one event to count, e.g. 'ksleuth count t:tcp:tcp_retransmit_skb'");
		return EXIT_USAGE;
	}
	/* funccount: -d without -i prints one table at the end. */
	for (int i = optind; i < argc; i++) {
		size_t l = strlen(what);
		snprintf(what + l, sizeof(what) - l, "%s%s", l ? " " : "", argv[i]);
	}

	rc = resolve_events(&r, argv + optind, argc - optind);
	if (rc)
		goto out;
	if (ensure_fd_limit(r.n) < 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	struct count_params p = { .nevents = r.n, .tgid = r.tgid,
				  .cpus = r.cpus_set ? &r.cpus : NULL };
	if (count_collector_open(&r.col, &p) < 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	r.ncpus = count_collector_ncpus(r.col);
	rc = attach_all(&r);
	if (rc)
		goto out;
	json_init(&r.j, stdout);
	rc = run(&r, what);
out:
	run_free(&r);
	return rc;
}
