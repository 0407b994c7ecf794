/* collect/profile.h — user side of the CPU profiler: one cpu-clock perf
 * event per sampled CPU running ks_profile, counts kept in the kernel by
 * (thread, comm, kernel stack, user stack); read the counts and stacks at
 * the end. No symbols, no output: the command does those. */
#ifndef COLLECT_PROFILE_H
#define COLLECT_PROFILE_H
#include <stdint.h>

#include <linux/types.h>
#include "abi/profile.h"
#include "lib/parse.h"

struct profile_collector;

struct profile_opts {
	unsigned freq_hz;            /* samples a second on each CPU */
	uint32_t tgid;               /* only this process (0: all) */
	const struct cpuset *cpus;   /* only these CPUs (NULL: every online CPU) */
	unsigned max_stacks;         /* stack map and counts map entries (0: the defaults) */
};

/* Loads the program and starts sampling. On failure prints one sentence
 * (perf_event_open refused: why and what to do) and returns -errno. */
int profile_open(struct profile_collector **out, const struct profile_opts *o);
/* CPUs being sampled. */
unsigned profile_cpus(const struct profile_collector *c);
/* Ends sampling (closes the perf events); the counts stay readable. */
void profile_stop(struct profile_collector *c);
typedef void (*profile_count_cb)(const struct profile_key *k, uint64_t count, void *arg);
/* Calls cb for every count. Returns the number of keys or -errno. */
int profile_for_each(struct profile_collector *c, profile_count_cb cb, void *arg);
/* Calls cb for each process sampled with a user stack since the last
 * call (each once), and forgets them. Returns how many or -errno. */
int profile_drain_procs(struct profile_collector *c, void (*cb)(uint32_t tgid, void *arg), void *arg);
/* The addresses of stack id (leaf first) into ips[PROFILE_STACK_DEPTH].
 * Returns how many, or -errno (-ENOENT: not in the map). */
int profile_stack(struct profile_collector *c, int32_t id, uint64_t *ips);
/* Statistics summed over CPUs (enum profile_stat). */
void profile_stats(struct profile_collector *c, uint64_t st[PROFILE_NR_STATS]);
void profile_close(struct profile_collector *c);

#endif
