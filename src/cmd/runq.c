/* runq.c — `ksleuth runq`: scheduling delay. Histogram mode (log2, per
 * cpu|comm|pid) or slow mode (one line per wait above --slower, with the
 * tasks that ran instead, their state and hottest kernel stack; ongoing
 * stalls reported while they last). Composition only: the data comes
 * from the shared sched collector (collect/sched.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_empty.skel.h"
#include "collect/attach.h"
#include "collect/sched.h"
#include "collect/sched_view.h"
#include "ksleuth.h"
#include "lib/hist.h"
#include "lib/json.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "lib/strutil.h"
#include "sys/cli.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"

enum { BY_NONE = -1, BY_CPU, BY_COMM, BY_PID };

struct runq_args {
	struct sched_opts o;
	int by;                   /* BY_*: the words of --by */
	uint64_t interval_ns, duration_ns;
	bool json;
	/* benchmark aids (bench/runq.sh), not in --help: BPF run-time
	 * statistics, and --reference NAME: instead of the collector, only
	 * the reference program(s) NAME of bench_empty.bpf.c */
	bool bpf_stats;
	const char *reference;
};

static const char *const by_words[] = { "cpu", "comm", "pid", NULL };

static const struct opt runq_opts[] = {
	{ .lname = "by", OPT_CHOICE_AT(struct runq_args, by), .words = by_words, .has_def = true,
	  .def = BY_NONE, .help = "one histogram per CPU, task name or process" },
	{ .lname = "comm", OPT_STRBUF_AT(struct runq_args, o.comm), .arg = "PREFIX",
	  .help = "only tasks whose name starts with PREFIX (e.g. ksoftirqd)" },
	{ 'p', "pid", OPT_PID_AT(struct runq_args, o.tgid), .arg = "PID", .must_exist = true,
	  .help = "only the threads of process PID" },
	OPT_CPUS(struct runq_args, o.cpus),
	{ .lname = "slower", OPT_DURATION_AT(struct runq_args, o.threshold_ns), .arg = "DUR",
	  .unit_ns = NS_PER_MS, .help = "slow mode: waits above DUR (e.g. 10ms)" },
	{ .lname = "ongoing", OPT_DURATION_AT(struct runq_args, o.ongoing_ns), .arg = "DUR",
	  .unit_ns = NS_PER_MS, .def_text = "3 x --slower",
	  .help = "report a wait still in progress after DUR (slow mode)" },
	{ 'i', "interval", OPT_INTERVAL_AT(struct runq_args, interval_ns), .arg = "SEC", .min = OPT_LIVE_MIN_NS,
	  .help = "print and reset the histograms every SEC seconds; units allowed, e.g. 500ms" },
	OPT_DURATION(struct runq_args, duration_ns),
	{ .lname = "no-sampler", OPT_FLAG_AT(struct runq_args, o.sampler), .clear = true,
	  .help = "no stacks or modes (nothing on the scheduler tick)" },
	OPT_JSON(struct runq_args, json, "JSON Lines: {\"type\":\"hist\"...} or {\"type\":\"wait\"...}"),
	{ .lname = "bpf-stats", OPT_FLAG_AT(struct runq_args, bpf_stats), .hidden = true },
	{ .lname = "reference", OPT_STRING_AT(struct runq_args, reference), .arg = "NAME", .hidden = true },
	{ 0 }
};

const struct opt_cmd runq_cli = {
	.name = "runq",
	.summary = "scheduling delay: histograms, or slow waits with the tasks that ran instead",
	.description =
	"Scheduling delay: how long runnable tasks waited for a CPU.\n"
	"\n"
	"Histogram mode (default): log2 histograms of waits, printed at the end\n"
	"(Ctrl-C or -d) or every -i seconds, with min/avg/p50/p99/max.\n"
	"Slow mode (--slower DUR): one line per wait longer than DUR, then every\n"
	"task that ran on that CPU during the wait (run time, share, policy, kernel\n"
	"or user mode, BH/preemption disabled) and its hottest kernel stack. A wait\n"
	"still going on after --ongoing (default 3 x DUR) is reported while it lasts.\n",
	.opts = runq_opts,
	.runs_command = true,
	.notes =
	"Exit: 0 ok; 1 runtime error (no privileges: run as root); 2 bad command line,\n"
	"including a -p PID that does not exist or a --comm no running task has.\n",
};

struct runq {
	struct runq_args a;
	struct sched_collector *sc;
	bool slow;
	int64_t wall_off_ns;      /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct json j;
	struct sched_window *w;
	unsigned long slow_waits, ongoing, irq_gaps;
	int stats_fd;
	struct bench_empty_bpf *empty;
};

