/* agent.c — `ksleuth agent`: the doctor's collectors (sched, softirq,
 * retrans, /proc counters, kernel log) and engine, always on, behind a
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
#include "sys/kmsg_reader.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"
#include "sys/sysinfo.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"
#define TICK_NS NS_PER_SEC         /* the engine's 1 s bins */
#define WIN_BINS 60                /* ksleuth_softirq_delay_max_seconds: max over 60 s */
#define TOPK 10                    /* culprit comms with their own series */
#define NMECH (ENG_NOT_CPU + 1)
#define MAX_SOFTNET 1024

struct culprit {
	char comm[ENG_COMM_LEN];
	uint64_t stall_ns;
};

struct agent {
	struct loop *loop;
	struct http_server *http;
	struct sched_collector *sched;
	struct softirq_collector *sirq;
	struct retrans_collector *rtx;
	struct engine *eng;
	struct kernel_facts kf;
	struct eng_kernel ek;
	struct kmsg_reader kmsg;
	struct tcp_mib_src mib;
	bool have_mib, have_kmsg;
	unsigned ncpus;

	uint64_t start_ns, scrapes, ticks, collect_errors;
	struct sched_window *win;         /* scratch for sched_who_ran */

	/* softirq: interval scratch, cumulative histograms, 60 s window max */
	struct softirq_hists *sirq_now;
	struct hist (*sirq_delay)[KS_NR_SOFTIRQS];
	uint64_t (*sirq_max)[KS_NR_SOFTIRQS][WIN_BINS];
	unsigned win_pos;
	/* ksoftirqd waits: cumulative at the last tick; longest record this tick */
	struct hist *ksd_prev;
	uint64_t *ksd_rec_max;
	/* /proc deltas */
	struct softnet_row *sn_prev;
	int sn_n;
	struct tcp_mib mib_prev;
	uint64_t rtx_prev[RETRANS_NR_STATS];
	struct eng_cpu_sample *cs;

	/* what the engine settled */
	uint64_t (*stalls)[NMECH];        /* per CPU and mechanism */
	struct hist *stall_hist;          /* per CPU: settled stall lengths */
	uint64_t incidents[NMECH];
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
"contrib/prometheus/. SIGINT or SIGTERM stop it cleanly (exit 0). Exit 1 on\n"
"runtime errors, 2 on bad arguments.\n");
}

/* ---- culprits: bounded cardinality --------------------------------------- */

/* Kernel threads are "name/cpu" or "name/u8:2": one series per name. The
 * first TOPK names get their own series for the life of the agent (counters
 * must never go down), later ones add to "other". */
static void culprit_add(struct agent *a, const char *comm, uint64_t ns)
{
	char name[ENG_COMM_LEN];
	size_t n = strcspn(comm, "/");

	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, comm, n);
	name[n] = '\0';
	if (!name[0])
		strcpy(name, "unknown");
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

/* ---- events file (JSON Lines) -------------------------------------------- */
/* The same records, keys and order as `ksleuth doctor --json` writes for
 * incidents and findings (src/cmd/doctor.c), so one log pipeline reads
 * both. */

static void task_json(struct json *j, const char *key, const struct eng_task *t, enum eng_mode mode,
		      bool bh_off)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kint(j, "pid", t->pid);
	json_kint(j, "tid", t->tid);
	json_kstr(j, "comm", t->comm);
	json_kstr(j, "mode", eng_mode_name(mode));
	json_kstr(j, "policy", eng_policy_name(t->policy));
	if (t->policy == 1 || t->policy == 2)
		json_kint(j, "rt_priority", t->rt_prio);
	json_kbool(j, "bh_disabled", bh_off);
	json_kuint(j, "run_ns", t->run_ns);
	json_kuint(j, "samples", t->samples);
	json_obj_end(j);
}

static void frames_json(struct json *j, const char (*frames)[ENG_FRAME_LEN], unsigned n)
{
	json_key(j, "stack");
	json_arr_begin(j);
	for (unsigned i = 0; i < n; i++)
		json_str(j, frames[i]);
	json_arr_end(j);
}

static void advice_json(struct json *j, const char (*adv)[ENG_ADVICE_LEN], unsigned n)
{
	json_key(j, "advice");
	json_arr_begin(j);
	for (unsigned i = 0; i < n; i++)
		json_str(j, adv[i]);
	json_arr_end(j);
}

