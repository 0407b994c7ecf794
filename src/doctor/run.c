/* doctor/run.c — one run of the doctor: the pipeline (doctor/pipeline.h)
 * on an event loop, rendered live, as a final report, or as JSON Lines
 * (doctor/records.h). Commands embed it through doctor/run.h. It holds
 * views only, no collection. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksleuth.h"
#include "collect/attach.h"
#include "collect/softirq.h"
#include "doctor/pipeline.h"
#include "doctor/records.h"
#include "doctor/run.h"
#include "engine/engine.h"
#include "engine/stallfill.h"
#include "lib/json.h"
#include "lib/kmsg.h"
#include "lib/procnet.h"
#include "lib/evidence.h"
#include "sys/child.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sysinfo.h"

#define MAX_KEPT 8       /* incidents and findings kept for the final report */

struct doctor {
	const struct doctor_opts *o;
	struct doctor_result *res;
	struct loop *loop;
	struct pipeline *pl;
	struct engine *eng;
	const struct kernel_facts *kf;
	const struct eng_kernel *ek;
	struct json j;
	FILE *out;
	uint64_t t0_ns;
	int64_t wall_off_ns;     /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	bool stop_after_incident;
	unsigned n_inc, n_fnd;
	struct eng_incident inc[MAX_KEPT];
	struct eng_finding fnd[MAX_KEPT];
	/* contention waits, folded per CPU and printed once a second */
	unsigned ncpus;
	struct stall_contention *cont;
	uint64_t cont_waits;     /* all of them, for the report */
	uint64_t cont_longest_ns;
};

void doctor_opts_default(struct doctor_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold_ns = 100 * NS_PER_MS;
	o->live = true;
	o->report = true;
	o->out = stdout;
}

/* ---- small formatting helpers --------------------------------------- */

static const char *clock_str(const struct doctor *d, uint64_t mono_ns, char *buf, size_t n)
{
	time_t t = (time_t)(((int64_t)mono_ns + d->wall_off_ns) / (int64_t)NS_PER_SEC);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, n, "%H:%M:%S", &tm);
	return buf;
}

/* A live line: the wall-clock time of mono_ns, then the text, flushed so
 * that a reader at the other end of a pipe sees each event as it comes. */