static void fmt_clock(const struct runq *r, uint64_t mono_ns, char *buf, size_t n)
{
	time_t t = (time_t)(((int64_t)mono_ns + r->wall_off_ns) / (int64_t)NS_PER_SEC);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, n, "%H:%M:%S", &tm);
}

/* ---- slow mode ---- */

static void json_task(struct json *j, const char *key, uint32_t pid, uint32_t tid, const char *comm)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kuint(j, "pid", pid);
	json_kuint(j, "tid", tid);
	json_kstr(j, "comm", comm);
	json_obj_end(j);
}

static void print_wait_json(struct runq *r, const struct sched_wait *wt, const struct sched_window *w)
{
	struct json *j = &r->j;

	json_obj_begin(j);
	json_kstr(j, "type", "wait");
	json_kuint(j, "cpu", wt->cpu);
	json_kuint(j, "run_cpu", wt->run_cpu);
	json_kstr(j, "kind", sched_kind_name(wt->kind));
	json_kuint(j, "start_ns", wt->start_ns);
	json_kuint(j, "wait_ns", wt->wait_ns);
	json_kbool(j, "ongoing", wt->ongoing);
	json_kuint(j, "report_ns", now_ns());
	json_task(j, "victim", wt->pid, wt->tid, wt->comm);
	if (wt->ongoing)
		json_task(j, "running", wt->cur_pid, wt->cur_tid, wt->cur_comm);
	sched_view_json(j, w);
	json_obj_end(j);
	json_line_end(j);
}

/* The CPU took no timer interrupt while one task ran: who it was, and the
 * sample at the tick that ended the silence (where interrupts came back
 * on, or where the vCPU resumed). */
static void on_irq_gap(struct runq *r, const struct sched_wait *wt)
{
	uint64_t t0 = wt->start_ns + 1, t1 = wt->start_ns + wt->wait_ns;
	char clk[16], d[32];

	r->irq_gaps++;
	if (sched_who_ran(r->sc, wt->cpu, t0, t1, SCHED_ANT_MAX, r->w) < 0)
		sched_view_empty(r->w, wt->cpu, t0, t1);
	if (r->a.json) {
		struct json *j = &r->j;
		json_obj_begin(j);
		json_kstr(j, "type", "irq_gap");
		json_kuint(j, "cpu", wt->cpu);
		json_kuint(j, "start_ns", wt->start_ns);
		json_kuint(j, "gap_ns", wt->wait_ns);
		json_kuint(j, "report_ns", now_ns());
		json_task(j, "running", wt->cur_pid, wt->cur_tid, wt->cur_comm);
		sched_view_json(j, r->w);
		json_obj_end(j);
		json_line_end(j);
		return;
	}
	fmt_clock(r, t1, clk, sizeof(clk));
	printf("%-8s cpu %-3u NO TIMER INTERRUPT for %s while %s pid %u tid %u ran (interrupts off, or the "
	       "virtual CPU was not run); the tick after it:\n", clk, wt->cpu,
	       fmt_duration(wt->wait_ns, d, sizeof(d)), wt->cur_comm, wt->cur_pid, wt->cur_tid);
	sched_view_text(stdout, r->w, 12);
	fflush(stdout);
}

static void on_wait(const struct sched_wait *wt, void *arg)
{
	struct runq *r = arg;
	uint64_t t1 = wt->start_ns + wt->wait_ns;
	char clk[16], d[32];

	if (wt->irq_gap) {
		on_irq_gap(r, wt);
		return;
	}

	if (wt->ongoing)
		r->ongoing++;
	else
		r->slow_waits++;
	if (sched_who_ran(r->sc, wt->cpu, wt->start_ns, t1, SCHED_ANT_MAX, r->w) < 0)
		sched_view_empty(r->w, wt->cpu, wt->start_ns, t1);
	if (r->a.json) {
		print_wait_json(r, wt, r->w);
		return;
	}
	fmt_clock(r, t1, clk, sizeof(clk));
	if (wt->ongoing)
		printf("%-8s cpu %-3u %-16s pid %-7u tid %-7u ONGOING waited %s so far (%s); running: %s tid %u\n",
		       clk, wt->cpu, wt->comm, wt->pid, wt->tid, fmt_duration(wt->wait_ns, d, sizeof(d)),
		       sched_kind_name(wt->kind), wt->cur_comm, wt->cur_tid);
	else
		printf("%-8s cpu %-3u %-16s pid %-7u tid %-7u waited %s (%s)%s\n", clk, wt->cpu,
		       wt->comm, wt->pid, wt->tid, fmt_duration(wt->wait_ns, d, sizeof(d)),
		       sched_kind_name(wt->kind), wt->run_cpu != wt->cpu ? ", ran elsewhere" : "");
	sched_view_text(stdout, r->w, 12);
	fflush(stdout);
}

