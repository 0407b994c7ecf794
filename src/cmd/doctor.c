/* doctor.c — `ksleuth doctor`: opens the sched (with the stall sampler),
 * softirq and retransmit collectors once, reads softnet/snmp counters and
 * /dev/kmsg, feeds the engine every second on the shared event loop, and
 * renders its findings live, as a final report, or as JSON Lines. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksleuth.h"
#include "cmd/doctor.h"
#include "collect/retrans.h"
#include "collect/sched.h"
#include "collect/softirq.h"
#include "engine/engine.h"
#include "lib/hist.h"
#include "lib/json.h"
#include "lib/kmsg.h"
#include "lib/procnet.h"
#include "sys/kmsg_reader.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"
#include "sys/sysinfo.h"

#define MAX_KEPT 8       /* incidents and findings kept for the final report */
#define SOFTNET_MAX 1024

struct doctor {
	const struct doctor_opts *o;
	struct doctor_result *res;
	struct loop *loop;
	struct sched_collector *sched;
	struct softirq_collector *sirq;
	struct retrans_collector *rt;
	struct tcp_mib_src mib;
	bool have_mib;
	struct tcp_mib mib_prev;
	struct softnet_row sn_prev[SOFTNET_MAX], sn_now[SOFTNET_MAX];
	int sn_n;
	struct kmsg_reader km;
	struct engine *eng;
	struct kernel_facts kf;
	struct eng_kernel ek;
	unsigned ncpus;
	struct softirq_hists *hists;
	struct eng_cpu_sample *cpu;
	uint64_t *ksw;           /* ksoftirqd longest wait this second, per CPU */
	uint64_t rt_prev[RETRANS_NR_STATS];
	struct sched_window *win;
	struct json j;
	FILE *out;
	uint64_t t0_ns;
	int64_t wall_off_ns;     /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	bool stop_after_incident;
	bool sampler;
	unsigned n_inc, n_fnd;
	struct eng_incident inc[MAX_KEPT];
	struct eng_finding fnd[MAX_KEPT];
	unsigned last_ongoing_cpu_report_ms[64];
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

static const char *dstr(uint64_t ns, char *b, size_t n)
{
	return fmt_duration(ns, b, n);
}

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

/* ---- adapters: collector records -> engine inputs -------------------- */

static void ant_to_task(const struct sched_antagonist *a, struct eng_task *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = (int32_t)a->pid;
	t->tid = (int32_t)a->tid;
	snprintf(t->comm, sizeof(t->comm), "%s", a->comm);
	t->policy = (int)a->policy;
	/* kernel prio 0..99 for RT tasks is 99 - rt_priority */
	t->rt_prio = (a->policy == 1 || a->policy == 2) && a->prio >= 0 && a->prio < 100 ? 99 - a->prio : 0;
	t->run_ns = a->run_ns;
	t->samples = a->samples;
	switch (a->mode) {
	case SCHED_MODE_KERNEL: t->samples_kernel = a->samples; break;
	case SCHED_MODE_MIXED: t->samples_kernel = a->samples / 2; break;
	default: t->samples_kernel = 0; break;
	}
	t->samples_bh_off = a->bh_disabled == 1 ? t->samples_kernel : 0;
	t->samples_preempt_off = a->preempt_disabled == 1 ? t->samples_kernel : 0;
}

/* Fill a stall with who ran on cpu during [t0, t1]. */
static void fill_stall(struct doctor *d, struct eng_stall *s, unsigned cpu, uint64_t t0, uint64_t t1)
{
	memset(s, 0, sizeof(*s));
	s->cpu = (int)cpu;
	s->start_ns = t0;
	s->end_ns = t1;
	if (!d->sched || sched_who_ran(d->sched, cpu, t0, t1, ENG_MAX_TASKS, d->win) < 0)
		return;
	for (unsigned i = 0; i < d->win->n && i < ENG_MAX_TASKS; i++)
		ant_to_task(&d->win->a[i], &s->tasks[s->n_tasks++]);
	if (d->win->n) {
		const struct sched_antagonist *a = &d->win->a[0];
		for (unsigned f = 0; f < a->nframes && f < ENG_MAX_FRAMES; f++)
			snprintf(s->frames[s->n_frames++], ENG_FRAME_LEN, "%.63s", a->frames[f]);
		s->stack_samples = a->stack_samples;
	}
}

static bool cpu_wanted(const struct doctor *d, unsigned cpu)
{
	return !d->o->cpus_set || cpuset_has(&d->o->cpus, cpu);
}

static void live_stall(struct doctor *d, const struct eng_stall *s, const char *what)
{
	char c[16], b1[32];
	const struct eng_task *t = s->n_tasks ? &s->tasks[0] : NULL;
	uint64_t len = s->end_ns - s->start_ns;

	if (d->o->json) {
		json_obj_begin(&d->j);
		json_kstr(&d->j, "type", "stall");
		json_kbool(&d->j, "ongoing", s->ongoing);
		json_kint(&d->j, "cpu", s->cpu);
		json_kuint(&d->j, "start_ns", s->start_ns);
		json_kuint(&d->j, "end_ns", s->end_ns);
		json_kuint(&d->j, "stall_ns", len);
		json_kstr(&d->j, "waiting", s->victim_comm);
		json_kuint(&d->j, "emitted_ns", now_ns()); /* for latency measurements */
		if (t)
			task_json(&d->j, "culprit", t, eng_task_mode(t), eng_task_bh_off(t));
		else {
			json_key(&d->j, "culprit");
			json_null(&d->j);
		}
		json_obj_end(&d->j);
		json_line_end(&d->j);
		return;
	}
	if (!d->o->live)
		return;
	fprintf(d->out, "%s %-8s CPU %d  %s%s  %s %s", clock_str(d, s->end_ns, c, sizeof(c)),
		s->ongoing ? "ONGOING" : "STALL", s->cpu, dstr(len, b1, sizeof(b1)),
		s->ongoing ? " so far" : "", s->victim_comm, what);
	if (t) {
		enum eng_mode m = eng_task_mode(t);
		fprintf(d->out, "; %s: %s pid %d tid %d (%s%s%s, %u%% of the time)",
			s->ongoing ? "running" : "ran instead", t->comm, t->pid, t->tid,
			eng_policy_name(t->policy), m != ENG_MODE_UNKNOWN ? ", " : "",
			m != ENG_MODE_UNKNOWN ? (eng_task_bh_off(t) ? "kernel, BH off" : eng_mode_name(m)) : "",
			len ? (unsigned)(t->run_ns * 100 / len) : 0);
	}
	fputc('\n', d->out);
	fflush(d->out);
}

static void on_wait(const struct sched_wait *w, void *arg)
{
	struct doctor *d = arg;
	struct eng_stall s;
	uint64_t end = w->start_ns + w->wait_ns;

	if (!cpu_wanted(d, w->cpu))
		return;
	if (!strncmp(w->comm, "ksoftirqd/", 10) && w->cpu < d->ncpus && w->wait_ns > d->ksw[w->cpu])
		d->ksw[w->cpu] = w->wait_ns;
	fill_stall(d, &s, w->cpu, w->start_ns, end);
	s.ongoing = w->ongoing;
	s.victim_pid = (int32_t)w->pid;
	snprintf(s.victim_comm, sizeof(s.victim_comm), "%s", w->comm);
	if (w->ongoing && !s.n_tasks && w->cur_tid) {
		/* the segment of the running task is still open: name it */
		s.n_tasks = 1;
		s.tasks[0].pid = (int32_t)w->cur_pid;
		s.tasks[0].tid = (int32_t)w->cur_tid;
		s.tasks[0].policy = -1;
		s.tasks[0].run_ns = w->wait_ns;
		snprintf(s.tasks[0].comm, sizeof(s.tasks[0].comm), "%s", w->cur_comm);
	}
	live_stall(d, &s, "waited");
	engine_add_stall(d->eng, &s);
}

static void on_softirq(const struct softirq_event *e, void *arg)
{
	struct doctor *d = arg;
	struct eng_stall s;

	if (e->vec != SOFTIRQ_NET_RX || !cpu_wanted(d, e->cpu) || e->entry_ns < e->raise_ns)
		return;
	fill_stall(d, &s, e->cpu, e->raise_ns, e->entry_ns);
	snprintf(s.victim_comm, sizeof(s.victim_comm), "NET_RX");
	live_stall(d, &s, "softirq waited to run");
	engine_add_stall(d->eng, &s);
}

static void on_kmsg(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct doctor *d = arg;
	struct kmsg_rec r;
	char c[16];
	(void)l; (void)fd; (void)events;

	while (kmsg_next(&d->km, &r) == 1) {
		enum kmsg_class cls = kmsg_classify(r.text);
		engine_add_kmsg(d->eng, r.ts_ns, r.text);
		if (cls == KMSG_OTHER)
			continue;
		if (d->o->json) {
			json_obj_begin(&d->j);
			json_kstr(&d->j, "type", "kmsg");
			json_kuint(&d->j, "ts_ns", r.ts_ns);
			json_kstr(&d->j, "class", kmsg_class_name(cls));
			json_kstr(&d->j, "text", r.text);
			json_obj_end(&d->j);
			json_line_end(&d->j);
		} else if (d->o->live) {
			fprintf(d->out, "%s KMSG     %s: %s\n", clock_str(d, r.ts_ns, c, sizeof(c)),
				kmsg_class_name(cls), r.text);
		}
	}
}

/* ---- engine events -> views ------------------------------------------ */

static void print_incident_json(struct doctor *d, const struct eng_incident *inc)
{
	struct json *j = &d->j;

	json_obj_begin(j);
	json_kstr(j, "type", "incident");
	json_kuint(j, "id", inc->id);
	json_kstr(j, "mechanism", eng_mech_name(inc->mech));
	json_kstr(j, "confidence", inc->confidence);
	json_kint(j, "cpu", inc->cpu);
	json_kuint(j, "start_ns", inc->start_ns);
	json_kuint(j, "end_ns", inc->end_ns);
	json_kuint(j, "stall_ns", inc->stall_ns);
	json_kuint(j, "stolen_ns", inc->stolen_ns);
	if (inc->have_culprit)
		task_json(j, "culprit", &inc->culprit, inc->mode, inc->bh_off);
	else {
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
		json_kstr(j, "class", inc->kmsg[i].cls);
		json_kstr(j, "text", inc->kmsg[i].text);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	json_line_end(j);
}

static void print_finding_json(struct doctor *d, const struct eng_finding *f)
{
	struct json *j = &d->j;

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

static void on_engine(void *arg, const struct eng_event *ev)
{
	struct doctor *d = arg;
	char c[16], b1[32];

	switch (ev->type) {
	case ENG_EV_SPIKE: {
		const struct eng_spike *s = ev->spike;
		if (d->o->json) {
			json_obj_begin(&d->j);
			json_kstr(&d->j, "type", "spike");
			json_kuint(&d->j, "start_ns", s->start_ns);
			json_kstr(&d->j, "reason", s->reason);
			json_kuint(&d->j, "retransmits", s->retrans);
			json_kuint(&d->j, "baseline_retransmits", s->baseline_retrans);
			json_kuint(&d->j, "drops", s->drops);
			json_kuint(&d->j, "baseline_drops", s->baseline_drops);
			json_kuint(&d->j, "netrx_max_delay_ns", s->netrx_max_ns);
			json_kint(&d->j, "netrx_cpu", s->netrx_cpu);
			json_obj_end(&d->j);
			json_line_end(&d->j);
		} else if (d->o->live) {
			fprintf(d->out, "%s SPIKE    %" PRIu64 " retransmits/s (baseline %" PRIu64 "), %" PRIu64
				" drops, NET_RX max delay %s on CPU %d\n", clock_str(d, s->start_ns, c, sizeof(c)),
				s->retrans, s->baseline_retrans, s->drops, dstr(s->netrx_max_ns, b1, sizeof(b1)),
				s->netrx_cpu);
			fflush(d->out);
		}
		break;
	}
	case ENG_EV_INCIDENT: {
		const struct eng_incident *inc = ev->incident;
		if (d->n_inc < MAX_KEPT)
			d->inc[d->n_inc] = *inc;
		d->n_inc++;
		if (d->res && !d->res->have_incident) {
			d->res->have_incident = true;
			d->res->first = *inc;
		}
		if (d->o->json)
			print_incident_json(d, inc);
		else if (d->o->live) {
			fprintf(d->out, "%s INCIDENT #%u %s (confidence %s): %s\n",
				clock_str(d, inc->end_ns, c, sizeof(c)), inc->id, eng_mech_name(inc->mech),
				inc->confidence, inc->summary);
			fflush(d->out);
		}
		if (d->stop_after_incident)
			loop_stop(d->loop);
		break;
	}
	case ENG_EV_FINDING: {
		const struct eng_finding *f = ev->finding;
		if (d->n_fnd < MAX_KEPT)
			d->fnd[d->n_fnd] = *f;
		d->n_fnd++;
		if (d->o->json)
			print_finding_json(d, f);
		else if (d->o->live) {
			fprintf(d->out, "%s FINDING  %s: %s\n", clock_str(d, f->end_ns, c, sizeof(c)),
				eng_mech_name(f->mech), f->summary);
			fflush(d->out);
		}
		break;
	}
	}
}

/* ---- the 1-second tick ------------------------------------------------ */

static void tick(struct loop *l, void *arg)
{
	struct doctor *d = arg;
	uint64_t now = now_ns();
	struct eng_net_sample s = { .ts_ns = now, .ncpus = d->ncpus, .cpu = d->cpu };
	(void)l;

	memset(d->cpu, 0, sizeof(*d->cpu) * d->ncpus);
	/* pending ring-buffer records first, so this second's stalls are in */
	if (d->sched)
		sched_poll(d->sched, 0);
	softirq_poll(d->sirq, 0);
	if (softirq_take(d->sirq, d->hists) == 0) {
		for (unsigned c = 0; c < d->ncpus; c++) {
			const struct hist *h = &d->hists[c].delay[SOFTIRQ_NET_RX];
			if (!h->count || !cpu_wanted(d, c))
				continue;
			d->cpu[c].netrx_max_ns = h->max_ns;
			d->cpu[c].netrx_p99_ns = hist_percentile_ns(h, 99);
		}
	}
	for (unsigned c = 0; c < d->ncpus; c++)
		d->cpu[c].ksoftirqd_wait_ns = d->ksw[c];
	memset(d->ksw, 0, sizeof(*d->ksw) * d->ncpus);

	uint64_t st[RETRANS_NR_STATS];
	if (retrans_stats(d->rt, st) == 0) {
		s.retrans_tp = st[RETRANS_STAT_EVENTS] - d->rt_prev[RETRANS_STAT_EVENTS];
		s.have_tp = true;
		memcpy(d->rt_prev, st, sizeof(st));
	}
	struct tcp_mib m;
	if (d->have_mib && tcp_mib_read(&d->mib, &m) == 0) {
		s.retrans_segs = m.retrans_segs - d->mib_prev.retrans_segs;
		s.have_segs = true;
		d->mib_prev = m;
	}
	int n = softnet_read(d->sn_now, SOFTNET_MAX);
	if (n > 0) {
		for (int i = 0; i < n; i++) {
			int cpu = d->sn_now[i].cpu;
			for (int k = 0; k < d->sn_n; k++) {
				if (d->sn_prev[k].cpu != cpu || cpu < 0 || (unsigned)cpu >= d->ncpus)
					continue;
				if (!cpu_wanted(d, (unsigned)cpu))
					continue;
				d->cpu[cpu].drops = u32_delta(d->sn_now[i].dropped, d->sn_prev[k].dropped);
				d->cpu[cpu].squeezes = u32_delta(d->sn_now[i].time_squeeze, d->sn_prev[k].time_squeeze);
			}
		}
		memcpy(d->sn_prev, d->sn_now, sizeof(d->sn_now[0]) * (size_t)n);
		d->sn_n = n;
	}
	engine_add_sample(d->eng, &s);
	engine_step(d->eng, now);
	if (d->res) {
		unsigned k = (unsigned)((now - d->t0_ns) / NS_PER_SEC);
		if (k >= 1 && k - 1 < DOCTOR_MAX_SECONDS) {
			d->res->retrans[k - 1] = s.have_tp ? (int64_t)s.retrans_tp : (int64_t)s.retrans_segs;
			if (k > d->res->nseconds)
				d->res->nseconds = k;
		}
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
	FILE *f = d->out;
	char c[16], c2[16], b1[32], b2[32], b3[32];

	fprintf(f, "\nIncident #%u: %s (confidence %s), %s .. %s", inc->id, eng_mech_name(inc->mech),
		inc->confidence, clock_str(d, inc->start_ns, c, sizeof(c)), clock_str(d, inc->end_ns, c2, sizeof(c2)));
	if (inc->cpu >= 0)
		fprintf(f, ", CPU %d", inc->cpu);
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
		fprintf(f, "\n  Hottest kernel stack of %s during the stall:\n", inc->culprit.comm);
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
	fprintf(f, "\nKernel: %s, preemption %s", d->kf.release,
		d->kf.preempt_model[0] ? d->kf.preempt_model : "unknown");
	if (d->kf.preempt_dynamic_built)
		fprintf(f, " (dynamic, live mode: %s)", d->kf.preempt_dynamic[0] ? d->kf.preempt_dynamic : "unknown");
	if (d->kf.hz)
		fprintf(f, ", HZ %d", d->kf.hz);
	fprintf(f, "\nSoftirqs: %s\n", softirq_semantics_text(d->kf.softirq));
	fprintf(f, "Network: %" PRIu64 " retransmits (tcp_retransmit_skb, failed attempts included), %" PRIu64
		" drops (softnet); longest stall %s.\n", engine_total_retrans(d->eng), engine_total_drops(d->eng),
		dstr(engine_longest_stall_ns(d->eng), b1, sizeof(b1)));
	if (!d->n_inc)
		fprintf(f, "Verdict: the network looked healthy (exit 0).\n");
}

static void summary_json(struct doctor *d, uint64_t dur_ns, int rc)
{
	struct json *j = &d->j;
	uint64_t lost = 0, st[SCHED_NR_STATS], ss[SOFTIRQ_NR_STATS];

	if (d->sched && sched_stats(d->sched, st) == 0)
		lost += st[SCHED_STAT_RB_DROPS];
	if (softirq_stats(d->sirq, ss) == 0)
		lost += ss[SOFTIRQ_STAT_RB_DROPS];
	json_obj_begin(j);
	json_kstr(j, "type", "summary");
	json_kuint(j, "incidents", d->n_inc);
	json_kuint(j, "findings", d->n_fnd);
	json_kuint(j, "stalls", engine_stalls(d->eng));
	json_kuint(j, "longest_stall_ns", engine_longest_stall_ns(d->eng));
	json_kuint(j, "retransmits", engine_total_retrans(d->eng));
	json_kuint(j, "drops", engine_total_drops(d->eng));
	json_kuint(j, "duration_ns", dur_ns);
	json_kuint(j, "lost_records", lost);
	json_kuint(j, "lost_kmsg", d->km.lost);
	json_kstr(j, "kernel", d->kf.release);
	json_kstr(j, "preempt", d->ek.preempt);
	json_kstr(j, "softirq_semantics", softirq_semantics_name(d->kf.softirq));
	json_kint(j, "exit", rc);
	json_obj_end(j);
	json_line_end(j);
}

/* ---- setup and teardown ------------------------------------------------ */

static void facts_to_engine(const struct kernel_facts *kf, struct eng_kernel *k)
{
	char buf[64];

	memset(k, 0, sizeof(*k));
	snprintf(k->release, sizeof(k->release), "%s", kf->release);
	k->major = kf->major;
	k->minor = kf->minor;
	k->hz = kf->hz;
	k->preempt_dynamic = kf->preempt_dynamic_built;
	if (kf->preempt_dynamic[0])
		snprintf(k->preempt, sizeof(k->preempt), "%s", kf->preempt_dynamic);
	else if (!strcmp(kf->preempt_model, "PREEMPT_NONE"))
		snprintf(k->preempt, sizeof(k->preempt), "none");
	else if (!strcmp(kf->preempt_model, "PREEMPT_VOLUNTARY"))
		snprintf(k->preempt, sizeof(k->preempt), "voluntary");
	else if (!strcmp(kf->preempt_model, "PREEMPT") || !strcmp(kf->preempt_model, "PREEMPT_FULL"))
		snprintf(k->preempt, sizeof(k->preempt), "full");
	else if (!strcmp(kf->preempt_model, "PREEMPT_RT"))
		snprintf(k->preempt, sizeof(k->preempt), "rt");
	else if (!strcmp(kf->preempt_model, "PREEMPT_LAZY"))
		snprintf(k->preempt, sizeof(k->preempt), "lazy");
	if (proc_read_text("/proc/sys/kernel/sched_rt_runtime_us", buf, sizeof(buf)) > 0)
		k->rt_runtime_us = strtol(buf, NULL, 10);
	if (proc_read_text("/proc/sys/kernel/sched_rt_period_us", buf, sizeof(buf)) > 0)
		k->rt_period_us = strtol(buf, NULL, 10);
}

static void doctor_close(struct doctor *d)
{
	kmsg_close(&d->km);
	if (d->have_mib)
		tcp_mib_close(&d->mib);
	if (d->rt)
		retrans_close(d->rt);
	if (d->sirq)
		softirq_close(d->sirq);
	if (d->sched)
		sched_close(d->sched);
	engine_free(d->eng);
	loop_free(d->loop);
	free(d->hists);
	free(d->cpu);
	free(d->ksw);
	free(d->win);
}

int doctor_run(const struct doctor_opts *o, struct doctor_result *res)
{
	struct doctor *d;
	struct eng_cfg cfg;
	int rc = EXIT_RUNTIME;

	d = calloc(1, sizeof(*d));
	if (!d) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	d->o = o;
	d->res = res;
	d->out = o->out ? o->out : stdout;
	d->km.fd = -1;
	if (res)
		memset(res, 0, sizeof(*res));
	json_init(&d->j, d->out);
	kernel_facts_read(&d->kf);
	facts_to_engine(&d->kf, &d->ek);

	d->loop = loop_new();
	if (!d->loop) {
		err("cannot create the event loop: %s", strerror(errno));
		goto out;
	}

	struct sched_opts so;
	sched_opts_default(&so);
	so.threshold_ns = o->threshold_ns;
	so.sampler = true;
	/* an ongoing stall is reported once its waiter passed the threshold
	 * (the sampler notices within a tick or two): within 2x the threshold */
	so.ongoing_ns = o->threshold_ns;
	so.cpus_set = o->cpus_set;
	so.cpus = o->cpus;
	if (sched_open(&d->sched, &so) < 0) {
		/* without the sampler: culprits and stalls, but no stacks/modes */
		so.sampler = false;
		if (sched_open(&d->sched, &so) < 0)
			goto out;
		warn("the stall sampler did not start: culprits are named, but without kernel stacks "
		     "or kernel/user mode");
	}
	d->sampler = so.sampler;
	struct softirq_opts sio = { .vec_mask = 1u << SOFTIRQ_NET_RX, .slower_ns = o->threshold_ns };
	if (softirq_open(&d->sirq, &sio) < 0)
		goto out;
	struct retrans_opts ro = { .records = false };
	if (retrans_open(&d->rt, &ro) < 0)
		goto out;
	d->ncpus = softirq_nr_cpus(d->sirq);
	if (sched_nr_cpus(d->sched) > d->ncpus)
		d->ncpus = sched_nr_cpus(d->sched);
	d->hists = calloc(softirq_nr_cpus(d->sirq), sizeof(*d->hists));
	d->cpu = calloc(d->ncpus, sizeof(*d->cpu));
	d->ksw = calloc(d->ncpus, sizeof(*d->ksw));
	d->win = calloc(1, sizeof(*d->win));
	if (!d->hists || !d->cpu || !d->ksw || !d->win) {
		err("out of memory");
		goto out;
	}
	if (tcp_mib_open(&d->mib, o->netns) == 0) {
		d->have_mib = true;
		tcp_mib_read(&d->mib, &d->mib_prev);
	}
	int n = softnet_read(d->sn_prev, SOFTNET_MAX);
	d->sn_n = n > 0 ? n : 0;
	if (kmsg_open(&d->km) < 0)
		warn("cannot read /dev/kmsg (%s): kernel log lines will be missing from the report",
		     strerror(errno));

	eng_cfg_default(&cfg);
	cfg.stall_ns = o->threshold_ns;
	cfg.netrx_ns = o->threshold_ns;
	if (cfg.netrx_spike_ns < 2 * o->threshold_ns)
		cfg.netrx_spike_ns = 2 * o->threshold_ns;

	struct timespec rt, mo;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	d->wall_off_ns = ((int64_t)rt.tv_sec - mo.tv_sec) * (int64_t)NS_PER_SEC + (rt.tv_nsec - mo.tv_nsec);
	d->t0_ns = now_ns();
	d->eng = engine_new(&cfg, &d->ek, d->ncpus, d->t0_ns, on_engine, d);
	if (!d->eng) {
		err("out of memory");
		goto out;
	}
	softirq_take(d->sirq, d->hists); /* start the first interval clean */
	retrans_stats(d->rt, d->rt_prev);
	sched_set_wait_cb(d->sched, on_wait, d);
	softirq_set_event_cb(d->sirq, on_softirq, d);
	d->stop_after_incident = o->once;
	if (sched_add_to_loop(d->sched, d->loop) < 0 || softirq_add_to_loop(d->sirq, d->loop) < 0 ||
	    loop_add_timer(d->loop, NS_PER_SEC, NS_PER_SEC, tick, d) < 0 ||
	    (o->duration_ns && loop_add_timer(d->loop, o->duration_ns, 0, on_duration, d) < 0) ||
	    (d->km.fd >= 0 && loop_add_fd(d->loop, d->km.fd, EPOLLIN, on_kmsg, d) < 0)) {
		err("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (!o->json && o->live) {
		char b1[32];
		fprintf(d->out, "Watching for network stalls (threshold %s%s; kernel %s, preemption %s). "
			"Ctrl-C to end.\n", dstr(o->threshold_ns, b1, sizeof(b1)), o->once ? ", --once" : "",
			d->kf.release, d->ek.preempt[0] ? d->ek.preempt : "unknown");
		fflush(d->out);
	}
	if (o->on_ready)
		o->on_ready(d->loop, o->arg);
	if (loop_run(d->loop) < 0) {
		err("the event loop failed: %s", strerror(errno));
		goto out;
	}
	/* drain what is pending and settle everything */
	sched_poll(d->sched, 0);
	softirq_poll(d->sirq, 0);
	uint64_t end = now_ns();
	engine_step(d->eng, end);
	if (!(o->once && d->n_inc))
		engine_finish(d->eng, end);
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
		res->sampler = d->sampler;
	}
out:
	doctor_close(d);
	free(d);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: ksleuth doctor [-d DUR] [--threshold DUR] [--once] [--json] [-C CPUS] [--netns NAME]\n"
"\n"
"Watch the system; when the network suffers (TCP retransmits, drops, softirq\n"
"delay) say which CPU stalled, for how long, who ran there instead and in what\n"
"state, that task's hottest kernel stack, the kernel facts that matter, matching\n"
"kernel log lines, and what to change.\n"
"\n"
"  -d, --duration DUR  stop after DUR (default: until Ctrl-C)\n"
"  --threshold DUR     a CPU held this long is a stall; NET_RX waiting this long\n"
"                      counts as blocked (default 100ms)\n"
"  --once              stop after the first incident\n"
"  --json              JSON Lines: stall, spike, kmsg, incident, finding, summary\n"
"  -C, --cpus CPUS     watch only these CPUs for stalls (e.g. 0-3,6)\n"
"  --netns NAME        read TCP counters (TcpRetransSegs) of this network namespace\n"
"\n"
"A second is a spike when it has at least 25 retransmits (the tracepoint; noise on\n"
"an idle VM reaches ~15) and 10x the median of the last 10 quiet seconds, or\n"
"100 softnet drops and 10x their median, or NET_RX waited 2x the threshold.\n"
"Spike seconds (gaps of up to 2 quiet seconds) form an incident, matched with the\n"
"stalls within +-1s and ranked by the time they stole. Mechanisms: softirq_blocked,\n"
"ksoftirqd_starved, rt_starvation, not_cpu; stalls that did not hurt the network\n"
"are reported as cpu_stall_no_network_impact.\n"
"\n"
"Exit: 0 healthy, 3 an incident was found, 1 runtime error, 2 usage error.\n");
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "threshold", required_argument, NULL, 't' },
		{ "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_opts o;
	int c;

	doctor_opts_default(&o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:C:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_duration_ns(optarg, NS_PER_SEC, &o.duration_ns) || !o.duration_ns) {
				err("-d '%s' is not a duration such as 30s or 5m", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_duration_ns(optarg, NS_PER_MS, &o.threshold_ns) ||
			    o.threshold_ns < NS_PER_MS || o.threshold_ns > 10 * NS_PER_SEC) {
				err("--threshold '%s' is not a duration between 1ms and 10s", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			o.once = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'C':
			if (parse_cpulist(optarg, &o.cpus)) {
				err("-C '%s' is not a CPU list such as 0-3,6", optarg);
				return EXIT_USAGE;
			}
			o.cpus_set = true;
			break;
		case 'n':
			o.netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			err("option '%s' needs a value; 'ksleuth doctor --help' lists the options", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			err("unknown option '%s'; 'ksleuth doctor --help' lists the options", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s'; 'ksleuth doctor --help' lists the options", argv[optind]);
		return EXIT_USAGE;
	}
	return doctor_run(&o, NULL);
}
