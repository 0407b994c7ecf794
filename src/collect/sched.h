/* collect/sched.h — the sched collector, shared by runq, softirq and the
 * doctor: scheduling waits (histograms in the kernel, slow waits as
 * records), who ran on any CPU in any recent window (run-segment rings),
 * and a stall sampler (kernel stacks, user/kernel mode, BH/preemption
 * state of whoever runs while something waits too long).
 *
 * Lifecycle: sched_opts_default() -> adjust -> sched_open() (open, size,
 * load, attach) -> sched_add_to_loop() or sched_drain() -> queries ->
 * sched_close(). One collector can serve several views. */
#ifndef COLLECT_SCHED_H
#define COLLECT_SCHED_H
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "abi/sched.h"
#include "lib/parse.h"

struct loop;
struct sched_collector;

struct sched_opts {
	uint64_t threshold_ns;   /* waits longer than this become records (0: none) */
	uint64_t ongoing_ns;     /* report a wait as ongoing past this (0: 3 x threshold; needs sampler) */
	bool cpus_set;           /* filter on the CPU waited for */
	struct cpuset cpus;
	uint32_t tgid;           /* only this process (0: all) */
	char comm[TASK_COMM_LEN];       /* only tasks whose comm starts with this ("": all) */
	char class_comm[TASK_COMM_LEN]; /* SCHED_CLASS_COMM histograms: comm prefix, e.g. "ksoftirqd" */
	enum sched_hist_by hist_by;     /* keyed histograms besides the per-CPU ones */
	bool sampler;            /* attach the stall sampler (on the scheduler tick, else perf cpu-clock) */
	unsigned sample_hz;      /* perf-event sampler at this rate instead of the tick (0: the tick,
				  * or a rate from the threshold; docs/sampler.md) */
	uint64_t sample_after_ns; /* sample once a wait/run passes this (0: threshold / 4) */
	unsigned seg_ring;       /* run segments kept per CPU, power of two (0: default) */
	unsigned sample_ring;    /* sampler records kept per CPU, power of two (0: default) */
	bool netrx_holds;        /* the sampler also watches for NET_RX held off across its looks
				  * (netrx records, sched_netrx_take); needs the sampler */
	int tick_hz;             /* CONFIG_HZ when known (0: unknown): the hold watch's resolution */
};
void sched_opts_default(struct sched_opts *o);

/* A wait delivered from the ring buffer. */
struct sched_wait {
	bool ongoing;            /* still waiting: wait_ns is the time so far */
	bool netrx;              /* not a task: NET_RX held off this long (pid 0, no comm) */
	bool irq_gap;            /* not a task: the CPU took no timer interrupt this long
				  * while cur_* ran (interrupts off, or the vCPU not run) */
	unsigned cpu;            /* CPU waited for (antagonists are there) */
	unsigned run_cpu;        /* CPU it ran on at the end */
	enum sched_wait_kind kind;
	uint64_t start_ns;       /* CLOCK_MONOTONIC */
	uint64_t wait_ns;
	uint32_t pid, tid;
	char comm[TASK_COMM_LEN];
	uint32_t cur_pid, cur_tid;        /* ongoing only: who runs on cpu now */
	char cur_comm[TASK_COMM_LEN];
	int32_t prio;            /* the waiter's kernel prio and policy; 0/0 unknown */
	uint32_t policy;         /* (ongoing, NET_RX and silence records) */
};
typedef void (*sched_wait_cb)(const struct sched_wait *w, void *arg);

/* Opens, loads and attaches. Returns 0 or -errno after printing one
 * sentence saying what failed (err()). */
int sched_open(struct sched_collector **out, const struct sched_opts *o);
void sched_close(struct sched_collector *c);

/* Ring-buffer records: set the callback, then either register with the
 * shared loop (EPOLLIN on the ring buffer's epoll fd, and a one-shot
 * drain timer after each wakeup for the records held back by
 * SCHED_RB_WAKE_NS: close the collector before freeing the loop) or poll
 * by hand. */
