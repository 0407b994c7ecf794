/* attrib.c — attribution: which stalls near an incident tie to the loss
 * (suspects ranked by evidence), and the verdict, a plain struct with the
 * mechanism, confidence and the facts it rests on. advice.c words it.
 * Pure: no BPF, no /proc, no clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

/* Time the main antagonist took from the stalled work. */
static uint64_t stolen(const struct stall *st)
{
	uint64_t len = st->s.end_ns - st->s.start_ns;
	if (st->s.n_tasks && st->s.tasks[0].run_ns && st->s.tasks[0].run_ns < len)
		return st->s.tasks[0].run_ns;
	return len;
}

static uint64_t overlap_ns(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	return hi > lo ? hi - lo : 0;
}

/* The network's wait of this kind during st, where such waits were
 * recorded on st's CPU around it: the longest overlap of st with one of
 * them. A task that ran just before or after a hold shares its seconds,
 * not its victims. False where none was recorded there: the seconds'
 * maxima decide. */
static bool net_wait_overlap(const struct engine *e, const struct stall *st, enum net_wait_kind kind,
			     uint64_t lo_ns, uint64_t hi_ns, uint64_t *ov)
{
	bool seen = false;

	*ov = 0;
	for (unsigned i = 0; i < RING_NETRX; i++) {
		const struct net_wait *n = &e->netw[i];
		if (n->end_ns <= n->start_ns || n->cpu != st->s.cpu || n->kind != kind ||
		    !overlap_ns(n->start_ns, n->end_ns, lo_ns, hi_ns))
			continue;
		seen = true;
		uint64_t o = overlap_ns(n->start_ns, n->end_ns, st->s.start_ns, st->s.end_ns);
		if (o > *ov)
			*ov = o;
	}
	return seen;
}

/* What ties one stall to the loss, added to its suspect: NET_RX's delay,
 * ksoftirqd's wait and drops on its CPU in the seconds it touches (its own
 * and the next, where a delay that ended with it is counted), and its
 * time inside this incident's spike seconds. A silence counts as NET_RX's
 * delay: nothing ran in it, NET_RX neither. */
static void stall_evidence(struct engine *e, const struct stall *st, unsigned inc_id,
			   struct eng_suspect *sp, uint64_t *squeezes)
{
	int64_t k0 = bin_of(e, st->s.start_ns), k1 = bin_of(e, st->s.end_ns);
	int cpu = st->s.cpu;
	uint64_t nr_ov, ks_ov;

	if (st->s.gap.ns > sp->netrx_max_ns)
		sp->netrx_max_ns = st->s.gap.ns;
	if (k1 < 0 || cpu < 0 || (unsigned)cpu >= e->ncpus)
		return;
	if (k0 < 0)
		k0 = 0;
	bool precise = net_wait_overlap(e, st, NW_NETRX, bin_start(e, k0), bin_start(e, k1 + 2), &nr_ov);
	bool precise_ks = net_wait_overlap(e, st, NW_KSOFTIRQD, bin_start(e, k0), bin_start(e, k1 + 2), &ks_ov);
	uint64_t bin_netrx = 0, bin_ksw = 0;
	for (int64_t k = k0; k <= k1 + 1; k++) {
		struct bin *b = bin_get(e, k);
		if (!b)
			continue;
		const struct eng_cpu_sample *c = &b->cpu[cpu];
		if (c->netrx_max_ns > bin_netrx)
			bin_netrx = c->netrx_max_ns;
		if (c->ksoftirqd_wait_ns > bin_ksw)
			bin_ksw = c->ksoftirqd_wait_ns;
		if (c->drops > sp->drops)
			sp->drops = c->drops;
		*squeezes += c->squeezes;
		if (k > k1 || !b->spike || b->incident != inc_id)
			continue;
		uint64_t lo = bin_start(e, k), hi = lo + e->cfg.bin_ns;
		uint64_t a = st->s.start_ns > lo ? st->s.start_ns : lo, z = st->s.end_ns < hi ? st->s.end_ns : hi;
		if (z > a)
			sp->spike_ns += z - a;
	}
	/* a recorded wait's overlap, at most what the seconds measured (a
	 * merged record may be longer than the wait itself) */
	if (!precise || nr_ov > bin_netrx)
		nr_ov = bin_netrx;
	if (nr_ov > sp->netrx_max_ns)
		sp->netrx_max_ns = nr_ov;
	if (!precise_ks || ks_ov > bin_ksw)
		ks_ov = bin_ksw;
	if (ks_ov > sp->ksoftirqd_wait_ns)
		sp->ksoftirqd_wait_ns = ks_ov;
}

