/* stalls.c — stall intake: sorting a stall's tasks, classifying what
 * ended a timer-interrupt silence, telling a hold from contention, and
 * merging the views of one hold into one record. Pure: no BPF, no /proc,
 * no clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

enum eng_mode eng_task_mode(const struct eng_task *t)
{
	if (!t->samples)
		return ENG_MODE_UNKNOWN;
	return t->samples_kernel * 2 > t->samples ? ENG_MODE_KERNEL : ENG_MODE_USER;
}

static bool name_has_any(const char *f, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strstr(f, names[i]))
			return true;
	return false;
}

void eng_gap_classify(const char frames[][ENG_FRAME_LEN], unsigned n, enum eng_mode sample_mode,
		      enum eng_mode *mode, bool *irq_on, char place[ENG_FRAME_LEN])
{
	/* local_irq_enable/restore inline to one instruction, taken right
	 * after; their out-of-line homes and paravirt hooks say so by name:
	 * _raw_spin_unlock_irqrestore, _raw_spin_unlock_irq,
	 * bpf_local_irq_restore, pvm_irq_enable, native_irq_enable, ... */
	static const char *const on[] = { "irq_enable", "irq_restore", "irqrestore", "unlock_irq", "restore_fl" };
	static const char *const hooks[] = { "pvm_", "native_", "xen_", "__raw_callee_save", "pv_" };
	unsigned from = 0;

	for (unsigned f = 0; f < n; f++)
		if (!strncmp(frames[f], "asm_", 4)) /* asm_sysvec_*, asm_common_interrupt, asm_exc_* */
			from = f + 1;
	*irq_on = false;
	place[0] = '\0';
	if (sample_mode == ENG_MODE_USER || (from && from >= n)) {
		*mode = ENG_MODE_USER;
		return;
	}
	*mode = sample_mode;
	for (unsigned f = from; f < n && f < from + 3; f++)
		if (name_has_any(frames[f], on, sizeof(on) / sizeof(on[0])))
			*irq_on = true;
	for (unsigned f = from; f < n; f++)
		if (!name_has_any(frames[f], hooks, sizeof(hooks) / sizeof(hooks[0]))) {
			snprintf(place, ENG_FRAME_LEN, "%s", frames[f]);
			break;
		}
}

bool eng_task_bh_off(const struct eng_task *t)
{
	uint32_t off = t->samples_bh_off > t->samples_irq_off ? t->samples_bh_off : t->samples_irq_off;
	return t->samples_kernel && off * 2 > t->samples_kernel;
}

/* sched_prio_to_weight (kernel/sched/core.c), nice -20 .. 19 */
static const uint32_t prio_to_weight[40] = {
	88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
	9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
	1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
	110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
};

uint32_t eng_fair_weight(int policy, int prio)
{
	if (policy == 5) /* SCHED_IDLE: WEIGHT_IDLEPRIO whatever its nice */
		return 3;
	if ((policy == 0 || policy == 3) && prio >= 100 && prio < 140)
		return prio_to_weight[prio - 100];
	return 0;
}

bool eng_stall_weighted(const struct eng_stall *s)
{
	uint64_t len = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;

	if (!s->n_tasks || !s->tasks[0].run_ns || !len)
		return false;
	uint32_t W = eng_fair_weight(s->tasks[0].policy, s->tasks[0].prio);
	uint32_t w = eng_fair_weight(s->victim_policy, s->victim_prio);
	if (!W || !w || W <= w)
		return false;
	/* its share against this waiter alone; others sharing the CPU only
	 * lower what it ran, so this bound holds for a busy CPU too */
	double share = (double)len * W / ((double)W + w);
	if ((double)s->tasks[0].run_ns <= share + (double)ENG_FAIR_SLICE_NS)
		return true;
	/* Within one wait the holder runs throughout, so the share alone
	 * only excuses waits up to ~W/w slices: EEVDF serves the lighter
	 * task about once every W/w of its slices. Half again and 10 ms
	 * cover tick rounding and lag. */
	return (double)len <= 1.5 * ENG_FAIR_SLICE_NS * W / w + 10e6;
}

bool eng_stall_held(const struct eng_stall *s)
{
	uint64_t len = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;

	if (!s->n_tasks || !s->tasks[0].run_ns)
		return true;
	return s->tasks[0].run_ns * 2 >= len && !eng_stall_weighted(s);
}

bool eng_net_thread(const char *comm)
{
	return !strncmp(comm, "ksoftirqd/", 10) || !strncmp(comm, "backlog_napi/", 13);
}

