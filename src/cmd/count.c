/* count.c — `ksleuth count EVENT...`: counts tracepoint hits per interval in
 * the kernel (per-CPU counters, no per-event traffic) and prints them in
 * the funccount -i -T layout or as JSON Lines. This file is the option
 * table, the lifecycle and the printing; collect/count_events.h resolves
 * the EVENT operands and attaches them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/count.h"
#include "collect/count_events.h"
#include "ksleuth.h"
#include "lib/json.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "sys/cli.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"

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
	struct count_set set;   /* the events and their collector */
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
	.runs_command = true,
	.notes =
	"At most " STR(COUNT_MAX_EVENTS) " events (tracepoints and functions). Without -i one table is\n"
	"printed at the end. On -d's end or Ctrl-C the last (partial) interval is\n"
	"printed and the exit status is 0. Examples:\n"
	"  ksleuth count t:tcp:tcp_retransmit_skb -i 1 -T\n"
	"  ksleuth count 'k:vfs_*' -d 5\n",
};


static bool cpu_shown(const struct count_run *r, int cpu)
{
	return opt_cpu_wanted(&r->a.cpus, (unsigned)cpu);
}

/* Read every counter into cur[]; rows get cur - base. */
static int snapshot(struct count_run *r)
{
	for (unsigned i = 0; i < r->set.n; i++) {
		int e = count_collector_read(r->set.col, i, &r->cur[(size_t)i * r->ncpus]);
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
	for (unsigned i = 0; i < r->set.n; i++) {
		uint64_t tot = 0;
		if (r->set.ev[i].refused)
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			size_t k = (size_t)i * r->ncpus + c;
			uint64_t d = r->cur[k] - base[k];
			tot += d;
			if (r->a.per_cpu && cpu_shown(r, c))
				r->cpu_rows[nc++] = (struct count_row){ r->set.ev[i].name, c, d };
		}
		r->rows[n++] = (struct count_row){ r->set.ev[i].name, -1, tot };
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
	memcpy(r->prev, r->cur, (size_t)r->set.n * r->ncpus * sizeof(*r->cur));
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
	json_kuint(&r->j, "events", r->set.n - r->set.nrefused);
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
	unsigned live = r->set.n - r->set.nrefused;

	fprintf(f, "Tracing %u %s for \"%s\"... Hit Ctrl-C to end.\n", live,
		r->set.ntp ? "events" : live == 1 ? "function" : "functions", what);
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
	size_t cells = (size_t)r->set.n * r->ncpus;

	r->cur = calloc(cells, sizeof(*r->cur));
	r->prev = calloc(cells, sizeof(*r->prev));
	r->first = calloc(cells, sizeof(*r->first));
	r->rows = calloc(r->set.n, sizeof(*r->rows));
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
	int rc = count_set_resolve(&r->set, r->args, r->nargs);

	r->loop = l;
	if (!rc)
		rc = count_set_attach(&r->set, r->a.tgid,
				      opt_cpus_given(&r->a.cpus) ? &r->a.cpus : NULL);
	if (rc)
		return rc;
	r->ncpus = count_collector_ncpus(r->set.col);
	json_init(&r->j, stdout);
	return alloc_counts(r);
}

static int count_start(void *arg)
{
	struct count_run *r = arg;
	size_t cells = (size_t)r->set.n * r->ncpus;

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

	count_set_free(&r->set);
	free(r->cur);
	free(r->prev);
	free(r->first);
	free(r->rows);
	free(r->cpu_rows);
}

LIVE_COMMAND(count, struct count_run,
	     .check = count_check, .open = count_open, .start = count_start, .tick = on_interval,
	     .summary = count_summary, .close = count_close)
