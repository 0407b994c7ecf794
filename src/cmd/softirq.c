/* softirq.c — `ksleuth softirq`: how long a raised softirq waited to run
 * (raise->entry) and how long it ran, per CPU and vector, with
 * /proc/softirqs deltas; with --slower, one record per long delay with
 * who ran on that CPU instead (sched collector) and whether ksoftirqd
 * there was waiting. Composition only: collectors + /proc + output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/sched.h"
#include "collect/sched_view.h"
#include "collect/softirq.h"
#include "ksleuth.h"
#include "lib/hist.h"
#include "lib/json.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "lib/procnet.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"
#include "sys/walltime.h"

#define PENDING_MAX 256
#define KWAITS_PER_CPU 16
#define SETTLE_NS (300 * NS_PER_MS) /* let ksoftirqd's wait record arrive */

struct kwait { uint64_t start_ns, wait_ns; bool ongoing; };

struct softirq_args {
	uint32_t vec_mask;
	uint64_t slower_ns, interval_ns, duration_ns;
	struct cpuset cpus;
	bool json;
};

static const struct opt softirq_opts[] = {
	{ .lname = "vector", OPT_WORDS_AT(struct softirq_args, vec_mask), .arg = "LIST",
	  .words = softirq_vec_words, .has_def = true, .def = (1 << SOFTIRQ_NR) - 1, .def_text = "all",
	  .help = "vectors to measure: net_rx,net_tx,timer,... or all" },
	{ .lname = "slower", OPT_DURATION_AT(struct softirq_args, slower_ns), .arg = "DUR", .unit_ns = NS_PER_MS,
	  .help = "one record per delay >= DUR (e.g. 10ms) with who ran on the CPU meanwhile (mode, "
		  "BH/preemption state, top stack), and ksoftirqd waits >= DUR with whether they overlapped" },
	OPT_CPUS(struct softirq_args, cpus),
	OPT_INTERVAL(struct softirq_args, interval_ns, NS_PER_SEC),
	OPT_DURATION(struct softirq_args, duration_ns),
	OPT_JSON(struct softirq_args, json, "JSON Lines: \"softirq\" per interval/CPU/vector, "
		 "\"softirq_delay\", \"ksoftirqd_wait\", \"softirq_hist\""),
	{ 0 }
};

const struct opt_cmd softirq_cli = {
	.name = "softirq",
	.summary = "softirq raise-to-run delay and run time per CPU and vector",
	.description =
	"Softirq delay per CPU and vector: from irq:softirq_raise to softirq_entry\n"
	"(how long a raised softirq, e.g. NET_RX, waited to run) and from entry to\n"
	"exit (how long it ran), as log2 histograms kept in the kernel; RUNS is the\n"
	"handler count from /proc/softirqs.\n",
	.opts = softirq_opts,
	.runs_command = true,
	.notes =
	"Since Linux 6.5 softirqs also run at every hardirq exit even while ksoftirqd\n"
	"is starved; a long delay here means bottom halves (or interrupts) were off.\n",
};

struct sq {
	struct softirq_args a;
	struct softirq_collector *col;
	struct sched_collector *sc;
	struct json j;
	uint64_t t0_ns;
	unsigned ncpu;
	struct softirq_hists *cur, *total;      /* [ncpu] */
	struct softirq_counts *proc_prev, *proc_first, *proc_now;
	struct softirq_event pending[PENDING_MAX];
	unsigned npending;
	uint64_t slow_records, slow_lost;
	struct kwait *kw;                        /* [ncpu][KWAITS_PER_CPU] ring */
	unsigned *kw_head;
	uint64_t *kw_max;                        /* longest ksoftirqd wait per CPU this interval */
	struct sched_window *w;
};

static bool want_cpu(struct sq *s, unsigned cpu)
{
	return opt_cpu_wanted(&s->a.cpus, cpu);
}

/* ---- ksoftirqd waits (sched collector records, filtered by comm) ---- */

