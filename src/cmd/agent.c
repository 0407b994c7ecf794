/* agent.c — `ksleuth agent`: the doctor's pipeline (doctor/pipeline.h,
 * shared with `ksleuth doctor`) always on, behind a Prometheus /metrics
 * endpoint, on one single-threaded event loop. Collection never waits for
 * a client: the HTTP server is non-blocking (sys/http.c). Histograms stay
 * cumulative in memory; a scrape only formats them. Mechanisms are counted
 * from the engine's verdicts, never from their text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ksleuth.h"
#include "collect/attach.h"
#include "doctor/pipeline.h"
#include "doctor/recdir.h"
#include "doctor/records.h"
#include "collect/retrans.h"
#include "collect/sched.h"
#include "collect/softirq.h"
#include "engine/engine.h"
#include "lib/agentmet.h"
#include "lib/hist.h"
#include "lib/httpparse.h"
#include "lib/json.h"
#include "lib/parse.h"
#include "lib/procnet.h"
#include "lib/prom.h"
#include "sys/http.h"
#include "sys/cli.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procself.h"
#include "sys/sysinfo.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"
#define TICK_NS NS_PER_SEC         /* the engine's 1 s bins */

struct agent {
	struct loop *loop;
	struct http_server *http;
	struct pipeline *pl;
	struct sched_collector *sched;    /* the pipeline's, for metrics */
	struct softirq_collector *sirq;
	struct engine *eng;
	unsigned ncpus;

	uint64_t scrapes, ticks, collect_errors;
	uint64_t events_written;     /* records written to --events */
	int stats_fd;                     /* --bpf-stats: BPF_ENABLE_STATS while open, else -1 */

	struct agent_metrics m;           /* what the collectors and engine saw (lib/agentmet.h) */

	FILE *events;
	const char *events_path;
	struct json j;
	struct recdir *rd;                /* --record-dir, or NULL */
};

/* ---- engine output -> metrics -------------------------------------------- */

static void on_engine(void *arg, const struct eng_event *ev)
{
	struct agent *a = arg;

	switch (ev->type) {
	case ENG_EV_SPIKE:
		if (a->rd)
			recdir_spike(a->rd, now_ns());
		break;
	case ENG_EV_INCIDENT: {
		const struct eng_verdict *v = &ev->incident->verdict;
		if (a->rd)
			recdir_incident(a->rd);
		if (v->mech < AM_NMECH)
			a->m.incidents[v->mech]++;
		if (v->have_culprit && v->cpu >= 0)
			am_stall(&a->m, v->cpu, v->mech, v->stall_ns, v->culprit.comm, now_ns());
		am_silence(&a->m, v->cpu, v->mech == ENG_CPU_NOT_RUNNING, v->gap.ns);
		if (a->events) {
			doctor_json_incident(&a->j, ev->incident, now_ns());
			a->events_written++;
		}
		break;
	}
	case ENG_EV_FINDING: {
		const struct eng_finding *f = ev->finding;
		am_stall(&a->m, f->cpu, f->mech, f->stall_ns, f->culprit.comm, now_ns());
		am_silence(&a->m, f->cpu, f->irq_gap_not_running, f->irq_gap_ns);
		if (a->events) {
			doctor_json_finding(&a->j, f, now_ns());
			a->events_written++;
		}
		break;
	}
	}
}

/* ---- each second: the pipeline's softirq histograms -> metrics ---------- */

static void on_second(void *arg, const struct eng_net_sample *s, const struct softirq_hists *h, unsigned nh)
{
	struct agent *a = arg;
	(void)s;

	a->ticks++;
	a->m.win_pos = (a->m.win_pos + 1) % AM_WIN_BINS;
	if (a->rd)
		recdir_tick(a->rd, now_ns());
	if (!h) {
		a->collect_errors++;
		return;
	}
	for (unsigned c = 0; c < a->ncpus && c < nh; c++) {
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			const struct hist *x = &h[c].delay[v];
			hist_merge(&a->m.sirq_delay[c][v], x);
			a->m.sirq_max[c][v][a->m.win_pos] = x->count ? x->max_ns : 0;
		}
	}
}

