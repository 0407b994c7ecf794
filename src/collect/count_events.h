/* collect/count_events.h — the events of one `ksleuth count` run: EVENT
 * operands resolved against the kernel's lists (count_resolve.c: globs,
 * suggestions, limits, whether the kernel allows kprobes or fentry), then
 * attached to a count collector (count_attach.c). Each failure is said in
 * one sentence; the functions return 0 or the exit code. */
#ifndef COLLECT_COUNT_EVENTS_H
#define COLLECT_COUNT_EVENTS_H
#include <stdbool.h>
#include <stdint.h>

#include "collect/count.h"
#include "lib/evspec.h"
#include "lib/parse.h"

/* One counted event: a tracepoint or a kernel function. */
struct count_event {
	char *name;             /* row name: "category:name", "k:func", "f:func"; owned */
	enum ev_kind kind;
	bool globbed;           /* matched by a pattern, not named exactly */
	bool refused;           /* the kernel refused its probe: left out of the output */
};

struct count_set {
	struct count_event *ev; /* n of them, event i is the collector's index i */
	unsigned n, ntp, nkprobe, nfentry, nrefused;
	/* what the kernel allows (probed when a k:/f: event is named) */
	bool kprobe_single, kprobe_multi;
	struct count_collector *col;    /* after count_set_attach() */
};

/* Resolves the EVENT operands into set->ev, in order, each once. 0, or
 * EXIT_USAGE (bad, unknown or too many events) or EXIT_RUNTIME. */
int count_set_resolve(struct count_set *set, char **args, int nargs);

/* Opens set->col (only process tgid if not 0, only CPUs cpus if not NULL)
 * and attaches every event; a function refused out of a pattern is marked
 * refused and said once. 0, or EXIT_RUNTIME. */
int count_set_attach(struct count_set *set, uint32_t tgid, const struct cpuset *cpus);

/* Detaches and frees all (also after a failed resolve or attach). */
void count_set_free(struct count_set *set);

#endif
