/* incident.c — the lifecycle of incidents and findings: an incident
 * closes once its quiet tail and correlation window have passed, gets its
 * verdict (attrib.c), seconds, kernel log lines and words (advice.c); a
 * held stall no spike explains becomes a finding. Pure: no BPF, no /proc,
 * no clock. */
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"

static void mark_stalls(struct engine *e, const struct window *w, enum stall_state to)
{
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		if (st->state != ST_PENDING || st->s.end_ns < w->lo_ns || st->s.start_ns >= w->hi_ns)
			continue;
		st->state = to;
	}
}

/* The seconds k0..k1 as the report shows them: counts, NET_RX's and
 * ksoftirqd's longest waits on the incident's CPU (all CPUs without one),
 * and the holder that held the most of each. */
static void fill_seconds(struct engine *e, struct eng_incident *inc, int64_t k0, int64_t k1)
{
	int cpu = inc->verdict.cpu;
	uint64_t sq;

	inc->n_seconds = 0;
	for (int64_t k = k0; k <= k1 && inc->n_seconds < ENG_MAX_SECONDS; k++) {
		struct bin *b = bin_get(e, k);
		struct eng_second *s = &inc->seconds[inc->n_seconds++];
		struct window w = { .k0 = k, .k1 = k };
		memset(s, 0, sizeof(*s));
		s->start_ns = bin_start(e, k);
		if (b) {
			s->retrans_tp = b->have_tp ? b->retrans_tp : b->retrans_segs;
			s->retrans_segs = b->retrans_segs;
			s->drops = b->drops;
			s->spike = b->spike;
		}
		cpu_stats(e, &w, cpu, &s->netrx_max_ns, &s->ksoftirqd_wait_ns, &sq);
		uint64_t lo = s->start_ns, hi = lo + e->cfg.bin_ns, best = 0;
		for (unsigned i = 0; i < RING_STALLS; i++) {
			struct stall *st = &e->stalls[i];
			if (!stall_is_real(e, st) || !stall_is_held(st) || st->s.end_ns < lo || st->s.start_ns >= hi)
				continue;
			if (cpu >= 0 && st->s.cpu != cpu)
				continue;
			uint64_t a = st->s.start_ns > lo ? st->s.start_ns : lo;
			uint64_t z = st->s.end_ns < hi ? st->s.end_ns : hi;
			if (z - a >= best && st->s.n_tasks) {
				best = z - a;
				snprintf(s->culprit, sizeof(s->culprit), "%s", st->s.tasks[0].comm);
			}
		}
	}
}

/* After an incident blamed on a CPU, retransmits up to its worst second
 * (of retransmits, or of drops: each packet a backlog dropped is
 * retransmitted once its flow's timer fires) are its aftermath for
 * ENG_ECHO_S seconds (timeline.c, is_echo). */
static void arm_echo(struct engine *e, enum eng_mech mech)
{
	e->echo_peak = 0;
	if (mech == ENG_NOT_CPU)
		return;
	e->echo_k = e->inc_last_k + ENG_ECHO_S;
	for (int64_t k = e->inc_first_k; k <= e->inc_last_k; k++) {
		struct bin *b = bin_get(e, k);
		if (b && bin_spike_retrans(b) > e->echo_peak)
			e->echo_peak = bin_spike_retrans(b);
		if (b && b->drops > e->echo_peak)
			e->echo_peak = b->drops;
	}
}

/* Kernel log lines from kmsg_before_ns before the incident to the end of
 * its window. */
static void take_kmsg(struct engine *e, struct eng_incident *inc, uint64_t hi_ns)
{
	uint64_t lo = inc->start_ns > e->cfg.kmsg_before_ns ? inc->start_ns - e->cfg.kmsg_before_ns : 0;
	unsigned first = e->kmsg_n > RING_KMSG ? e->kmsg_n - RING_KMSG : 0;

	for (unsigned i = first; i < e->kmsg_n && inc->n_kmsg < ENG_MAX_KMSG; i++) {
		struct kline *l = &e->kmsg[i % RING_KMSG];
		if (l->ts_ns < lo || l->ts_ns >= hi_ns)
			continue;
		struct eng_kmsg_line *o = &inc->kmsg[inc->n_kmsg++];
		o->ts_ns = l->ts_ns;
		o->cls = kmsg_class_name(l->cls);
		snprintf(o->text, sizeof(o->text), "%s", l->text);
	}
}

