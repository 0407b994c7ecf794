/* sched.h — the contract between the sched collector's BPF side
 * (sched.bpf.c) and its user side (collect/sched*.c, lib/runwin.c).
 * Structs and constants, and the one rule both sides apply (which of two
 * policies a task is reported with). Include <linux/types.h> or vmlinux.h
 * first. */
#ifndef KS_BPF_SCHED_H
#define KS_BPF_SCHED_H
#include "abi/common.h"

/* Sizes of the per-CPU rings kept in BPF_F_MMAPABLE arrays; the user side
 * chooses the real length (a power of two) before load and passes the
 * mask in a const volatile. These are the defaults. */
#define SCHED_SEG_RING_DEFAULT    16384 /* run segments per CPU (24 B each) */
#define SCHED_SAMPLE_RING_DEFAULT 4096  /* sampler records per CPU (40 B each) */
#define SCHED_STACK_DEPTH         64    /* frames kept per stack */

/* Histogram classes (dimension of the per-CPU histograms). */
enum sched_hclass {
	SCHED_CLASS_ALL = 0,   /* every wait that passes the filters */
	SCHED_CLASS_COMM = 1,  /* waits of tasks whose comm starts with class_comm */
	SCHED_NR_CLASSES = 2,
};

/* How a task came to wait for a CPU. */
enum sched_wait_kind {
	SCHED_WAIT_WOKEN = 0,     /* woken (sched_wakeup / sched_wakeup_new) -> switched in */
	SCHED_WAIT_PREEMPTED = 1, /* switched out while still runnable -> switched in again */
	SCHED_NR_KINDS = 2,
};

/* Index of a per-CPU histogram in the hist_cpu array. */
#define SCHED_HIST_IDX(cpu, cls, kind) \
	(((cpu) * SCHED_NR_CLASSES + (cls)) * SCHED_NR_KINDS + (kind))

/* Keyed histograms (--by comm|pid): a hash map struct sched_hkey -> hist. */
enum sched_hist_by {
	SCHED_BY_NONE = 0, /* only the per-CPU histograms */
	SCHED_BY_COMM = 1, /* key: comm, tgid 0 */
	SCHED_BY_PID = 2,  /* key: tgid, comm of the first task seen */
};
struct sched_hkey {
	__u32 tgid;
	char comm[TASK_COMM_LEN];
};
#define SCHED_HKEYS_MAX 10240

/* One run segment: a task on a CPU from start_ns until the start of the
 * CPU's next segment (the newest one is still running). Written at
 * switch-in; seq is the low 32 bits of the segment's index in its CPU's
 * ring plus one, written last, so the reader can tell an entry that is
 * being overwritten. The comm is not here (see struct sched_comm). */
struct sched_seg {
	__u64 start_ns;
	__u32 seq;
	__u32 tid;
	__u32 pid;    /* tgid */
	__u16 policy; /* SCHED_NORMAL 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6 */
	__s16 prio;   /* kernel prio: 0-99 RT (lower is higher), 100-139 CFS */
};

/* A task whose policy changed while it ran (sched_setscheduler() on a
 * running FIFO busy loop that sets it back later) is reported with the
 * strongest policy seen: RT or deadline over the others, among those the
 * higher priority (the lower kernel prio). The BPF side applies it within
 * a segment, runwin over a task's segments in a window. */
static inline int sched_policy_is_rt(__u32 policy)
{
	return policy == 1 || policy == 2 || policy == 6; /* FIFO, RR, DEADLINE */
}

static inline int sched_policy_stronger(__u32 policy, __s32 prio, __u32 than, __s32 than_prio)
{
	return sched_policy_is_rt(policy) && (!sched_policy_is_rt(than) || prio < than_prio);
}

/* Per-CPU comm cache, a direct-mapped table indexed by tid: rewritten at
 * switch-in only when the slot holds another tid or another comm, so the
 * hot path mostly reads one cache line. Kernel threads are left out (their
 * /proc entry lasts). The reader takes an antagonist's comm from its CPU's
 * slot and falls back to /proc. */
#define SCHED_COMM_SLOTS 1024
struct sched_comm {
	__u32 tid;
	__u32 pid;
	char comm[TASK_COMM_LEN];
};

/* How each task last left a CPU, a direct-mapped table indexed by tid
 * (SCHED_KIND_SLOTS entries of a struct sched_kind). v: bits 0-31 the
 * tid, bit 32 set when it was still runnable (preempted, yielded), bits
 * 40-55 the CPU whose waiter slot holds the task, plus one (0: none). A
 * switch-in reads it to label its wait woken or preempted; a slot held by
 * another tid (a collision) labels the wait woken and is counted.
 * out_ns: CLOCK_MONOTONIC of its last preempted switch-out, where its
 * wait began (the kernel's last_queued can be older: see
 * docs/sampler.md, "The runqueue clock at a switch"). */