/* ---- /metrics ------------------------------------------------------------ */

/* --record-dir: what was kept, deleted and removed for room. */
static void write_recdir_metrics(struct prom *p, const struct recdir_stats *st)
{
	prom_counter1(p, "ksleuth_agent_recordings_kept_total",
		"Recording segments kept in --record-dir because an incident closed in them.", st->kept);
	prom_counter1(p, "ksleuth_agent_recordings_deleted_total",
		"Recording segments deleted: no incident closed in them.", st->deleted);
	prom_counter1(p, "ksleuth_agent_recordings_pruned_total",
		"Kept recordings removed, oldest first, to stay under --record-max-mb.", st->pruned);
	prom_counter1(p, "ksleuth_agent_recording_errors_total",
		"Recording segments that could not be written, kept or removed.", st->errors);
	prom_gauge1(p, "ksleuth_agent_recordings_bytes",
		"Bytes of the kept recordings in --record-dir.", (double)st->bytes);
}

/* The collectors' metrics (lib/agentmet.c) with this scrape's run-queue
 * histograms and totals, then the lost-records counters. */
static void write_collector_metrics(struct agent *a, struct prom *p)
{
	uint64_t rtx[RETRANS_NR_STATS];

	pipeline_retrans_totals(a->pl, rtx, RETRANS_NR_STATS);
	for (unsigned c = 0; c < a->ncpus; c++) {
		if (sched_hist_cpu(a->sched, c, SCHED_CLASS_COMM, -1, &a->m.ksoftirqd[c]) != 0)
			hist_clear(&a->m.ksoftirqd[c]);
		if (sched_hist_cpu(a->sched, c, SCHED_CLASS_ALL, -1, &a->m.sched_wait[c]) != 0)
			hist_clear(&a->m.sched_wait[c]);
	}
	a->m.retrans_events = rtx[RETRANS_STAT_EVENTS];
	a->m.retrans_failed = rtx[RETRANS_STAT_FAILED];
	a->m.longest_stall_ns = engine_longest_stall_ns(a->eng);
	am_render(&a->m, p);

	uint64_t st[SCHED_NR_STATS], ss[SOFTIRQ_NR_STATS];
	prom_family(p, "ksleuth_lost_events_total", PROM_COUNTER,
		    "Records lost because a ring buffer was full (counts may be low), by collector.");
	if (sched_stats(a->sched, st) == 0)
		prom_counter(p, (struct prom_label[]){ { "collector", "sched" } }, 1, st[SCHED_STAT_RB_DROPS]);
	if (softirq_stats(a->sirq, ss) == 0)
		prom_counter(p, (struct prom_label[]){ { "collector", "softirq" } }, 1, ss[SOFTIRQ_STAT_RB_DROPS]);
	prom_counter(p, (struct prom_label[]){ { "collector", "retrans" } }, 1, rtx[RETRANS_STAT_RB_DROPS]);
	prom_counter(p, (struct prom_label[]){ { "collector", "kmsg" } }, 1, pipeline_kmsg_lost(a->pl));
}

/* process_* as Prometheus client libraries name them, so that the usual
 * dashboards and the unit's CPUQuota/MemoryMax can be watched. */