static int cmp_task(const void *a, const void *b)
{
	const struct eng_task *x = a, *y = b;
	if (x->run_ns != y->run_ns)
		return x->run_ns < y->run_ns ? 1 : -1;
	return x->samples < y->samples ? 1 : x->samples > y->samples ? -1 : 0;
}

int32_t top_tid(const struct eng_stall *s)
{
	return s->n_tasks ? s->tasks[0].tid : 0;
}

/* Keep a record of NET_RX's delay or a NET_RX thread's wait (an ongoing
 * one is updated by its final). */
static void note_net_wait(struct engine *e, const struct eng_stall *s)
{
	enum net_wait_kind kind;

	if (s->end_ns - s->start_ns < e->cfg.stall_ns)
		return;
	if (!s->victim_pid && !strcmp(s->victim_comm, "NET_RX"))
		kind = NW_NETRX;
	else if (s->victim_pid && eng_net_thread(s->victim_comm))
		kind = NW_KSOFTIRQD;
	else
		return;
	for (unsigned i = 0; i < RING_NETRX; i++) {
		struct net_wait *n = &e->netw[i];
		if (n->cpu == s->cpu && n->kind == kind && n->start_ns == s->start_ns && n->end_ns > n->start_ns) {
			if (s->end_ns > n->end_ns)
				n->end_ns = s->end_ns;
			return;
		}
	}
	e->netw[e->netw_next] = (struct net_wait){ .cpu = s->cpu, .kind = kind, .start_ns = s->start_ns,
						   .end_ns = s->end_ns };
	e->netw_next = (e->netw_next + 1) % RING_NETRX;
}

/* Counts a stall that just reached the threshold, and keeps the longest. */
static void count_stall(struct engine *e, bool was_short, uint64_t len_ns)
{
	if (was_short && len_ns >= e->cfg.stall_ns)
		e->n_stalls++;
	if (len_ns > e->longest_stall_ns)
		e->longest_stall_ns = len_ns;
}

/* The holder's time over two views of one hold: pieces side by side add
 * up, overlapping views of the same hold do not. */
static struct eng_task held_task(const struct eng_stall *o, const struct eng_stall *s)
{
	bool disjoint = s->start_ns >= o->end_ns || o->start_ns >= s->end_ns;
	struct eng_task held = o->n_tasks ? o->tasks[0] : s->tasks[0];

	if (!o->n_tasks || !s->n_tasks)
		return held;
	const struct eng_task *a = &o->tasks[0], *b = &s->tasks[0];
	if (disjoint) {
		held.run_ns = a->run_ns + b->run_ns;
		held.samples = a->samples + b->samples;
		held.samples_kernel = a->samples_kernel + b->samples_kernel;
		held.samples_bh_off = a->samples_bh_off + b->samples_bh_off;
		held.samples_irq_off = a->samples_irq_off + b->samples_irq_off;
		held.samples_preempt_off = a->samples_preempt_off + b->samples_preempt_off;
	} else if (b->run_ns > a->run_ns) {
		held = *b;
	}
	return held;
}

/* Merges s into the record o of the same hold: the span of both, the
 * better-sampled view, the longest silence of either with what ended it. */
static void merge_stall(struct engine *e, struct stall *o, const struct eng_stall *s, bool ongoing)
{
	bool was_short = o->s.end_ns - o->s.start_ns < e->cfg.stall_ns;
	struct eng_gap gap = o->s.gap;
	uint64_t start = o->s.start_ns < s->start_ns ? o->s.start_ns : s->start_ns;
	uint64_t end = o->s.end_ns > s->end_ns ? o->s.end_ns : s->end_ns;
	struct eng_task held = held_task(&o->s, s);

	if (s->n_tasks > o->s.n_tasks || s->tasks[0].samples > o->s.tasks[0].samples ||
	    s->stack_samples > o->s.stack_samples || (s->n_tasks && s->tasks[0].run_ns > o->s.tasks[0].run_ns)) {
		char vc[ENG_COMM_LEN];
		int32_t vp = o->s.victim_pid;
		memcpy(vc, o->s.victim_comm, sizeof(vc));
		o->s = *s;
		if (!s->victim_comm[0]) {
			memcpy(o->s.victim_comm, vc, sizeof(vc));
			o->s.victim_pid = vp;
		}
	}
	o->s.gap = s->gap.ns > gap.ns ? s->gap : gap;
	o->s.start_ns = start;
	o->s.end_ns = end;
	if (o->s.n_tasks)
		o->s.tasks[0] = held;
	o->s.ongoing = ongoing;
	o->seen_ns = end;
	count_stall(e, was_short, end - start);
}

/* Folds s into the record of the same stall on its CPU (an update while
 * ongoing, or the same hold seen both as a run-queue wait and as a NET_RX
 * delay); it stays ongoing while the caller's record is and ends it.
 * False when there is no such record. */