#define SCHED_KIND_SLOTS 65536
#define SCHED_KIND_PREEMPTED (1ULL << 32)
#define SCHED_KIND_WCPU_SHIFT 40
struct sched_kind {
	__u64 v;
	__u64 out_ns;
};

/* One sampler record: what ran on a CPU at ts_ns while a wait was long. */
#define SCHED_SAMPLE_USER 0x1    /* interrupted in user mode */
#define SCHED_SAMPLE_PC_VALID 0x2 /* preempt_count was read */
/* why the sample was taken (one or more) */
#define SCHED_SAMPLE_BY_WAITER 0x4 /* a task waited on this CPU longer than sample_after_ns */
#define SCHED_SAMPLE_BY_KERNEL 0x8 /* the running task was in the kernel that long, alone */
#define SCHED_SAMPLE_BY_NETRX 0x10 /* NET_RX pending on two ticks in a row of a kernel run */
#define SCHED_SAMPLE_BY_GAP 0x20   /* the first tick after a gap (SCHED_EV_IRQGAP) */
struct sched_sample {
	__u64 ts_ns;
	__u64 seq;          /* index in the CPU's sample ring plus one, written last */
	__u32 pid;
	__u32 tid;
	__s32 kstack_id;    /* in the stacks map; < 0: none */
	__s32 ustack_id;    /* user stack when interrupted in user mode; < 0: none */
	__u32 preempt_count; /* of the interrupted context (see SCHED_SAMPLE_PC_VALID) */
	__u32 flags;
};
/* preempt_count bits (include/linux/preempt.h) */
#define KS_PREEMPT_MASK 0x000000ffU
#define KS_SOFTIRQ_MASK 0x0000ff00U
#define KS_HARDIRQ_MASK 0x000f0000U

/* Clock calibration period (see struct sched_cpu::clk_off): the offset
 * drifts by the NTP slew (at most 500 ppm) between refreshes: <= 2 us,
 * the most a refresh may raise it by (SCHED_CLK_SLEW_NS). */
#define SCHED_CLK_CALIB_NS 4000000ULL
#define SCHED_CLK_SLEW_NS 2000ULL

/* struct sched_cpu::netrx bits */
#define SCHED_NETRX_PEND_KERN 0x1 /* NET_RX pending at the last tick of this kernel run */
#define SCHED_NETRX_HOLD      0x2 /* a NET_RX hold is open (line 3) */

/* Per-CPU state, one entry per CPU in an mmapable array: three cache
 * lines, one written by the CPU itself on every switch and tick, one
 * read by the wakeups on other CPUs and written rarely, so that a wakeup
 * does not pull a line the target CPU keeps writing, and one for the
 * NET_RX hold watch, touched only while NET_RX is seen pending. */
struct sched_cpu {
	/* line 1: this CPU's own, written by sched_switch and the sampler */
	__u64 seg_head;     /* segments written on this CPU so far */
	__u64 sample_head;  /* samples written on this CPU so far */
	__u64 cur_start_ns; /* when the running task was switched in */
	__u32 cur_tid;
	__u32 cur_policy;   /* of the running segment's task, as written */
	__s32 cur_prio;
	/* the sampler's kernel-run tracking (written only by the sampler):
	 * the segment (seg_head + 1) the run belongs to, when the task was
	 * first seen in the kernel without a user-mode tick since (0: its
	 * last tick was in user mode); SCHED_NETRX_* bits */
	__u32 netrx;
	__u64 kern_seg;
	__u64 kern_since_ns;
	__u64 rb_woke_ns;   /* when a record from this CPU last woke the consumer */
	/* line 2: read by other CPUs */
	__u32 waiter_tid;   /* the oldest task known to wait for this CPU (0: none) */
	__u32 waiter_pid;
	__u64 waiter_since_ns;
	__u32 waiter_kind;
	__u32 waiter_pp;    /* its policy << 16 | kernel prio, for ongoing reports */
	char waiter_comm[TASK_COMM_LEN];
	__u64 waiter_reported; /* waiter_since_ns of the last ongoing report */
	/* the clock: the kernel's last_queued stamps are on the runqueue
	 * clock (sched_clock); CLOCK_MONOTONIC = rq clock + clk_off, the
	 * smallest difference seen at a switch (a stale rq clock only makes
	 * it larger), restarted every SCHED_CLK_CALIB_NS of rq clock (clk_at:
	 * when) */
	__u64 clk_off;
	__u64 clk_at;
	/* line 3: NET_RX held off (netrx_holds), while SCHED_NETRX_HOLD:
	 * NET_RX was pending, with the CPU's NET_RX run count at hold_runs,
	 * at every look from hold_first_ns to hold_last_ns (ticks, and
	 * switches to idle) */
	__u64 hold_first_ns;
	__u64 hold_last_ns;
	__u32 hold_runs;
	__u32 _pad2;
	/* the sampler's last record on this CPU (see SCHED_EV_SAMPLING) */
	__u64 last_sample_ns;
	/* the sampler's last run on this CPU, the task it interrupted and
	 * that task's context-switch count (nvcsw + nivcsw) then: the same
	 * task with the same count gap_ns or more later took no timer
	 * interrupt meanwhile (tick_gap). cur_nsw: the count of the task
	 * switched in at cur_start_ns. */
	__u64 tick_last_ns;
	__u32 tick_last_tid;
	__u32 tick_last_nsw;
	__u32 cur_nsw;
	__u32 _pad4;
	/* the run (its cur_start_ns) for which the sampler last looked for a
	 * waiter older than the slot's (waiter_adopt) */
	__u64 oldest_run;
};
#define SCHED_CPU_SIZE 192 /* checked on the user side */

