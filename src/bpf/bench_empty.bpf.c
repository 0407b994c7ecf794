// SPDX-License-Identifier: GPL-2.0
/* bench_empty.bpf.c — reference programs on sched_switch for the
 * benchmark (`ksleuth runq --bpf-stats --with-empty`, bench/runq.sh): an
 * empty tp_btf program (the baseline), and the two unavoidable pieces of
 * the sched collector's work alone: a clock read, a task-storage lookup. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next,
 *          unsigned int prev_state) */
SEC("tp_btf/sched_switch")
int BPF_PROG(ks_empty_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

__u64 sink;

/* TP_PROTO as above */
SEC("tp_btf/sched_switch")
int BPF_PROG(ks_ktime_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} ts SEC(".maps");

/* TP_PROTO as above */
SEC("tp_btf/sched_switch")
int BPF_PROG(ks_tstore_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 *v = bpf_task_storage_get(&ts, next, 0, 0);
	if (v)
		sink = *v;
	return 0;
}
