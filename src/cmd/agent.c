/* agent.c — `ksleuth agent`: the doctor's pipeline (collect/pipeline.h:
 * sched, softirq, retrans, /proc counters, kernel log, engine, shared with
 * `ksleuth doctor`), always on, behind a
 * Prometheus /metrics endpoint, on one single-threaded event loop (ring
 * buffers, a 1 s timerfd, the listening socket, signalfd). Collection never
 * waits for a client: the HTTP server is non-blocking (sys/http.c).
 * Histograms stay cumulative in memory; a scrape only formats them. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ksleuth.h"
#include "collect/pipeline.h"
#include "collect/retrans.h"
#include "collect/sched.h"
#include "collect/softirq.h"
#include "engine/engine.h"
#include "lib/hist.h"
#include "lib/httpparse.h"
#include "lib/json.h"
#include "lib/parse.h"
#include "lib/procnet.h"
#include "lib/prom.h"
#include "sys/http.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sysinfo.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"
#define TICK_NS NS_PER_SEC         /* the engine's 1 s bins */
#define WIN_BINS 60                /* ksleuth_softirq_delay_max_seconds: max over 60 s */
#define TOPK 10                    /* culprit comms with their own series */
#define NMECH (ENG_CPU_NOT_RUNNING + 1)
/* comm label values no task can take: a comm is at most 15 bytes, and
 * printable ASCII passes the label writer unchanged, so a value of 16 or
 * more such bytes is never a task's name (a task named "other" must not
 * add to the overflow series) */
#define COMM_OTHER "(all other tasks)"
#define COMM_EMPTY "(empty task name)"

/* Why a CPU took no timer interrupt (ksleuth_timer_silences_total). */
enum silence_cause { SIL_IRQ_OFF, SIL_NOT_RUNNING, SIL_NR };
static const char *const silence_cause_name[SIL_NR] = { "interrupts_off", "cpu_not_running" };

#define CULPRIT_NAME_LEN 24 /* > ENG_COMM_LEN: COMM_EMPTY fits */

struct culprit {
	char comm[CULPRIT_NAME_LEN];
	uint64_t stall_ns;
};

struct agent {
	struct loop *loop;
	struct http_server *http;
	struct pipeline *pl;
	struct sched_collector *sched;    /* the pipeline's, for metrics */
	struct softirq_collector *sirq;
	struct engine *eng;
	const struct kernel_facts *kf;
	unsigned ncpus;

	uint64_t start_ns, scrapes, ticks, collect_errors;

	/* softirq: cumulative histograms, 60 s window max */
	struct hist (*sirq_delay)[KS_NR_SOFTIRQS];
	uint64_t (*sirq_max)[KS_NR_SOFTIRQS][WIN_BINS];
	unsigned win_pos;

	/* what the engine settled */
	uint64_t (*stalls)[NMECH];        /* per CPU and mechanism */
	struct hist *stall_hist;          /* per CPU: settled stall lengths */
	uint64_t incidents[NMECH];
	uint64_t (*silences)[SIL_NR];     /* per CPU and cause: how many, how long */
	uint64_t (*silence_ns)[SIL_NR];
	struct culprit top[TOPK];
	unsigned ntop;
	uint64_t other_ns;

	FILE *events;
	const char *events_path;
	struct json j;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: ksleuth agent [--listen ADDR:PORT] [--events FILE] [--threshold DUR] [--max-conns N]\n"
"\n"
"Run the doctor's collectors and engine always-on and serve Prometheus\n"
"metrics (text format 0.0.4) at http://ADDR:PORT/metrics, \"ok\" at /healthz.\n"
"\n"
"  --listen ADDR:PORT  where to listen (default " DEFAULT_LISTEN "; port 0 picks a\n"
"                      free port, printed at start). A non-loopback address\n"
"                      exposes kernel details to the network: a warning is\n"
"                      printed; restrict it with a firewall.\n"
"  --events FILE       append incidents and stalls as JSON Lines, one flushed\n"
"                      line per record, as doctor --json writes them\n"
"                      (\"type\":\"incident\" or \"finding\")\n"
"  --threshold DUR     a CPU held this long is a stall (default 100ms)\n"
"  --max-conns N       open HTTP connections at most (default 128; beyond it the\n"
"                      oldest is closed)\n"
"\n"
"Metrics are documented in docs/agent.md; rules for Prometheus are in\n"
"contrib/prometheus/. SIGINT or SIGTERM stop it cleanly (exit 0); SIGHUP\n"
"reopens the --events file (after logrotate moved it). Exit 1 on runtime\n"
"errors, 2 on bad arguments.\n");
}

