/* doctor/pipeline.h — the doctor's pipeline, shared by `ksleuth doctor`
 * and `ksleuth agent` so the two cannot drift apart: opens the sched (with
 * the stall sampler), softirq and retransmit collectors once, reads the
 * /proc counters and /dev/kmsg, turns stalls into engine inputs (with what
 * filled each window, engine/stallfill.h) and feeds the engine every
 * second on the caller's event loop. Views (live text, metrics, the JSON
 * records of doctor/records.h) are reached through the callbacks. */
#ifndef DOCTOR_PIPELINE_H
#define DOCTOR_PIPELINE_H
#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>

#include "abi/softirq.h"
#include "engine/engine.h"
#include "engine/stallfill.h"
#include "lib/json.h"
#include "lib/kmsg.h"
#include "lib/parse.h"

struct loop;
struct pipeline;
struct sched_collector;
struct softirq_collector;
struct softirq_hists;
struct retrans_collector;
struct kernel_facts;

/* A stall as handed to the engine, with what filled its window. */
struct pipeline_stall {
	const struct eng_stall *s;
	struct stall_window_info win; /* the run history's totals for its window */
	struct stall_fill fill;
	const char *what;        /* "waited" or "softirq waited to run" */
};

struct pipeline_opts {
	uint64_t threshold_ns;       /* stall threshold; NET_RX blocked threshold */
	bool cpus_set;               /* watch only these CPUs */
	struct cpuset cpus;
	const char *netns;           /* TCP counters of this namespace (NULL: ours) */
	/* NET_RX delays: by default the stall sampler watches for NET_RX held
	 * off between its ticks (nothing on the packet path; max per second at
	 * tick resolution, no p99). softirq_trace traces every softirq raise
	 * and entry instead (exact delays, p99, histograms for hists; ~300 ns a
	 * packet burst); it is also the fallback where the watch cannot run. */
	bool softirq_trace;
	uint32_t softirq_vec_mask;   /* softirq histograms kept (0: all vectors) */
	bool softirq_no_run_time;    /* softirq delays only, no run times (one tracepoint less) */
	bool ongoing;                /* report waits still in progress */
	bool ksoftirqd_hist;         /* keep ksoftirqd wait histograms (SCHED_CLASS_COMM) */
	const char *record_path;     /* write every engine input here (doctor/recording.h) */
	struct evidence *evidence;   /* a replay collects the inputs here too (lib/evidence.h) */
	/* all optional; arg is passed to each */
	void (*on_event)(void *arg, const struct eng_event *ev);
	void (*on_stall)(void *arg, const struct pipeline_stall *ps);      /* before the engine sees it */
	void (*on_kmsg)(void *arg, const struct kmsg_rec *r, enum kmsg_class cls); /* classified lines only */
	/* each second, before the engine gets the sample; hists is this
	 * second's softirq histograms (nhists entries), NULL when softirqs
	 * are not traced or unreadable */
	void (*on_second)(void *arg, const struct eng_net_sample *s, const struct softirq_hists *hists,
			  unsigned nhists);
	void *arg;
};

/* Opens and attaches everything and registers it (ring buffers, /dev/kmsg,
 * a 1 s timer) on l. Returns 0, or -1 after saying why (err()). On failure
 * *out is still set when allocated: pipeline_close() it. */
int pipeline_open(struct pipeline **out, struct loop *l, const struct pipeline_opts *o);
/* Consumes pending records and settles the engine up to now_ns. */
void pipeline_drain(struct pipeline *p, uint64_t now_ns);
/* The end of the run at now_ns: recorded, and engine_finish when settle
 * (a replay takes both from its recording). */
void pipeline_finish(struct pipeline *p, uint64_t now_ns, bool settle);
void pipeline_close(struct pipeline *p);

/* A replay of a recording (doctor/recording.h): the engine and the same
 * callbacks, fed from the file instead of the collectors. open reads the
 * run's constants (the accessors below answer from them); run feeds every
 * input up to the end of the run, which pipeline_finish() then settles.
 * Each returns 0, or -1 after saying why (err()); run's -1 means damage
 * after which the rest was not replayed. */
int pipeline_replay_open(struct pipeline **out, const struct pipeline_opts *o, const char *path);
int pipeline_replay_run(struct pipeline *p);
bool pipeline_replaying(const struct pipeline *p);
/* When the run ended (a replay: the recording's end, else 0). */
uint64_t pipeline_end_ns(const struct pipeline *p);
/* CLOCK_REALTIME - CLOCK_MONOTONIC when the run started (for clock times). */
int64_t pipeline_wall_off_ns(const struct pipeline *p);

struct engine *pipeline_engine(struct pipeline *p);
struct sched_collector *pipeline_sched(struct pipeline *p);
struct softirq_collector *pipeline_softirq(struct pipeline *p);
const struct kernel_facts *pipeline_facts(const struct pipeline *p);
const struct eng_kernel *pipeline_eng_kernel(const struct pipeline *p);
unsigned pipeline_ncpus(const struct pipeline *p);       /* engine CPUs */
uint64_t pipeline_t0_ns(const struct pipeline *p);       /* when the engine started */
bool pipeline_sampler(const struct pipeline *p);         /* stacks and modes sampled */
/* How NET_RX delays are measured: "tick" (held off between the sampler's
 * ticks) or "trace" (every raise and entry: the softirq collector, which
 * pipeline_softirq returns; NULL with "tick"). */
const char *pipeline_netrx_source(const struct pipeline *p);
unsigned long pipeline_kmsg_lost(const struct pipeline *p);
/* Retransmit counters at the last second (enum retrans_stat, cumulative). */
void pipeline_retrans_totals(const struct pipeline *p, uint64_t *out, unsigned n);
/* Records lost in the sched and softirq ring buffers so far. */
uint64_t pipeline_lost_records(struct pipeline *p);
/* Ends the recording being written (a finish record that settles it) and,
 * with a path, starts a new one there whose replay begins now (the
 * agent's --record-dir rotates its segments so). 0, or -1 after err(). */
int pipeline_record_to(struct pipeline *p, const char *path, uint64_t now);

/* Run-time statistics of every loaded program (attach_prog_stats). */
struct prog_stat;
int pipeline_prog_stats(struct pipeline *p, struct prog_stat *out, int max);

/* --threshold DUR of the commands that run the pipeline (doctor, agent):
 * a CPU held this long is a stall; 1ms..10s, a bare number in ms. */
#define PIPELINE_OPT_THRESHOLD(T, f, what)                                            \
	{ .lname = "threshold", OPT_DURATION_AT(T, f), .arg = "DUR", .unit_ns = NS_PER_MS,   \
	  .min = NS_PER_MS, .max = 10 * NS_PER_SEC, .has_def = true, .def = 100 * NS_PER_MS, \
	  .help = (what) }

#endif
