/* sched/base.bpf.h — the sched collector's parameters, per-CPU state,
 * counters and record ring, and the task reads every part uses. One
 * piece of sched.bpf.c: included there only, before the other pieces. */
#ifndef KS_SCHED_BASE_BPF_H
#define KS_SCHED_BASE_BPF_H

#define barrier() asm volatile("" ::: "memory")
#define PF_KTHREAD 0x00200000 /* include/linux/sched.h: a kernel thread */

/* Parameters, set by collect/sched_load.c before load (the verifier prunes
 * what is off). */
const volatile __u64 threshold_ns = 0;     /* 0: no records */
const volatile __u64 ongoing_ns = 0;       /* 0: no ongoing records */
const volatile __u64 sample_after_ns = 0;
__u64 gap_ns;  /* bss, set once the sampler runs: 0 no timer-interrupt gap records */
const volatile __u32 seg_mask = SCHED_SEG_RING_DEFAULT - 1;
const volatile __u32 seg_ring = SCHED_SEG_RING_DEFAULT;
const volatile __u32 sample_mask = SCHED_SAMPLE_RING_DEFAULT - 1;
const volatile __u32 sample_ring = SCHED_SAMPLE_RING_DEFAULT;
const volatile __u32 nr_cpus = 1;
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_comm_len = 0;
const volatile char targ_comm[TASK_COMM_LEN] = {};
const volatile __u32 class_comm_len = 0;
const volatile char class_comm[TASK_COMM_LEN] = {};
const volatile __u32 hist_by = SCHED_BY_NONE;
const volatile bool filter_cpus = false;
const volatile __u64 targ_cpus[16] = {}; /* bitmap of 1024 CPUs */
/* Waits from the kernel's own run-delay bookkeeping (CONFIG_SCHED_INFO:
 * task_struct::sched_info.last_queued, on the runqueue clock) instead of
 * stamps of our own in task storage; set by the user side when vmlinux
 * BTF has the fields and the tp_btf programs load. */
const volatile bool sched_info_ok = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* nr_cpus */
	__type(key, __u32);
	__type(value, struct sched_cpu);
} cpus SEC(".maps");

#define KS_NR_STATS SCHED_NR_STATS
#define KS_STAT_RB_DROPS SCHED_STAT_RB_DROPS
#define KS_EVENTS_BYTES (256 * 1024)
#include "bpf/collector.bpf.h"

/* The preempt count of the interrupted context. On x86 it is the per-CPU
 * variable __preempt_count (pcpu_hot was removed in 6.15). A typed
 * __ksym for it does not load here: per-CPU variables are missing from
 * kallsyms without CONFIG_KALLSYMS_ALL, and the verifier fails with
 * "ldimm64 failed to find the address for kernel symbol". So we reach it
 * from another per-CPU variable whose address we can get: this CPU's
 * struct rq (runqueues), via current->se.cfs_rq->rq. The distance between
 * both in the per-CPU section comes from vmlinux BTF (DATASEC
 * .data..percpu), set by the user side; pc_known false = unknown. */
const volatile bool pc_known = false;
const volatile __s64 pc_off_from_rq = 0;
/* The same way to the softirq pending word: the per-CPU variable
 * __softirq_pending on x86 since 6.15 (in pcpu_hot before, in irq_stat on
 * most other architectures); its size (2 or 4 bytes) from BTF too. */
const volatile __u32 pend_size = 0; /* 0: unknown */
const volatile __s64 pend_off_from_rq = 0;
/* The tick sampler (ks_sched_tick): the per-CPU __irq_regs (the
 * interrupted registers) relative to runqueues, and the scheduler tick's
 * hrtimer function (tick_nohz_handler, from kallsyms: written by the user
 * side after load, so that kallsyms need not be read before it); 0: not
 * used. */
const volatile __s64 irq_regs_off_from_rq = 0;
__u64 tick_fn = 0;

/* The running task. bpf_get_current_task_btf() (5.11) gives a pointer
 * read with plain loads; before it, bpf_get_current_task() gives a number
 * read with probe reads (TREAD(CUR_BTF, ...)). CUR_BTF is resolved when
 * the program loads, so the verifier never sees the helper a kernel lacks. */
#define CUR_BTF bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)

