/* common.h — types shared by BPF programs and user space: the contract
 * between both sides. No logic; include <linux/types.h> (user side) or
 * vmlinux.h (BPF side) first. */
#ifndef KS_BPF_COMMON_H
#define KS_BPF_COMMON_H

#define TASK_COMM_LEN 16

/* log2 histogram of durations: slot i counts durations d with
 * 2^i us < d <= 2^(i+1) us (slot 0 also holds everything up to 2 us; upper
 * bounds inclusive, as Prometheus' `le`, see hist_slot.h); the last slot
 * holds everything above. sum/min/max are exact, in nanoseconds.
 * 27 slots cover up to 2^26 us = 67 s. */
#define HIST_SLOTS 27

struct hist {
	/* first, so that an update of a short duration (slots 0-3) dirties
	 * one cache line when the struct is 64-byte aligned (256 bytes) */
	__u64 count;
	__u64 sum_ns;
	__u64 min_ns; /* valid when count > 0 */
	__u64 max_ns;
	__u64 slots[HIST_SLOTS];
	__u64 _pad;
};

#endif
