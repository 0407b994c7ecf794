/* hist.bpf.h — BPF-side helpers to fill a struct hist (common.h).
 * Per-CPU maps make the updates race-free without atomics. */
#ifndef KS_HIST_BPF_H
#define KS_HIST_BPF_H
#include "abi/common.h"
#include "abi/hist_slot.h"

static __always_inline void hist_add(struct hist *h, __u64 ns)
{
	h->slots[hist_slot_ns(ns)]++;
	if (h->count == 0 || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
}
#endif