/* ---- culprits: bounded cardinality --------------------------------------- */

/* Kernel threads are "name/cpu" or "name/u8:2": one series per name. The
 * first TOPK names get their own series for the life of the agent (counters
 * must never go down), later ones add to COMM_OTHER. */
static void culprit_add(struct agent *a, const char *comm, uint64_t ns)
{
	char name[CULPRIT_NAME_LEN];
	size_t n = strcspn(comm, "/");

	if (n >= ENG_COMM_LEN)
		n = ENG_COMM_LEN - 1;
	memcpy(name, comm, n);
	name[n] = '\0';
	if (!name[0])
		strcpy(name, COMM_EMPTY);
	for (unsigned i = 0; i < a->ntop; i++) {
		if (strcmp(a->top[i].comm, name) == 0) {
			a->top[i].stall_ns += ns;
			return;
		}
	}
	if (a->ntop < TOPK) {
		strcpy(a->top[a->ntop].comm, name);
		a->top[a->ntop++].stall_ns = ns;
		return;
	}
	a->other_ns += ns;
}

/* ---- engine output -> metrics -------------------------------------------- */

static void count_stall(struct agent *a, int cpu, enum eng_mech m, uint64_t ns, const char *comm)
{
	if (cpu >= 0 && (unsigned)cpu < a->ncpus && m < NMECH) {
		a->stalls[cpu][m]++;
		hist_add_ns(&a->stall_hist[cpu], ns);
	}
	culprit_add(a, comm, ns);
}

static void count_silence(struct agent *a, int cpu, bool not_running, uint64_t ns)
{
	enum silence_cause k = not_running ? SIL_NOT_RUNNING : SIL_IRQ_OFF;

	if (!ns || cpu < 0 || (unsigned)cpu >= a->ncpus)
		return;
	a->silences[cpu][k]++;
	a->silence_ns[cpu][k] += ns;
}

