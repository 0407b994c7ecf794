/* runwin.c — tally run segments over a time window. Pure. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/runwin.h"

static int cmp_run(const void *a, const void *b)
{
	const struct runwin_task *x = a, *y = b;
	return x->run_ns < y->run_ns ? 1 : x->run_ns > y->run_ns ? -1 : 0;
}

/* Open-addressed index tid -> slot in w->t, so that a window of many
 * thousand segments (a busy CPU: ~100k switches/s) costs one probe per
 * segment, not a scan of the tasks seen so far. Tasks that did not fit
 * are indexed too (IDX_OUT), so each is counted once; the table is never
 * filled past 3/4, which keeps every probe sequence finite. */
#define IDX_BITS 11
#define IDX_SIZE (1u << IDX_BITS)
#define IDX_EMPTY 0xffffu
#define IDX_OUT 0xfffeu

static unsigned idx_home(uint32_t tid)
{
	return (tid * 2654435761u) >> (32 - IDX_BITS);
}

struct tid_index {
	uint16_t idx[IDX_SIZE];
	uint32_t key[IDX_SIZE];
	unsigned used;  /* slots taken, IDX_OUT ones included */
	unsigned cap;   /* tasks that fit in w->t */
};

/* Add ns of g's task to its entry in w->t (a new one while there is
 * room; else counted once in w->dropped). */
static void task_add(struct runwin *w, struct tid_index *x, const struct sched_seg *g, uint64_t ns)
{
	unsigned h = idx_home(g->tid);

	while (x->idx[h] != IDX_EMPTY && x->key[h] != g->tid)
		h = (h + 1) & (IDX_SIZE - 1);
	unsigned k = x->idx[h];
	if (k == IDX_OUT)
		return;
	if (k == IDX_EMPTY) {
		if (w->n == x->cap) {
			w->dropped++;
			if (x->used < IDX_SIZE * 3 / 4) {
				x->key[h] = g->tid;
				x->idx[h] = IDX_OUT;
				x->used++;
			}
			return;
		}
		k = w->n++;
		x->key[h] = g->tid;
		x->idx[h] = (uint16_t)k;
		x->used++;
		w->t[k] = (struct runwin_task){ .tid = g->tid, .pid = g->pid, .policy = g->policy, .prio = g->prio };
	}
	w->t[k].run_ns += ns;
	/* a task that switched to FIFO for a while and back has segments of
	 * both policies: the strongest one counts */
	if (sched_policy_stronger(g->policy, g->prio, w->t[k].policy, w->t[k].prio)) {
		w->t[k].policy = g->policy;
		w->t[k].prio = g->prio;
	}
}

/* Put the w->top largest first, in order. Callers name a handful of
 * tasks out of up to hundreds (an oversubscribed CPU): selecting them is
 * cheaper than sorting them all, which showed in the doctor's profile. */
static void order_top(struct runwin *w)
{
	if (!w->top || w->top >= w->n) {
		qsort(w->t, w->n, sizeof(*w->t), cmp_run);
		return;
	}
	for (unsigned i = 0; i < w->top; i++) {
		unsigned m = i;
		for (unsigned k = i + 1; k < w->n; k++)
			if (w->t[k].run_ns > w->t[m].run_ns)
				m = k;
		struct runwin_task tmp = w->t[i];
		w->t[i] = w->t[m];
		w->t[m] = tmp;
	}
}

/* Segment i of the ring into *g; false when it is being overwritten.
 * A seqlock read: the writer zeroes seq, writes, then sets it. */
static bool seg_read(const struct sched_seg *ring, unsigned ring_len, uint64_t i, struct sched_seg *g)
{
	const struct sched_seg *e = &ring[i & (ring_len - 1)];
	uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

	memcpy(g, e, sizeof(*g));
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* x86: a compiler barrier only */
	return s1 == (uint32_t)(i + 1) && __atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s1;
}

void runwin_tally(const struct sched_seg *ring, unsigned ring_len, uint64_t head,
		  uint64_t now_ns, uint64_t t0_ns, uint64_t t1_ns, struct runwin *w)
{
	uint64_t first = head > ring_len ? head - ring_len : 0;
	uint64_t next_start = now_ns, oldest = UINT64_MAX;
	struct tid_index x;

	w->n = 0;
	w->dropped = 0;
	w->idle_ns = 0;
	w->covered_ns = 0;
	if (t1_ns <= t0_ns || !ring_len)
		return;
	memset(x.idx, 0xff, sizeof(x.idx));
	x.used = 0;
	x.cap = w->cap < IDX_SIZE / 2 ? w->cap : IDX_SIZE / 2;
	for (uint64_t q = head; q > first; q--) {
		struct sched_seg g;

		if (!seg_read(ring, ring_len, q - 1, &g))
			break; /* the usable ring ends here */
		uint64_t end = next_start; /* a segment lasts until the next one starts */
		next_start = g.start_ns;
		oldest = g.start_ns;
		uint64_t a = g.start_ns > t0_ns ? g.start_ns : t0_ns;
		uint64_t b = end < t1_ns ? end : t1_ns;
		if (b > a && g.tid == 0)
			w->idle_ns += b - a;
		else if (b > a)
			task_add(w, &x, &g, b - a);
		if (g.start_ns <= t0_ns)
			break;
	}
	if (oldest <= t0_ns)
		w->covered_ns = t1_ns - t0_ns;
	else if (oldest < t1_ns)
		w->covered_ns = t1_ns - oldest;
	order_top(w);
}