static void events_incident(struct agent *a, const struct eng_incident *inc)
{
	struct json *j = &a->j;

	json_obj_begin(j);
	json_kstr(j, "type", "incident");
	json_kuint(j, "id", inc->id);
	json_kstr(j, "mechanism", eng_mech_name(inc->mech));
	json_kstr(j, "confidence", inc->confidence ? inc->confidence : "");
	json_kint(j, "cpu", inc->cpu);
	json_kuint(j, "start_ns", inc->start_ns);
	json_kuint(j, "end_ns", inc->end_ns);
	json_kuint(j, "stall_ns", inc->stall_ns);
	json_kuint(j, "stolen_ns", inc->stolen_ns);
	if (inc->have_culprit) {
		task_json(j, "culprit", &inc->culprit, inc->mode, inc->bh_off);
	} else {
		json_key(j, "culprit");
		json_null(j);
	}
	json_kuint(j, "retransmits", inc->retransmits);
	json_kuint(j, "retrans_segs", inc->retrans_segs);
	json_kuint(j, "drops", inc->drops);
	json_kuint(j, "netrx_max_delay_ns", inc->netrx_max_ns);
	json_kuint(j, "ksoftirqd_max_wait_ns", inc->ksoftirqd_wait_ns);
	json_kuint(j, "time_squeeze", inc->squeezes);
	frames_json(j, inc->frames, inc->n_frames);
	advice_json(j, inc->advice, inc->n_advice);
	json_kstr(j, "summary", inc->summary);
	json_key(j, "seconds");
	json_arr_begin(j);
	for (unsigned i = 0; i < inc->n_seconds; i++) {
		const struct eng_second *s = &inc->seconds[i];
		json_obj_begin(j);
		json_kuint(j, "start_ns", s->start_ns);
		json_kuint(j, "retransmits", s->retrans_tp);
		json_kuint(j, "retrans_segs", s->retrans_segs);
		json_kuint(j, "drops", s->drops);
		json_kuint(j, "netrx_max_delay_ns", s->netrx_max_ns);
		json_kuint(j, "ksoftirqd_max_wait_ns", s->ksoftirqd_wait_ns);
		json_kbool(j, "spike", s->spike);
		json_kstr(j, "culprit", s->culprit);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "suspects");
	json_arr_begin(j);
	for (unsigned i = 0; i < inc->n_suspects; i++) {
		const struct eng_suspect *s = &inc->suspects[i];
		json_obj_begin(j);
		json_kint(j, "cpu", s->cpu);
		json_kint(j, "pid", s->task.pid);
		json_kint(j, "tid", s->task.tid);
		json_kstr(j, "comm", s->task.comm);
		json_kuint(j, "stolen_ns", s->stolen_ns);
		json_kuint(j, "longest_ns", s->longest_ns);
		json_kuint(j, "stalls", s->stalls);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "kmsg");
	json_arr_begin(j);
	for (unsigned i = 0; i < inc->n_kmsg; i++) {
		json_obj_begin(j);
		json_kuint(j, "ts_ns", inc->kmsg[i].ts_ns);
		json_kstr(j, "class", inc->kmsg[i].cls ? inc->kmsg[i].cls : "");
		json_kstr(j, "text", inc->kmsg[i].text);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	json_line_end(j);
}

static void events_finding(struct agent *a, const struct eng_finding *f)
{
	struct json *j = &a->j;

	json_obj_begin(j);
	json_kstr(j, "type", "finding");
	json_kstr(j, "mechanism", eng_mech_name(f->mech));
	json_kint(j, "cpu", f->cpu);
	json_kuint(j, "start_ns", f->start_ns);
	json_kuint(j, "end_ns", f->end_ns);
	json_kuint(j, "stall_ns", f->stall_ns);
	task_json(j, "culprit", &f->culprit, f->mode, f->bh_off);
	json_kstr(j, "waiting", f->victim_comm);
	json_kuint(j, "netrx_max_delay_ns", f->netrx_max_ns);
	json_kuint(j, "ksoftirqd_max_wait_ns", f->ksoftirqd_wait_ns);
	frames_json(j, f->frames, f->n_frames);
	advice_json(j, f->advice, f->n_advice);
	json_kstr(j, "summary", f->summary);
	json_obj_end(j);
	json_line_end(j);
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
		if (a->events)
			events_incident(a, in);
		break;
	}
	case ENG_EV_FINDING: {
		const struct eng_finding *f = ev->finding;
		count_stall(a, f->cpu, f->mech, f->stall_ns, f->culprit.comm);
		if (a->events)
			events_finding(a, f);
		break;
	}
	}
}