static void on_wait(const struct sched_wait *wt, void *arg)
{
	struct sq *s = arg;
	char t[16], d[32];

	if (strncmp(wt->comm, "ksoftirqd/", 10) != 0 || wt->cpu >= s->ncpu || !want_cpu(s, wt->cpu))
		return;
	struct kwait *k = &s->kw[wt->cpu * KWAITS_PER_CPU + (s->kw_head[wt->cpu]++ % KWAITS_PER_CPU)];
	k->start_ns = wt->start_ns;
	k->wait_ns = wt->wait_ns;
	k->ongoing = wt->ongoing;
	if (wt->wait_ns > s->kw_max[wt->cpu])
		s->kw_max[wt->cpu] = wt->wait_ns;
	if (s->a.json) {
		json_obj_begin(&s->j);
		json_kstr(&s->j, "type", "ksoftirqd_wait");
		json_kuint(&s->j, "cpu", wt->cpu);
		json_kuint(&s->j, "start_ns", wt->start_ns);
		json_kuint(&s->j, "wait_ns", wt->wait_ns);
		json_kbool(&s->j, "ongoing", wt->ongoing);
		json_kuint(&s->j, "pid", wt->pid);
		json_kstr(&s->j, "comm", wt->comm);
		json_obj_end(&s->j);
		json_line_end(&s->j);
		return;
	}
	printf("%-8s cpu %-3u %s %s %s to run%s\n", mono_to_hms(wt->start_ns + wt->wait_ns, t, sizeof(t)),
	       wt->cpu, wt->comm, wt->ongoing ? "still waiting, so far" : "waited",
	       fmt_duration(wt->wait_ns, d, sizeof(d)), wt->ongoing ? "" : "");
	fflush(stdout);
}

/* Longest ksoftirqd wait on cpu overlapping [t0, t1]; 0 if none. */
static uint64_t kwait_overlap(struct sq *s, unsigned cpu, uint64_t t0, uint64_t t1)
{
	uint64_t best = 0;
	for (unsigned i = 0; i < KWAITS_PER_CPU; i++) {
		const struct kwait *k = &s->kw[cpu * KWAITS_PER_CPU + i];
		if (!k->wait_ns)
			continue;
		if (k->start_ns < t1 && k->start_ns + k->wait_ns > t0 && k->wait_ns > best)
			best = k->wait_ns;
	}
	return best;
}

/* ---- slow softirq delays ---- */

static void report_delay(struct sq *s, const struct softirq_event *e)
{
	uint64_t delay = e->entry_ns - e->raise_ns;
	uint64_t kw = 0;
	bool have_w = false;
	char t[16], d[32], d2[32];

	if (s->sc && e->cpu < s->ncpu) {
		kw = kwait_overlap(s, e->cpu, e->raise_ns, e->entry_ns);
		have_w = sched_who_ran(s->sc, e->cpu, e->raise_ns, e->entry_ns, 3, s->w) == 0;
	}
	s->slow_records++;
	if (s->a.json) {
		struct json *j = &s->j;
		json_obj_begin(j);
		json_kstr(j, "type", "softirq_delay");
		json_kuint(j, "cpu", e->cpu);
		json_kstr(j, "vector", softirq_vec_lname(e->vec));
		json_kuint(j, "start_ns", e->raise_ns);
		json_kuint(j, "delay_ns", delay);
		json_kuint(j, "entry_ns", e->entry_ns);
		if (s->sc) {
			json_kbool(j, "ksoftirqd_waiting", kw > 0);
			json_kuint(j, "ksoftirqd_wait_ns", kw);
		}
		if (have_w)
			sched_view_json(j, s->w);
		json_obj_end(j);
		json_line_end(j);
		return;
	}
	printf("%-8s cpu %-3u %-7s waited %s from raise to run", mono_to_hms(e->entry_ns, t, sizeof(t)),
	       e->cpu, softirq_vec_name(e->vec), fmt_duration(delay, d, sizeof(d)));
	if (s->sc) {
		if (kw)
			printf("; ksoftirqd/%u was waiting too (%s)", e->cpu, fmt_duration(kw, d2, sizeof(d2)));
		else
			printf("; ksoftirqd/%u was not waiting", e->cpu);
	}
	printf("\n");
	if (have_w)
		sched_view_text(stdout, s->w, 8);
}

