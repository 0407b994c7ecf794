/* doctor/watch.h — what every command that watches as the doctor does
 * (doctor, record) takes on its command line, declared once: -d, -C,
 * --threshold, --netns, --netrx-trace, and -- COMMAND. */
#ifndef DOCTOR_WATCH_H
#define DOCTOR_WATCH_H
#include <stdbool.h>
#include <stdint.h>

#include "doctor/pipeline.h"
#include "doctor/run.h"
#include "lib/opt.h"

struct doctor_watch {
	uint64_t duration_ns, threshold_ns;
	struct cpuset cpus;
	const char *netns;
	bool netrx_trace;
};

/* The option-table rows of a struct doctor_watch member w of T. */
#define DOCTOR_WATCH_OPTS(T, w)                                                              \
	OPT_DURATION(T, w.duration_ns),                                                      \
	{ 'C', "cpus", OPT_CPUS_AT(T, w.cpus), .arg = "CPUS",                                \
	  .help = "watch only these CPUs for stalls (e.g. 0-3,6)" },                         \
	PIPELINE_OPT_THRESHOLD(T, w.threshold_ns,                                            \
			       "a CPU held this long is a stall; NET_RX waiting this long "  \
			       "counts as blocked"),                                          \
	{ .lname = "netns", OPT_STRING_AT(T, w.netns), .arg = "NAME",                        \
	  .help = "count only this network namespace's retransmits (the tracepoint and its " \
		  "TcpRetransSegs); drops stay per CPU" },                                   \
	{ .lname = "netrx-trace", OPT_FLAG_AT(T, w.netrx_trace),                             \
	  .help = "time every NET_RX raise->entry (exact delays and p99; costs ~300 ns per " \
		  "packet burst) instead of watching NET_RX held off at the scheduler tick "  \
		  "(nothing on the packet path; to about a tick: 4 ms at HZ=250)" }

/* Checks what the table cannot (the namespace exists, COMMAND can run)
 * and fills o (defaults first) with w and command. 0, or the exit code
 * after one sentence. */
int doctor_watch_apply(const struct doctor_watch *w, char **command, struct doctor_opts *o);

#endif
