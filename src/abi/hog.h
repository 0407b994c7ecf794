/* hog.h — the contract between hog.bpf.c and collect/hog.c: what the spin
 * program records about itself in its .bss. No logic. */
#ifndef KS_BPF_HOG_H
#define KS_BPF_HOG_H

/* Written by the BPF program, reset by user space before each run. All
 * times are bpf_ktime_get_ns() = CLOCK_MONOTONIC ns. */
struct hog_kstats {
	__u64 first_ns;   /* start of the first repetition of this run */
	__u64 last_ns;    /* end of the last repetition that spun */
	__u64 reps;       /* repetitions that spun (started before the deadline) */
	__u64 max_rep_ns; /* longest single repetition: the longest BH-off/no-resched stretch */
};

#endif
