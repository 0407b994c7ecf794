/* profile.h — the contract of the CPU profiler (profile.bpf.c): the key
 * of the in-kernel sample counts and the statistics. Stack ids index one
 * BPF_MAP_TYPE_STACK_TRACE map shared by kernel and user stacks. */
#ifndef KS_BPF_PROFILE_H
#define KS_BPF_PROFILE_H

#include "abi/common.h"

#define PROFILE_STACK_DEPTH 127      /* the kernel's default perf_event_max_stack */
#define PROFILE_MAX_STACKS 16384     /* stack map entries (kernel and user), default */
#define PROFILE_MAX_KEYS 16384       /* distinct (task, stacks) keys, default */
#define PROFILE_MAX_PROCS 4096       /* processes with user stacks between two looks */

/* A stack id, or -errno from bpf_get_stackid: -EFAULT for no stack (a
 * sample in user mode has no kernel stack, a kernel thread no user one),
 * -EEXIST / -ENOMEM when the stack map had no room (counted as lost). */
struct profile_key {
	__u32 pid;          /* thread id */
	__u32 tgid;         /* process id */
	__s32 kstack;
	__s32 ustack;
	char comm[TASK_COMM_LEN];
};

enum profile_stat {
	PROFILE_STAT_SAMPLES = 0,    /* samples taken (after the -p filter) */
	PROFILE_STAT_KSTACK_LOST,    /* kernel stack not stored: collision or full map */
	PROFILE_STAT_USTACK_LOST,    /* user stack not stored: collision or full map */
	PROFILE_STAT_KEYS_FULL,      /* sample dropped: the counts map was full */
	PROFILE_NR_STATS,
};

#endif