static void on_engine(void *arg, const struct eng_event *ev)
{
	struct agent *a = arg;

	switch (ev->type) {
	case ENG_EV_SPIKE:
		break;
	case ENG_EV_INCIDENT: {
		const struct eng_incident *in = ev->incident;
		if (in->mech < NMECH)
			a->incidents[in->mech]++;
		if (in->have_culprit && in->cpu >= 0)
			count_stall(a, in->cpu, in->mech, in->stall_ns, in->culprit.comm);
		count_silence(a, in->cpu, in->mech == ENG_CPU_NOT_RUNNING, in->gap.ns);
		if (a->events)
			pipeline_json_incident(&a->j, in, now_ns());
		break;
	}
	case ENG_EV_FINDING: {
		const struct eng_finding *f = ev->finding;
		count_stall(a, f->cpu, f->mech, f->stall_ns, f->culprit.comm);
		count_silence(a, f->cpu, f->irq_gap_not_running, f->irq_gap_ns);
		if (a->events)
			pipeline_json_finding(&a->j, f, now_ns());
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
	a->win_pos = (a->win_pos + 1) % WIN_BINS;
	if (!h) {
		a->collect_errors++;
		return;
	}
	for (unsigned c = 0; c < a->ncpus && c < nh; c++) {
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			const struct hist *x = &h[c].delay[v];
			hist_merge(&a->sirq_delay[c][v], x);
			a->sirq_max[c][v][a->win_pos] = x->count ? x->max_ns : 0;
		}
	}
}

/* ---- /metrics ------------------------------------------------------------ */

static const char *cpu_str(unsigned cpu, char *buf, size_t size)
{
	snprintf(buf, size, "%u", cpu);
	return buf;
}

static void write_collector_metrics(struct agent *a, struct prom *p)
{
	char cb[12];
	struct hist h;
	uint64_t rtx[RETRANS_NR_STATS];

	pipeline_retrans_totals(a->pl, rtx, RETRANS_NR_STATS);

	prom_family(p, "ksleuth_softirq_delay_seconds", PROM_HISTOGRAM,
		    "Softirq raise to handler entry delay, per CPU and vector (series appear once a vector ran).");
	for (unsigned c = 0; c < a->ncpus; c++)
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++)
			if (a->sirq_delay[c][v].count)
				prom_histogram(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) },
					{ "vector", softirq_vec_lname(v) } }, 2, &a->sirq_delay[c][v]);

	prom_family(p, "ksleuth_softirq_delay_max_seconds", PROM_GAUGE,
		    "Longest softirq raise to entry delay in the last 60 seconds, per CPU and vector.");
	for (unsigned c = 0; c < a->ncpus; c++)
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			uint64_t m = 0;
			if (!a->sirq_delay[c][v].count)
				continue;
			for (unsigned b = 0; b < WIN_BINS; b++)
				if (a->sirq_max[c][v][b] > m)
					m = a->sirq_max[c][v][b];
			prom_gauge(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) },
				{ "vector", softirq_vec_lname(v) } }, 2, (double)m / 1e9);
		}

	prom_family(p, "ksleuth_ksoftirqd_wakeup_delay_seconds", PROM_HISTOGRAM,
		    "Run-queue wait of ksoftirqd/N (wakeup or preemption to running), per CPU.");
	for (unsigned c = 0; c < a->ncpus; c++)
		if (sched_hist_cpu(a->sched, c, SCHED_CLASS_COMM, -1, &h) == 0)
			prom_histogram(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) } }, 1, &h);

	prom_family(p, "ksleuth_sched_wait_seconds", PROM_HISTOGRAM,
		    "Run-queue wait of all tasks (wakeup or preemption to running), per CPU waited for.");
	for (unsigned c = 0; c < a->ncpus; c++)
		if (sched_hist_cpu(a->sched, c, SCHED_CLASS_ALL, -1, &h) == 0)
			prom_histogram(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) } }, 1, &h);

	prom_family(p, "ksleuth_tcp_retransmit_events_total", PROM_COUNTER,
		    "tcp:tcp_retransmit_skb tracepoint hits, failed attempts included (reads higher than the kernel's RetransSegs, which node_exporter exports as node_netstat_Tcp_RetransSegs).");
	prom_counter(p, NULL, 0, rtx[RETRANS_STAT_EVENTS]);
	prom_family(p, "ksleuth_tcp_retransmit_failed_total", PROM_COUNTER,
		    "tcp:tcp_retransmit_skb hits whose attempt did not send (err != 0).");
	prom_counter(p, NULL, 0, rtx[RETRANS_STAT_FAILED]);

	prom_family(p, "ksleuth_stalls_total", PROM_COUNTER,
		    "CPU stalls (a CPU held from waiting work longer than the threshold), per CPU and the mechanism the engine settled on.");
	/* every CPU x mechanism from the start (bounded: ncpus x 4), so that
	 * increase() sees the first stall as a 0 -> 1 step */
	for (unsigned c = 0; c < a->ncpus; c++)
		for (unsigned m = 1; m < ENG_NOT_CPU; m++) /* not_cpu has no stall */
			prom_counter(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) },
					{ "mechanism", eng_mech_name((enum eng_mech)m) } }, 2, a->stalls[c][m]);
	prom_family(p, "ksleuth_stall_seconds", PROM_HISTOGRAM,
		    "Length of settled CPU stalls, per CPU.");
	for (unsigned c = 0; c < a->ncpus; c++)
		prom_histogram(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) } }, 1, &a->stall_hist[c]);
	prom_family(p, "ksleuth_longest_stall_seconds", PROM_GAUGE,
		    "Longest CPU stall seen since the agent started.");
	prom_gauge(p, NULL, 0, (double)engine_longest_stall_ns(a->eng) / 1e9);

	prom_family(p, "ksleuth_incidents_total", PROM_COUNTER,
		    "Incidents (a network symptom tied to a cause), by mechanism.");
	for (unsigned m = 1; m < NMECH; m++)
		prom_counter(p, (struct prom_label[]){ { "mechanism", eng_mech_name((enum eng_mech)m) } },
			     1, a->incidents[m]);

	prom_family(p, "ksleuth_timer_silences_total", PROM_COUNTER,
		    "Timer-interrupt silences (a CPU took no tick for the threshold or longer while one task ran), per CPU and cause: interrupts_off (ended where interrupts came back on) or cpu_not_running (the CPU did not run this kernel; on a VM the host did not run the vCPU).");
	for (unsigned c = 0; c < a->ncpus; c++)
		for (unsigned k = 0; k < SIL_NR; k++)
			prom_counter(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) },
					{ "cause", silence_cause_name[k] } }, 2, a->silences[c][k]);
	prom_family(p, "ksleuth_timer_silence_seconds_total", PROM_COUNTER,
		    "Time CPUs spent in timer-interrupt silences, per CPU and cause.");
	for (unsigned c = 0; c < a->ncpus; c++)
		for (unsigned k = 0; k < SIL_NR; k++)
			prom_counter_f(p, (struct prom_label[]){ { "cpu", cpu_str(c, cb, sizeof(cb)) },
					{ "cause", silence_cause_name[k] } }, 2, (double)a->silence_ns[c][k] / 1e9);

	prom_family(p, "ksleuth_culprit_stall_seconds_total", PROM_COUNTER,
		    "Stall time by the task that held the CPU; the first 10 task names get a series, later ones count as \"" COMM_OTHER "\".");
	for (unsigned i = 0; i < a->ntop; i++)
		prom_counter_f(p, (struct prom_label[]){ { "comm", a->top[i].comm } }, 1,
			       (double)a->top[i].stall_ns / 1e9);
	prom_counter_f(p, (struct prom_label[]){ { "comm", COMM_OTHER } }, 1, (double)a->other_ns / 1e9);

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