/* ---- collectors -> engine ------------------------------------------------ */

/* Who held cpu during [t0, t1]: the sched collector's run segments and
 * sampler records, in the engine's terms. */
static void fill_stall(struct agent *a, struct eng_stall *s, unsigned cpu, uint64_t t0, uint64_t t1)
{
	struct sched_window *w = a->win;

	s->cpu = (int)cpu;
	s->start_ns = t0;
	s->end_ns = t1;
	if (sched_who_ran(a->sched, cpu, t0, t1, ENG_MAX_TASKS < SCHED_ANT_MAX ? ENG_MAX_TASKS : SCHED_ANT_MAX, w) < 0)
		return;
	for (unsigned i = 0; i < w->n && s->n_tasks < ENG_MAX_TASKS; i++) {
		const struct sched_antagonist *x = &w->a[i];
		struct eng_task *t = &s->tasks[s->n_tasks++];
		uint32_t kern = x->mode == SCHED_MODE_KERNEL ? x->samples :
				x->mode == SCHED_MODE_MIXED ? x->samples / 2 : 0;

		t->pid = (int32_t)x->pid;
		t->tid = (int32_t)x->tid;
		memcpy(t->comm, x->comm, sizeof(t->comm));
		t->comm[ENG_COMM_LEN - 1] = '\0';
		t->policy = (int)x->policy;
		t->rt_prio = x->prio >= 0 && x->prio < 100 ? 99 - x->prio : 0;
		t->run_ns = x->run_ns;
		t->samples = x->samples;
		t->samples_kernel = kern;
		t->samples_bh_off = x->bh_disabled == 1 ? kern : 0;
		t->samples_preempt_off = x->preempt_disabled == 1 ? kern : 0;
	}
	if (w->n) {
		const struct sched_antagonist *x = &w->a[0];
		s->n_frames = x->nframes < ENG_MAX_FRAMES ? x->nframes : ENG_MAX_FRAMES;
		for (unsigned f = 0; f < s->n_frames; f++) {
			snprintf(s->frames[f], ENG_FRAME_LEN, "%.*s", ENG_FRAME_LEN - 1, x->frames[f]);
		}
		s->stack_samples = x->stack_samples;
	}
}

static void on_wait(const struct sched_wait *w, void *arg)
{
	struct agent *a = arg;
	struct eng_stall *s;

	if (w->cpu >= a->ncpus)
		return;
	if (strncmp(w->comm, "ksoftirqd", 9) == 0 && w->wait_ns > a->ksd_rec_max[w->cpu])
		a->ksd_rec_max[w->cpu] = w->wait_ns;
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	fill_stall(a, s, w->cpu, w->start_ns, w->start_ns + w->wait_ns);
	s->ongoing = w->ongoing;
	if (w->ongoing && !s->n_tasks && w->cur_tid) {
		/* the running task's segment is still open: name it */
		s->n_tasks = 1;
		s->tasks[0].pid = (int32_t)w->cur_pid;
		s->tasks[0].tid = (int32_t)w->cur_tid;
		s->tasks[0].policy = -1;
		s->tasks[0].run_ns = w->wait_ns;
		snprintf(s->tasks[0].comm, sizeof(s->tasks[0].comm), "%.15s", w->cur_comm);
	}
	s->victim_pid = (int32_t)w->pid;
	memcpy(s->victim_comm, w->comm, ENG_COMM_LEN);
	s->victim_comm[ENG_COMM_LEN - 1] = '\0';
	engine_add_stall(a->eng, s);
	free(s);
}

static void on_softirq(const struct softirq_event *e, void *arg)
{
	struct agent *a = arg;
	struct eng_stall *s;

	if (e->vec != SOFTIRQ_NET_RX || e->cpu >= a->ncpus || e->entry_ns < e->raise_ns)
		return;
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	fill_stall(a, s, e->cpu, e->raise_ns, e->entry_ns);
	strcpy(s->victim_comm, "NET_RX");
	engine_add_stall(a->eng, s);
	free(s);
}