/* ---- histogram mode ---- */

static void hist_json(struct runq *r, const char *by, const struct hist *h, const char *kkey,
		      const char *kstr, int64_t kint, const char *comm, int64_t preempted)
{
	struct json *j = &r->j;

	json_obj_begin(j);
	json_kstr(j, "type", "hist");
	json_kstr(j, "by", by);
	if (kkey && kstr)
		json_kstr(j, kkey, kstr);
	else if (kkey)
		json_kint(j, kkey, kint);
	if (comm)
		json_kstr(j, "comm", comm);
	json_kuint(j, "ts_ns", now_ns());
	json_kuint(j, "count", h->count);
	if (preempted >= 0)
		json_kint(j, "preempted_count", preempted);
	json_kuint(j, "sum_ns", h->sum_ns);
	json_kuint(j, "min_ns", h->count ? h->min_ns : 0);
	json_kuint(j, "max_ns", h->max_ns);
	json_kuint(j, "p50_ns", hist_percentile_ns(h, 50));
	json_kuint(j, "p99_ns", hist_percentile_ns(h, 99));
	json_key(j, "slots_log2_us");
	json_arr_begin(j);
	int last = -1;
	for (int i = 0; i < HIST_SLOTS; i++)
		if (h->slots[i])
			last = i;
	for (int i = 0; i <= last; i++)
		json_uint(j, h->slots[i]);
	json_arr_end(j);
	json_obj_end(j);
	json_line_end(j);
}

struct keyed_ctx {
	struct runq *r;
};

static void on_keyed(const struct sched_hkey *k, const struct hist *h, void *arg)
{
	struct runq *r = ((struct keyed_ctx *)arg)->r;

	if (!h->count)
		return;
	if (r->a.json) {
		if (r->a.by == BY_PID)
			hist_json(r, "pid", h, "pid", NULL, k->tgid, k->comm, -1);
		else
			hist_json(r, "comm", h, "comm", k->comm, 0, NULL, -1);
		return;
	}
	if (r->a.by == BY_PID)
		printf("\npid = %u %s\n", k->tgid, k->comm);
	else
		printf("\ncomm = %s\n", k->comm);
	hist_print(stdout, h, "");
}

static void print_hists(struct runq *r)
{
	unsigned n = sched_nr_cpus(r->sc);
	struct hist total, h;
	char clk[16];

	hist_clear(&total);
	if (!r->a.json && r->a.interval_ns) {
		fmt_clock(r, now_ns(), clk, sizeof(clk));
		printf("\n%s\n", clk);
	}
	if (r->a.by == BY_COMM || r->a.by == BY_PID) {
		struct keyed_ctx kc = { r };
		sched_hist_keyed(r->sc, on_keyed, &kc);
	} else {
		/* woken and preempted waits together; the preempted share
		 * (runnable when switched out) said separately */
		uint64_t pre_total = 0;
		for (unsigned cpu = 0; cpu < n; cpu++) {
			struct hist hp;
			if (sched_hist_cpu(r->sc, cpu, SCHED_CLASS_ALL, -1, &h) < 0 ||
			    sched_hist_cpu(r->sc, cpu, SCHED_CLASS_ALL, SCHED_WAIT_PREEMPTED, &hp) < 0)
				continue;
			if (r->a.by == BY_CPU) {
				if (r->a.o.cpus_set && !cpuset_has(&r->a.o.cpus, cpu))
					continue;
				if (r->a.json) {
					hist_json(r, "cpu", &h, "cpu", NULL, cpu, NULL, (int64_t)hp.count);
				} else {
					printf("\ncpu = %u\n", cpu);
					hist_print(stdout, &h, "");
					printf("of which preempted (still runnable when switched out): %llu\n",
					       (unsigned long long)hp.count);
				}
			}
			hist_merge(&total, &h);
			pre_total += hp.count;
		}
		if (r->a.by == BY_NONE) {
			if (r->a.json) {
				hist_json(r, "all", &total, NULL, NULL, 0, NULL, (int64_t)pre_total);
			} else {
				hist_print(stdout, &total, "");
				printf("of which preempted (still runnable when switched out): %llu\n",
				       (unsigned long long)pre_total);
			}
		}
	}
	if (r->a.interval_ns)
		sched_hist_reset(r->sc);
	fflush(stdout);
}