static void write_process_metrics(struct prom *p)
{
	struct proc_self ps;

	if (proc_self_read(&ps) < 0)
		return;
	prom_family(p, "process_cpu_seconds_total", PROM_COUNTER, "Total user and system CPU time spent in seconds.");
	prom_counter_f(p, NULL, 0, ps.cpu_seconds);
	prom_gauge1(p, "process_resident_memory_bytes", "Resident memory size in bytes.", (double)ps.resident_bytes);
	prom_gauge1(p, "process_virtual_memory_bytes", "Virtual memory size in bytes.", (double)ps.virtual_bytes);
	prom_gauge1(p, "process_open_fds", "Number of open file descriptors.", (double)ps.open_fds);
	if (ps.max_fds)
		prom_gauge1(p, "process_max_fds", "Maximum number of open file descriptors.", (double)ps.max_fds);
	prom_gauge1(p, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
		    ps.start_time_s);
}

/* Whether the kernel counts BPF run time now: our BPF_ENABLE_STATS fd,
 * or the global sysctl someone else turned on (never turned on here). */
static bool bpf_stats_on(const struct agent *a)
{
	char c = '0';
	FILE *f;

	if (a->stats_fd >= 0)
		return true;
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

/* The kernel's own run time of each loaded program (bpf_prog_info),
 * only while it is counted: frozen numbers would read as "no cost". */
static void write_bpf_stats(struct agent *a, struct prom *p)
{
	struct prog_stat st[32];
	int n;

	if (!bpf_stats_on(a))
		return;
	n = pipeline_prog_stats(a->pl, st, 32);
	prom_family(p, "ksleuth_bpf_prog_run_seconds_total", PROM_COUNTER,
		    "Time the kernel spent in each of the agent's BPF programs, counted while BPF stats are enabled (--bpf-stats or kernel.bpf_stats_enabled=1).");
	for (int i = 0; i < n; i++)
		prom_counter_f(p, (struct prom_label[]){ { "prog", st[i].name } }, 1,
			       (double)st[i].run_time_ns / 1e9);
	prom_family(p, "ksleuth_bpf_prog_runs_total", PROM_COUNTER,
		    "Runs of each of the agent's BPF programs, counted while BPF stats are enabled.");
	for (int i = 0; i < n; i++)
		prom_counter(p, (struct prom_label[]){ { "prog", st[i].name } }, 1, st[i].run_cnt);
}

static int write_metrics(void *arg, FILE *f)
{
	struct agent *a = arg;
	struct prom p;
	const struct http_stats *hs = http_server_stats(a->http);
	const char *preempt = pipeline_eng_kernel(a->pl)->preempt;
	const struct kernel_facts *kf = pipeline_facts(a->pl);
	char code[8];

	a->scrapes++;
	prom_init(&p, f);

	prom_family(&p, "ksleuth_build_info", PROM_GAUGE, "ksleuth's version (the value is always 1).");
	prom_gauge(&p, (struct prom_label[]){ { "version", KSLEUTH_VERSION } }, 1, 1);
	prom_family(&p, "ksleuth_kernel_info", PROM_GAUGE,
		    "The running kernel: release, preemption model in force, and whether it can be changed at boot (PREEMPT_DYNAMIC). Always 1.");
	prom_gauge(&p, (struct prom_label[]){ { "release", kf->release },
		{ "preempt", preempt[0] ? preempt : "unknown" },
		{ "dynamic", kf->preempt_dynamic_built ? "true" : "false" },
		{ "softirq", softirq_semantics_name(kf->softirq) } }, 4, 1);

	write_collector_metrics(a, &p);

	prom_gauge1(&p, "ksleuth_agent_uptime_seconds",
		"Seconds since the agent started collecting.", (double)(now_ns() - pipeline_t0_ns(a->pl)) / 1e9);
	prom_counter1(&p, "ksleuth_agent_ticks_total",
		"1-second collection intervals completed (stops growing if collection stops).", a->ticks);
	prom_counter1(&p, "ksleuth_agent_collect_errors_total",
		"Intervals in which a collector could not be read.", a->collect_errors);
	prom_counter1(&p, "ksleuth_agent_events_written_total",
		"Records written to the --events file.", a->events_written);
	if (a->rd)
		write_recdir_metrics(&p, recdir_stats(a->rd));
	prom_counter1(&p, "ksleuth_agent_scrapes_total",
		"Requests for /metrics answered, this one included.", a->scrapes);
	prom_family(&p, "ksleuth_agent_http_responses_total", PROM_COUNTER, "HTTP responses sent, by status code.");
	for (int i = 0; i < HTTP_CODES && hs->codes[i]; i++) {
		snprintf(code, sizeof(code), "%d", hs->codes[i]);
		prom_counter(&p, (struct prom_label[]){ { "code", code } }, 1, hs->answered[i]);
	}
	prom_counter1(&p, "ksleuth_agent_http_connections_total",
		"HTTP connections accepted.", hs->accepted);
	prom_counter1(&p, "ksleuth_agent_http_evicted_total",
		"HTTP connections closed to make room (connection cap reached).", hs->evicted);
	prom_counter1(&p, "ksleuth_agent_http_timeouts_total",
		"HTTP connections closed by the read or write timeout.", hs->timeouts);
	prom_gauge1(&p, "ksleuth_agent_http_open_connections",
		"HTTP connections open now (this one included).", (double)hs->open);

	prom_counter1(&p, "ksleuth_agent_http_gzip_responses_total",
		"Answers sent gzip-encoded (the client sent Accept-Encoding: gzip).", hs->gzipped);
	write_process_metrics(&p);
	write_bpf_stats(a, &p);

	if (prom_finish(&p) != 0) {
		err("internal error while writing metrics: %s", p.errmsg);
		return 500;
	}
	return 200;
}

static int write_healthz(void *arg, FILE *f)
{
	(void)arg;
	fputs("ok\n", f);
	return 200;
}

/* The --events file, opened O_APPEND ("a"): after logrotate's copytruncate
 * the next record lands at the new end, offset 0, not past a hole. Its
 * buffer holds a whole record, so each flushed record is one write(). */
static FILE *events_open(const char *path)
{
	FILE *f = fopen(path, "a");

	if (f)
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

/* SIGHUP: logrotate moved the --events file (create mode) and wants the
 * next records in a new file under the old name. A file that cannot be
 * opened keeps the old one in use: records are never dropped for it. With
 * copytruncate nothing is needed: the file is opened O_APPEND. */
static void on_hangup(struct loop *l, void *arg)
{
	struct agent *a = arg;
	FILE *f;

	(void)l;
	if (!a->events_path)
		return;
	f = events_open(a->events_path);
	if (!f) {
		warn("SIGHUP: cannot reopen --events file '%s': %s; still writing to the file open before",
		     log_arg(a->events_path), strerror(errno));
		return;
	}
	fclose(a->events);
	a->events = f;
	json_init(&a->j, f); /* records are whole flushed lines: nothing is half written */
	info("agent: SIGHUP: reopened --events file");
}

/* ---- setup and teardown -------------------------------------------------- */

static void agent_free(struct agent *a)
{
	http_server_free(a->http);
	if (a->eng)
		engine_finish(a->eng, now_ns()); /* settle what is pending into --events */
	recdir_close(a->rd, now_ns());      /* after the settling: its incidents count */
	pipeline_close(a->pl);
	if (a->events)
		fclose(a->events);
	loop_free(a->loop);
	am_free(&a->m);
	if (a->stats_fd >= 0)
		close(a->stats_fd);
}

static int agent_start(struct agent *a, uint64_t threshold_ns, bool per_cpu)
{
	struct pipeline_opts po = {
		.threshold_ns = threshold_ns,
		.softirq_trace = true,           /* every softirq's delay and run time histograms */
		.softirq_vec_mask = 0,           /* all vectors: they are all exported */
		.ksoftirqd_hist = true,          /* ksleuth_ksoftirqd_wakeup_delay_seconds */
		.on_event = on_engine,
		.on_second = on_second,
		.arg = a,
	};
	unsigned nsirq;

	if (pipeline_open(&a->pl, a->loop, &po) < 0)
		return -1;
	a->sched = pipeline_sched(a->pl);
	a->sirq = pipeline_softirq(a->pl);
	a->ncpus = sched_nr_cpus(a->sched);
	nsirq = softirq_nr_cpus(a->sirq);
	if (nsirq < a->ncpus)
		a->ncpus = nsirq;
	if (am_init(&a->m, a->ncpus, per_cpu, threshold_ns) < 0) {
		err("out of memory");
		return -1;
	}
	/* the engine may report events only from its first tick on, after this */
	a->eng = pipeline_engine(a->pl);
	return 0;
}

struct agent_args {
	const char *listen, *events, *record_dir;
	uint64_t record_span_ns;
	long record_max_mb;
	long max_conns;
	uint64_t threshold_ns;
	bool per_cpu, bpf_stats;
};

static const struct opt agent_opts[] = {
	{ .lname = "listen", OPT_STRING_AT(struct agent_args, listen), .arg = "ADDR:PORT", .min = 1,
	  .def_text = DEFAULT_LISTEN,
	  .help = "where to listen; port 0 picks a free port, printed at start. A non-loopback "
		  "address exposes kernel details to the network: a warning is printed; restrict it "
		  "with a firewall" },
	{ .lname = "events", OPT_STRING_AT(struct agent_args, events), .arg = "FILE", .min = 1,
	  .help = "append incidents and stalls as JSON Lines, one flushed line per record, as doctor "
		  "--json writes them (\"type\":\"incident\" or \"finding\")" },
	PIPELINE_OPT_THRESHOLD(struct agent_args, threshold_ns, "a CPU held this long is a stall"),
	{ .lname = "record-dir", OPT_STRING_AT(struct agent_args, record_dir), .arg = "DIR", .min = 1,
	  .help = "keep each incident's evidence in DIR as a recording 'ksleuth report' reads "
		  "(incident-<UTC time>.ksl; docs/record.md)" },
	{ .lname = "record-span", OPT_DURATION_AT(struct agent_args, record_span_ns), .arg = "DUR",
	  .min = 10 * NS_PER_SEC, .max = 3600 * NS_PER_SEC, .has_def = true, .def = 300 * NS_PER_SEC,
	  .help = "the length of a --record-dir segment; one without an incident is deleted" },
	{ .lname = "record-max-mb", OPT_INT_AT(struct agent_args, record_max_mb), .arg = "MB", .min = 1,
	  .max = 1048576, .has_def = true, .def = 256,
	  .help = "all recordings kept in --record-dir together at most this size (the oldest go "
		  "first); one at most a quarter of it" },
	{ .lname = "max-conns", OPT_INT_AT(struct agent_args, max_conns), .arg = "N", .min = 1, .max = 4096,
	  .has_def = true, .def = 128,
	  .help = "open HTTP connections at most; beyond it the oldest is closed" },
	{ .lname = "per-cpu", OPT_FLAG_AT(struct agent_args, per_cpu),
	  .help = "a series per CPU (label cpu) in the histograms and counters; by default they are "
		  "summed over CPUs, so a scrape's size does not grow with the CPU count" },
	{ .lname = "bpf-stats", OPT_FLAG_AT(struct agent_args, bpf_stats),
	  .help = "have the kernel count the BPF programs' run time for as long as the agent runs "
		  "(BPF_ENABLE_STATS, not the global sysctl) and export it (ksleuth_bpf_prog_*); "
		  "without it it is exported only while kernel.bpf_stats_enabled is 1" },
	{ 0 }
};

const struct opt_cmd agent_cli = {
	.name = "agent",
	.summary = "run always-on and serve Prometheus metrics",
	.description =
	"Run the doctor's collectors and engine always-on and serve Prometheus\n"
	"metrics (text format 0.0.4) at http://ADDR:PORT/metrics, \"ok\" at /healthz.\n",
	.opts = agent_opts,
	.notes =
	"Metrics are documented in docs/agent.md; rules for Prometheus are in\n"
	"contrib/prometheus/. SIGINT or SIGTERM stop it cleanly (exit 0); SIGHUP\n"
	"reopens the --events file (after logrotate moved it). Exit 1 on runtime\n"
	"errors, 2 on bad arguments.\n",
};

/* -1 to go on, else the exit code (--help, bad arguments). */
static int agent_args(int argc, char **argv, struct agent *a, struct agent_args *aa, struct http_config *hc)
{
	struct sockaddr_storage ss;
	struct opt_result res;
	unsigned sl;
	int rc = cli_parse(&agent_cli, argc, argv, aa, &res);

	if (rc != CLI_RUN)
		return rc;
	hc->listen = aa->listen ? aa->listen : DEFAULT_LISTEN;
	hc->max_conns = (unsigned)aa->max_conns;
	a->events_path = aa->events;
	if (aa->record_dir && access(aa->record_dir, W_OK | X_OK) < 0)
		return cli_usage_error(&agent_cli, "--record-dir '%s' is not a directory we can write in: %s",
				       log_arg(aa->record_dir), strerror(errno));
	if (http_parse_listen(hc->listen, &ss, &sl) < 0)
		return cli_usage_error(&agent_cli, "--listen '%s' is not ADDR:PORT with an IP address "
				       "(e.g. 127.0.0.1:9464 or [::1]:9464)", log_arg(hc->listen));
	return -1;
}

/* Listens, starts collecting and serves until a signal. */
static int agent_serve(struct agent *a, const struct agent_args *aa, const struct http_config *hc)
{
	struct http_route routes[2] = {
		{ "/metrics", "text/plain; version=0.0.4; charset=utf-8", write_metrics, a },
		{ "/healthz", "text/plain; charset=utf-8", write_healthz, NULL },
	};

	a->loop = loop_new();
	if (!a->loop) {
		err("cannot create the event loop: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	loop_on_hangup(a->loop, on_hangup, a);
	/* listen first: a busy port fails fast, before BPF is loaded */
	a->http = http_server_new(a->loop, hc, routes, 2);
	if (!a->http)
		return EXIT_RUNTIME;
	if (!http_server_is_loopback(a->http))
		warn("listening on %s, not a loopback address: anyone who reaches it can read "
		     "kernel details; restrict it with a firewall", http_server_address(a->http));
	if (aa->bpf_stats && (a->stats_fd = attach_enable_stats()) < 0)
		return EXIT_RUNTIME;
	if (agent_start(a, aa->threshold_ns, aa->per_cpu) < 0)
		return EXIT_RUNTIME;
	if (aa->record_dir && !(a->rd = recdir_open(a->pl, aa->record_dir, aa->record_span_ns,
						   (uint64_t)aa->record_max_mb << 20, now_ns())))
		return EXIT_RUNTIME;
	info("agent: collecting on %u CPUs; serving http://%s/metrics", a->ncpus,
	     http_server_address(a->http));
	if (loop_run(a->loop) < 0) {
		err("the event loop failed: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	info("agent: stopping (%s)", loop_stop_signal(a->loop) ? "signal" : "done");
	return EXIT_OK;
}

int cmd_agent(int argc, char **argv)
{
	struct agent_args aa = { 0 };
	struct http_config hc = { 0 };
	struct agent a = { .stats_fd = -1 };
	int rc = agent_args(argc, argv, &a, &aa, &hc);

	if (rc >= 0)
		return rc;
	if (a.events_path) {
		a.events = events_open(a.events_path);
		if (!a.events) {
			err("cannot open --events file '%s': %s", log_arg(a.events_path), strerror(errno));
			return EXIT_RUNTIME;
		}
		json_init(&a.j, a.events);
	}
	rc = agent_serve(&a, &aa, &hc);
	agent_free(&a);
	return rc;
}