static void on_event(const struct softirq_event *e, void *arg)
{
	struct sq *s = arg;

	if (!want_cpu(s, e->cpu))
		return;
	if (!s->sc) {
		report_delay(s, e);
		return;
	}
	if (s->npending == PENDING_MAX) {
		s->slow_lost++;
		return;
	}
	s->pending[s->npending++] = *e;
}

static void flush_pending(struct sq *s, bool all)
{
	uint64_t now = now_ns();
	unsigned keep = 0;

	if (s->sc)
		sched_drain(s->sc);
	for (unsigned i = 0; i < s->npending; i++) {
		if (all || s->pending[i].entry_ns + SETTLE_NS <= now)
			report_delay(s, &s->pending[i]);
		else
			s->pending[keep++] = s->pending[i];
	}
	s->npending = keep;
	fflush(stdout);
}

static void on_flush(struct loop *l, void *arg)
{
	(void)l;
	flush_pending(arg, false);
}

/* ---- per-interval and final tables ---- */

static void print_table(struct sq *s, const struct softirq_hists *h, const struct softirq_counts *pnow,
			const struct softirq_counts *pbefore, uint64_t ts, const char *type)
{
	char t[16], a[32], b[32], c[32], d[32];
	bool header = false;

	if (!s->a.json && strcmp(type, "softirq") == 0)
		printf("%s\n", mono_to_hms(ts, t, sizeof(t)));
	for (unsigned cpu = 0; cpu < s->ncpu; cpu++) {
		if (!want_cpu(s, cpu))
			continue;
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			const struct hist *dl = &h[cpu].delay[v], *rn = &h[cpu].run[v];
			uint32_t runs = u32_delta(softirqs_get(pnow, v, (int)cpu), softirqs_get(pbefore, v, (int)cpu));
			if (!((s->a.vec_mask >> v) & 1) || (!dl->count && !rn->count && !runs))
				continue;
			if (s->a.json) {
				json_obj_begin(&s->j);
				json_kstr(&s->j, "type", type);
				json_kuint(&s->j, "ts_ns", ts);
				json_kuint(&s->j, "cpu", cpu);
				json_kstr(&s->j, "vector", softirq_vec_lname(v));
				json_kuint(&s->j, "runs", runs);
				json_kuint(&s->j, "delays", dl->count);
				json_kuint(&s->j, "delay_avg_ns", dl->count ? dl->sum_ns / dl->count : 0);
				json_kuint(&s->j, "delay_p99_ns", hist_percentile_ns(dl, 99));
				json_kuint(&s->j, "delay_max_ns", dl->max_ns);
				json_kuint(&s->j, "run_avg_ns", rn->count ? rn->sum_ns / rn->count : 0);
				json_kuint(&s->j, "run_max_ns", rn->max_ns);
				json_obj_end(&s->j);
				json_line_end(&s->j);
				continue;
			}
			if (!header) {
				printf("  %-4s %-8s %8s %8s %9s %9s %9s %9s %9s\n", "CPU", "VECTOR", "RUNS", "DELAYS",
				       "DLY_AVG", "DLY_P99", "DLY_MAX", "RUN_AVG", "RUN_MAX");
				header = true;
			}
			printf("  %-4u %-8s %8u %8llu %9s %9s %9s %9s %9s\n", cpu, softirq_vec_name(v), runs,
			       (unsigned long long)dl->count,
			       fmt_duration(dl->count ? dl->sum_ns / dl->count : 0, a, sizeof(a)),
			       fmt_duration(hist_percentile_ns(dl, 99), b, sizeof(b)),
			       fmt_duration(dl->max_ns, c, sizeof(c)),
			       fmt_duration(rn->count ? rn->sum_ns / rn->count : 0, d, sizeof(d)),
			       fmt_duration(rn->max_ns, t, sizeof(t)));
		}
		if (s->sc && s->kw_max[cpu] && strcmp(type, "softirq") == 0 && !s->a.json)
			printf("  %-4u ksoftirqd/%u longest wait to run: %s\n", cpu, cpu,
			       fmt_duration(s->kw_max[cpu], a, sizeof(a)));
	}
	if (!s->a.json && !header)
		printf("  no softirqs\n");
}