/* Upper bound of the highest non-empty slot of (now - before), in ns. */
static uint64_t hist_diff_max_ns(const struct hist *now, const struct hist *before)
{
	for (int i = HIST_SLOTS - 1; i >= 0; i--) {
		if (now->slots[i] > before->slots[i]) {
			__u64 lo, hi;
			hist_slot_bounds_us((unsigned)i, &lo, &hi);
			return (hi + 1) * NS_PER_US;
		}
	}
	return 0;
}

static void on_tick(struct loop *l, void *arg)
{
	struct agent *a = arg;
	struct eng_net_sample ns = { .ts_ns = now_ns(), .ncpus = a->ncpus, .cpu = a->cs };
	uint64_t rtx[RETRANS_NR_STATS];
	struct softnet_row *sn = NULL;
	struct kmsg_rec rec;
	int n;

	(void)l;
	a->ticks++;
	memset(a->cs, 0, sizeof(a->cs[0]) * a->ncpus);
	a->win_pos = (a->win_pos + 1) % WIN_BINS;

	/* softirq: this second's histograms */
	if (softirq_take(a->sirq, a->sirq_now) == 0) {
		for (unsigned c = 0; c < a->ncpus; c++) {
			for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
				const struct hist *h = &a->sirq_now[c].delay[v];
				hist_merge(&a->sirq_delay[c][v], h);
				a->sirq_max[c][v][a->win_pos] = h->count ? h->max_ns : 0;
			}
			const struct hist *rx = &a->sirq_now[c].delay[SOFTIRQ_NET_RX];
			a->cs[c].netrx_max_ns = rx->count ? rx->max_ns : 0;
			a->cs[c].netrx_p99_ns = hist_percentile_ns(rx, 99);
		}
	} else {
		a->collect_errors++;
	}

	/* ksoftirqd: longest wait this second */
	for (unsigned c = 0; c < a->ncpus; c++) {
		struct hist h;
		if (sched_hist_cpu(a->sched, c, SCHED_CLASS_COMM, -1, &h) == 0) {
			uint64_t m = hist_diff_max_ns(&h, &a->ksd_prev[c]);
			a->cs[c].ksoftirqd_wait_ns = a->ksd_rec_max[c] > m ? a->ksd_rec_max[c] : m;
			a->ksd_prev[c] = h;
		}
		a->ksd_rec_max[c] = 0;
	}

	/* retransmits: tracepoint and the kernel's counter */
	retrans_drain(a->rtx);
	if (retrans_stats(a->rtx, rtx) == 0) {
		ns.retrans_tp = rtx[RETRANS_STAT_EVENTS] - a->rtx_prev[RETRANS_STAT_EVENTS];
		ns.have_tp = true;
		memcpy(a->rtx_prev, rtx, sizeof(rtx));
	}
	if (a->have_mib) {
		struct tcp_mib m;
		if (tcp_mib_read(&a->mib, &m) == 0) {
			ns.retrans_segs = m.retrans_segs - a->mib_prev.retrans_segs;
			ns.have_segs = true;
			a->mib_prev = m;
		}
	}

	/* softnet: drops and squeezes per CPU */
	sn = calloc(MAX_SOFTNET, sizeof(*sn));
	if (sn && (n = softnet_read(sn, MAX_SOFTNET)) > 0) {
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < a->sn_n; k++) {
				if (a->sn_prev[k].cpu != sn[i].cpu || sn[i].cpu < 0 ||
				    (unsigned)sn[i].cpu >= a->ncpus)
					continue;
				a->cs[sn[i].cpu].drops = u32_delta(sn[i].dropped, a->sn_prev[k].dropped);
				a->cs[sn[i].cpu].squeezes = u32_delta(sn[i].time_squeeze, a->sn_prev[k].time_squeeze);
			}
		}
		memcpy(a->sn_prev, sn, sizeof(*sn) * (size_t)n);
		a->sn_n = n;
	}
	free(sn);

	/* kernel log lines since the last tick */
	if (a->have_kmsg) {
		for (int i = 0; i < 256 && kmsg_next(&a->kmsg, &rec) == 1; i++)
			engine_add_kmsg(a->eng, rec.ts_ns, rec.text);
	}

	engine_add_sample(a->eng, &ns);
	engine_step(a->eng, now_ns());
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
	prom_counter(p, NULL, 0, a->rtx_prev[RETRANS_STAT_EVENTS]);
	prom_family(p, "ksleuth_tcp_retransmit_failed_total", PROM_COUNTER,
		    "tcp:tcp_retransmit_skb hits whose attempt did not send (err != 0).");
	prom_counter(p, NULL, 0, a->rtx_prev[RETRANS_STAT_FAILED]);

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

	prom_family(p, "ksleuth_culprit_stall_seconds_total", PROM_COUNTER,
		    "Stall time by the task that held the CPU; the first 10 task names get a series, later ones count as \"other\".");
	for (unsigned i = 0; i < a->ntop; i++)
		prom_counter_f(p, (struct prom_label[]){ { "comm", a->top[i].comm } }, 1,
			       (double)a->top[i].stall_ns / 1e9);
	prom_counter_f(p, (struct prom_label[]){ { "comm", "other" } }, 1, (double)a->other_ns / 1e9);

	uint64_t st[SCHED_NR_STATS], ss[SOFTIRQ_NR_STATS];
	prom_family(p, "ksleuth_lost_events_total", PROM_COUNTER,
		    "Records lost because a ring buffer was full (counts may be low), by collector.");
	if (sched_stats(a->sched, st) == 0)
		prom_counter(p, (struct prom_label[]){ { "collector", "sched" } }, 1, st[SCHED_STAT_RB_DROPS]);
	if (softirq_stats(a->sirq, ss) == 0)
		prom_counter(p, (struct prom_label[]){ { "collector", "softirq" } }, 1, ss[SOFTIRQ_STAT_RB_DROPS]);
	prom_counter(p, (struct prom_label[]){ { "collector", "retrans" } }, 1, a->rtx_prev[RETRANS_STAT_RB_DROPS]);
	prom_counter(p, (struct prom_label[]){ { "collector", "kmsg" } }, 1, a->kmsg.lost);
}

