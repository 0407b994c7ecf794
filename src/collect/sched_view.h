/* collect/sched_view.h — the one rendering of a sched_who_ran() result
 * (who ran on a CPU while something waited): a text block for people and
 * the JSON fields for programs. Used by runq and softirq; output only, no
 * BPF access. */
#ifndef COLLECT_SCHED_VIEW_H
#define COLLECT_SCHED_VIEW_H
#include <stdio.h>

#include "collect/sched.h"

struct json;

/* Text: one line per antagonist (comm, pid, tid, policy and priority in
 * the doctor's words: "SCHED_FIFO priority 50", "SCHED_OTHER nice 0"; run time,
 * share, mode, BH/preemption state when known), its top kernel stack leaf
 * first (at most max_frames lines, then how many were cut), then the
 * tasks left out, idle time, and a note when the run history did not
 * cover the whole window. Indented by four spaces. */
void sched_view_text(FILE *f, const struct sched_window *w, unsigned max_frames);

/* JSON: adds to the object being written the keys "antagonists" (array of
 * {pid, tid, comm, policy ("SCHED_OTHER", "SCHED_FIFO", ...), prio (the
 * kernel's), rt_priority (1-99, 0 if not real-time), run_ns, share, mode, bh_disabled and
 * preempt_disabled when known, samples, stack: [leaf first]}), "left_out",
 * "idle_ns" and "covered_ns". */
void sched_view_json(struct json *j, const struct sched_window *w);

/* Empties w (no antagonists, nothing covered) for t0..t1 on cpu: what to
 * render when sched_who_ran() failed. */
void sched_view_empty(struct sched_window *w, unsigned cpu, uint64_t t0_ns, uint64_t t1_ns);

#endif