static bool fold_stall(struct engine *e, const struct eng_stall *s, bool in_ongoing, uint64_t in_end_ns)
{
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *o = &e->stalls[i];
		if (o->state == ST_FREE || o->s.cpu != s->cpu)
			continue;
		if (s->start_ns > o->s.end_ns + MERGE_GAP_NS || o->s.start_ns > s->end_ns + MERGE_GAP_NS)
			continue;
		/* The final record of a wait reported while ongoing replaces
		 * the report: that one only guessed the task running then. */
		if (o->s.ongoing && !s->ongoing && s->victim_pid && s->victim_pid == o->s.victim_pid &&
		    top_tid(&o->s) != top_tid(s)) {
			bool was_short = o->s.end_ns - o->s.start_ns < e->cfg.stall_ns;
			o->s = *s;
			o->seen_ns = s->end_ns;
			count_stall(e, was_short, s->end_ns - s->start_ns);
			return true;
		}
		if (top_tid(&o->s) && top_tid(s) && top_tid(&o->s) != top_tid(s))
			continue;
		/* A hold and a contention wait behind the same task are not one
		 * hold: merged, the contention's longer window either passes for
		 * a hold or dilutes a real one below half. An ongoing report and
		 * its own final record are one wait whatever they say. */
		bool same_wait = s->victim_pid == o->s.victim_pid && (o->s.ongoing || s->start_ns == o->s.start_ns);
		if (!same_wait && eng_stall_held(&o->s) != eng_stall_held(s))
			continue;
		uint64_t end = o->s.end_ns > s->end_ns ? o->s.end_ns : s->end_ns;
		merge_stall(e, o, s, in_ongoing && end == in_end_ns);
		return true;
	}
	return false;
}

void engine_add_stall(struct engine *e, const struct eng_stall *in)
{
	struct eng_stall s;

	if (!e || !in || in->end_ns < in->start_ns)
		return;
	s = *in;
	if (s.n_tasks > ENG_MAX_TASKS)
		s.n_tasks = ENG_MAX_TASKS;
	if (s.n_frames > ENG_MAX_FRAMES)
		s.n_frames = ENG_MAX_FRAMES;
	qsort(s.tasks, s.n_tasks, sizeof(s.tasks[0]), cmp_task);
	if (s.gap.ns) /* its samples and stack are the tick that ended the silence */
		eng_gap_classify(s.frames, s.n_frames, s.n_tasks ? eng_task_mode(&s.tasks[0]) : ENG_MODE_UNKNOWN,
				 &s.gap.mode, &s.gap.irq_on, s.gap.place);

	note_net_wait(e, &s);
	/* A waiter's final record may come from another CPU (it was pulled
	 * there): its report as ongoing here has ended all the same. */
	for (unsigned i = 0; !s.ongoing && s.victim_pid && i < RING_STALLS; i++) {
		struct stall *o = &e->stalls[i];
		if (o->state != ST_FREE && o->s.ongoing && o->s.cpu != s.cpu && o->s.victim_pid == s.victim_pid &&
		    o->s.start_ns <= s.end_ns && s.start_ns <= o->s.end_ns + MERGE_GAP_NS)
			o->s.ongoing = false;
	}
	if (fold_stall(e, &s, in->ongoing, in->end_ns))
		return;
	if (s.end_ns - s.start_ns < e->cfg.stall_ns && !s.ongoing)
		return;
	/* take the next slot; a slot still pending is only reused when the
	 * ring wrapped, which means it is very old */
	struct stall *slot = &e->stalls[e->stall_next];
	e->stall_next = (e->stall_next + 1) % RING_STALLS;
	slot->state = ST_PENDING;
	slot->s = s;
	slot->seen_ns = s.end_ns;
	count_stall(e, true, s.end_ns - s.start_ns);
}

void engine_add_kmsg(struct engine *e, uint64_t ts_ns, const char *text)
{
	enum kmsg_class c;

	if (!e || !text)
		return;
	c = kmsg_classify(text);
	if (c == KMSG_OTHER)
		return;
	struct kline *l = &e->kmsg[e->kmsg_n % RING_KMSG];
	e->kmsg_n++;
	l->ts_ns = ts_ns;
	l->cls = c;
	snprintf(l->text, sizeof(l->text), "%s", text);
}

bool stall_is_real(const struct engine *e, const struct stall *st)
{
	return st->state != ST_FREE && st->s.end_ns - st->s.start_ns >= e->cfg.stall_ns;
}

bool stall_is_held(const struct stall *st)
{
	return eng_stall_held(&st->s);
}

