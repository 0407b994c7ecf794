/* collect/softirq.h — the softirq collector: raise->entry delay and run
 * time per CPU and vector (in-kernel log2 histograms, drained per
 * interval), and records of delays above a threshold. Shared by
 * `ksleuth softirq` and the doctor.
 * Lifecycle: softirq_open() -> softirq_add_to_loop() -> softirq_take()
 * each interval -> softirq_close(). */
#ifndef COLLECT_SOFTIRQ_H
#define COLLECT_SOFTIRQ_H
#include <stdint.h>
#include <linux/types.h>

#include "abi/softirq.h"

struct loop;
struct softirq_collector;

struct softirq_opts {
	uint32_t vec_mask;   /* vectors to measure (bit = vector number; 0: all) */
	uint64_t slower_ns;  /* delays at least this long become records (0: none) */
	bool no_run_time;    /* raise->entry delays only: softirq_exit is not traced */
};

typedef void (*softirq_event_cb)(const struct softirq_event *e, void *arg);

/* Opens, loads (tp_btf, else raw_tp) and attaches. Returns 0 or -errno
 * after saying what failed. */
int softirq_open(struct softirq_collector **out, const struct softirq_opts *o);
void softirq_close(struct softirq_collector *c);
void softirq_set_event_cb(struct softirq_collector *c, softirq_event_cb cb, void *arg);
int softirq_add_to_loop(struct softirq_collector *c, struct loop *l);
int softirq_poll(struct softirq_collector *c, int timeout_ms);

/* Number of CPU slots (possible CPUs) in per-CPU results. */
unsigned softirq_nr_cpus(const struct softirq_collector *c);
/* The histograms gathered since the previous call, one struct per
 * possible CPU (out[nr_cpus]). Switches the kernel to the other half of a
 * double buffer, then drains this half; an event racing with the switch
 * (well under a microsecond) can be lost. Returns 0 or -errno. */
int softirq_take(struct softirq_collector *c, struct softirq_hists *out);
/* Counters summed over CPUs (enum softirq_stat). */
int softirq_stats(struct softirq_collector *c, uint64_t out[SOFTIRQ_NR_STATS]);
/* Run-time statistics of the loaded programs (see attach_prog_stats). */
struct prog_stat;
int softirq_prog_stats(struct softirq_collector *c, struct prog_stat *out, int max);
/* "tp_btf" or "raw_tp": how the programs are attached. */
const char *softirq_attach_kind(const struct softirq_collector *c);

#endif