void close_incident(struct engine *e)
{
	struct eng_incident *inc = &e->inc;

	if (!e->inc_open)
		return;
	e->inc_open = false;
	memset(inc, 0, sizeof(*inc));
	inc->id = e->n_incidents;
	inc->start_ns = bin_start(e, e->inc_first_k);
	inc->end_ns = bin_start(e, e->inc_last_k + 1);
	for (int64_t k = e->inc_first_k; k <= e->inc_last_k; k++) {
		struct bin *b = bin_get(e, k);
		if (!b)
			continue;
		inc->retransmits += bin_retrans(b);
		inc->retrans_segs += b->retrans_segs;
		inc->drops += b->drops;
	}
	int64_t wb = (int64_t)((e->cfg.window_ns + e->cfg.bin_ns - 1) / e->cfg.bin_ns);
	struct window w = {
		.k0 = e->inc_first_k - wb, .k1 = e->inc_last_k + wb,
		.lo_ns = inc->start_ns > e->cfg.window_ns ? inc->start_ns - e->cfg.window_ns : 0,
		.hi_ns = inc->end_ns + e->cfg.window_ns,
	};
	if (w.k0 < 0)
		w.k0 = 0;
	struct eng_verdict v = attribute(e, &w, inc);
	inc->verdict = v;
	mark_stalls(e, &w, v.mech == ENG_NOT_CPU ? ST_CLEARED : ST_USED);
	arm_echo(e, v.mech);
	fill_seconds(e, inc, e->inc_first_k > 0 ? e->inc_first_k - 1 : 0, e->inc_last_k + 1);
	take_kmsg(e, inc, w.hi_ns);
	eng_advise(&e->cfg, &e->k, &v, inc);
	struct eng_event ev = { .type = ENG_EV_INCIDENT, .incident = inc };
	e->emit(e->arg, &ev);
}

static void report_stall(struct engine *e, struct stall *st)
{
	struct eng_finding *f = &e->fnd;
	struct window w;
	uint64_t sq;

	memset(f, 0, sizeof(*f));
	st->state = ST_REPORTED;
	e->n_findings++;
	f->mech = ENG_CPU_STALL_NO_NETWORK_IMPACT;
	f->cpu = st->s.cpu;
	f->start_ns = st->s.start_ns;
	f->end_ns = st->s.end_ns;
	f->stall_ns = st->s.end_ns - st->s.start_ns;
	if (st->s.n_tasks)
		f->culprit = st->s.tasks[0];
	else
		snprintf(f->culprit.comm, sizeof(f->culprit.comm), "?");
	f->mode = eng_task_mode(&f->culprit);
	f->bh_off = eng_task_bh_off(&f->culprit);
	memcpy(f->victim_comm, st->s.victim_comm, sizeof(f->victim_comm));
	f->n_frames = st->s.n_frames;
	memcpy(f->frames, st->s.frames, sizeof(f->frames[0]) * st->s.n_frames);
	w.k0 = bin_of(e, st->s.start_ns);
	w.k1 = bin_of(e, st->s.end_ns);
	cpu_stats(e, &w, st->s.cpu, &f->netrx_max_ns, &f->ksoftirqd_wait_ns, &sq);
	f->irq_gap_ns = st->s.gap.ns;
	f->irq_gap_not_running = f->irq_gap_ns && gap_not_running(&e->k, &st->s.gap);
	if (f->irq_gap_ns * 2 >= f->stall_ns) /* the silence is the stall: its context's mode */
		f->mode = st->s.gap.mode;
	eng_advise_finding(&e->k, &st->s.gap, f);
	struct eng_event ev = { .type = ENG_EV_FINDING, .finding = f };
	e->emit(e->arg, &ev);
}