/* NET_RX holds that ended, per CPU and interval (double-buffered by the
 * bss word netrx_gen): how many were seen at two looks or more, and the
 * longest, as reported (see bpf/sched/netrx.bpf.h: netrx_hold_end). */
struct sched_netrx_stat {
	__u64 holds;
	__u64 max_ns;
};

/* A slow-wait record wakes the consumer only if none from this CPU did in
 * the last SCHED_RB_WAKE_NS; the others wait for the drain that follows
 * each wakeup (collect/sched.c: backstop_arm). Ongoing reports always
 * wake it. */
#define SCHED_RB_WAKE_NS 50000000ULL

/* Ring-buffer record types */
enum sched_event_type {
	SCHED_EV_WAIT = 1,    /* a wait above the threshold ended */
	SCHED_EV_ONGOING = 2, /* a wait passed ongoing_ns and still lasts */
	SCHED_EV_NETRX = 3,   /* NET_RX was held off at least threshold_ns (no task: pid 0) */
	SCHED_EV_SAMPLING = 4, /* the sampler started on a CPU (its first record after
				* SCHED_RB_WAKE_NS without one): wakes the consumer, which
				* looks at the BPF programs loaded now (one may be the stall) */
	SCHED_EV_IRQGAP = 5,  /* a CPU running one task took no timer interrupt for at
				* least gap_ns: interrupts were off, or (on a VM) the vCPU
				* did not run. start_ns: the tick before, wait_ns: the gap;
				* cur_*: the task (pid 0, no comm) */
};

struct sched_event {
	__u32 type;      /* enum sched_event_type */
	__u32 cpu;       /* CPU the task waited for */
	__u32 run_cpu;   /* CPU it finally ran on (ongoing: == cpu) */
	__u32 kind;      /* enum sched_wait_kind */
	__u64 start_ns;  /* when the wait began */
	__u64 wait_ns;   /* its length (ongoing: so far) */
	__u32 pid;       /* the waiting task */
	__u32 tid;
	char comm[TASK_COMM_LEN];
	__u32 cur_pid;   /* ongoing: the task running on cpu now */
	__u32 cur_tid;
	char cur_comm[TASK_COMM_LEN];
	__s32 prio;      /* the waiting task's kernel prio and policy (final waits; */
	__u32 policy;    /* 0/0 = unknown: ongoing, NET_RX and silence records) */
};

/* Counters, one per-CPU array entry; summed by the user side. */
enum sched_stat {
	SCHED_STAT_WAKEUPS = 0,   /* wakeups stamped (after filters; our own stamps only) */
	SCHED_STAT_NORQ,          /* switches skipped: this CPU's runqueue could not be read */
	SCHED_STAT_WAITS,         /* waits measured (after filters): summed from the histograms */
	SCHED_STAT_RECORDS,       /* records sent through the ring buffer */
	SCHED_STAT_RB_DROPS,      /* records lost: ring buffer full */
	SCHED_STAT_HKEY_DROPS,    /* waits not in keyed histograms: hash full */
	SCHED_STAT_SAMPLES,       /* sampler records written */
	SCHED_STAT_STACK_ERRS,    /* bpf_get_stackid failures */
	SCHED_STAT_NOSTAMP,       /* switch-ins with no known runnable time */
	SCHED_STAT_STALE,         /* stamps dropped at switch-in: taken before the task's last switch-out */
	SCHED_STAT_KIND_MISS,     /* waits labelled woken because the kind slot held another tid */
	SCHED_STAT_TICKS,         /* scheduler ticks seen by the tick sampler */
	SCHED_STAT_UNSEEN,        /* switches whose prev is not the task seen switching in:
				   * a switch on that CPU never reached sched_switch */
	SCHED_STAT_UNSEEN_WAIT,   /* waits ended by such a switch, recovered from the kernel's stamp */
	SCHED_NR_STATS,
};

#endif