/* The strongest tie, with the verdict's own bars: NET_RX blocked
 * (netrx_ns), drops past the spike bar, ksoftirqd starved where it
 * carries NET_RX (softirqs deferred to it, or squeezed). */
static enum eng_link suspect_link(const struct engine *e, const struct eng_suspect *sp, uint64_t squeezes)
{
	bool deferred = kernel_defers_softirqs(&e->k);

	if (sp->netrx_max_ns >= e->cfg.netrx_ns)
		return ENG_LINK_NETRX;
	if (sp->drops >= e->cfg.drops_min ||
	    (sp->ksoftirqd_wait_ns >= e->cfg.stall_ns && (deferred || squeezes > 0)))
		return ENG_LINK_BACKLOG;
	return sp->spike_ns ? ENG_LINK_SPIKE : ENG_LINK_NONE;
}

/* Ranked by what ties each to the loss, then by how much of the
 * network's own waits (NET_RX's, ksoftirqd's) it held, by its time inside
 * spike seconds, and only then by time stolen: on a busy host the longest
 * holder is often a sender on another CPU that NET_RX never waited on,
 * or a task running just after a hold, in the same seconds. */
static bool suspect_before(const struct eng_suspect *a, const struct eng_suspect *b)
{
	uint64_t wa = a->netrx_max_ns > a->ksoftirqd_wait_ns ? a->netrx_max_ns : a->ksoftirqd_wait_ns;
	uint64_t wb = b->netrx_max_ns > b->ksoftirqd_wait_ns ? b->netrx_max_ns : b->ksoftirqd_wait_ns;

	if (a->link != b->link)
		return a->link > b->link;
	if (wa != wb)
		return wa > wb;
	if (a->spike_ns != b->spike_ns)
		return a->spike_ns > b->spike_ns;
	return a->stolen_ns > b->stolen_ns;
}

static void rank_suspects(struct engine *e, const struct window *w, struct eng_incident *inc)
{
	inc->n_suspects = 0;
	struct eng_suspect all[RING_STALLS];
	uint64_t sq[RING_STALLS];
	unsigned n = 0;

	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		/* contention (shared, or a lighter waiter served by weight) is
		 * nobody's hold */
		if (!stall_is_real(e, st) || !stall_is_held(st) || st->s.end_ns < w->lo_ns ||
		    st->s.start_ns >= w->hi_ns)
			continue;
		uint64_t len = st->s.end_ns - st->s.start_ns;
		unsigned j;
		for (j = 0; j < n; j++)
			if (all[j].cpu == st->s.cpu && all[j].task.tid == top_tid(&st->s))
				break;
		if (j == n) {
			memset(&all[n], 0, sizeof(all[n]));
			sq[n] = 0;
			all[n].cpu = st->s.cpu;
			if (st->s.n_tasks)
				all[n].task = st->s.tasks[0];
			else
				snprintf(all[n].task.comm, sizeof(all[n].task.comm), "?");
			n++;
		} else if (st->s.n_tasks) {
			/* keep the sample counts of all its stalls */
			all[j].task.samples += st->s.tasks[0].samples;
			all[j].task.samples_kernel += st->s.tasks[0].samples_kernel;
			all[j].task.samples_bh_off += st->s.tasks[0].samples_bh_off;
			all[j].task.samples_irq_off += st->s.tasks[0].samples_irq_off;
			all[j].task.samples_preempt_off += st->s.tasks[0].samples_preempt_off;
			all[j].task.run_ns += st->s.tasks[0].run_ns;
		}
		all[j].stolen_ns += stolen(st);
		all[j].stalls++;
		if (len > all[j].longest_ns)
			all[j].longest_ns = len;
		stall_evidence(e, st, inc->id, &all[j], &sq[j]);
	}
	for (unsigned a = 0; a < n; a++)
		all[a].link = suspect_link(e, &all[a], sq[a]);
	for (unsigned a = 0; a < n; a++)
		for (unsigned b = a + 1; b < n; b++)
			if (suspect_before(&all[b], &all[a])) {
				struct eng_suspect t = all[a];
				all[a] = all[b];
				all[b] = t;
			}
	for (unsigned i = 0; i < n && i < ENG_MAX_SUSPECTS; i++)
		inc->suspects[inc->n_suspects++] = all[i];
}

