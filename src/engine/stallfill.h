/* engine/stallfill.h — what filled a stall's window, decided once for the
 * live line and the JSON record alike: one task that held the CPU (the
 * only case named as "ran instead"), several sharing it, an idle CPU, or
 * run history that does not cover the window. Pure: no clock, no /proc. */
#ifndef ENGINE_STALLFILL_H
#define ENGINE_STALLFILL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

enum stall_fill_kind {
	STALL_FILL_HELD = 0,     /* tasks[0] ran >= half of it (or its run time is unknown) */
	STALL_FILL_SHARED,       /* tasks ran, none for half of it: contention */
	STALL_FILL_IDLE,         /* the CPU was idle for at least half of what is covered */
	STALL_FILL_UNCOVERED,    /* the run history covers less than half of it */
	STALL_FILL_UNKNOWN,      /* nothing known about who ran */
	STALL_FILL_WEIGHTED,     /* tasks[0] ran >= half of it, but no more than its fair share
				  * by weight over a lighter waiter: contention (eng_stall_weighted) */
};

/* What the run history said about the window (sched_who_ran's totals). */
struct stall_window_info {
	bool known;              /* a history query answered */
	uint64_t covered_ns;     /* part of the window the history covers */
	uint64_t idle_ns;        /* idle task's time in it */
	unsigned left_out;       /* tasks that ran but were not listed */
};

struct stall_fill {
	enum stall_fill_kind kind;
	bool held;               /* the engine's notion too: not contention */
	unsigned ntasks;         /* tasks that ran in it (listed + left out) */
	unsigned top_pct;        /* tasks[0]'s share of the window, % */
	unsigned idle_pct;       /* idle share of the covered part, % */
	unsigned covered_pct;    /* covered share of the window, % */
};

/* Decides; w may be NULL (nothing known beyond s). */
void stall_fill_decide(const struct eng_stall *s, const struct stall_window_info *w, struct stall_fill *out);
/* "held", "shared", "idle", "uncovered", "unknown", "weighted" (the JSON "filled_by"). */
const char *stall_fill_name(enum stall_fill_kind k);
/* The clause after "<victim> waited; " — e.g. "ran instead: X pid 1 tid 2
 * (SCHED_OTHER, kernel, 97% of the time)" or "no single task held the CPU:
 * 14 tasks, top X 12%". Returns buf. */
const char *stall_fill_text(const struct eng_stall *s, const struct stall_fill *f, char *buf, size_t n);

/* Contention waits of one CPU, folded (the doctor prints one line a CPU a
 * second instead of one a wait): an oversubscribed CPU has hundreds of
 * waits over the threshold a second (perf bench sched messaging -g 10 on
 * 2 CPUs: ~600), none of them a stall anyone held. Zero it to start. */
struct stall_contention {
	unsigned waits;
	uint64_t start_ns, end_ns;   /* earliest start and latest end of the waits */
	uint64_t total_ns;           /* sum of the waits */
	uint64_t longest_ns;
	char victim[ENG_COMM_LEN];   /* who waited longest */
	unsigned ntasks;             /* tasks that ran in the longest wait */
	bool have_top;
	struct eng_task top;         /* the largest share of the longest wait */
	unsigned top_pct;
};

/* Folds a finished STALL_FILL_SHARED or STALL_FILL_WEIGHTED wait in (both
 * contention); returns false (and leaves c alone) for anything else: those
 * are reported one by one. */
bool stall_contention_add(struct stall_contention *c, const struct eng_stall *s, const struct stall_fill *f);
/* "612 waits, longest 2.04s (sched-messaging); no single task held the
 * CPU: 95 tasks, top X 10%". Returns buf. */
const char *stall_contention_text(const struct stall_contention *c, char *buf, size_t n);

#endif