static void live_line(struct doctor *d, uint64_t mono_ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void live_line(struct doctor *d, uint64_t mono_ns, const char *fmt, ...)
{
	char c[16];
	va_list ap;

	fprintf(d->out, "%s ", clock_str(d, mono_ns, c, sizeof(c)));
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fflush(d->out);
}

static const char *dstr(uint64_t ns, char *b, size_t n)
{
	return fmt_duration(ns, b, n);
}

/* ---- pipeline -> views --------------------------------------------------- */

/* A wait that one task held (or whose holder is unknown) is a STALL, as
 * the engine counts it; one several tasks shared, or an idle or unrecorded
 * window, is a WAIT: contention, with what filled it said instead of a
 * name that did not stall anything. */
static void on_stall(void *arg, const struct pipeline_stall *ps)
{
	struct doctor *d = arg;
	const struct eng_stall *s = ps->s;
	char b1[32], why[160];
	const char *tag;

	/* Contention is folded into one line a CPU a second (flush_contention);
	 * a contention wait still in progress is not shown: its end is. */
	if ((ps->fill.kind == STALL_FILL_SHARED || ps->fill.kind == STALL_FILL_WEIGHTED) && d->cont &&
	    s->cpu >= 0 && (unsigned)s->cpu < d->ncpus) {
		if (stall_contention_add(&d->cont[s->cpu], s, &ps->fill)) {
			d->cont_waits++;
			if (s->end_ns - s->start_ns > d->cont_longest_ns)
				d->cont_longest_ns = s->end_ns - s->start_ns;
		}
		return;
	}
	if (d->o->json) {
		doctor_json_stall(&d->j, ps, now_ns());
		return;
	}
	if (!d->o->live)
		return;
	tag = s->ongoing ? "ONGOING" : ps->fill.kind == STALL_FILL_HELD || ps->fill.kind == STALL_FILL_UNKNOWN
		? "STALL" : "WAIT";
	live_line(d, s->end_ns, "%-8s CPU %d  %s%s  %s %s; %s\n", tag, s->cpu,
		  dstr(s->end_ns - s->start_ns, b1, sizeof(b1)), s->ongoing ? " so far" : "", s->victim_comm,
		  ps->what, stall_fill_text(s, &ps->fill, why, sizeof(why)));
}

/* One record (or live line) per CPU that had contention waits since the
 * last call, then start over. */
static void flush_contention(struct doctor *d)
{
	char text[200];

	for (unsigned cpu = 0; d->cont && cpu < d->ncpus; cpu++) {
		struct stall_contention *x = &d->cont[cpu];
		if (!x->waits)
			continue;
		if (d->o->json)
			doctor_json_contention(&d->j, cpu, x);
		else if (d->o->live)
			live_line(d, x->end_ns, "WAIT     CPU %u  contention: %s\n", cpu,
				  stall_contention_text(x, text, sizeof(text)));
		memset(x, 0, sizeof(*x));
	}
}

static void on_kmsg(void *arg, const struct kmsg_rec *r, enum kmsg_class cls)
{
	struct doctor *d = arg;

	if (d->o->json)
		doctor_json_kmsg(&d->j, r, kmsg_class_name(cls));
	else if (d->o->live)
		live_line(d, r->ts_ns, "KMSG     %s: %s\n", kmsg_class_name(cls), r->text);
}

/* ---- engine events -> views ------------------------------------------ */

static void on_spike(struct doctor *d, const struct eng_spike *s)
{
	char b1[32];

	if (d->o->json)
		doctor_json_spike(&d->j, s);
	else if (d->o->live)
		live_line(d, s->start_ns, "SPIKE    %" PRIu64 " retransmits/s (baseline %" PRIu64 "), %" PRIu64
			  " drops, NET_RX max delay %s on CPU %d\n", s->retrans, s->baseline_retrans, s->drops,
			  dstr(s->netrx_max_ns, b1, sizeof(b1)), s->netrx_cpu);
}

static void on_incident(struct doctor *d, const struct eng_incident *inc)
{
	if (d->n_inc < MAX_KEPT)
		d->inc[d->n_inc] = *inc;
	d->n_inc++;
	if (d->res && !d->res->have_incident) {
		d->res->have_incident = true;
		d->res->first = *inc;
	}
	if (d->o->on_incident)
		d->o->on_incident(inc, d->o->arg);
	if (d->o->evidence && ev_add_incident(d->o->evidence, inc) < 0)
		warn("out of memory: incident %u is missing from the report's pictures", inc->id);
	if (d->o->json)
		doctor_json_incident(&d->j, inc, now_ns());
	else if (d->o->live)
		live_line(d, inc->end_ns, "INCIDENT #%u %s (confidence %s): %s\n", inc->id,
			  eng_mech_name(inc->verdict.mech), inc->verdict.confidence, inc->summary);
	if (d->stop_after_incident)
		loop_stop(d->loop);
}

static void on_finding(struct doctor *d, const struct eng_finding *f)
{
	if (d->n_fnd < MAX_KEPT)
		d->fnd[d->n_fnd] = *f;
	d->n_fnd++;
	if (d->o->json)
		doctor_json_finding(&d->j, f, now_ns());
	else if (d->o->live)
		live_line(d, f->end_ns, "FINDING  %s: %s\n", eng_mech_name(f->mech), f->summary);
}

static void on_engine(void *arg, const struct eng_event *ev)
{
	struct doctor *d = arg;

	switch (ev->type) {
	case ENG_EV_SPIKE:
		on_spike(d, ev->spike);
		break;
	case ENG_EV_INCIDENT:
		on_incident(d, ev->incident);
		break;
	case ENG_EV_FINDING:
		on_finding(d, ev->finding);
		break;
	}
}

/* ---- each second -------------------------------------------------------- */

static void on_second(void *arg, const struct eng_net_sample *s, const struct softirq_hists *h, unsigned nh)
{
	struct doctor *d = arg;
	unsigned k = (unsigned)((s->ts_ns - d->t0_ns) / NS_PER_SEC);
	(void)h; (void)nh;

	flush_contention(d);
	if (d->res && k >= 1 && k - 1 < DOCTOR_MAX_SECONDS) {
		d->res->retrans[k - 1] = s->have_tp ? (int64_t)s->retrans_tp : (int64_t)s->retrans_segs;
		if (k > d->res->nseconds)
			d->res->nseconds = k;
	}
}

static void on_duration(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

/* ---- the final report -------------------------------------------------- */

static void report_incident(struct doctor *d, const struct eng_incident *inc)
{
	const struct eng_verdict *v = &inc->verdict;
	FILE *f = d->out;
	char c[16], c2[16], b1[32], b2[32], b3[32];

	fprintf(f, "\nIncident #%u: %s (confidence %s), %s .. %s", inc->id, eng_mech_name(v->mech),
		v->confidence, clock_str(d, inc->start_ns, c, sizeof(c)), clock_str(d, inc->end_ns, c2, sizeof(c2)));
	if (v->cpu >= 0)
		fprintf(f, ", CPU %d", v->cpu);
	fprintf(f, "\n  %s\n\n", inc->summary);
	fprintf(f, "  %-8s %8s %6s %7s %11s %14s  %s\n", "TIME", "RETRANS", "SEGS", "DROPS", "NET_RX_MAX",
		"KSOFTIRQD_WAIT", "CULPRIT");
	for (unsigned i = 0; i < inc->n_seconds; i++) {
		const struct eng_second *s = &inc->seconds[i];
		fprintf(f, "  %-8s %8" PRIu64 " %6" PRIu64 " %7" PRIu64 " %11s %14s  %s%s\n",
			clock_str(d, s->start_ns, c, sizeof(c)), s->retrans_tp, s->retrans_segs, s->drops,
			s->netrx_max_ns ? dstr(s->netrx_max_ns, b1, sizeof(b1)) : "-",
			s->ksoftirqd_wait_ns ? dstr(s->ksoftirqd_wait_ns, b2, sizeof(b2)) : "-",
			s->culprit, s->spike ? "  <- spike" : "");
	}
	if (inc->n_suspects) {
		fprintf(f, "\n  Who held the CPUs (ranked by time stolen, +-1s around the spike):\n");
		fprintf(f, "  %-4s %-7s %-7s %-16s %-12s %-7s %6s %9s %9s\n", "CPU", "PID", "TID", "COMM",
			"POLICY", "MODE", "STALLS", "LONGEST", "STOLEN");
		for (unsigned i = 0; i < inc->n_suspects; i++) {
			const struct eng_suspect *s = &inc->suspects[i];
			enum eng_mode m = eng_task_mode(&s->task);
			fprintf(f, "  %-4d %-7d %-7d %-16s %-12s %-7s %6u %9s %9s\n", s->cpu, s->task.pid,
				s->task.tid, s->task.comm, eng_policy_name(s->task.policy),
				m == ENG_MODE_KERNEL && eng_task_bh_off(&s->task) ? "kern+BH" : eng_mode_name(m),
				s->stalls, dstr(s->longest_ns, b1, sizeof(b1)), dstr(s->stolen_ns, b3, sizeof(b3)));
		}
	}
	if (inc->n_frames) {
		fprintf(f, "\n  Hottest kernel stack of %s during the stall:\n", v->culprit.comm);
		for (unsigned i = 0; i < inc->n_frames; i++)
			fprintf(f, "    %s\n", inc->frames[i]);
	}
	if (inc->n_kmsg) {
		fprintf(f, "\n  Kernel log:\n");
		for (unsigned i = 0; i < inc->n_kmsg; i++)
			fprintf(f, "    %s %-11s %s\n", clock_str(d, inc->kmsg[i].ts_ns, c, sizeof(c)),
				inc->kmsg[i].cls, inc->kmsg[i].text);
	}
	fprintf(f, "\n  Advice:\n");
	for (unsigned i = 0; i < inc->n_advice; i++)
		fprintf(f, "    %u. %s\n", i + 1, inc->advice[i]);
}

static void report(struct doctor *d, uint64_t dur_ns)
{
	FILE *f = d->out;
	char b1[32], c[16];

	fprintf(f, "\n== ksleuth doctor: %u incident%s, %u stall%s without network impact, %s watched\n",
		d->n_inc, d->n_inc == 1 ? "" : "s", d->n_fnd, d->n_fnd == 1 ? "" : "s",
		dstr(dur_ns, b1, sizeof(b1)));
	for (unsigned i = 0; i < d->n_inc && i < MAX_KEPT; i++)
		report_incident(d, &d->inc[i]);
	if (d->n_inc > MAX_KEPT)
		fprintf(f, "\n(%u more incidents: see the live lines or --json)\n", d->n_inc - MAX_KEPT);
	if (d->n_fnd) {
		fprintf(f, "\nStalls that did not hurt the network (cpu_stall_no_network_impact):\n");
		for (unsigned i = 0; i < d->n_fnd && i < MAX_KEPT; i++) {
			const struct eng_finding *x = &d->fnd[i];
			fprintf(f, "  %s %s\n", clock_str(d, x->start_ns, c, sizeof(c)), x->summary);
			for (unsigned a = 0; a < x->n_advice; a++)
				fprintf(f, "      - %s\n", x->advice[a]);
		}
	}
	char models[96];
	preempt_models_text(d->kf->preempt_models, models, sizeof(models));
	fprintf(f, "\nKernel: %s, preemption %s", d->kf->release,
		d->kf->preempt_model[0] ? d->kf->preempt_model : models[0] ? models : "unknown");
	if (d->kf->realtime == KF_YES && strcmp(d->kf->preempt_model, "PREEMPT_RT"))
		fprintf(f, " (PREEMPT_RT)");
	if (d->kf->preempt_dynamic_built)
		fprintf(f, " (dynamic, live mode: %s)", d->kf->preempt_dynamic[0] ? d->kf->preempt_dynamic : "unknown");
	if (d->kf->hz)
		fprintf(f, ", HZ %d", d->kf->hz);
	fprintf(f, "\nSoftirqs: %s\n", softirq_semantics_text(d->kf->softirq));
	fprintf(f, "Network: %" PRIu64 " retransmits (tcp_retransmit_skb, failed attempts included), %" PRIu64
		" drops (softnet); longest stall %s.\n", engine_total_retrans(d->eng), engine_total_drops(d->eng),
		dstr(engine_longest_stall_ns(d->eng), b1, sizeof(b1)));
	if (!strcmp(pipeline_netrx_source(d->pl), "tick"))
		fprintf(f, "NET_RX delays: held-off times seen at the stall sampler's ticks (to about a tick); "
			"--netrx-trace times every one.\n");
	if (d->cont_waits)
		fprintf(f, "Contention: %" PRIu64 " wait%s over the threshold on CPUs no single task held (longest %s): "
			"more runnable tasks than CPUs, not a stall.\n", d->cont_waits, d->cont_waits == 1 ? "" : "s",
			dstr(d->cont_longest_ns, b1, sizeof(b1)));
	if (!d->n_inc)
		fprintf(f, "Verdict: the network looked healthy (exit 0).\n");
}

static void summary_json(struct doctor *d, uint64_t dur_ns, int rc)
{
	struct json *j = &d->j;
	uint64_t lost = pipeline_lost_records(d->pl);

	json_obj_begin(j);
	json_kstr(j, "type", "summary");
	json_kuint(j, "incidents", d->n_inc);
	json_kuint(j, "findings", d->n_fnd);
	json_kuint(j, "stalls", engine_stalls(d->eng));
	json_kuint(j, "longest_stall_ns", engine_longest_stall_ns(d->eng));
	json_kuint(j, "contention_waits", d->cont_waits);
	json_kuint(j, "longest_contention_wait_ns", d->cont_longest_ns);
	json_kuint(j, "retransmits", engine_total_retrans(d->eng));
	json_kuint(j, "drops", engine_total_drops(d->eng));
	json_kuint(j, "echo_seconds", engine_echoes(d->eng));
	json_kuint(j, "duration_ns", dur_ns);
	json_kuint(j, "lost_records", lost);
	json_kuint(j, "lost_kmsg", pipeline_kmsg_lost(d->pl));
	json_kstr(j, "kernel", d->kf->release);
	json_kstr(j, "preempt", d->ek->preempt);
	json_kstr(j, "softirq_semantics", softirq_semantics_name(d->kf->softirq));
	json_kstr(j, "netrx_source", pipeline_netrx_source(d->pl));
	json_kint(j, "exit", rc);
	json_obj_end(j);
	json_line_end(j);
}

/* ---- setup and teardown ------------------------------------------------ */

/* Opens the pipeline with the doctor's views as its callbacks. */
static int doctor_open(struct doctor *d)
{
	const struct doctor_opts *o = d->o;
	struct pipeline_opts po = {
		.threshold_ns = o->threshold_ns,
		.cpus_set = o->cpus_set,
		.cpus = o->cpus,
		.netns = o->netns,
		.softirq_trace = o->netrx_trace,
		.softirq_vec_mask = 1u << SOFTIRQ_NET_RX,
		.softirq_no_run_time = true, /* the timeline has NET_RX delays, not run times */
		.ongoing = true,
		.on_event = on_engine,
		.on_stall = on_stall,
		.on_kmsg = on_kmsg,
		.on_second = on_second,
		.arg = d,
		.record_path = o->record,
		.evidence = o->evidence,
	};

	if (o->replay ? pipeline_replay_open(&d->pl, &po, o->replay) : pipeline_open(&d->pl, d->loop, &po))
		return -1;
	d->wall_off_ns = pipeline_wall_off_ns(d->pl);
	d->eng = pipeline_engine(d->pl);
	d->kf = pipeline_facts(d->pl);
	d->ek = pipeline_eng_kernel(d->pl);
	d->t0_ns = pipeline_t0_ns(d->pl);
	d->ncpus = pipeline_ncpus(d->pl);
	d->cont = calloc(d->ncpus, sizeof(*d->cont));
	if (!d->cont) {
		err("out of memory");
		return -1;
	}
	d->stop_after_incident = o->once;
	if (o->duration_ns && loop_add_timer(d->loop, o->duration_ns, 0, on_duration, d) < 0) {
		err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	if (!o->json && o->live) {
		char b1[32];
		fprintf(d->out, "Watching for network stalls (threshold %s%s; kernel %s, preemption %s). "
			"Ctrl-C to end.\n", dstr(o->threshold_ns, b1, sizeof(b1)), o->once ? ", --once" : "",
			d->kf->release, d->ek->preempt[0] ? d->ek->preempt : "unknown");
		fflush(d->out);
	}
	return 0;
}

/* After the loop: drain what is pending, settle everything, and report. */
static int doctor_finish(struct doctor *d)
{
	const struct doctor_opts *o = d->o;
	struct doctor_result *res = d->res;
	uint64_t end = o->replay ? pipeline_end_ns(d->pl) : now_ns();
	int rc;

	pipeline_drain(d->pl, end);
	flush_contention(d);
	pipeline_finish(d->pl, end, !(o->once && d->n_inc));
	rc = d->n_inc ? EXIT_FOUND : EXIT_OK;
	if (o->json)
		summary_json(d, end - d->t0_ns, rc);
	else if (o->report)
		report(d, end - d->t0_ns);
	if (res) {
		res->incidents = d->n_inc;
		res->findings = d->n_fnd;
		res->stalls = engine_stalls(d->eng);
		res->duration_ns = end - d->t0_ns;
		res->interrupted = loop_stop_signal(d->loop) != 0;
		res->sampler = pipeline_sampler(d->pl);
	}
	if (o->bpf_stats) {
		struct prog_stat st[16];
		attach_print_prog_stats(stderr, st, pipeline_prog_stats(d->pl, st, 16));
	}
	return rc;
}

int doctor_run(const struct doctor_opts *o, struct doctor_result *res)
{
	struct doctor *d;
	int rc = EXIT_RUNTIME, stats_fd = -1, failed = 0;
	struct child *child = NULL;
	bool damaged = false;

	d = calloc(1, sizeof(*d));
	if (!d) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	d->o = o;
	d->res = res;
	d->out = o->out ? o->out : stdout;
	if (res)
		memset(res, 0, sizeof(*res));
	json_init(&d->j, d->out);
	d->loop = loop_new();
	if (!d->loop) {
		err("cannot create the event loop: %s", strerror(errno));
		goto out;
	}
	if (o->bpf_stats && (stats_fd = attach_enable_stats()) < 0)
		goto out;
	if (doctor_open(d) < 0)
		goto out;
	if (o->on_ready)
		o->on_ready(d->loop, o->arg);
	if (o->command && !(child = child_start(d->loop, o->command)))
		goto out;
	if (o->replay) {
		damaged = pipeline_replay_run(d->pl) < 0; /* what came before the damage is reported */
	} else if (loop_run(d->loop) < 0) {
		err("the event loop failed: %s", strerror(errno));
		goto out;
	}
	/* the COMMAND ends (or is reaped) before the report */
	failed = child ? child_finish(child, EXIT_OK) : 0;
	child = NULL;
	rc = doctor_finish(d) + failed;
	if (damaged)
		rc = EXIT_RUNTIME;
out:
	if (child)
		rc += child_finish(child, EXIT_OK);
	if (stats_fd >= 0)
		close(stats_fd);
	pipeline_close(d->pl);
	loop_free(d->loop);
	free(d->cont);
	free(d);
	return rc;
}
