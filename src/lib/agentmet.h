/* agentmet.h — the agent's collector metrics as plain data, and their
 * Prometheus exposition under a series budget: by default no family has a
 * series per CPU, so a scrape's size does not grow with the CPU count;
 * per-CPU series only when asked (--per-cpu). Pure: the agent fills it
 * from its collectors and engine, unit tests with 128 CPUs' worth of data.
 * No clock: times are passed in. */
#ifndef LIB_AGENTMET_H
#define LIB_AGENTMET_H
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "abi/common.h"
#include "abi/softirq.h"
#include "engine/engine.h"
#include "lib/prom.h"

#define AM_WIN_BINS 60          /* ksleuth_softirq_delay_max_seconds: max over 60 s */
#define AM_NMECH (ENG_CPU_NOT_RUNNING + 1)
#define AM_STALL_BUCKETS 10     /* le = threshold x 1, 2, 4, ... 512 */
#define AM_TOPK 10              /* culprit comms with a series of their own */
/* a culprit's series gives way to a new name only after this long without
 * a stall: at most AM_TOPK new series per 10 minutes, whatever the churn */
#define AM_CULPRIT_IDLE_NS (600ULL * 1000000000ULL)
#define AM_CULPRIT_LEN 24       /* > ENG_COMM_LEN: AM_COMM_EMPTY fits */
/* comm label values no task can take: a comm is at most 15 bytes, and
 * printable ASCII passes the label writer unchanged, so a value of 16 or
 * more such bytes is never a task's name */
#define AM_COMM_OTHER "(all other tasks)"
#define AM_COMM_EMPTY "(empty task name)"

enum am_silence { AM_SIL_IRQ_OFF, AM_SIL_NOT_RUNNING, AM_SIL_NR };

/* Lengths of settled stalls in buckets that start at the threshold:
 * bucket[k] counts t with thr*2^(k-1) < t <= thr*2^k (bucket 0: t <= thr);
 * longer ones only in count. */
struct am_stall_hist {
	uint64_t bucket[AM_STALL_BUCKETS];
	uint64_t count, sum_ns;
};

struct am_culprit {
	char comm[AM_CULPRIT_LEN];
	uint64_t stall_ns;      /* cumulative while the name holds its slot */
	uint64_t last_ns;       /* when it last held a CPU */
};

struct agent_metrics {
	unsigned ncpus;
	bool per_cpu;           /* a series per CPU (--per-cpu) */
	uint64_t threshold_ns;

	/* per CPU; cumulative since start */
	struct hist (*sirq_delay)[KS_NR_SOFTIRQS];
	uint64_t (*sirq_max)[KS_NR_SOFTIRQS][AM_WIN_BINS]; /* per 1 s bin */
	unsigned win_pos;
	struct hist *ksoftirqd;  /* the agent refreshes these two before rendering */
	struct hist *sched_wait;
	uint64_t (*stalls)[AM_NMECH];
	struct am_stall_hist *stall_hist;
	uint64_t (*silences)[AM_SIL_NR];
	uint64_t (*silence_ns)[AM_SIL_NR];

	/* whole host */
	uint64_t incidents[AM_NMECH];
	uint64_t longest_stall_ns;
	uint64_t retrans_events, retrans_failed;
	struct am_culprit top[AM_TOPK];
	unsigned ntop;
	uint64_t other_ns;
};

/* Allocates the per-CPU arrays (zeroed). Returns 0 or -ENOMEM. */
int am_init(struct agent_metrics *m, unsigned ncpus, bool per_cpu, uint64_t threshold_ns);
void am_free(struct agent_metrics *m);

/* Engine output. cpu out of range still counts for the culprit. */
void am_stall(struct agent_metrics *m, int cpu, enum eng_mech mech, uint64_t stall_ns,
	      const char *comm, uint64_t now_ns);
void am_silence(struct agent_metrics *m, int cpu, bool not_running, uint64_t ns);
/* Stall time of a task: kernel threads ("name/N") count under "name". A
 * name with a slot adds to it; a new name takes a free slot, else the
 * slot idle longest if idle AM_CULPRIT_IDLE_NS (that name's series ends),
 * else counts under AM_COMM_OTHER. */
void am_culprit(struct agent_metrics *m, const char *comm, uint64_t ns, uint64_t now_ns);
/* Stall histogram alone (exported for tests). */
void am_stall_hist_add(struct am_stall_hist *h, uint64_t threshold_ns, uint64_t ns);

/* Every collector family, in a fixed order. Returns p->err. */
int am_render(const struct agent_metrics *m, struct prom *p);

/* The le bounds of the struct hist families, log2 of microseconds:
 * 16 us, 64 us, ... 1.048576 s (factor 4; the full 27 slots would be 29
 * series per histogram). */
#define AM_HIST_NLE 9
extern const unsigned am_hist_le_log2_us[AM_HIST_NLE];

#endif