void sched_set_wait_cb(struct sched_collector *c, sched_wait_cb cb, void *arg);
int sched_ring_fd(const struct sched_collector *c);
int sched_add_to_loop(struct sched_collector *c, struct loop *l);
int sched_drain(struct sched_collector *c); /* records consumed now, or -errno */

/* Who ran on a CPU between t0 and t1 (CLOCK_MONOTONIC ns). */
#define SCHED_ANT_MAX 8
#define SCHED_FRAME_LEN 96
enum sched_mode { SCHED_MODE_UNKNOWN = 0, SCHED_MODE_KERNEL, SCHED_MODE_USER, SCHED_MODE_MIXED };
struct sched_antagonist {
	uint32_t pid, tid;
	char comm[TASK_COMM_LEN];
	uint32_t policy;
	int32_t prio;
	uint64_t run_ns;         /* time it ran inside the window */
	double share;            /* run_ns / window length */
	enum sched_mode mode;    /* from sampler records in the window: >= 90 % kernel or user, else mixed */
	int bh_disabled;         /* -1 unknown, else 1 when most samples had it */
	int preempt_disabled;    /* same */
	unsigned samples;        /* sampler records of this task in the window */
	unsigned stack_samples;  /* how many of them had the top stack */
	unsigned nframes;        /* top kernel stack, leaf first, symbolized */
	char frames[SCHED_STACK_DEPTH][SCHED_FRAME_LEN];
};
struct sched_window {
	unsigned cpu;
	uint64_t t0_ns, t1_ns;
	uint64_t covered_ns;     /* part of the window the segment ring still covers */
	uint64_t idle_ns;        /* time the idle task (tid 0) ran */
	unsigned n;              /* antagonists in a[], largest run_ns first (idle excluded) */
	unsigned left_out;       /* further tasks that ran but did not fit */
	struct sched_antagonist a[SCHED_ANT_MAX];
};
/* Fills w (allocate it: it is large). max <= SCHED_ANT_MAX. Returns 0 or
 * -errno (-EINVAL: cpu out of range). */
int sched_who_ran(struct sched_collector *c, unsigned cpu, uint64_t t0_ns, uint64_t t1_ns,
		  unsigned max, struct sched_window *w);

/* Histograms. cls: enum sched_hclass; kind: enum sched_wait_kind or -1
 * for both. Read is cumulative since open; callers diff for intervals or
 * call sched_hist_reset. */
int sched_hist_cpu(struct sched_collector *c, unsigned cpu, int cls, int kind, struct hist *out);
typedef void (*sched_hkey_cb)(const struct sched_hkey *k, const struct hist *h, void *arg);
int sched_hist_keyed(struct sched_collector *c, sched_hkey_cb cb, void *arg);
int sched_hist_reset(struct sched_collector *c);

/* Run-time statistics of the collector's loaded programs (see
 * attach_prog_stats). Returns the number filled, at most max. */
struct prog_stat;
int sched_prog_stats(struct sched_collector *c, struct prog_stat *out, int max);

/* Counters summed over CPUs (enum sched_stat). */
int sched_stats(struct sched_collector *c, uint64_t out[SCHED_NR_STATS]);
unsigned sched_nr_cpus(const struct sched_collector *c);
/* NET_RX held off, watched by the sampler (opts.netrx_holds): whether it
 * runs (it needs the sampler and the kernel's softirq pending word and
 * run counts in BTF), and per possible CPU (out[nr_cpus]) the holds that
 * ended since the last call: a hold is NET_RX pending at two looks of the
 * sampler (ticks) with no NET_RX run between them; its length is known to
 * a period of the sampler (4 ms at HZ=250). Holds of threshold_ns or more
 * are also delivered as records (sched_wait.netrx). Returns 0 or -errno
 * (-ENOTSUP: not running). */
bool sched_netrx_holds(const struct sched_collector *c);
int sched_netrx_take(struct sched_collector *c, struct sched_netrx_stat *out);
const char *sched_policy_name(uint32_t policy);
const char *sched_mode_name(enum sched_mode m);
const char *sched_kind_name(enum sched_wait_kind k);

#endif