static void on_tick(void *arg, struct loop *l)
{
	struct sq *s = arg;
	uint64_t ts = now_ns();

	if (softirq_take(s->col, s->cur) < 0 || softirqs_read(s->proc_now) < 0) {
		err("cannot read the softirq histograms");
		loop_stop(l);
		return;
	}
	for (unsigned c = 0; c < s->ncpu; c++)
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			hist_merge(&s->total[c].delay[v], &s->cur[c].delay[v]);
			hist_merge(&s->total[c].run[v], &s->cur[c].run[v]);
		}
	if (s->sc)
		sched_drain(s->sc);
	print_table(s, s->cur, s->proc_now, s->proc_prev, ts, "softirq");
	memcpy(s->proc_prev, s->proc_now, sizeof(*s->proc_now));
	memset(s->kw_max, 0, sizeof(*s->kw_max) * s->ncpu);
	if (!s->a.json)
		printf("\n");
	fflush(stdout);
}

static void summary(struct sq *s)
{
	uint64_t ts = now_ns();
	uint64_t st[SOFTIRQ_NR_STATS] = { 0 };

	if (softirq_take(s->col, s->cur) == 0)
		for (unsigned c = 0; c < s->ncpu; c++)
			for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
				hist_merge(&s->total[c].delay[v], &s->cur[c].delay[v]);
				hist_merge(&s->total[c].run[v], &s->cur[c].run[v]);
			}
	softirq_stats(s->col, st);
	if (softirqs_read(s->proc_now) < 0)
		memcpy(s->proc_now, s->proc_first, sizeof(*s->proc_now));
	if (!s->a.json)
		printf("total over %.1fs:\n", (double)(ts - s->t0_ns) / 1e9);
	print_table(s, s->total, s->proc_now, s->proc_first, ts, "softirq_total");
	for (unsigned c = 0; c < s->ncpu; c++) {
		if (!want_cpu(s, c))
			continue;
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			const struct hist *h = &s->total[c].delay[v];
			if (!((s->a.vec_mask >> v) & 1) || !h->count)
				continue;
			if (s->a.json) {
				json_obj_begin(&s->j);
				json_kstr(&s->j, "type", "softirq_hist");
				json_kuint(&s->j, "cpu", c);
				json_kstr(&s->j, "vector", softirq_vec_lname(v));
				json_kstr(&s->j, "what", "delay");
				json_kuint(&s->j, "count", h->count);
				json_kuint(&s->j, "sum_ns", h->sum_ns);
				json_kuint(&s->j, "min_ns", h->min_ns);
				json_kuint(&s->j, "max_ns", h->max_ns);
				json_key(&s->j, "slots");
				json_arr_begin(&s->j);
				for (unsigned i = 0; i < HIST_SLOTS; i++)
					json_uint(&s->j, h->slots[i]);
				json_arr_end(&s->j);
				json_obj_end(&s->j);
				json_line_end(&s->j);
				continue;
			}
			printf("\ncpu %u %s raise->entry delay:\n", c, softirq_vec_name(v));
			hist_print(stdout, h, "");
		}
	}
	if (s->a.slower_ns && !s->a.json)
		printf("\n%" PRIu64 " delays >= %.3fms reported%s\n", s->slow_records, (double)s->a.slower_ns / 1e6,
		       st[SOFTIRQ_STAT_RB_DROPS] || s->slow_lost ? " (some records lost: too many)" : "");
	if (s->a.json) {
		json_obj_begin(&s->j);
		json_kstr(&s->j, "type", "softirq_summary");
		json_kuint(&s->j, "duration_ns", ts - s->t0_ns);
		json_kuint(&s->j, "slow_records", s->slow_records);
		json_kuint(&s->j, "records_lost", st[SOFTIRQ_STAT_RB_DROPS] + s->slow_lost);
		json_obj_end(&s->j);
		json_line_end(&s->j);
	}
}

