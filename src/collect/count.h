/* collect/count.h — user side of the count collector: load the counting
 * program, attach it to tracepoints (one cookie each), read the per-CPU
 * counters. Counters only grow; callers take differences per interval. */
#ifndef COLLECT_COUNT_H
#define COLLECT_COUNT_H
#include <stdint.h>

#include "bpf/count.h"
#include "lib/parse.h"

struct count_collector;

struct count_params {
	unsigned nevents;            /* 1..COUNT_MAX_EVENTS */
	uint32_t tgid;               /* only this process (0: all) */
	const struct cpuset *cpus;   /* only these CPUs (NULL: all) */
};

/* open -> set filters and map size -> load. Returns 0 or -errno (a
 * sentence has been printed). */
int count_collector_open(struct count_collector **out, const struct count_params *p);
/* Attach to CATEGORY:NAME as event idx. Returns 0 or -errno (not printed). */
int count_collector_attach(struct count_collector *c, unsigned idx, const char *category,
			   const char *name);
/* Number of possible CPUs: the length of a read_event() vector. */
int count_collector_ncpus(const struct count_collector *c);
/* Cumulative counts of event idx, one per possible CPU. 0 or -errno. */
int count_collector_read(struct count_collector *c, unsigned idx, uint64_t *per_cpu);
void count_collector_free(struct count_collector *c);

#endif