/* The CPU the incident's own seconds point at: where NET_RX waited
 * netrx_ns or more (the longest such wait) from its first spike second to
 * the one after its last (a delay is counted when it ends); -1 if none. */
static int evidence_cpu(struct engine *e)
{
	uint64_t best = 0;
	int cpu = -1;

	for (int64_t k = e->inc_first_k; k <= e->inc_last_k + 1; k++) {
		struct bin *b = bin_get(e, k);
		for (unsigned c = 0; b && c < e->ncpus; c++)
			if (b->cpu[c].netrx_max_ns >= e->cfg.netrx_ns && b->cpu[c].netrx_max_ns > best) {
				best = b->cpu[c].netrx_max_ns;
				cpu = (int)c;
			}
	}
	return cpu;
}

/* The stall of (cpu, tid) near the spike with the best stack. */
static const struct stall *best_stall(struct engine *e, const struct window *w, int cpu, int32_t tid)
{
	const struct stall *best = NULL;
	for (unsigned i = 0; i < RING_STALLS; i++) {
		const struct stall *st = &e->stalls[i];
		if (!stall_is_real(e, st) || st->s.cpu != cpu || top_tid(&st->s) != tid ||
		    st->s.end_ns < w->lo_ns || st->s.start_ns >= w->hi_ns)
			continue;
		if (!best || st->s.stack_samples > best->s.stack_samples ||
		    (st->s.stack_samples == best->s.stack_samples && st->s.n_frames > best->s.n_frames))
			best = st;
	}
	return best;
}

/* The stall of (cpu, tid) near the spike with the longest timer-interrupt
 * silence, or NULL. */
static const struct stall *gap_stall(struct engine *e, const struct window *w, int cpu, int32_t tid)
{
	const struct stall *best = NULL;
	for (unsigned i = 0; i < RING_STALLS; i++) {
		const struct stall *st = &e->stalls[i];
		if (!stall_is_real(e, st) || !st->s.gap.ns || st->s.cpu != cpu || top_tid(&st->s) != tid ||
		    st->s.end_ns < w->lo_ns || st->s.start_ns >= w->hi_ns)
			continue;
		if (!best || st->s.gap.ns > best->s.gap.ns)
			best = st;
	}
	return best;
}

/* Did the CPU not run at all, rather than run with interrupts off? User
 * mode runs with interrupts on: a silence that ended there was the CPU not
 * running. In the kernel it ended either where interrupts came back on,
 * or (a VM) where the vCPU resumed. One rule for verdicts and findings. */
bool gap_not_running(const struct eng_kernel *k, const struct eng_gap *g)
{
	return g->mode == ENG_MODE_USER || (k->vm && !g->irq_on);
}

