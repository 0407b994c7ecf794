/* collect/count.h — user side of the count collector: load the counting
 * programs, attach them to tracepoints (one cookie each), to kernel
 * functions (kprobes: one kprobe_multi link or one kprobe each; fentry:
 * one program instance each), read the per-CPU counters. Counters only
 * grow; callers take differences per interval. */
#ifndef COLLECT_COUNT_H
#define COLLECT_COUNT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/count.h"
#include "lib/parse.h"

struct count_collector;

struct count_params {
	unsigned nevents;            /* 1..COUNT_MAX_EVENTS */
	uint32_t tgid;               /* only this process (0: all) */
	const struct cpuset *cpus;   /* only these CPUs (NULL: all) */
	bool tracepoints;            /* load the tracepoint program */
	bool kprobe_multi;           /* load the kprobe_multi program */
	bool kprobe_single;          /* load the one-kprobe-per-function program */
};

/* Whether this kernel attaches kprobe_multi links (>= 5.18 with
 * CONFIG_FPROBE): loads a two-instruction program and links it to
 * vfs_read for a moment. Returns 0 or -errno of the failing step. */
int count_kprobe_multi_probe(void);

/* has_btf[k] = names[k] is a function in the kernel's BTF (vmlinux), as
 * fentry needs. Returns 0 or -errno (BTF unreadable). */
int count_btf_funcs_mark(const char *const *names, size_t n, bool *has_btf);

/* open -> set filters and map size -> load. Returns 0 or -errno (a
 * sentence has been printed). */
int count_collector_open(struct count_collector **out, const struct count_params *p);
/* Attach to CATEGORY:NAME as event idx. Returns 0 or -errno (not printed). */
int count_collector_attach(struct count_collector *c, unsigned idx, const char *category,
			   const char *name);
/* Kprobes on funcs[k] as events idx[k], k < n: one kprobe_multi link when
 * that program is loaded and the kernel takes the link (returns 0,
 * *multi_err = 0), else one kprobe each (*multi_err: why the link was
 * refused, 0 when not tried): errs[k] = 0 or -errno, returns how many
 * were refused. -errno (*multi_err) when neither way is loaded. */
int count_collector_attach_kprobes(struct count_collector *c, const unsigned *idx,
				   const char *const *funcs, unsigned n, int *errs, int *multi_err);
/* fentry on func as event idx: one more program instance (at most
 * COUNT_MAX_FENTRY). Returns 0 or -errno (not printed). */
int count_collector_attach_fentry(struct count_collector *c, unsigned idx, const char *func);
/* Number of possible CPUs: the length of a read_event() vector. */
int count_collector_ncpus(const struct count_collector *c);
/* Cumulative counts of event idx, one per possible CPU. 0 or -errno. */
int count_collector_read(struct count_collector *c, unsigned idx, uint64_t *per_cpu);
void count_collector_free(struct count_collector *c);

#endif