static void on_interval(void *arg, struct loop *l)
{
	(void)l;
	print_hists(arg);
}

/* ---- argument checks ---- */

static bool comm_exists(const char *prefix)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	if (!d)
		return true; /* cannot tell: do not refuse */
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/%s/task", e->d_name);
		DIR *td = opendir(path);
		struct dirent *te;
		if (!td)
			continue;
		while (!found && (te = readdir(td))) {
			if (te->d_name[0] == '.')
				continue;
			char cpath[600], comm[64] = "";
			snprintf(cpath, sizeof(cpath), "%s/%s/comm", path, te->d_name);
			FILE *f = fopen(cpath, "re");
			if (!f)
				continue;
			if (fgets(comm, sizeof(comm), f) && str_starts_with(comm, prefix))
				found = true;
			fclose(f);
		}
		closedir(td);
	}
	closedir(d);
	return found;
}

static void print_stats(struct runq *r)
{
	uint64_t st[SCHED_NR_STATS];

	if (sched_stats(r->sc, st) < 0)
		return;
	if (st[SCHED_STAT_RB_DROPS])
		warn("%llu slow-wait records were lost (ring buffer full)",
		     (unsigned long long)st[SCHED_STAT_RB_DROPS]);
	if (st[SCHED_STAT_HKEY_DROPS])
		warn("%llu waits missing from the per-%s histograms (more than %d keys)",
		     (unsigned long long)st[SCHED_STAT_HKEY_DROPS], r->a.by == BY_PID ? "pid" : "comm",
		     SCHED_HKEYS_MAX);
	if (st[SCHED_STAT_NORQ])
		warn("%llu context switches were not traced: the CPU's runqueue could not be read",
		     (unsigned long long)st[SCHED_STAT_NORQ]);
	dbg("sched: %llu wakeups stamped, %llu waits, %llu records, %llu samples, "
	    "%llu stack errors, %llu switch-ins without a runnable time, %llu stale stamps, "
	    "%llu waits labelled woken for want of a kind slot, %llu switches after one that was "
	    "never traced (%llu waits ended there)",
	    (unsigned long long)st[SCHED_STAT_WAKEUPS], (unsigned long long)st[SCHED_STAT_WAITS],
	    (unsigned long long)st[SCHED_STAT_RECORDS], (unsigned long long)st[SCHED_STAT_SAMPLES],
	    (unsigned long long)st[SCHED_STAT_STACK_ERRS], (unsigned long long)st[SCHED_STAT_NOSTAMP],
	    (unsigned long long)st[SCHED_STAT_STALE], (unsigned long long)st[SCHED_STAT_KIND_MISS],
	    (unsigned long long)st[SCHED_STAT_UNSEEN], (unsigned long long)st[SCHED_STAT_UNSEEN_WAIT]);
}

/* Benchmark aids: BPF run-time statistics (attach_enable_stats).
 * A program's cost depends on its place among the programs on the same
 * tracepoint (measured: the first one pays ~100 ns more), so a reference
 * program is measured alone, in a run of its own, never next to ours. */
static int bench_setup(struct runq *r)
{
	if (r->a.bpf_stats && (r->stats_fd = attach_enable_stats()) < 0)
		return -1;
	return 0;
}

static void bench_report(struct runq *r)
{
	struct prog_stat st[16];

	if (r->a.bpf_stats)
		attach_print_prog_stats(stderr, st, sched_prog_stats(r->sc, st, 16));
}

/* --reference empty|count|ktime|tstore: the programs of bench_empty.bpf.c whose
 * names start with ks_NAME_, alone on their tracepoints until the end. */
