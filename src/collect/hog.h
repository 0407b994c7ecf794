/* hog.h — make a CPU busy for a bounded time: in the kernel (a BPF program
 * run with BPF_PROG_TEST_RUN, in one of three contexts) or in user space
 * (a SCHED_FIFO busy loop). A fixture for tests and the demo; it never
 * spins longer than HOG_RUN_MAX_NS at a stretch. */
#ifndef COLLECT_HOG_H
#define COLLECT_HOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOG_RUN_MAX_NS   (3ULL * 1000000000ULL)   /* one run: <= 3 s */
#define HOG_TOTAL_MAX_NS (120ULL * 1000000000ULL) /* a whole hog: <= 120 s */
#define HOG_GAP_MIN_NS   (10ULL * 1000000ULL)     /* between runs: >= 10 ms */
#define HOG_IRQ_RUN_MAX_NS (1000000000ULL)        /* kernel-irq: interrupts off <= 1 s */

enum hog_mode {
	HOG_KERNEL,       /* syscall prog: no preemption, BHs enabled */
	HOG_KERNEL_BH,    /* tc prog, one repetition: BHs off for the whole run */
	HOG_KERNEL_FIXED, /* tc prog, repetitions of slice_ns: BHs on + resched between */
	HOG_FIFO,         /* user-space SCHED_FIFO busy loop */
	HOG_KERNEL_IRQ,   /* syscall prog with interrupts off: no tick, no softirq */
};

struct hog_opts {
	enum hog_mode mode;
	int cpu;             /* pinned before each run */
	uint64_t run_ns;     /* length of one run, 1 us .. HOG_RUN_MAX_NS */
	uint64_t gap_ns;     /* sleep after each run, >= HOG_GAP_MIN_NS */
	uint64_t total_ns;   /* a run starts only if it ends within this, <= HOG_TOTAL_MAX_NS */
	unsigned max_runs;   /* 0: as many as total_ns allows */
	uint64_t slice_ns;   /* kernel-fixed: one repetition (default 1 ms) */
	int fifo_prio;       /* fifo: SCHED_FIFO priority 1..99 (default 50 when 0) */
	int stop_fd;         /* readable (signalfd, eventfd, pipe) => stop after the
			      * current run; -1 for none */
};

/* One finished run. Times are CLOCK_MONOTONIC ns. */
struct hog_run {
	unsigned idx;            /* 1, 2, ... */
	int cpu;
	enum hog_mode mode;
	int pid, tid;            /* the spinning thread (the caller of hog_run) */
	uint64_t start_ns, end_ns;   /* user space, around the test_run / loop */
	uint64_t kstart_ns, kend_ns; /* the BPF program's own first/last clock read; 0 for fifo */
	uint64_t reps;           /* repetitions that spun (kernel-fixed: ~run/slice) */
	uint64_t max_rep_ns;     /* longest repetition: longest stretch without BH/resched */
	bool interrupted;        /* the kernel ended the run early (a signal) */
};

typedef void (*hog_run_cb)(const struct hog_run *run, void *arg);

const char *hog_mode_name(enum hog_mode m);
int hog_mode_parse(const char *s, enum hog_mode *out); /* 0 or -EINVAL */

/* Fills defaults (slice, prio) and checks limits; on error writes one
 * sentence into why and returns -EINVAL. */
int hog_opts_check(struct hog_opts *o, char *why, size_t why_len);

/* Loads the BPF program (kernel modes), then runs: pin to o->cpu, run,
 * call on_run, sleep gap_ns (woken early by stop_fd), until total_ns,
 * max_runs or stop_fd. The calling thread does the spinning; its affinity
 * and scheduling policy are restored before returning. Returns 0 or
 * -errno (after printing one sentence with err()). Signals the caller
 * wants to stop on should be blocked and delivered through stop_fd. */
int hog_run(const struct hog_opts *o, hog_run_cb on_run, void *arg);

#endif
