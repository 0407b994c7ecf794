/* liveopt.h — what is left of the live commands' shared options: their
 * table entries are lib/opt.h's OPT_CPUS, OPT_INTERVAL and OPT_DURATION
 * now. Kept for cmd/doctor.c until it declares its options in a table;
 * then this file goes. Pure: no I/O. */
#ifndef LIB_LIVEOPT_H
#define LIB_LIVEOPT_H
#include <stddef.h>

#include "lib/parse.h"

/* A CPU list is only good if every CPU in it exists: ncpus is the number
 * of possible CPUs (libbpf_num_possible_cpus()). Returns 0, or -EINVAL
 * with opt_cpus_exist()'s sentence for -C in msg. */
int live_cpus_exist(const struct cpuset *cpus, int ncpus, char *msg, size_t n);

#endif
