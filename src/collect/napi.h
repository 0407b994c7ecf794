/* collect/napi.h — the NAPI collector: napi:napi_poll per device, CPU and
 * context (polls, packets, budget-exhausted polls, work histogram), and
 * optionally the kernel stacks of budget-exhausted polls. Shared by
 * `ksleuth napi` and the doctor. Counters are cumulative since open;
 * callers diff them per interval (napi_diff). */
#ifndef COLLECT_NAPI_H
#define COLLECT_NAPI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "abi/napi.h"

struct napi_collector;

struct napi_opts {
	bool stacks; /* collect kernel stacks of budget-exhausted polls */
};

/* One (device, context, CPU) with its cumulative counters. */
struct napi_row {
	char dev[NAPI_DEV_LEN];
	unsigned ctx;   /* enum napi_ctx */
	unsigned cpu;
	struct napi_val v;
};

int napi_open(struct napi_collector **out, const struct napi_opts *o);
void napi_close(struct napi_collector *c);
/* All rows with polls > 0, sorted by device, CPU, context. *rows is
 * malloc'ed (caller frees). Returns the count or -errno. */
int napi_read(struct napi_collector *c, struct napi_row **rows);
/* a - b for matching keys (rows of b not in a are ignored): deltas in out
 * (malloc'ed, rows with polls > 0 only). Returns the count or -ENOMEM. */
int napi_diff(const struct napi_row *a, int na, const struct napi_row *b, int nb,
	      struct napi_row **out);
/* Stacks of budget-exhausted polls: cb per stack with its count and
 * addresses (leaf first). Returns the number of stacks or -errno. */
typedef void (*napi_stack_cb)(uint64_t count, const uint64_t *ips, unsigned n, void *arg);
int napi_stacks(struct napi_collector *c, napi_stack_cb cb, void *arg);
int napi_stats(struct napi_collector *c, uint64_t out[NAPI_NR_STATS]);
const char *napi_ctx_name(unsigned ctx);
const char *napi_attach_kind(const struct napi_collector *c);

#endif
