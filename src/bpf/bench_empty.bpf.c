// SPDX-License-Identifier: GPL-2.0
/* bench_empty.bpf.c — an empty tp_btf program on sched_switch: the
 * baseline the benchmark compares the sched collector's program with
 * (`ksleuth runq --bpf-stats --with-empty`, bench/runq.sh). Does nothing. */
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
