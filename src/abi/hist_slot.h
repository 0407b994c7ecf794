/* hist_slot.h — the slot of a duration in a struct hist (common.h) and
 * the update of one, shared by the BPF side and the user side (lib/hist.c)
 * so both bucket alike. Pure arithmetic; include <linux/types.h> or vmlinux.h
 * first.
 *
 * Slot k holds durations d with 2^k us < d <= 2^(k+1) us, slot 0 also
 * everything up to 2 us: k = floor(log2((ns - 1) / 1000)) for ns > 0.
 * Upper bounds are inclusive so that slot k is exactly Prometheus' bucket
 * le=2^(k+1) us ("less or equal"): a value of exactly 4 us is in le=4us,
 * not in the next bucket. Computed on ns - 1 without the division
 * (a 64-bit `div` on the hottest path is 20-40 cycles): with L =
 * floor(log2(ns)), 2^(L-10) < ns/1000 < 2^(L-9), so k is L-9 when
 * 1000 << (L-9) <= ns and L-10 otherwise.
 *
 * Every step is 64-bit and the clamp is the last operation on the value
 * that indexes the array: a 32-bit result makes clang compare a
 * zero-extended copy and index with the original, and verifiers before
 * 6.3 (Debian 12's 6.1) do not carry the bound across that copy ("R0
 * unbounded memory access"). */
#ifndef KS_BPF_HIST_SLOT_H
#define KS_BPF_HIST_SLOT_H
#include "abi/common.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline __u64 ks_log2_u64(__u64 v)
{
	__u64 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= v >> 1;
	return r;
}

static __always_inline __u64 hist_slot_ns(__u64 ns)
{
	__u64 k;

	ns = ns ? ns - 1 : 0; /* upper bounds inclusive, see above */
	if (ns < 2000) /* up to 2 us */
		return 0;
	k = ks_log2_u64(ns) - 9; /* ns >= 2000: L >= 10 */
	if (ns < (1000ULL << k))
		k--;
	return k < HIST_SLOTS ? k : HIST_SLOTS - 1;
}

/* One duration into h. The BPF side updates per-CPU copies, so no update
 * races another and none needs atomics. */
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
