/* doctor/run.h — one run of the doctor, for the commands that run it
 * (`ksleuth doctor`, `ksleuth demo`): options, the run on its own event
 * loop, and what it found. The engine (engine/engine.h) decides; this
 * composes the pipeline and views around it. */
#ifndef DOCTOR_RUN_H
#define DOCTOR_RUN_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "lib/parse.h"

struct loop;

#define DOCTOR_MAX_SECONDS 600

struct doctor_opts {
	uint64_t duration_ns;     /* 0: until Ctrl-C */
	uint64_t threshold_ns;    /* stall threshold (default 100 ms) */
	bool once;                /* stop after the first incident */
	bool json;
	bool live;                /* print live lines (text mode) */
	bool report;              /* print the final report (text mode) */
	bool cpus_set;
	struct cpuset cpus;
	const char *netns;        /* TCP counters of this namespace (ip netns name) */
	bool bpf_stats;           /* benchmark aid: BPF run-time statistics on, printed at the end */
	bool netrx_trace;         /* trace every NET_RX raise and entry (pipeline_opts.softirq_trace) */
	FILE *out;
	const char *record;       /* --record FILE: keep every engine input (doctor/recording.h) */
	const char *replay;       /* `report FILE`: replay a recording instead of watching */
	struct evidence *evidence; /* the replay's evidence, for report's pictures (lib/evidence.h) */
	/* Called once the collectors are attached and the loop exists, before
	 * it runs (the demo starts its load and hog from here). */
	void (*on_ready)(struct loop *l, void *arg);
	/* Called for each incident as the engine closes it. */
	void (*on_incident)(const struct eng_incident *inc, void *arg);
	void *arg;                /* for on_ready and on_incident */
	char **command;           /* "-- COMMAND": run it, stop when it exits (sys/child.h) */
};
void doctor_opts_default(struct doctor_opts *o);

struct doctor_result {
	unsigned incidents, findings, stalls;
	bool have_incident;
	struct eng_incident first;       /* the first incident, when have_incident */
	unsigned nseconds;
	int64_t retrans[DOCTOR_MAX_SECONDS]; /* tracepoint retransmits per second */
	uint64_t duration_ns;
	bool interrupted;                /* ended by SIGINT/SIGTERM */
	bool sampler;                    /* stacks and modes were sampled */
};

/* Runs the doctor. Returns EXIT_OK, EXIT_FOUND or EXIT_RUNTIME (after
 * saying why). res may be NULL. */
int doctor_run(const struct doctor_opts *o, struct doctor_result *res);

#endif
