// SPDX-License-Identifier: GPL-2.0
/* bench_empty.bpf.c — reference programs for the benchmark (`ksleuth
 * runq --bpf-stats --reference NAME`, bench/runq.sh), each loaded alone:
 * empty tp_btf programs on sched_switch and sched_wakeup (the baseline),
 * two pieces of work the sched collector avoids on its hot path (a clock
 * read, bpf_ktime_get_ns, and a task-storage lookup), and the floor of
 * any program that keeps a result: one per-CPU counter. */
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

/* TP_PROTO(struct task_struct *p) */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(ks_empty_wakeup, struct task_struct *p)
{
	return 0;
}

/* The least a program that records anything does: one per-CPU counter,
 * a slot of an array indexed by CPU (as the collector's per-CPU state). */
struct slot {
	__u64 n;
	__u64 _pad[7]; /* a cache line per CPU */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* page-aligned values */
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

/* TP_PROTO as above */
SEC("tp_btf/sched_switch")
int BPF_PROG(ks_count_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct slot *s = bpf_map_lookup_elem(&slots, &cpu);

	if (s)
		s->n++;
	return 0;
}