static int write_metrics(void *arg, FILE *f)
{
	struct agent *a = arg;
	struct prom p;
	const struct http_stats *hs = http_server_stats(a->http);
	const char *preempt = pipeline_eng_kernel(a->pl)->preempt;
	char code[8];

	a->scrapes++;
	prom_init(&p, f);

	prom_family(&p, "ksleuth_build_info", PROM_GAUGE, "ksleuth's version (the value is always 1).");
	prom_gauge(&p, (struct prom_label[]){ { "version", KSLEUTH_VERSION } }, 1, 1);
	prom_family(&p, "ksleuth_kernel_info", PROM_GAUGE,
		    "The running kernel: release, preemption model in force, and whether it can be changed at boot (PREEMPT_DYNAMIC). Always 1.");
	prom_gauge(&p, (struct prom_label[]){ { "release", a->kf->release },
		{ "preempt", preempt[0] ? preempt : "unknown" },
		{ "dynamic", a->kf->preempt_dynamic_built ? "true" : "false" },
		{ "softirq", softirq_semantics_name(a->kf->softirq) } }, 4, 1);

	write_collector_metrics(a, &p);

	prom_gauge1(&p, "ksleuth_agent_uptime_seconds",
		"Seconds since the agent started collecting.", (double)(now_ns() - a->start_ns) / 1e9);
	prom_counter1(&p, "ksleuth_agent_ticks_total",
		"1-second collection intervals completed (stops growing if collection stops).", a->ticks);
	prom_counter1(&p, "ksleuth_agent_collect_errors_total",
		"Intervals in which a collector could not be read.", a->collect_errors);
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
	f = fopen(a->events_path, "a");
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

static int agent_alloc(struct agent *a)
{
	unsigned n = a->ncpus;

	a->sirq_delay = calloc(n, sizeof(*a->sirq_delay));
	a->sirq_max = calloc(n, sizeof(*a->sirq_max));
	a->stalls = calloc(n, sizeof(*a->stalls));
	a->stall_hist = calloc(n, sizeof(*a->stall_hist));
	a->silences = calloc(n, sizeof(*a->silences));
	a->silence_ns = calloc(n, sizeof(*a->silence_ns));
	if (!a->sirq_delay || !a->sirq_max || !a->stalls || !a->stall_hist || !a->silences || !a->silence_ns) {
		err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void agent_free(struct agent *a)
{
	http_server_free(a->http);
	if (a->eng)
		engine_finish(a->eng, now_ns()); /* settle what is pending into --events */
	pipeline_close(a->pl);
	if (a->events)
		fclose(a->events);
	loop_free(a->loop);
	free(a->sirq_delay);
	free(a->sirq_max);
	free(a->stalls);
	free(a->stall_hist);
	free(a->silences);
	free(a->silence_ns);
}

static int agent_start(struct agent *a, uint64_t threshold_ns)
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
	a->kf = pipeline_facts(a->pl);
	a->start_ns = pipeline_t0_ns(a->pl);
	a->ncpus = sched_nr_cpus(a->sched);
	nsirq = softirq_nr_cpus(a->sirq);
	if (nsirq < a->ncpus)
		a->ncpus = nsirq;
	if (agent_alloc(a) < 0)
		return -1;
	/* the engine may report events only from its first tick on, after this */
	a->eng = pipeline_engine(a->pl);
	return 0;
}

int cmd_agent(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_EVENTS, O_MAXCONN, O_THRESH };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "events", required_argument, NULL, O_EVENTS },
		{ "max-conns", required_argument, NULL, O_MAXCONN },
		{ "threshold", required_argument, NULL, O_THRESH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct http_config hc = { .listen = DEFAULT_LISTEN };
	uint64_t threshold_ns = 100 * NS_PER_MS;
	struct agent a = { 0 };
	struct http_route routes[2] = {
		{ "/metrics", "text/plain; version=0.0.4; charset=utf-8", write_metrics, &a },
		{ "/healthz", "text/plain; charset=utf-8", write_healthz, NULL },
	};
	int opt, rc = EXIT_RUNTIME;
	long v;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN:
			hc.listen = optarg;
			break;
		case O_EVENTS:
			if (!*optarg) {
				err("--events needs a file name (it was empty)");
				return EXIT_USAGE;
			}
			a.events_path = optarg;
			break;
		case O_MAXCONN:
			if (parse_int_range(optarg, 1, 4096, &v)) {
				err("--max-conns '%s' is not a number from 1 to 4096", log_arg(optarg));
				return EXIT_USAGE;
			}
			hc.max_conns = (unsigned)v;
			break;
		case O_THRESH:
			if (parse_duration_ns(optarg, NS_PER_MS, &threshold_ns) || threshold_ns < NS_PER_MS ||
			    threshold_ns > 10 * NS_PER_SEC) {
				err("--threshold '%s' is not a duration from 1ms to 10s (e.g. 100ms)", log_arg(optarg));
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			err("unknown or incomplete option '%s'; see 'ksleuth agent --help'", log_arg(argv[optind - 1]));
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s'; see 'ksleuth agent --help'", log_arg(argv[optind]));
		return EXIT_USAGE;
	}
	{
		struct sockaddr_storage ss;
		unsigned sl;
		if (http_parse_listen(hc.listen, &ss, &sl) < 0) {
			err("--listen '%s' is not ADDR:PORT with an IP address (e.g. 127.0.0.1:9464 or [::1]:9464)",
			    log_arg(hc.listen));
			return EXIT_USAGE;
		}
	}

	if (a.events_path) {
		a.events = fopen(a.events_path, "a");
		if (!a.events) {
			err("cannot open --events file '%s': %s", log_arg(a.events_path), strerror(errno));
			return EXIT_RUNTIME;
		}
		json_init(&a.j, a.events);
	}
	a.loop = loop_new();
	if (!a.loop) {
		err("cannot create the event loop: %s", strerror(errno));
		goto out;
	}
	loop_on_hangup(a.loop, on_hangup, &a);
	/* listen first: a busy port fails fast, before BPF is loaded */
	a.http = http_server_new(a.loop, &hc, routes, 2);
	if (!a.http)
		goto out;
	if (!http_server_is_loopback(a.http))
		warn("listening on %s, not a loopback address: anyone who reaches it can read "
		     "kernel details; restrict it with a firewall", http_server_address(a.http));
	if (agent_start(&a, threshold_ns) < 0)
		goto out;
	info("agent: collecting on %u CPUs; serving http://%s/metrics", a.ncpus,
	     http_server_address(a.http));

	if (loop_run(a.loop) < 0) {
		err("the event loop failed: %s", strerror(errno));
		goto out;
	}
	info("agent: stopping (%s)", loop_stop_signal(a.loop) ? "signal" : "done");
	rc = EXIT_OK;
out:
	agent_free(&a);
	return rc;
}
