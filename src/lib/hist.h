/* hist.h — log2 histograms (struct hist from abi/common.h): merge,
 * percentiles, and the bcc "usecs : count distribution" layout. Pure. */
#ifndef LIB_HIST_H
#define LIB_HIST_H
#include <linux/types.h>
#include <stdio.h>
#include "abi/common.h"

void hist_clear(struct hist *h);
void hist_add_ns(struct hist *h, __u64 ns);  /* user-side equivalent of BPF's */
void hist_merge(struct hist *dst, const struct hist *src);
/* Estimate of the p-th percentile (0 < p <= 100) in ns: the upper bound of
 * the slot holding it, clamped to [min, max]. 0 when empty. */
__u64 hist_percentile_ns(const struct hist *h, double p);
/* Lower and upper bound (inclusive, in us) of slot i, bcc-style. */
void hist_slot_bounds_us(unsigned i, __u64 *lo, __u64 *hi);
/* bcc print_log2_hist layout, in usecs, then a line
 * "min 3us  avg 12us  p50 15us  p99 511us  max 623us  count 1234". */
void hist_print(FILE *f, const struct hist *h, const char *indent);
void hist_print_summary(FILE *f, const struct hist *h, const char *indent);

#endif
