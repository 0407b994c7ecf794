/* softirq.h — the contract between the softirq collector's BPF side
 * (softirq.bpf.c) and its user side (collect/softirq.c). Structs only. */
#ifndef KS_BPF_SOFTIRQ_H
#define KS_BPF_SOFTIRQ_H
#include "abi/common.h"

#define KS_NR_SOFTIRQS 10 /* HI .. RCU, include/linux/interrupt.h */

/* Per CPU and generation (double buffer: the user side flips `gen` each
 * interval and drains the idle half): raise->entry delay and entry->exit
 * run time per vector. */
struct softirq_hists {
	struct hist delay[KS_NR_SOFTIRQS];
	struct hist run[KS_NR_SOFTIRQS];
};

/* One raise->entry delay above slower_ns. */
struct softirq_event {
	__u64 raise_ns;  /* first raise while the vector was not pending */
	__u64 entry_ns;  /* when the handler started */
	__u32 cpu;
	__u32 vec;
};

enum softirq_stat {
	SOFTIRQ_STAT_EVENTS = 0, /* slow-delay records sent */
	SOFTIRQ_STAT_RB_DROPS,   /* records lost: ring buffer full */
	SOFTIRQ_NR_STATS,
};

#endif
