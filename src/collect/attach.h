/* collect/attach.h — what the tracepoint collectors (napi, softirq,
 * retrans) share: loading a skeleton with its tp_btf programs or, when the
 * kernel refuses them, the raw_tp twins; summing per-CPU counter arrays.
 * No policy: the collector says what to load and how to name it. */
#ifndef COLLECT_ATTACH_H
#define COLLECT_ATTACH_H
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

struct bpf_link;
struct bpf_program;
struct bpf_object;
struct bpf_object_skeleton;
struct cpuset;

/* One tracepoint: the tp_btf program and its raw_tp twin. */
struct attach_pair {
	struct bpf_program *btf, *raw;
};

/* Autoloads one program of each pair (raw: the raw_tp ones), then loads
 * and attaches the opened skeleton. Returns 0 or -errno; the caller
 * destroys the skeleton on failure. */
int attach_load(struct bpf_object_skeleton *skel, const struct attach_pair *pairs, unsigned n, bool raw);

/* Builds a collector's skeleton: load(arg, false) (tp_btf), and when that
 * fails load(arg, true) (raw_tp); load returns the attached skeleton or
 * NULL with errno set. *raw says which worked. When both fail, says so in
 * one sentence ("cannot load <what>: <cause>; run with -v ...") and
 * returns NULL with *err = -errno. name prefixes the debug line. */
void *attach_btf_or_raw(void *(*load)(void *arg, bool raw), void *arg, const char *name,
			const char *what, bool *raw, int *err);

/* out[k] = sum over nr_cpus of per-CPU array map fd's element k, for k <
 * n. Missing elements read as 0. Returns 0 or -ENOMEM. */
int attach_sum_percpu(int fd, unsigned nr_cpus, uint64_t *out, unsigned n);

/* Double-buffered per-CPU results: the BPF side adds to entry (*gen & 1)
 * of a two-entry per-CPU array map. Switches it to the other entry, then
 * reads this one into out (one value per possible CPU) and resets it from
 * zero (as many zeroed values). An update racing with the switch (well
 * under a microsecond) can be lost. Returns 0 or -errno. */
int attach_take_half(int fd, uint32_t *gen, void *out, const void *zero);

/* Sampling on every CPU: one cpu-clock perf event at hz per CPU, each
 * running prog (the profiler, and the sched sampler where the tick is not
 * seen). */
struct cpu_sampler {
	unsigned ncpu;           /* possible CPUs */
	int *fds;                /* [ncpu] perf event, -1: none */
	struct bpf_link **links; /* [ncpu] */
	unsigned nsampled;       /* CPUs with an event */
};

/* Opens and attaches the event of each possible CPU, or of those in only
 * when it is given; an offline CPU (ENODEV) is skipped. Returns 0, -ENODEV
 * when no CPU could be sampled, or -errno of the first refusal
 * (perf_event_open or the attach). The caller closes s in every case. */
int attach_cpu_sampler(struct cpu_sampler *s, struct bpf_program *prog, unsigned hz,
		       const struct cpuset *only);
/* Detaches and closes every event and zeroes s; s may be zeroed or
 * half-opened. */
void attach_cpu_sampler_close(struct cpu_sampler *s);

/* Run-time statistics of an object's loaded programs (counted only while
 * BPF stats are enabled, e.g. by bpf_enable_stats()). Fills at most max,
 * returns how many. */
struct prog_stat {
	char name[32];
	uint64_t run_cnt, run_time_ns;
};
int attach_prog_stats(const struct bpf_object *obj, struct prog_stat *out, int max);
/* Benchmark aid: BPF run-time statistics on for as long as the returned
 * fd lives (BPF_ENABLE_STATS, not the global sysctl). On failure says so
 * in one sentence and returns -1. */
int attach_enable_stats(void);
/* One "bpf-stats NAME run_cnt N run_time_ns N ns_per_run X" line per
 * program, to f (the benchmarks read these). */
void attach_print_prog_stats(FILE *f, const struct prog_stat *st, int n);

#endif
