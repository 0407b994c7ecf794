/* doctor/pipeline.c — the doctor's collectors -> engine glue, shared by
 * doctor and agent (see pipeline.h): adapters from collector records to
 * engine inputs, the 1-second tick, setup and teardown. It owns the
 * collectors, the /proc and kmsg sources and the engine; it prints
 * nothing but errors and warnings: views come through the callbacks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ksleuth.h"
#include "collect/attach.h"
#include "doctor/pipeline.h"
#include "doctor/pipeline_int.h"
#include "doctor/recording.h"
#include "collect/retrans.h"
#include "collect/sched.h"
#include "collect/softirq.h"
#include "lib/hist.h"
#include "lib/procnet.h"
#include "sys/kmsg_reader.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"
#include "sys/sysinfo.h"

/* ---- kernel facts in the engine's terms --------------------------------- */

static void facts_to_engine(const struct kernel_facts *kf, struct eng_kernel *k)
{
	char buf[64];

	memset(k, 0, sizeof(*k));
	snprintf(k->release, sizeof(k->release), "%.*s", (int)sizeof(k->release) - 1, kf->release);
	k->major = kf->major;
	k->minor = kf->minor;
	k->hz = kf->hz;
	k->vm = kf->virtual_machine;
	k->preempt_dynamic = kf->preempt_dynamic_built;
	k->rt = kf->realtime == KF_YES;
	if (kf->preempt_dynamic[0])
		snprintf(k->preempt, sizeof(k->preempt), "%.*s", (int)sizeof(k->preempt) - 1, kf->preempt_dynamic);
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
	else if (kf->preemptible == KF_NO) /* uname -v without a config: one of the two */
		snprintf(k->preempt, sizeof(k->preempt), "none/voluntary");
	if (proc_read_text("/proc/sys/kernel/sched_rt_runtime_us", buf, sizeof(buf)) > 0)
		k->rt_runtime_us = strtol(buf, NULL, 10);
	if (proc_read_text("/proc/sys/kernel/sched_rt_period_us", buf, sizeof(buf)) > 0)
		k->rt_period_us = strtol(buf, NULL, 10);
}

/* ---- collector records -> engine inputs --------------------------------- */

static bool cpu_wanted(const struct pipeline *p, unsigned cpu)
{
	return !p->o.cpus_set || cpuset_has(&p->o.cpus, cpu);
}