/* NET_RX waited on cpu in the incident's seconds and no hold ties
 * anything else to the loss: that CPU is not ruled out, and nobody is
 * named (stalls elsewhere, or contention, did not delay NET_RX there). */
static struct eng_verdict verdict_unheld(struct engine *e, const struct window *w, int cpu)
{
	struct eng_verdict v = { .mech = ENG_SOFTIRQ_BLOCKED, .confidence = "low", .basis = ENG_BASIS_UNHELD,
				 .cpu = cpu, .holder_cpu = -1 };

	cpu_stats(e, w, cpu, &v.netrx_max_ns, &v.ksoftirqd_wait_ns, &v.squeezes);
	return v;
}

/* The CPU was silent (no timer interrupt) for most of the holder's stall:
 * the verdict comes from that, not from the samples. False when the
 * silence does not explain the stall. */
static bool verdict_silence(const struct engine *e, const struct stall *gs, struct eng_verdict *v)
{
	uint64_t gap = gs->s.gap.ns;
	/* On a VM the pending timer interrupt can also come late, after a
	 * section with interrupts off returned to user mode: user mode there
	 * is not certain. */
	bool user = gs->s.gap.mode == ENG_MODE_USER;

	if (gap * 2 < v->stall_ns)
		return false;
	v->basis = ENG_BASIS_SILENCE;
	v->gap = gs->s.gap;
	if (v->netrx_max_ns < gap)
		v->netrx_max_ns = gap; /* nothing ran in it, NET_RX neither */
	if (gap_not_running(&e->k, &gs->s.gap)) {
		v->mech = ENG_CPU_NOT_RUNNING;
		v->have_culprit = false; /* it ran, but did not hold the CPU: nothing did */
		v->confidence = user && !e->k.vm ? "high" : "medium";
		return true;
	}
	v->mech = ENG_SOFTIRQ_BLOCKED;
	v->confidence = gs->s.gap.irq_on ? "high" : "medium";
	v->bh_off = true;
	return true;
}

/* The mechanism of a hold, from what NET_RX and ksoftirqd waited on its
 * CPU, the holder's mode and policy, and the kernel's softirq rules. */
static void verdict_hold(const struct engine *e, struct eng_verdict *v)
{
	const struct eng_cfg *c = &e->cfg;
	bool blocked = v->netrx_max_ns >= c->netrx_ns;
	bool kernel = v->mode == ENG_MODE_KERNEL;
	/* Since 6.5 interrupt exits run NET_RX too, but capped; ksoftirqd
	 * carries the rest, so its wait hurt where its CPU was squeezed, or
	 * where NET_RX ran on time and still the backlog overflowed. Under a
	 * kernel-mode hold interrupt exits are all the receive work a CPU
	 * gets, woken ksoftirqd or not: its backlog overflowing between them
	 * is the hold's loss too. */
	bool overflow = !blocked && v->cpu_drops >= c->drops_min;
	bool ks_waited = v->ksoftirqd_wait_ns >= c->stall_ns;
	bool ksoftirqd = (ks_waited && (v->deferred || v->squeezes > 0 || overflow)) ||
			 (overflow && kernel && !v->deferred);

	/* Since 6.5 every interrupt exit runs pending softirqs: a kernel-mode
	 * holder through which NET_RX could not run for (nearly) the whole
	 * hold had bottom halves or interrupts off, even when the sampler
	 * could not read the preempt count. */
	if (blocked && !v->bh_off && kernel && e->k.major && !kernel_before(&e->k, 6, 5) &&
	    v->netrx_max_ns * 10 >= v->stall_ns * 8)
		v->bh_off = v->bh_inferred = true;
	/* PREEMPT_RT: bottom halves off is a per-CPU lock that the softirq
	 * and NAPI threads block on asleep, so neither a NET_RX delay nor a
	 * run-queue wait shows it; a kernel holder with bottom halves off
	 * through a stall that hurt the network is the cause there. */
	v->rt_bh_lock = !blocked && v->bh_off && kernel && kernel_rt(&e->k);
	if (blocked && v->bh_off) {
		v->mech = ENG_SOFTIRQ_BLOCKED;
		v->confidence = "high";
	} else if (v->rt_bh_lock) {
		v->mech = ENG_SOFTIRQ_BLOCKED;
		v->confidence = "medium";
	} else if (policy_is_rt(v->culprit.policy)) {
		v->mech = ENG_RT_STARVATION;
		v->confidence = blocked || v->mode == ENG_MODE_USER ? "high" : "medium";
	} else if (ksoftirqd) {
		v->mech = ENG_KSOFTIRQD_STARVED;
		v->confidence = blocked ? "high" : "medium";
		v->exits_only = !ks_waited;
	} else if (blocked) {
		v->mech = ENG_SOFTIRQ_BLOCKED;
		v->confidence = kernel ? "medium" : "low";
	} else {
		v->mech = ENG_NOT_CPU; /* although a CPU stalled */
		v->confidence = "medium";
		v->have_culprit = false;
		v->cpu = -1;
	}
}