static int reference_open(struct runq *r)
{
	struct bpf_program *p;
	char pfx[32];
	int picked = 0;

	snprintf(pfx, sizeof(pfx), "ks_%s_", r->a.reference);
	r->empty = bench_empty_bpf__open();
	if (!r->empty) {
		err("cannot open the reference programs: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	bpf_object__for_each_program(p, r->empty->obj) {
		bool on = strncmp(bpf_program__name(p), pfx, strlen(pfx)) == 0;
		bpf_program__set_autoload(p, on);
		picked += on;
	}
	if (!picked)
		return cli_usage_error(&runq_cli, "no reference program '%s' (try empty, count, ktime or tstore)",
				       log_arg(r->a.reference));
	if (bench_setup(r) < 0)
		return EXIT_RUNTIME;
	if (bench_empty_bpf__load(r->empty) || bench_empty_bpf__attach(r->empty)) {
		err("cannot load the reference programs: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	printf("Tracing with the reference programs %s*... Ctrl-C to end.\n", pfx);
	fflush(stdout);
	return 0;
}

static int reference_summary(struct runq *r)
{
	struct prog_stat st[8];

	attach_print_prog_stats(stderr, st, attach_prog_stats(r->empty->obj, st, 8));
	return EXIT_OK;
}

/* What the option kinds do not check: options that go together, and a
 * --comm some task has. */
static int runq_check(void *arg, const struct opt_result *res)
{
	struct runq *r = arg;
	struct sched_opts *o = &r->a.o;

	(void)res;
	if (r->a.reference)
		r->a.interval_ns = 0; /* the reference programs report only at the end */

	r->slow = o->threshold_ns != 0;
	if (o->ongoing_ns && !r->slow)
		return cli_usage_error(&runq_cli, "--ongoing needs --slower");
	if (r->slow && r->a.by != BY_NONE)
		return cli_usage_error(&runq_cli, "--by is for histogram mode, not with --slower");
	if (o->comm[0] && !comm_exists(o->comm))
		return cli_usage_error(&runq_cli, "no running task's name starts with '%s' (names are at "
				       "most 15 characters; see /proc/*/task/*/comm)", log_arg(o->comm));
	o->cpus_set = opt_cpus_given(&o->cpus);
	if (!r->slow)
		o->sampler = false; /* histograms need no stacks */
	else
		r->a.interval_ns = 0; /* slow mode prints each wait as it comes */
	o->hist_by = r->a.by == BY_COMM ? SCHED_BY_COMM : r->a.by == BY_PID ? SCHED_BY_PID : SCHED_BY_NONE;
	return 0;
}

static int runq_open(void *arg, struct loop *l)
{
	struct runq *r = arg;
	struct timespec rt, mt;

	if (r->a.reference)
		return reference_open(r);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	r->wall_off_ns = ((int64_t)rt.tv_sec - (int64_t)mt.tv_sec) * (int64_t)NS_PER_SEC +
			 ((int64_t)rt.tv_nsec - (int64_t)mt.tv_nsec);
	json_init(&r->j, stdout);
	if (!(r->w = calloc(1, sizeof(*r->w)))) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	if (sched_open(&r->sc, &r->a.o) < 0 || bench_setup(r) < 0)
		return EXIT_RUNTIME;
	sched_set_wait_cb(r->sc, on_wait, r);
	if (sched_add_to_loop(r->sc, l) < 0) {
		err("cannot set up the event loop: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}

static int runq_start(void *arg)
{
	struct runq *r = arg;
	char d[32];

	if (r->a.json || r->a.reference)
		return 0;
	if (r->slow)
		printf("Tracing waits for a CPU longer than %s... Ctrl-C to end.\n",
		       fmt_duration(r->a.o.threshold_ns, d, sizeof(d)));
	else
		printf("Tracing run queue latency... %s\n",
		       r->a.interval_ns ? "Ctrl-C to end." : "Ctrl-C to end and print the histogram.");
	fflush(stdout);
	return 0;
}

static int runq_summary(void *arg)
{
	struct runq *r = arg;

	if (r->a.reference)
		return reference_summary(r);
	/* records still queued when we stop */
	sched_drain(r->sc);
	if (!r->slow)
		print_hists(r);
	else if (!r->a.json)
		printf("%lu slow waits, %lu ongoing reports%s\n", r->slow_waits, r->ongoing,
		       r->irq_gaps ? ", and CPUs without timer interrupts (see above)" : "");
	print_stats(r);
	bench_report(r);
	return EXIT_OK;
}

static void runq_close(void *arg)
{
	struct runq *r = arg;

	bench_empty_bpf__destroy(r->empty);
	if (r->stats_fd >= 0)
		close(r->stats_fd);
	sched_close(r->sc);
	free(r->w);
}

/* The run queue's own fds start closed; the scheduler options start at
 * their defaults, which the table then overrides. */
static void runq_init(void *arg)
{
	struct runq *r = arg;

	r->stats_fd = -1;
	sched_opts_default(&r->a.o);
}

LIVE_COMMAND(runq, struct runq,
	     .init = runq_init, .check = runq_check, .open = runq_open, .start = runq_start,
	     .tick = on_interval, .summary = runq_summary, .close = runq_close)
