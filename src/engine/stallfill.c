/* engine/stallfill.c — what filled a stall's window (see stallfill.h).
 * The "held" rule is the engine's own (eng_stall_held): one task ran for
 * at least half of the stall, more than its share by weight over a lighter
 * waiter; anything else is contention and no task is named as the one
 * that ran instead. Pure code. */
#include <stdio.h>
#include <string.h>

#include "engine/stallfill.h"
#include "lib/parse.h"

static unsigned pct(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 0;
	if (part >= whole)
		return 100;
	return (unsigned)(part * 100 / whole);
}

void stall_fill_decide(const struct eng_stall *s, const struct stall_window_info *w, struct stall_fill *out)
{
	uint64_t len = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;
	const struct eng_task *t = s->n_tasks ? &s->tasks[0] : NULL;
	bool known = w && w->known;

	out->ntasks = s->n_tasks + (known ? w->left_out : 0);
	out->top_pct = t ? pct(t->run_ns, len) : 0;
	out->covered_pct = known ? pct(w->covered_ns, len) : 0;
	out->idle_pct = known ? pct(w->idle_ns, w->covered_ns) : 0;
	out->held = false;

	if (t && (!t->run_ns || t->run_ns * 2 >= len)) {
		out->held = eng_stall_held(s);
		out->kind = out->held ? STALL_FILL_HELD : STALL_FILL_WEIGHTED;
		return;
	}
	/* the engine counts a stall without any named task as held (unknown);
	 * with tasks that held less than half, as contention */
	out->held = !t;
	if (!known)
		out->kind = t ? STALL_FILL_SHARED : STALL_FILL_UNKNOWN;
	else if (w->covered_ns * 2 < len)
		out->kind = STALL_FILL_UNCOVERED;
	else if (w->idle_ns * 2 >= w->covered_ns)
		out->kind = STALL_FILL_IDLE;
	else if (t)
		out->kind = STALL_FILL_SHARED;
	else
		out->kind = STALL_FILL_UNKNOWN;
}

const char *stall_fill_name(enum stall_fill_kind k)
{
	switch (k) {
	case STALL_FILL_HELD: return "held";
	case STALL_FILL_SHARED: return "shared";
	case STALL_FILL_IDLE: return "idle";
	case STALL_FILL_UNCOVERED: return "uncovered";
	case STALL_FILL_WEIGHTED: return "weighted";
	default: return "unknown";
	}
}

/* " top X 12%" when a task is known, else "" */
static void top_clause(const struct eng_stall *s, const struct stall_fill *f, char *buf, size_t n)
{
	if (s->n_tasks)
		snprintf(buf, n, "; top %s %u%%", s->tasks[0].comm, f->top_pct);
	else
		buf[0] = '\0';
}

/* "nice 19", "SCHED_IDLE" */
static const char *weight_name(int policy, int prio, char *buf, size_t n)
{
	if (policy == 5)
		snprintf(buf, n, "SCHED_IDLE");
	else
		snprintf(buf, n, "nice %d", prio - 120);
	return buf;
}

const char *stall_fill_text(const struct eng_stall *s, const struct stall_fill *f, char *buf, size_t n)
{
	char top[48], w1[24], w2[24]; /* "nice -2147483768" fits */

	switch (f->kind) {
	case STALL_FILL_HELD: {
		const struct eng_task *t = &s->tasks[0];
		enum eng_mode m = eng_task_mode(t);
		char share[24] = "";
		if (t->run_ns)
			snprintf(share, sizeof(share), ", %u%% of the time", f->top_pct);
		snprintf(buf, n, "%s: %s pid %d tid %d (%s%s%s%s)", s->ongoing ? "running" : "ran instead",
			 t->comm, t->pid, t->tid, eng_policy_name(t->policy), m != ENG_MODE_UNKNOWN ? ", " : "",
			 m != ENG_MODE_UNKNOWN ? (eng_task_bh_off(t) ? "kernel, BH off" : eng_mode_name(m)) : "",
			 share);
		break;
	}
	case STALL_FILL_SHARED:
		snprintf(buf, n, "no single task held the CPU: %u task%s, top %s %u%%", f->ntasks,
			 f->ntasks == 1 ? "" : "s", s->tasks[0].comm, f->top_pct);
		break;
	case STALL_FILL_IDLE:
		top_clause(s, f, top, sizeof(top));
		snprintf(buf, n, "CPU idle %u%% of it%s", f->idle_pct, top);
		break;
	case STALL_FILL_UNCOVERED:
		top_clause(s, f, top, sizeof(top));
		snprintf(buf, n, "run history covers only %u%% of it%s", f->covered_pct, top);
		break;
	case STALL_FILL_WEIGHTED: {
		const struct eng_task *t = &s->tasks[0];
		uint32_t W = eng_fair_weight(t->policy, t->prio), w = eng_fair_weight(s->victim_policy, s->victim_prio);
		snprintf(buf, n, "fair share, not a hold: %s (%s) ran %u%%, its share by weight %u%% over %s (%s)",
			 t->comm, weight_name(t->policy, t->prio, w1, sizeof(w1)), f->top_pct,
			 (unsigned)((uint64_t)W * 100 / ((uint64_t)W + w)), s->victim_comm[0] ? s->victim_comm : "the waiter",
			 weight_name(s->victim_policy, s->victim_prio, w2, sizeof(w2)));
		break;
	}
	default:
		snprintf(buf, n, "who ran instead is unknown");
		break;
	}
	return buf;
}

bool stall_contention_add(struct stall_contention *c, const struct eng_stall *s, const struct stall_fill *f)
{
	uint64_t len = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;

	if ((f->kind != STALL_FILL_SHARED && f->kind != STALL_FILL_WEIGHTED) || s->ongoing)
		return false;
	if (!c->waits || s->start_ns < c->start_ns)
		c->start_ns = s->start_ns;
	if (!c->waits || s->end_ns > c->end_ns)
		c->end_ns = s->end_ns;
	c->waits++;
	c->total_ns += len;
	if (c->waits == 1 || len > c->longest_ns) {
		c->longest_ns = len;
		snprintf(c->victim, sizeof(c->victim), "%s", s->victim_comm);
		c->ntasks = f->ntasks;
		c->have_top = s->n_tasks > 0;
		if (c->have_top)
			c->top = s->tasks[0];
		c->top_pct = f->top_pct;
	}
	return true;
}

const char *stall_contention_text(const struct stall_contention *c, char *buf, size_t n)
{
	char d[32], top[48] = "";

	if (c->have_top)
		snprintf(top, sizeof(top), ", top %s %u%%", c->top.comm, c->top_pct);
	snprintf(buf, n, "%u wait%s, longest %s (%s); no single task held the CPU: %u task%s%s", c->waits,
		 c->waits == 1 ? "" : "s", fmt_duration(c->longest_ns, d, sizeof(d)), c->victim, c->ntasks,
		 c->ntasks == 1 ? "" : "s", top);
	return buf;
}
