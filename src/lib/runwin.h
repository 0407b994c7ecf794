/* runwin.h — "who ran on this CPU between t0 and t1" from a ring of run
 * segments (struct sched_seg, abi/sched.h), newest to oldest, with the
 * part of the window the ring still covers. Pure: the caller passes the
 * ring (mmapped or synthetic), its head and the current time. */
#ifndef LIB_RUNWIN_H
#define LIB_RUNWIN_H
#include <stdint.h>
#include <linux/types.h>
#include "abi/sched.h"

struct runwin_task {
	uint32_t tid, pid, policy;
	int32_t prio;
	uint64_t run_ns;
};

struct runwin {
	struct runwin_task *t; /* caller's array of cap entries */
	unsigned cap;
	unsigned top;          /* in: order only the top largest (0: all of them) */
	unsigned n;            /* tasks in t[], largest run_ns first (idle excluded);
				* with top set, only the first top are in order */
	unsigned dropped;      /* tasks that ran but did not fit in t[] */
	uint64_t idle_ns;      /* time the idle task (tid 0) ran in the window */
	uint64_t covered_ns;   /* part of [t0, t1] the ring still covers */
};

/* ring_len: a power of two; head: segments written so far (entry i is at
 * ring[i & (ring_len - 1)] and valid when its seq == (uint32_t)(i + 1));
 * a segment ends where the next one starts, the newest at now_ns. Comms
 * are not in the ring: the caller names the tasks. */
void runwin_tally(const struct sched_seg *ring, unsigned ring_len, uint64_t head,
		  uint64_t now_ns, uint64_t t0_ns, uint64_t t1_ns, struct runwin *w);

#endif