static const char *preempt_label(const struct kernel_facts *kf, char *buf, size_t size)
{
	if (kf->preempt_dynamic[0])
		return kf->preempt_dynamic;
	if (strncmp(kf->preempt_model, "PREEMPT_", 8) == 0) {
		size_t i = 0;
		for (const char *s = kf->preempt_model + 8; *s && i + 1 < size; s++)
			buf[i++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
		buf[i] = '\0';
		return buf;
	}
	return "unknown";
}

static int write_metrics(void *arg, FILE *f)
{
	struct agent *a = arg;
	struct prom p;
	const struct http_stats *hs = http_server_stats(a->http);
	char code[8], pb[24];

	a->scrapes++;
	prom_init(&p, f);

	prom_family(&p, "ksleuth_build_info", PROM_GAUGE, "ksleuth's version (the value is always 1).");
	prom_gauge(&p, (struct prom_label[]){ { "version", KSLEUTH_VERSION } }, 1, 1);
	prom_family(&p, "ksleuth_kernel_info", PROM_GAUGE,
		    "The running kernel: release, preemption model in force, and whether it can be changed at boot (PREEMPT_DYNAMIC). Always 1.");
	prom_gauge(&p, (struct prom_label[]){ { "release", a->kf.release },
		{ "preempt", preempt_label(&a->kf, pb, sizeof(pb)) },
		{ "dynamic", a->kf.preempt_dynamic_built ? "true" : "false" },
		{ "softirq", softirq_semantics_name(a->kf.softirq) } }, 4, 1);

	write_collector_metrics(a, &p);

	prom_family(&p, "ksleuth_agent_uptime_seconds", PROM_GAUGE, "Seconds since the agent started collecting.");
	prom_gauge(&p, NULL, 0, (double)(now_ns() - a->start_ns) / 1e9);
	prom_family(&p, "ksleuth_agent_ticks_total", PROM_COUNTER,
		    "1-second collection intervals completed (stops growing if collection stops).");
	prom_counter(&p, NULL, 0, a->ticks);
	prom_family(&p, "ksleuth_agent_collect_errors_total", PROM_COUNTER,
		    "Intervals in which a collector could not be read.");
	prom_counter(&p, NULL, 0, a->collect_errors);
	prom_family(&p, "ksleuth_agent_scrapes_total", PROM_COUNTER,
		    "Requests for /metrics answered, this one included.");
	prom_counter(&p, NULL, 0, a->scrapes);
	prom_family(&p, "ksleuth_agent_http_responses_total", PROM_COUNTER, "HTTP responses sent, by status code.");
	for (int i = 0; i < HTTP_CODES && hs->codes[i]; i++) {
		snprintf(code, sizeof(code), "%d", hs->codes[i]);
		prom_counter(&p, (struct prom_label[]){ { "code", code } }, 1, hs->answered[i]);
	}
	prom_family(&p, "ksleuth_agent_http_connections_total", PROM_COUNTER, "HTTP connections accepted.");
	prom_counter(&p, NULL, 0, hs->accepted);
	prom_family(&p, "ksleuth_agent_http_evicted_total", PROM_COUNTER,
		    "HTTP connections closed to make room (connection cap reached).");
	prom_counter(&p, NULL, 0, hs->evicted);
	prom_family(&p, "ksleuth_agent_http_timeouts_total", PROM_COUNTER,
		    "HTTP connections closed by the read or write timeout.");
	prom_counter(&p, NULL, 0, hs->timeouts);
	prom_family(&p, "ksleuth_agent_http_open_connections", PROM_GAUGE,
		    "HTTP connections open now (this one included).");
	prom_gauge(&p, NULL, 0, (double)hs->open);

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

/* ---- setup and teardown -------------------------------------------------- */

static int agent_alloc(struct agent *a)
{
	unsigned n = a->ncpus;

	a->win = calloc(1, sizeof(*a->win));
	a->sirq_now = calloc(n, sizeof(*a->sirq_now));
	a->sirq_delay = calloc(n, sizeof(*a->sirq_delay));
	a->sirq_max = calloc(n, sizeof(*a->sirq_max));
	a->ksd_prev = calloc(n, sizeof(*a->ksd_prev));
	a->ksd_rec_max = calloc(n, sizeof(*a->ksd_rec_max));
	a->sn_prev = calloc(MAX_SOFTNET, sizeof(*a->sn_prev));
	a->cs = calloc(n, sizeof(*a->cs));
	a->stalls = calloc(n, sizeof(*a->stalls));
	a->stall_hist = calloc(n, sizeof(*a->stall_hist));
	if (!a->win || !a->sirq_now || !a->sirq_delay || !a->sirq_max || !a->ksd_prev ||
	    !a->ksd_rec_max || !a->sn_prev || !a->cs || !a->stalls || !a->stall_hist) {
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
	engine_free(a->eng);
	retrans_close(a->rtx);
	softirq_close(a->sirq);
	sched_close(a->sched);
	if (a->have_mib)
		tcp_mib_close(&a->mib);
	if (a->have_kmsg)
		kmsg_close(&a->kmsg);
	if (a->events)
		fclose(a->events);
	loop_free(a->loop);
	free(a->win);
	free(a->sirq_now);
	free(a->sirq_delay);
	free(a->sirq_max);
	free(a->ksd_prev);
	free(a->ksd_rec_max);
	free(a->sn_prev);
	free(a->cs);
	free(a->stalls);
	free(a->stall_hist);
}

static void fill_eng_kernel(struct agent *a)
{
	char pb[24];

	snprintf(a->ek.release, sizeof(a->ek.release), "%.*s", (int)sizeof(a->ek.release) - 1, a->kf.release);
	a->ek.major = a->kf.major;
	a->ek.minor = a->kf.minor;
	snprintf(a->ek.preempt, sizeof(a->ek.preempt), "%.*s", (int)sizeof(a->ek.preempt) - 1,
		 preempt_label(&a->kf, pb, sizeof(pb)));
	if (!strcmp(a->ek.preempt, "unknown"))
		a->ek.preempt[0] = '\0';
	a->ek.preempt_dynamic = a->kf.preempt_dynamic_built;
	a->ek.hz = a->kf.hz;
}

static int agent_start(struct agent *a, uint64_t threshold_ns)
{
	struct sched_opts so;
	struct softirq_opts sio = { .vec_mask = 0, .slower_ns = threshold_ns };
	struct retrans_opts ro = { .records = false };
	struct eng_cfg ec;
	int n;

	kernel_facts_read(&a->kf);
	fill_eng_kernel(a);

	sched_opts_default(&so);
	so.threshold_ns = threshold_ns;
	strcpy(so.class_comm, "ksoftirqd");
	if (sched_open(&a->sched, &so) < 0) {
		/* The stall sampler is the part most likely to miss on a given
		 * kernel; without it the agent still measures and attributes
		 * stalls, only without mode/BH state and stacks. */
		so.sampler = false;
		if (sched_open(&a->sched, &so) < 0)
			return -1;
		warn("the stall sampler did not load: stalls are reported without the culprit's "
		     "kernel/user mode, BH state and stack");
	}
	if (softirq_open(&a->sirq, &sio) < 0 || retrans_open(&a->rtx, &ro) < 0)
		return -1;
	a->ncpus = sched_nr_cpus(a->sched);
	if (softirq_nr_cpus(a->sirq) < a->ncpus)
		a->ncpus = softirq_nr_cpus(a->sirq);
	if (agent_alloc(a) < 0)
		return -1;

	eng_cfg_default(&ec);
	ec.stall_ns = threshold_ns;
	a->start_ns = now_ns();
	a->eng = engine_new(&ec, &a->ek, a->ncpus, a->start_ns, on_engine, a);
	if (!a->eng) {
		err("cannot create the doctor's engine (out of memory)");
		return -1;
	}

	sched_set_wait_cb(a->sched, on_wait, a);
	softirq_set_event_cb(a->sirq, on_softirq, a);
	if (sched_add_to_loop(a->sched, a->loop) < 0 || softirq_add_to_loop(a->sirq, a->loop) < 0 ||
	    retrans_add_to_loop(a->rtx, a->loop) < 0) {
		err("cannot add the collectors' ring buffers to the event loop");
		return -1;
	}

	/* baselines for the per-second deltas */
	a->have_mib = tcp_mib_open(&a->mib, NULL) == 0 && tcp_mib_read(&a->mib, &a->mib_prev) == 0;
	if (!a->have_mib)
		warn("the kernel's TCP counters are unreadable; the engine uses the tracepoint alone");
	n = softnet_read(a->sn_prev, MAX_SOFTNET);
	a->sn_n = n > 0 ? n : 0;
	retrans_stats(a->rtx, a->rtx_prev);
	for (unsigned c = 0; c < a->ncpus; c++)
		sched_hist_cpu(a->sched, c, SCHED_CLASS_COMM, -1, &a->ksd_prev[c]);
	softirq_take(a->sirq, a->sirq_now); /* start the first interval clean */
	a->have_kmsg = kmsg_open(&a->kmsg) == 0;
	if (!a->have_kmsg)
		warn("cannot read /dev/kmsg (needs CAP_SYSLOG): incidents will not name kernel log lines");

	if (loop_add_timer(a->loop, TICK_NS, TICK_NS, on_tick, a) < 0) {
		err("cannot create the 1-second timer");
		return -1;
	}
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
			a.events_path = optarg;
			break;
		case O_MAXCONN:
			if (parse_int_range(optarg, 1, 4096, &v)) {
				err("--max-conns '%s' is not a number from 1 to 4096", optarg);
				return EXIT_USAGE;
			}
			hc.max_conns = (unsigned)v;
			break;
		case O_THRESH:
			if (parse_duration_ns(optarg, NS_PER_MS, &threshold_ns) || threshold_ns < NS_PER_MS ||
			    threshold_ns > 10 * NS_PER_SEC) {
				err("--threshold '%s' is not a duration from 1ms to 10s (e.g. 100ms)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			err("unknown or incomplete option '%s'; see 'ksleuth agent --help'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s'; see 'ksleuth agent --help'", argv[optind]);
		return EXIT_USAGE;
	}
	{
		struct sockaddr_storage ss;
		unsigned sl;
		if (http_parse_listen(hc.listen, &ss, &sl) < 0) {
			err("--listen '%s' is not ADDR:PORT with an IP address (e.g. 127.0.0.1:9464 or [::1]:9464)",
			    hc.listen);
			return EXIT_USAGE;
		}
	}

	if (a.events_path) {
		a.events = fopen(a.events_path, "a");
		if (!a.events) {
			err("cannot open --events file '%s': %s", a.events_path, strerror(errno));
			return EXIT_RUNTIME;
		}
		json_init(&a.j, a.events);
	}
	a.loop = loop_new();
	if (!a.loop) {
		err("cannot create the event loop: %s", strerror(errno));
		goto out;
	}
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