/* A spike bin within the stall's correlation window, or in an open incident? */
static int stall_spike_state(struct engine *e, const struct stall *st)
{
	int64_t k0 = bin_of(e, st->s.start_ns > e->cfg.window_ns ? st->s.start_ns - e->cfg.window_ns : 0);
	int64_t k1 = bin_of(e, st->s.end_ns + e->cfg.window_ns);
	int r = 0;

	if (k0 < 0)
		k0 = 0;
	for (int64_t k = k0; k <= k1; k++) {
		struct bin *b = bin_get(e, k);
		/* spikes of a closed incident were judged without this stall */
		if (b && b->spike && e->inc_open && b->incident == e->n_incidents)
			r = 1;
	}
	return r;
}

/* The CPUs (the first 64) that the open incident's seconds, and the one
 * after, tie to the loss: NET_RX waited the threshold there, its backlog
 * dropped past the bar, or ksoftirqd waited the threshold. 0: none. */
static uint64_t tied_cpus(struct engine *e)
{
	uint64_t m = 0;

	for (int64_t k = e->inc_first_k; k <= e->inc_last_k + 1; k++) {
		struct bin *b = bin_get(e, k);
		for (unsigned c = 0; b && c < e->ncpus && c < 64; c++) {
			const struct eng_cpu_sample *x = &b->cpu[c];
			if (x->netrx_max_ns >= e->cfg.netrx_ns || x->drops >= e->cfg.drops_min ||
			    x->ksoftirqd_wait_ns >= e->cfg.stall_ns)
				m |= 1ull << c;
		}
	}
	return m;
}

void engine_step(struct engine *e, uint64_t now_ns)
{
	if (!e)
		return;
	/* an incident is over once quiet_bins quiet seconds followed it (their
	 * samples are in, or a second more has passed without them) and the
	 * stalls that could explain it have ended */
	if (e->inc_open) {
		uint64_t end = bin_start(e, e->inc_last_k + 1);
		uint64_t quiet_until = end + (e->cfg.quiet_bins + 1) * e->cfg.bin_ns;
		uint64_t window_until = end + e->cfg.window_ns + e->cfg.bin_ns / 2;
		bool quiet = e->max_k >= e->inc_last_k + (int64_t)e->cfg.quiet_bins || now_ns >= quiet_until;
		bool ready = quiet && now_ns >= window_until;
		/* where the seconds tie the loss to CPUs, only a hold still
		 * running on one of them can change the verdict: contention is
		 * never a suspect, and its final record may never come (the
		 * waiter ran elsewhere, or waited less there than the bar) */
		uint64_t tied = ready ? tied_cpus(e) : 0;
		for (unsigned i = 0; ready && i < RING_STALLS; i++) {
			struct stall *st = &e->stalls[i];
			if (st->state == ST_PENDING && st->s.ongoing && stall_is_held(st) &&
			    st->s.start_ns < end + e->cfg.window_ns &&
			    now_ns < st->seen_ns + ONGOING_WAIT_NS &&
			    (!tied || (st->s.cpu >= 0 && st->s.cpu < 64 && (tied >> st->s.cpu) & 1)))
				ready = false;
		}
		if (ready)
			close_incident(e);
	}
	/* stalls no spike explains, once their window has been seen */
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		if (st->state == ST_CLEARED && stall_is_real(e, st) && stall_is_held(st)) {
			report_stall(e, st);
			continue;
		}
		if (st->state != ST_PENDING || st->s.ongoing || !stall_is_real(e, st) || !stall_is_held(st))
			continue;
		if (now_ns < st->s.end_ns + e->cfg.window_ns + e->cfg.bin_ns + e->cfg.bin_ns / 2)
			continue;
		if (!stall_spike_state(e, st))
			report_stall(e, st);
	}
}

void engine_finish(struct engine *e, uint64_t now_ns)
{
	(void)now_ns; /* everything closes with what is known */
	if (!e)
		return;
	for (unsigned i = 0; i < RING_STALLS; i++)
		if (e->stalls[i].state == ST_PENDING)
			e->stalls[i].s.ongoing = false;
	close_incident(e);
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		if ((st->state == ST_PENDING || st->state == ST_CLEARED) && stall_is_real(e, st) &&
		    stall_is_held(st) &&
		    !(st->state == ST_PENDING && stall_spike_state(e, st)))
			report_stall(e, st);
	}
}
