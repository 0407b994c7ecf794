/* liveopt.h — the options the live per-interval commands (napi, softirq,
 * retrans) share: -C CPUS, -i SEC, -d DUR, and the wording of a bad
 * command line. Pure: no I/O; the caller prints the message (err()). */
#ifndef LIB_LIVEOPT_H
#define LIB_LIVEOPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/parse.h"

#define LIVE_INTERVAL_MIN_NS (10 * NS_PER_MS)

struct live_opts {
	bool cpus_set;        /* -C given */
	struct cpuset cpus;
	uint64_t interval_ns; /* -i: default 1 s, at least LIVE_INTERVAL_MIN_NS */
	uint64_t duration_ns; /* -d: 0 = until Ctrl-C */
};
void live_opts_default(struct live_opts *o);

static inline bool live_want_cpu(const struct live_opts *o, unsigned cpu)
{
	return !o->cpus_set || cpuset_has(&o->cpus, cpu);
}

/* Takes the value of option c ('C', 'i' or 'd'). Returns 0, or -EINVAL
 * with one sentence in msg (what was wrong, an example of right). */
int live_opt(struct live_opts *o, int c, const char *arg, char *msg, size_t n);

/* A CPU list is only good if every CPU in it exists: ncpus is the number
 * of possible CPUs (libbpf_num_possible_cpus()). A list naming CPU 999
 * would watch nothing. Returns 0, or -EINVAL with one sentence in msg. */
int live_cpus_exist(const struct cpuset *cpus, int ncpus, char *msg, size_t n);

/* Messages for getopt's leftovers: an unknown option or one missing its
 * value (arg: argv[optind - 1]), and a stray argument. cmd: "napi"... */
void live_msg_bad_option(char *msg, size_t n, const char *cmd, const char *arg);
void live_msg_extra_arg(char *msg, size_t n, const char *cmd, const char *arg);

#endif