static __always_inline struct task_struct *cur_task(void)
{
	if (CUR_BTF)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

/* This CPU's struct rq, NULL when it cannot be told. */
static __always_inline struct rq *this_rq(__u32 cpu)
{
	struct task_struct *t;
	struct rq *rq;

	if (!bpf_core_field_exists(((struct cfs_rq *)0)->rq))
		return NULL;
	t = cur_task();
	rq = BPF_CORE_READ(t, se.cfs_rq, rq);
	if (!rq || BPF_CORE_READ(rq, cpu) != (int)cpu)
		return NULL;
	return rq;
}

/* A wait record (SCHED_EV_WAIT, SCHED_EV_ONGOING) of a task on CPU cpu,
 * reported from run_cpu: its head; the caller fills in the task. NULL when
 * the ring is full (counted). */
static __always_inline struct sched_event *wait_event(__u32 type, __u32 cpu, __u32 run_cpu, __u32 kind,
						      __u64 start_ns, __u64 wait_ns)
{
	struct sched_event *e = event_reserve(sizeof(*e));

	if (!e)
		return NULL;
	e->type = type;
	e->cpu = cpu;
	e->run_cpu = run_cpu;
	e->kind = kind;
	e->start_ns = start_ns;
	e->wait_ns = wait_ns;
	return e;
}

/* A record about a CPU, not a task (SCHED_EV_NETRX, SCHED_EV_SAMPLING,
 * SCHED_EV_IRQGAP with the task running now: cur): rare, so it always
 * wakes the consumer. */
static __always_inline void cpu_event(__u32 type, __u32 cpu, __u64 start_ns, __u64 dur_ns, bool cur)
{
	struct sched_event *e = event_reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->cpu = cpu;
	e->run_cpu = cpu;
	e->start_ns = start_ns;
	e->wait_ns = dur_ns;
	if (cur) {
		__u64 id = bpf_get_current_pid_tgid();
		e->cur_pid = id >> 32;
		e->cur_tid = (__u32)id;
		bpf_get_current_comm(e->cur_comm, TASK_COMM_LEN);
	}
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	stat_inc(SCHED_STAT_RECORDS);
}

/* Field reads that work in both program kinds: tp_btf hands us trusted
 * BTF pointers (plain loads), raw_tp plain numbers (probe reads). */
#define TREAD(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ((p), field))

/* task_struct::state was renamed __state in 5.14 (commit 2f064a59a11f,
 * "sched: Change task_struct::state"). */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *p, bool btf)
{
	if (bpf_core_field_exists(p->__state))
		return TREAD(btf, p, __state);
	return TREAD(btf, (struct task_struct___pre514 *)p, state);
}

/* The CPU of a task: thread_info::cpu since 5.16 (commit bcf9033e5449,
 * "sched: move CPU field back into thread_info if THREAD_INFO_IN_TASK");
 * task_struct::cpu on 5.3-5.15 with THREAD_INFO_IN_TASK. */
struct task_struct___pre516 {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_cpu(struct task_struct *p, bool btf)
{
	if (bpf_core_field_exists(p->thread_info.cpu))
		return TREAD(btf, p, thread_info.cpu);
	return TREAD(btf, (struct task_struct___pre516 *)p, cpu);
}

static __always_inline bool comm_has_prefix(const char *comm, const volatile char *pfx, __u32 len)
{
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (i >= len)
			return true;
		if (comm[i] != pfx[i])
			return false;
	}
	return true;
}

static __always_inline void read_comm(struct task_struct *p, char *dst, bool btf)
{
	if (btf)
		__builtin_memcpy(dst, p->comm, TASK_COMM_LEN);
	else
		bpf_probe_read_kernel(dst, TASK_COMM_LEN, &p->comm);
}

/* Is p one of the tasks we measure? Constant filters are pruned. */
static __always_inline bool task_passes(struct task_struct *p, bool btf)
{
	if (targ_tgid && TREAD(btf, p, tgid) != targ_tgid)
		return false;
	if (targ_comm_len) {
		char comm[TASK_COMM_LEN];

		read_comm(p, comm, btf);
		if (!comm_has_prefix(comm, targ_comm, targ_comm_len))
			return false;
	}
	return true;
}

static __always_inline bool cpu_passes(__u32 cpu)
{
	if (!filter_cpus)
		return true;
	if (cpu >= 1024)
		return false;
	return (targ_cpus[cpu / 64 & 15] >> (cpu % 64)) & 1;
}

#endif