static int alloc_tables(struct sq *s)
{
	s->ncpu = softirq_nr_cpus(s->col);
	s->cur = calloc(s->ncpu, sizeof(*s->cur));
	s->total = calloc(s->ncpu, sizeof(*s->total));
	s->proc_prev = malloc(sizeof(*s->proc_prev));
	s->proc_first = malloc(sizeof(*s->proc_first));
	s->proc_now = malloc(sizeof(*s->proc_now));
	s->kw = calloc((size_t)s->ncpu * KWAITS_PER_CPU, sizeof(*s->kw));
	s->kw_head = calloc(s->ncpu, sizeof(*s->kw_head));
	s->kw_max = calloc(s->ncpu, sizeof(*s->kw_max));
	s->w = malloc(sizeof(*s->w));
	if (!s->cur || !s->total || !s->proc_prev || !s->proc_first || !s->proc_now || !s->kw ||
	    !s->kw_head || !s->kw_max || !s->w) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	return 0;
}

/* --slower: who ran instead, and ksoftirqd's own waits (the shared sched
 * collector); the stall sampler is optional, who ran is known without it. */
static int open_sched(struct sq *s)
{
	struct sched_opts o;

	sched_opts_default(&o);
	o.threshold_ns = s->a.slower_ns;
	o.sampler = true;
	o.cpus_set = opt_cpus_given(&s->a.cpus);
	o.cpus = s->a.cpus;
	strncpy(o.class_comm, "ksoftirqd", sizeof(o.class_comm) - 1);
	if (sched_open(&s->sc, &o) < 0) {
		warn("continuing without the stall sampler: no mode, BH state or stacks of who ran instead");
		o.sampler = false;
		if (sched_open(&s->sc, &o) < 0)
			return EXIT_RUNTIME;
	}
	sched_set_wait_cb(s->sc, on_wait, s);
	return 0;
}

static int softirq_open_all(void *arg, struct loop *l)
{
	struct sq *s = arg;
	struct softirq_opts so = { .vec_mask = s->a.vec_mask, .slower_ns = s->a.slower_ns };
	int rc;

	json_init(&s->j, stdout);
	if (softirq_open(&s->col, &so) < 0)
		return EXIT_RUNTIME;
	if ((rc = alloc_tables(s)) || (s->a.slower_ns && (rc = open_sched(s))))
		return rc;
	softirq_set_event_cb(s->col, on_event, s);
	if (softirq_add_to_loop(s->col, l) < 0 ||
	    (s->sc && (sched_add_to_loop(s->sc, l) < 0 ||
		       loop_add_timer(l, 100 * NS_PER_MS, 100 * NS_PER_MS, on_flush, s) < 0))) {
		err("cannot set up the event loop");
		return EXIT_RUNTIME;
	}
	return 0;
}

static int softirq_start(void *arg)
{
	struct sq *s = arg;

	if (softirqs_read(s->proc_first) < 0 || softirq_take(s->col, s->cur) < 0)
		return EXIT_RUNTIME;
	memcpy(s->proc_prev, s->proc_first, sizeof(*s->proc_first));
	s->t0_ns = now_ns();
	fprintf(stderr, "Tracing softirq raise/entry/exit (%s)%s. Ctrl-C to end.\n", softirq_attach_kind(s->col),
		s->sc ? " and the scheduler" : "");
	return 0;
}

static int softirq_summary(void *arg)
{
	flush_pending(arg, true);
	summary(arg);
	return EXIT_OK;
}

static void softirq_close_all(void *arg)
{
	struct sq *s = arg;

	sched_close(s->sc); /* before the loop: it may hold a timer there */
	softirq_close(s->col);
	free(s->cur);
	free(s->total);
	free(s->proc_prev);
	free(s->proc_first);
	free(s->proc_now);
	free(s->kw);
	free(s->kw_head);
	free(s->kw_max);
	free(s->w);
}

LIVE_COMMAND(softirq, struct sq,
	     .open = softirq_open_all, .start = softirq_start, .tick = on_tick,
	     .summary = softirq_summary, .close = softirq_close_all)
