/* engine/internal.h — the engine's state and what its parts share:
 * timeline.c (bins, spikes), stalls.c (stall intake), attrib.c (suspects
 * and the verdict), incident.c (incident and finding lifecycle), advice.c
 * (verdict -> text). Callers outside src/engine use engine.h only. */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/kmsg.h"
#include "lib/parse.h"

#define RING_BINS 600          /* 10 minutes of seconds kept in detail */
#define RING_STALLS 256
#define RING_KMSG 64
#define RING_NETRX 64
/* Two waits behind the same task, back to back, are one hold: the first
 * waiter may leave for another CPU while the holder keeps running. */
#define MERGE_GAP_NS (20 * NS_PER_MS)
#define ONGOING_WAIT_NS (4 * NS_PER_SEC) /* hogs stop within 3 s: wait no longer */
/* Retransmit timers back off 0.2 + 0.4 + ... + 3.2 s: that long (rounded
 * up) after an incident, retransmits alone are its aftermath. */
#define ENG_ECHO_S 8

struct bin {
	int64_t k;                 /* bin index, -1 when empty */
	bool spike;
	bool echo;                 /* retransmits of an earlier incident's loss */
	unsigned incident;         /* id of the incident it belongs to, 0 none */
	uint64_t retrans_tp, retrans_segs, drops;
	bool have_tp, have_segs;
	struct eng_cpu_sample *cpu;
};

enum stall_state { ST_FREE = 0, ST_PENDING, ST_USED, ST_CLEARED, ST_REPORTED };

struct stall {
	enum stall_state state;
	struct eng_stall s;
	uint64_t seen_ns;          /* the newest end time reported */
};

struct kline {
	uint64_t ts_ns;
	enum kmsg_class cls;
	char text[ENG_KMSG_LEN];
};

/* The network's own recorded waits (NET_RX's delays, ksoftirqd's run-queue
 * waits), kept apart from the stalls they merge into: they say which hold
 * a wait overlapped. */
enum net_wait_kind { NW_NETRX, NW_KSOFTIRQD };
struct net_wait {
	int cpu;
	enum net_wait_kind kind;
	uint64_t start_ns, end_ns;
};

struct engine {
	struct eng_cfg cfg;
	struct eng_kernel k;
	unsigned ncpus;
	uint64_t t0_ns;
	eng_emit_fn emit;
	void *arg;

	struct bin bins[RING_BINS];
	struct eng_cpu_sample *cpu_store;
	int64_t max_k;             /* newest bin filled, -1 none */

	struct stall stalls[RING_STALLS];
	unsigned stall_next;
	struct kline kmsg[RING_KMSG];
	unsigned kmsg_n;

	bool inc_open;
	int64_t inc_first_k, inc_last_k;
	/* after an incident blamed on a CPU: up to echo_k, seconds of
	 * retransmits alone, at most echo_peak a second, are its aftermath */
	int64_t echo_k;
	uint64_t echo_peak;
	unsigned n_echoes;

	struct net_wait netw[RING_NETRX];
	unsigned netw_next;
	unsigned n_incidents, n_findings, n_spikes, n_stalls;
	uint64_t longest_stall_ns;
	uint64_t total_retrans, total_drops;

	struct eng_incident inc;   /* scratch for the one being closed */
	struct eng_finding fnd;
};

/* The seconds and the time span an incident's stalls are looked for in. */
struct window {
	int64_t k0, k1;            /* bins considered */
	uint64_t lo_ns, hi_ns;     /* stall candidates overlap [lo, hi) */
};

/* ---- timeline.c ---- */
struct bin *bin_get(struct engine *e, int64_t k);
uint64_t bin_start(const struct engine *e, int64_t k);
int64_t bin_of(const struct engine *e, uint64_t ts);
uint64_t bin_retrans(const struct bin *b);
uint64_t bin_spike_retrans(const struct bin *b);
/* Maxima of NET_RX's delay and ksoftirqd's wait, and the sum of
 * squeezes, over w's seconds on cpu (-1: every CPU). */
void cpu_stats(struct engine *e, const struct window *w, int cpu, uint64_t *netrx, uint64_t *ksw,
	       uint64_t *squeeze);

/* ---- stalls.c ---- */
int32_t top_tid(const struct eng_stall *s);
bool stall_is_real(const struct engine *e, const struct stall *st);
/* A hold, not contention (eng_stall_held): only holds are suspects,
 * findings or the culprit a second names. */
bool stall_is_held(const struct stall *st);

/* ---- attrib.c ---- */
/* Ranks the suspects of the incident being closed (inc->suspects) from
 * the stalls in w, takes the culprit's hottest stack (inc->frames), and
 * decides. */
struct eng_verdict attribute(struct engine *e, const struct window *w, struct eng_incident *inc);
/* Did the CPU not run at all, rather than run with interrupts off? */
bool gap_not_running(const struct eng_kernel *k, const struct eng_gap *g);

/* ---- incident.c ---- */
void close_incident(struct engine *e);

/* ---- kernel facts, for attribution and advice alike ---- */
static inline bool kernel_before(const struct eng_kernel *k, int major, int minor)
{
	if (!k->major)
		return false;
	return k->major < major || (k->major == major && k->minor < minor);
}

static inline bool kernel_rt(const struct eng_kernel *k)
{
	return k->rt || !strcmp(k->preempt, "rt");
}

/* PREEMPT_RT since 6.10 polls the per-CPU backlog in backlog_napi/N, so
 * a "ksoftirqd wait" there may be that thread's (eng_net_thread). */
static inline bool kernel_backlog_threads(const struct eng_kernel *k)
{
	return kernel_rt(k) && !kernel_before(k, 6, 10);
}

/* Softirqs raised by interrupts wait for a woken ksoftirqd: always on
 * PREEMPT_RT (they run in threads), before 6.5 otherwise. */
static inline bool kernel_defers_softirqs(const struct eng_kernel *k)
{
	return kernel_before(k, 6, 5) || kernel_rt(k);
}

static inline bool policy_is_rt(int policy)
{
	return policy == 1 || policy == 2 || policy == 6;
}

#endif
