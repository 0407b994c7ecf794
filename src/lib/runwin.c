/* runwin.c — tally run segments over a time window. Pure. */
#include <stdlib.h>
#include <string.h>

#include "lib/runwin.h"

static int cmp_run(const void *a, const void *b)
{
	const struct runwin_task *x = a, *y = b;
	return x->run_ns < y->run_ns ? 1 : x->run_ns > y->run_ns ? -1 : 0;
}

void runwin_tally(const struct sched_seg *ring, unsigned ring_len, uint64_t head,
		  uint64_t now_ns, uint64_t t0_ns, uint64_t t1_ns, struct runwin *w)
{
	uint64_t first = head > ring_len ? head - ring_len : 0;
	uint64_t next_start = now_ns, oldest = UINT64_MAX;

	w->n = 0;
	w->dropped = 0;
	w->idle_ns = 0;
	w->covered_ns = 0;
	if (t1_ns <= t0_ns || !ring_len)
		return;
	for (uint64_t q = head; q > first; q--) {
		uint64_t i = q - 1;
		struct sched_seg g;

		memcpy(&g, &ring[i & (ring_len - 1)], sizeof(g));
		__sync_synchronize();
		if (g.seq != (uint32_t)(i + 1))
			break; /* being overwritten: the usable ring ends here */
		uint64_t end = next_start; /* a segment lasts until the next one starts */
		next_start = g.start_ns;
		oldest = g.start_ns;
		uint64_t a = g.start_ns > t0_ns ? g.start_ns : t0_ns;
		uint64_t b = end < t1_ns ? end : t1_ns;
		if (b > a) {
			if (g.tid == 0) {
				w->idle_ns += b - a;
			} else {
				unsigned k;
				for (k = 0; k < w->n && w->t[k].tid != g.tid; k++)
					;
				if (k == w->n) {
					if (w->n == w->cap) {
						w->dropped++;
						goto next;
					}
					w->t[k] = (struct runwin_task){ .tid = g.tid, .pid = g.pid,
									.policy = g.policy, .prio = g.prio };
					w->n++;
				}
				w->t[k].run_ns += b - a;
			}
		}
next:
		if (g.start_ns <= t0_ns)
			break;
	}
	if (oldest <= t0_ns)
		w->covered_ns = t1_ns - t0_ns;
	else if (oldest < t1_ns)
		w->covered_ns = t1_ns - oldest;
	qsort(w->t, w->n, sizeof(*w->t), cmp_run);
}