static void ant_to_task(const struct sched_antagonist *a, struct eng_task *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = (int32_t)a->pid;
	t->tid = (int32_t)a->tid;
	snprintf(t->comm, sizeof(t->comm), "%.*s", ENG_COMM_LEN - 1, a->comm);
	t->policy = (int)a->policy;
	/* kernel prio 0..99 for RT tasks is 99 - rt_priority */
	t->rt_prio = (a->policy == 1 || a->policy == 2) && a->prio >= 0 && a->prio < 100 ? 99 - a->prio : 0;
	t->prio = a->prio;
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
static void fill_stall(struct pipeline *p, struct eng_stall *s, struct stall_window_info *wi, unsigned cpu,
		       uint64_t t0, uint64_t t1)
{
	struct sched_window *w = p->win;
	unsigned max = ENG_MAX_TASKS < SCHED_ANT_MAX ? ENG_MAX_TASKS : SCHED_ANT_MAX;

	memset(s, 0, sizeof(*s));
	memset(wi, 0, sizeof(*wi));
	s->cpu = (int)cpu;
	s->start_ns = t0;
	s->end_ns = t1;
	if (sched_who_ran(p->sched, cpu, t0, t1, max, w) < 0)
		return;
	wi->known = true;
	wi->covered_ns = w->covered_ns;
	wi->idle_ns = w->idle_ns;
	wi->left_out = w->left_out;
	for (unsigned i = 0; i < w->n && s->n_tasks < ENG_MAX_TASKS; i++)
		ant_to_task(&w->a[i], &s->tasks[s->n_tasks++]);
	if (w->n) {
		const struct sched_antagonist *a = &w->a[0];
		for (unsigned f = 0; f < a->nframes && f < ENG_MAX_FRAMES; f++)
			snprintf(s->frames[s->n_frames++], ENG_FRAME_LEN, "%.*s", ENG_FRAME_LEN - 1, a->frames[f]);
		s->stack_samples = a->stack_samples;
	}
}

/* What each kind of stall says it waited for. A recording keeps it, and
 * its reader takes no longer one: a line it cannot read ends the replay. */
static const char WHAT_NETRX[] = "softirq waited to run";
static const char WHAT_SILENCE[] = "did not come (interrupts off, or the vCPU not run)";
static const char WHAT_WAIT[] = "waited";
_Static_assert(sizeof(WHAT_NETRX) <= REC_WHAT_LEN && sizeof(WHAT_SILENCE) <= REC_WHAT_LEN &&
	       sizeof(WHAT_WAIT) <= REC_WHAT_LEN, "a recorded stall keeps its what");

static void hand_over(struct pipeline *p, const struct stall_window_info *wi, const char *what)
{
	struct pipeline_stall ps = { .s = &p->stall, .win = *wi, .what = what };

	stall_fill_decide(&p->stall, wi, &ps.fill);
	if (p->o.on_stall)
		p->o.on_stall(p->o.arg, &ps);
	if (p->rec)
		rec_writer_stall(p->rec, &p->stall, wi, what);
	engine_add_stall(p->eng, &p->stall);
}

/* NET_RX could not run on cpu from t0 to t1: a stall with no task waiting. */
static void netrx_stall(struct pipeline *p, unsigned cpu, uint64_t t0, uint64_t t1)
{
	struct stall_window_info wi;

	fill_stall(p, &p->stall, &wi, cpu, t0, t1);
	snprintf(p->stall.victim_comm, sizeof(p->stall.victim_comm), "NET_RX");
	hand_over(p, &wi, WHAT_NETRX);
}

/* No task known to have run in s (its segment is still open): the one the
 * record says runs now (ongoing reports, silences) held the whole of it. */
static void name_running(struct eng_stall *s, const struct sched_wait *w)
{
	if (s->n_tasks || !w->cur_tid)
		return;
	struct eng_task *t = &s->tasks[s->n_tasks++];
	memset(t, 0, sizeof(*t));
	t->pid = (int32_t)w->cur_pid;
	t->tid = (int32_t)w->cur_tid;
	t->policy = -1;
	t->run_ns = w->wait_ns;
	snprintf(t->comm, sizeof(t->comm), "%.*s", ENG_COMM_LEN - 1, w->cur_comm);
}

/* The CPU took no timer interrupt while one task ran (interrupts off, or
 * the vCPU not run): a stall nothing was seen waiting in, for nothing ran.
 * Who ran is asked from just after the tick before it, so the one sample
 * in it is the tick that ended it. */
static void irq_gap_stall(struct pipeline *p, const struct sched_wait *w)
{
	struct stall_window_info wi;

	fill_stall(p, &p->stall, &wi, w->cpu, w->start_ns + 1, w->start_ns + w->wait_ns);
	p->stall.start_ns = w->start_ns;
	p->stall.gap.ns = w->wait_ns;
	name_running(&p->stall, w);
	snprintf(p->stall.victim_comm, sizeof(p->stall.victim_comm), "timer tick");
	hand_over(p, &wi, WHAT_SILENCE);
}

static void on_wait(const struct sched_wait *w, void *arg)
{
	struct pipeline *p = arg;
	struct eng_stall *s = &p->stall;
	struct stall_window_info wi;

	if (w->cpu >= p->ncpus || !cpu_wanted(p, w->cpu))
		return;
	if (w->netrx) {
		netrx_stall(p, w->cpu, w->start_ns, w->start_ns + w->wait_ns);
		return;
	}
	if (w->irq_gap) {
		irq_gap_stall(p, w);
		return;
	}
	if (eng_net_thread(w->comm) && w->wait_ns > p->ksw_rec[w->cpu])
		p->ksw_rec[w->cpu] = w->wait_ns;
	uint64_t t0 = w->start_ns, t1 = w->start_ns + w->wait_ns;
	struct win_cache *wc = p->wcache ? &p->wcache[w->cpu] : NULL;
	uint64_t lo = wc && wc->t0 > t0 ? wc->t0 : t0, hi = wc && wc->t1 < t1 ? wc->t1 : t1;
	if (wc && wc->valid && !w->ongoing && hi > lo && t1 > t0 &&
	    (hi - lo) * 1000 >= (t1 - t0) * REUSE_PERMILLE) {
		*s = wc->s;
		wi = wc->wi;
		s->start_ns = t0;
		s->end_ns = t1;
	} else {
		fill_stall(p, s, &wi, w->cpu, t0, t1);
		if (wc && !w->ongoing) {
			wc->valid = true;
			wc->t0 = t0;
			wc->t1 = t1;
			wc->s = *s;
			wc->wi = wi;
		}
	}
	s->ongoing = w->ongoing;
	s->victim_pid = (int32_t)w->pid;
	s->victim_policy = (int)w->policy;
	s->victim_prio = w->prio;
	snprintf(s->victim_comm, sizeof(s->victim_comm), "%.*s", ENG_COMM_LEN - 1, w->comm);
	if (w->ongoing)
		name_running(s, w);
	hand_over(p, &wi, WHAT_WAIT);
}

static void on_softirq(const struct softirq_event *e, void *arg)
{
	struct pipeline *p = arg;

	if (e->vec != SOFTIRQ_NET_RX || e->cpu >= p->ncpus || !cpu_wanted(p, e->cpu) || e->entry_ns < e->raise_ns)
		return;
	netrx_stall(p, e->cpu, e->raise_ns, e->entry_ns);
}

static void on_kmsg_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct pipeline *p = arg;
	struct kmsg_rec r;
	(void)l; (void)fd; (void)events;

	while (kmsg_next(&p->km, &r) == 1) {
		enum kmsg_class cls = kmsg_classify(r.text);
		if (p->rec)
			rec_writer_kmsg(p->rec, r.ts_ns, r.text);
		engine_add_kmsg(p->eng, r.ts_ns, r.text);
		if (cls != KMSG_OTHER && p->o.on_kmsg)
			p->o.on_kmsg(p->o.arg, &r, cls);
	}
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

/* ---- the 1-second tick --------------------------------------------------- */

static void tick(struct loop *l, void *arg)
{
	struct pipeline *p = arg;
	uint64_t now = now_ns();
	struct eng_net_sample s = { .ts_ns = now, .ncpus = p->ncpus, .cpu = p->cpu };
	bool have_hists;
	uint64_t st[RETRANS_NR_STATS];
	struct tcp_mib m;
	(void)l;

	memset(p->cpu, 0, sizeof(*p->cpu) * p->ncpus);
	/* pending ring-buffer records first, so this second's stalls are in */
	sched_drain(p->sched);
	if (p->sirq)
		softirq_poll(p->sirq, 0);
	retrans_drain(p->rt);

	have_hists = p->sirq && softirq_take(p->sirq, p->hists) == 0;
	if (have_hists) {
		for (unsigned c = 0; c < p->nsirq && c < p->ncpus; c++) {
			const struct hist *h = &p->hists[c].delay[SOFTIRQ_NET_RX];
			if (!h->count || !cpu_wanted(p, c))
				continue;
			p->cpu[c].netrx_max_ns = h->max_ns;
			p->cpu[c].netrx_p99_ns = hist_percentile_ns(h, 99);
		}
	} else if (p->holds && sched_netrx_take(p->sched, p->holds) == 0) {
		/* at tick resolution, and no p99: the watch sees only the holds */
		for (unsigned c = 0; c < p->ncpus; c++)
			if (cpu_wanted(p, c))
				p->cpu[c].netrx_max_ns = p->holds[c].max_ns;
	}
	for (unsigned c = 0; c < p->ncpus; c++) {
		uint64_t w = p->ksw_rec[c];
		struct hist h;
		if (p->ksw_prev && sched_hist_cpu(p->sched, c, SCHED_CLASS_COMM, -1, &h) == 0) {
			uint64_t hm = hist_diff_max_ns(&h, &p->ksw_prev[c]);
			if (hm > w)
				w = hm;
			p->ksw_prev[c] = h;
		}
		p->cpu[c].ksoftirqd_wait_ns = cpu_wanted(p, c) ? w : 0;
		p->ksw_rec[c] = 0;
	}

	if (retrans_stats(p->rt, st) == 0) {
		s.retrans_tp = st[RETRANS_STAT_EVENTS] - p->rt_prev[RETRANS_STAT_EVENTS];
		s.have_tp = true;
		memcpy(p->rt_prev, st, sizeof(st));
	}
	if (p->have_mib && tcp_mib_read(&p->mib, &m) == 0) {
		s.retrans_segs = m.retrans_segs - p->mib_prev.retrans_segs;
		s.have_segs = true;
		p->mib_prev = m;
	}
	int n = softnet_read(p->sn_now, SOFTNET_MAX);
	if (n > 0) {
		for (int i = 0; i < n; i++) {
			int cpu = p->sn_now[i].cpu;
			if (cpu < 0 || (unsigned)cpu >= p->ncpus || !cpu_wanted(p, (unsigned)cpu))
				continue;
			for (int k = 0; k < p->sn_n; k++) {
				if (p->sn_prev[k].cpu != cpu)
					continue;
				p->cpu[cpu].drops = u32_delta(p->sn_now[i].dropped, p->sn_prev[k].dropped);
				p->cpu[cpu].squeezes = u32_delta(p->sn_now[i].time_squeeze, p->sn_prev[k].time_squeeze);
			}
		}
		memcpy(p->sn_prev, p->sn_now, sizeof(p->sn_now[0]) * (size_t)n);
		p->sn_n = n;
	}
	if (p->o.on_second)
		p->o.on_second(p->o.arg, &s, have_hists ? p->hists : NULL, p->nsirq);
	if (p->rec) {
		rec_writer_sample(p->rec, &s);
		rec_writer_step(p->rec, now);
	}
	engine_add_sample(p->eng, &s);
	engine_step(p->eng, now);
}

/* ---- setup and teardown -------------------------------------------------- */

/* The collectors: softirq (with --netrx-trace, or where the NET_RX hold
 * watch cannot run), retrans, and sched with the stall sampler (without
 * it when it cannot start). */
static int open_collectors(struct pipeline *p, const struct pipeline_opts *o)
{
	struct sched_opts so;
	struct softirq_opts sio = { .vec_mask = o->softirq_vec_mask, .slower_ns = o->threshold_ns,
				    .no_run_time = o->softirq_no_run_time };
	struct retrans_opts ro = { .records = false };

	sched_opts_default(&so);
	so.threshold_ns = o->threshold_ns;
	so.sampler = true;
	/* an ongoing stall is reported once its waiter passed the threshold
	 * (the sampler notices within a tick or two): within 2x the threshold */
	if (o->ongoing)
		so.ongoing_ns = o->threshold_ns;
	so.cpus_set = o->cpus_set;
	so.cpus = o->cpus;
	so.netrx_holds = !o->softirq_trace;
	so.tick_hz = p->kf.hz;
	if (o->ksoftirqd_hist)
		snprintf(so.class_comm, sizeof(so.class_comm), "ksoftirqd");
	/* a namespace's TCP counters, and then its retransmits only: a
	 * burst elsewhere on the machine is not this namespace's spike */
	if (o->netns && netns_inode(o->netns, &ro.netns_ino) < 0)
		return -1;
	/* the sched collector last: it keeps the kernel symbols (~10 MB), the
	 * others' loads each parse vmlinux BTF (~5 MB) and free it */
	if ((o->softirq_trace && softirq_open(&p->sirq, &sio) < 0) || retrans_open(&p->rt, &ro) < 0)
		return -1;
	if (sched_open(&p->sched, &so) < 0) {
		/* without the sampler: culprits and stalls, but no stacks/modes */
		so.sampler = false;
		if (sched_open(&p->sched, &so) < 0)
			return -1;
		warn("the stall sampler did not start: culprits are named, but without kernel stacks "
		     "or kernel/user mode");
	}
	p->sampler = so.sampler;
	if (!p->sirq && !sched_netrx_holds(p->sched)) {
		dbg("NET_RX hold watch unavailable (no sampler, or no softirq pending word or kstat in "
		    "vmlinux BTF): tracing softirq raise and entry instead");
		if (softirq_open(&p->sirq, &sio) < 0)
			return -1;
	}
	return 0;
}

static int alloc_scratch(struct pipeline *p, const struct pipeline_opts *o)
{
	p->ncpus = sched_nr_cpus(p->sched);
	if (p->sirq) {
		p->nsirq = softirq_nr_cpus(p->sirq);
		if (p->nsirq > p->ncpus)
			p->ncpus = p->nsirq;
		p->hists = calloc(p->nsirq, sizeof(*p->hists));
	} else {
		p->holds = calloc(sched_nr_cpus(p->sched), sizeof(*p->holds));
	}
	p->cpu = calloc(p->ncpus, sizeof(*p->cpu));
	p->ksw_rec = calloc(p->ncpus, sizeof(*p->ksw_rec));
	p->win = calloc(1, sizeof(*p->win));
	p->wcache = calloc(p->ncpus, sizeof(*p->wcache)); /* NULL: every wait is filled */
	if (o->ksoftirqd_hist)
		p->ksw_prev = calloc(p->ncpus, sizeof(*p->ksw_prev));
	if ((!p->hists && !p->holds) || !p->cpu || !p->ksw_rec || !p->win || (o->ksoftirqd_hist && !p->ksw_prev)) {
		err("out of memory");
		return -1;
	}
	return 0;
}

/* Baselines for the per-second deltas, and the kernel log. */
static void read_baselines(struct pipeline *p, const struct pipeline_opts *o)
{
	int n;

	if (tcp_mib_open(&p->mib, o->netns) == 0) {
		p->have_mib = tcp_mib_read(&p->mib, &p->mib_prev) == 0;
		if (!p->have_mib)
			tcp_mib_close(&p->mib);
	}
	if (!p->have_mib)
		warn("the kernel's TCP counters are unreadable; retransmits come from the tracepoint alone");
	n = softnet_read(p->sn_prev, SOFTNET_MAX);
	p->sn_n = n > 0 ? n : 0;
	if (kmsg_open(&p->km) < 0)
		warn("cannot read /dev/kmsg (%s): kernel log lines will be missing from the report",
		     strerror(errno));
	if (p->ksw_prev)
		for (unsigned c = 0; c < p->ncpus; c++)
			sched_hist_cpu(p->sched, c, SCHED_CLASS_COMM, -1, &p->ksw_prev[c]);
}

static int start_engine(struct pipeline *p, const struct pipeline_opts *o)
{
	struct eng_cfg cfg;

	eng_cfg_default(&cfg);
	cfg.stall_ns = o->threshold_ns;
	cfg.netrx_ns = o->threshold_ns;
	if (cfg.netrx_spike_ns < 2 * o->threshold_ns)
		cfg.netrx_spike_ns = 2 * o->threshold_ns;
	p->t0_ns = now_ns();
	p->wall_off_ns = wall_offset_ns();
	p->eng = engine_new(&cfg, &p->ek, p->ncpus, p->t0_ns, o->on_event, o->arg);
	if (!p->eng) {
		err("cannot create the doctor's engine (out of memory)");
		return -1;
	}
	p->cfg = cfg;
	if (o->record_path) {
		p->rec = rec_writer_open(o->record_path, p->ncpus);
		if (!p->rec)
			return -1;
		pipeline_record_begin(p, &cfg);
	}
	return 0;
}

int pipeline_record_to(struct pipeline *p, const char *path, uint64_t now)
{
	uint64_t t0 = p->t0_ns;
	int rc = 0;

	if (p->rec) {
		struct rec_finish f = { .now_ns = now, .settle = true };
		rec_writer_finish(p->rec, &f);
		rc = rec_writer_close(p->rec);
		p->rec = NULL;
	}
	if (!path)
		return rc;
	if (!(p->rec = rec_writer_open(path, p->ncpus)))
		return -1;
	/* the new file's engine starts now: its replay begins with this file */
	p->t0_ns = now;
	pipeline_record_begin(p, &p->cfg);
	p->t0_ns = t0;
	return rc;
}

/* Starts the first interval clean and registers everything on l. */
static int add_to_loop(struct pipeline *p, struct loop *l)
{
	if (p->sirq)
		softirq_take(p->sirq, p->hists);
	else
		sched_netrx_take(p->sched, p->holds);
	retrans_stats(p->rt, p->rt_prev);
	sched_set_wait_cb(p->sched, on_wait, p);
	if (p->sirq)
		softirq_set_event_cb(p->sirq, on_softirq, p);
	if (sched_add_to_loop(p->sched, l) < 0 || (p->sirq && softirq_add_to_loop(p->sirq, l) < 0) ||
	    retrans_add_to_loop(p->rt, l) < 0 || loop_add_timer(l, NS_PER_SEC, NS_PER_SEC, tick, p) < 0 ||
	    (p->km.fd >= 0 && loop_add_fd(l, p->km.fd, EPOLLIN, on_kmsg_fd, p) < 0)) {
		err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int pipeline_open(struct pipeline **out, struct loop *l, const struct pipeline_opts *o)
{
	struct pipeline *p;

	*out = p = calloc(1, sizeof(*p));
	if (!p) {
		err("out of memory");
		return -1;
	}
	p->o = *o;
	p->loop = l;
	p->km.fd = -1;
	kernel_facts_read(&p->kf);
	facts_to_engine(&p->kf, &p->ek);
	if (open_collectors(p, o) < 0 || alloc_scratch(p, o) < 0)
		return -1;
	read_baselines(p, o);
	if (start_engine(p, o) < 0)
		return -1;
	return add_to_loop(p, l);
}

void pipeline_drain(struct pipeline *p, uint64_t now)
{
	if (p->replay) /* the recording has this step */
		return;
	if (p->rec)
		rec_writer_step(p->rec, now);
	sched_drain(p->sched);
	if (p->sirq)
		softirq_poll(p->sirq, 0);
	engine_step(p->eng, now);
}

void pipeline_finish(struct pipeline *p, uint64_t now, bool settle)
{
	if (p->replay) {
		now = p->end_ns;
		settle = p->settle;
	}
	if (p->rec) {
		struct rec_finish f = { .now_ns = now, .settle = settle, .lost_records = pipeline_lost_records(p),
					.lost_kmsg = pipeline_kmsg_lost(p) };
		rec_writer_finish(p->rec, &f);
	}
	if (settle)
		engine_finish(p->eng, now);
}

void pipeline_close(struct pipeline *p)
{
	if (!p)
		return;
	rec_writer_close(p->rec);
	kmsg_close(&p->km);
	if (p->have_mib)
		tcp_mib_close(&p->mib);
	if (p->rt)
		retrans_close(p->rt);
	if (p->sirq)
		softirq_close(p->sirq);
	if (p->sched)
		sched_close(p->sched);
	engine_free(p->eng);
	free(p->hists);
	free(p->holds);
	free(p->cpu);
	free(p->ksw_rec);
	free(p->ksw_prev);
	free(p->win);
	free(p->wcache);
	free(p);
}

struct engine *pipeline_engine(struct pipeline *p) { return p->eng; }
struct sched_collector *pipeline_sched(struct pipeline *p) { return p->sched; }
struct softirq_collector *pipeline_softirq(struct pipeline *p) { return p->sirq; }
const struct kernel_facts *pipeline_facts(const struct pipeline *p) { return &p->kf; }
const struct eng_kernel *pipeline_eng_kernel(const struct pipeline *p) { return &p->ek; }
unsigned pipeline_ncpus(const struct pipeline *p) { return p->ncpus; }
uint64_t pipeline_t0_ns(const struct pipeline *p) { return p->t0_ns; }
bool pipeline_sampler(const struct pipeline *p) { return p->sampler; }
const char *pipeline_netrx_source(const struct pipeline *p)
{
	return p->replay ? p->netrx_src : p->sirq ? "trace" : "tick";
}
unsigned long pipeline_kmsg_lost(const struct pipeline *p) { return p->km.lost; }

void pipeline_retrans_totals(const struct pipeline *p, uint64_t *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = i < RETRANS_NR_STATS ? p->rt_prev[i] : 0;
}

uint64_t pipeline_lost_records(struct pipeline *p)
{
	uint64_t lost = 0, st[SCHED_NR_STATS], ss[SOFTIRQ_NR_STATS];

	if (p->replay)
		return p->lost_records;
	if (sched_stats(p->sched, st) == 0)
		lost += st[SCHED_STAT_RB_DROPS];
	if (p->sirq && softirq_stats(p->sirq, ss) == 0)
		lost += ss[SOFTIRQ_STAT_RB_DROPS];
	return lost;
}

int pipeline_prog_stats(struct pipeline *p, struct prog_stat *out, int max)
{
	int n;

	if (p->replay)
		return 0;
	n = sched_prog_stats(p->sched, out, max);

	if (p->sirq)
		n += softirq_prog_stats(p->sirq, out + n, max - n);
	n += retrans_prog_stats(p->rt, out + n, max - n);
	return n;
}