/* The top suspect as the verdict's holder, and its hottest stack: the
 * tick that ended a silence says more than the other samples. */
static const struct stall *take_holder(struct engine *e, const struct window *w, struct eng_incident *inc,
				       struct eng_verdict *v)
{
	const struct eng_suspect *top = &inc->suspects[0];

	v->basis = ENG_BASIS_HOLD;
	v->cpu = v->holder_cpu = top->cpu;
	v->have_culprit = true;
	v->culprit = top->task;
	v->mode = eng_task_mode(&top->task);
	v->bh_off = eng_task_bh_off(&top->task);
	v->deferred = kernel_defers_softirqs(&e->k);
	v->stall_ns = top->longest_ns;
	v->stolen_ns = top->stolen_ns;
	v->cpu_drops = top->drops;
	v->link = top->link;
	cpu_stats(e, w, top->cpu, &v->netrx_max_ns, &v->ksoftirqd_wait_ns, &v->squeezes);
	const struct stall *bs = best_stall(e, w, top->cpu, top->task.tid);
	const struct stall *gs = gap_stall(e, w, top->cpu, top->task.tid);
	if (gs && (!bs || gs->s.gap.ns * 2 >= top->longest_ns))
		bs = gs;
	if (bs) {
		inc->n_frames = bs->s.n_frames;
		memcpy(inc->frames, bs->s.frames, sizeof(inc->frames[0]) * bs->s.n_frames);
	}
	return gs;
}

struct eng_verdict attribute(struct engine *e, const struct window *w, struct eng_incident *inc)
{
	struct eng_verdict v = { .cpu = -1, .holder_cpu = -1 };

	rank_suspects(e, w, inc);
	/* The incident's own seconds point at a CPU: a suspect elsewhere that
	 * NET_RX did not wait on cannot take it over, nor can no suspect at
	 * all turn it into "the CPU is ruled out". */
	int ecpu = evidence_cpu(e);
	if (ecpu >= 0 && (!inc->n_suspects ||
			  (inc->suspects[0].cpu != ecpu && inc->suspects[0].link < ENG_LINK_NETRX)))
		return verdict_unheld(e, w, ecpu);
	if (!inc->n_suspects) {
		v.mech = ENG_NOT_CPU;
		v.basis = ENG_BASIS_NO_STALL;
		cpu_stats(e, w, -1, &v.netrx_max_ns, &v.ksoftirqd_wait_ns, &v.squeezes);
		v.confidence = v.netrx_max_ns < e->cfg.netrx_ns ? "high" : "medium";
		return v;
	}
	const struct stall *gs = take_holder(e, w, inc, &v);
	if (gs && verdict_silence(e, gs, &v))
		return v;
	verdict_hold(e, &v);
	if (v.mech == ENG_NOT_CPU)
		inc->n_frames = 0;
	return v;
}
