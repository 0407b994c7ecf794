// SPDX-License-Identifier: GPL-2.0
/* sched.bpf.c — the sched collector, kernel side: when tasks become
 * runnable and when they run (waits -> histograms, slow ones -> ring
 * buffer), per-CPU rings of run segments (who ran when), and a stall
 * sampler. Aggregates in the kernel; must stay cheap on sched_switch. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "hist.bpf.h"
#include "sched.h"

#define barrier() asm volatile("" ::: "memory")
#define PF_KTHREAD 0x00200000 /* include/linux/sched.h: a kernel thread */

char LICENSE[] SEC("license") = "GPL";

/* Parameters, set by collect/sched.c before load (the verifier prunes
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

/* When a task became runnable: 0 = not waiting. nsw is the task's
 * context-switch count (nvcsw + nivcsw) when stamped: a wait is only
 * valid while the task has not switched since (see stamp_valid). */
struct wstamp {
	__u64 ts;
	__u32 cpu;
	__u32 kind;
	__u64 nsw;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wstamp);
} stamps_ts SEC(".maps");

/* raw_tp fallback: its task pointers are plain numbers, which task
 * storage does not take; a hash by tid does. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* resized to 65536 when used */
	__type(key, __u32);
	__type(value, struct wstamp);
} stamps_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* nr_cpus * seg_ring */
	__type(key, __u32);
	__type(value, struct sched_seg);
} segs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_COMM_SLOTS);
	__type(key, __u32);
	__type(value, struct sched_comm);
} comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SCHED_KIND_SLOTS);
	__type(key, __u32);
	__type(value, struct sched_kind);
} kinds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* nr_cpus * sample_ring */
	__type(key, __u32);
	__type(value, struct sched_sample);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* nr_cpus */
	__type(key, __u32);
	__type(value, struct sched_cpu);
} cpus SEC(".maps");

/* Indexed by SCHED_HIST_IDX(run cpu, class, kind): only the CPU itself
 * writes its entries, so a plain array is race-free. Mmapable only for
 * its page-aligned values: 256-byte entries then start on a cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* nr_cpus * classes * kinds */
	__type(key, __u32);
	__type(value, struct hist);
} hist_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1); /* SCHED_HKEYS_MAX when hist_by is set */
	__type(key, struct sched_hkey);
	__type(value, struct hist);
} hist_keyed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1); /* 4096 with the sampler */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SCHED_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

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
/* The NET_RX hold watch (netrx_look): on, this CPU's NET_RX run count
 * (kstat.softirqs[NET_RX_SOFTIRQ]) relative to runqueues as above, half
 * the sampler's period (written after attach, 0: unknown) and which half
 * of netrx_stats the holds go to (flipped by the user side). */
const volatile bool netrx_holds = false;
const volatile __s64 netrx_runs_off_from_rq = 0;
__u64 netrx_pad_ns = 0;
__u32 netrx_gen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct sched_netrx_stat);
} netrx_stats SEC(".maps");

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

static __always_inline bool read_preempt_count(struct rq *rq, __u32 *out)
{
	int pc;

	if (!pc_known || !rq)
		return false;
	if (bpf_probe_read_kernel(&pc, sizeof(pc), (char *)rq + pc_off_from_rq))
		return false;
	*out = (__u32)pc;
	return true;
}

/* Is NET_RX raised and not yet served on this CPU? */
static __always_inline bool netrx_pending(struct rq *rq)
{
	__u32 w = 0;

	if (!pend_size || pend_size > 4 || !rq)
		return false;
	if (bpf_probe_read_kernel(&w, pend_size == 2 ? 2 : 4, (char *)rq + pend_off_from_rq))
		return false;
	return (w >> NET_RX_SOFTIRQ) & 1;
}

static __always_inline void stat_inc(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &i);

	if (v)
		(*v)++;
}

/* ---- NET_RX held off, watched at the tick ---------------------------------
 * Tracing every NET_RX raise and entry costs two programs per packet
 * burst (~130k each a second under veth TCP here, 2 % of the machine).
 * The doctor needs only the holds that last: NET_RX pending at two looks
 * (ticks, or a switch to idle) with no NET_RX run in between (the CPU's
 * run count unchanged) was held off all that time: bottom halves or
 * interrupts off, or ksoftirqd not run. A look costs one read of the
 * pending word, and one more of the run count while it is pending. */

/* A record about a CPU, not a task (SCHED_EV_NETRX, SCHED_EV_SAMPLING,
 * SCHED_EV_IRQGAP with the task running now: cur): rare, so it always
 * wakes the consumer. */
static __always_inline void cpu_event(__u32 type, __u32 cpu, __u64 start_ns, __u64 dur_ns, bool cur)
{
	struct sched_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(SCHED_STAT_RB_DROPS);
		return;
	}
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

/* A hold ends: NET_RX ran, or is no longer pending, between the last
 * look that saw it held and now. It was raised after the look before
 * hold_first_ns, so the report is [first - pad, last + pad] (pad: half
 * the period between looks), clipped to now: too long or too short by
 * at most a period, by nothing on average. A hold seen at one look only
 * lasted less than about two periods and is not counted. */
static __always_inline void netrx_hold_end(struct sched_cpu *c, __u32 cpu, __u64 now)
{
	__u64 first = c->hold_first_ns, last = c->hold_last_ns, pad = netrx_pad_ns;
	__u64 start = first > pad ? first - pad : first, end = last + pad, dur;
	__u32 idx = netrx_gen & 1;
	struct sched_netrx_stat *st;

	c->netrx &= ~SCHED_NETRX_HOLD;
	if (last <= first)
		return;
	if (end > now)
		end = now;
	if (end <= start)
		return;
	dur = end - start;
	st = bpf_map_lookup_elem(&netrx_stats, &idx);
	if (st) {
		st->holds++;
		if (dur > st->max_ns)
			st->max_ns = dur;
	}
	if (threshold_ns && dur >= threshold_ns)
		cpu_event(SCHED_EV_NETRX, cpu, start, dur, false);
}

/* One look at NET_RX on this CPU at now; pend: its pending bit, just
 * read. */
static __always_inline void netrx_look(struct sched_cpu *c, struct rq *rq, __u32 cpu, bool pend, __u64 now)
{
	__u32 runs = 0;

	if (pend && bpf_probe_read_kernel(&runs, sizeof(runs), (char *)rq + netrx_runs_off_from_rq))
		pend = false;
	if (c->netrx & SCHED_NETRX_HOLD) {
		if (pend && runs == c->hold_runs) {
			c->hold_last_ns = now;
			return;
		}
		netrx_hold_end(c, cpu, now);
	}
	if (pend) {
		c->hold_first_ns = now;
		c->hold_last_ns = now;
		c->hold_runs = runs;
		c->netrx |= SCHED_NETRX_HOLD;
	}
}

/* The CPU goes idle with a hold open: its tick may stop now, so look
 * whether the hold ended. rq: NULL to look it up. */
static __always_inline void netrx_idle_look(struct sched_cpu *c, struct rq *rq, __u32 cpu, __u64 now)
{
	if (!rq)
		rq = this_rq(cpu);
	if (rq)
		netrx_look(c, rq, cpu, netrx_pending(rq), now);
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

static __always_inline struct wstamp *stamp_get(struct task_struct *p, bool btf, bool create)
{
	if (btf)
		return bpf_task_storage_get(&stamps_ts, p, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	__u32 tid = BPF_CORE_READ(p, pid);
	struct wstamp *s = bpf_map_lookup_elem(&stamps_hash, &tid);
	if (!s && create) {
		struct wstamp zero = {};
		bpf_map_update_elem(&stamps_hash, &tid, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stamps_hash, &tid);
	}
	return s;
}

/* The task's context switches so far. __schedule() counts a switch
 * (nvcsw or nivcsw) before it fires sched_switch, so a preempted stamp
 * taken there already includes it; a task's next switch-out changes it. */
static __always_inline __u64 task_nsw(struct task_struct *p, bool btf)
{
	return TREAD(btf, p, nvcsw) + TREAD(btf, p, nivcsw);
}

/* A stamp belongs to the task's current runnable period only if the task
 * has not switched out since it was taken. A stamp taken while the task
 * was still on a CPU (measured: wakeups from another CPU that read
 * p->on_cpu 0 while the task ran, then went to sleep without a switch-in
 * between) or one whose switch-in was not seen would otherwise survive
 * its sleep, be kept by the next wakeup, and turn the next wait into one
 * as long as the sleep: the false 100 ms - 1 s waits on idle CPUs. */
static __always_inline bool stamp_valid(const struct wstamp *s, struct task_struct *p, bool btf)
{
	return s->ts && s->nsw == task_nsw(p, btf);
}

/* Remember p as the CPU's oldest known waiter (for the sampler and the
 * ongoing reports) unless one is already there. Returns true when p took
 * the slot. Callers skip a task alone on its runqueue (rq_crowded): it
 * runs at once, and the wakeup then makes no cross-CPU write. */
static __always_inline bool waiter_set(struct sched_cpu *c, struct task_struct *p, __u64 since,
				       __u32 kind, bool btf)
{
	if (!c || c->waiter_tid)
		return false;
	c->waiter_since_ns = since;
	c->waiter_pid = TREAD(btf, p, tgid);
	c->waiter_kind = kind;
	c->waiter_pp = (__u32)TREAD(btf, p, policy) << 16 | ((__u32)TREAD(btf, p, prio) & 0xffff);
	read_comm(p, c->waiter_comm, btf);
	c->waiter_tid = TREAD(btf, p, pid);
	return true;
}

/* Is prev the task we saw switch in here? Not when a switch on this CPU
 * never reached sched_switch (these machines: the sandbox agent's threads
 * switching out, doctor.md "Silences"); its run segment then also covers
 * the time until the next tick puts it right (seg_resync), or until this
 * switch. Counted. */
static __always_inline void prev_check(const struct sched_cpu *c, __u32 prev_tid)
{
	if (c->cur_tid != prev_tid && c->cur_start_ns)
		stat_inc(SCHED_STAT_UNSEEN);
}

/* A switch from prev to next: neither waits here any more. Cleared before
 * prev may take the slot (preempted). Cleared after, a task woken while
 * the victim ran took the slot, preempted the victim, and left it waiting
 * unremembered for as long as it ran: no waiter samples and no ongoing
 * report for a whole hog run (test_runq, FIFO and BH-off hogs). */
static __always_inline void waiter_leave(struct sched_cpu *c, __u32 prev_tid, __u32 next_tid)
{
	__u32 w = c->waiter_tid;

	if (w && (w == prev_tid || w == next_tid))
		c->waiter_tid = 0;
}

/* Will p, just woken onto its runqueue, wait there? Not if it is alone
 * on it: nr_running counts p and the running task, so an idle CPU with
 * only p runs it at once. Checking "the CPU is idle" instead missed a
 * victim woken onto an idle CPU where a hog had just been queued and
 * then ran first for 500 ms (CI: no ongoing report for that stall).
 * Without cfs_rq->rq: whether we saw a task switch in here. */
static __always_inline bool rq_crowded(struct task_struct *p, const struct sched_cpu *c, bool btf)
{
	if (!bpf_core_field_exists(((struct cfs_rq *)0)->rq))
		return c->cur_tid != 0;
	struct rq *rq = btf ? p->se.cfs_rq->rq : BPF_CORE_READ(p, se.cfs_rq, rq);
	if (!rq)
		return false;
	return (btf ? rq->nr_running : BPF_CORE_READ(rq, nr_running)) >= 2;
}

/* The kernel's run-delay bookkeeping: enqueue_task() stamps
 * p->sched_info.last_queued with the runqueue clock unless it is set,
 * __schedule() fires sched_switch before sched_info_switch() reads and
 * clears it for next (and stamps prev if still runnable); a migration
 * restarts it on the new runqueue. The runqueue itself is reached from
 * the running task (se.cfs_rq->rq, CONFIG_FAIR_GROUP_SCHED). */
static __always_inline bool fast_path(bool btf)
{
	return btf && sched_info_ok &&
	       bpf_core_field_exists(((struct task_struct *)0)->sched_info.last_queued) &&
	       bpf_core_field_exists(((struct cfs_rq *)0)->rq);
}

/* Record how tid left its CPU (see SCHED_KIND_SLOTS). Written only when
 * it changes: a task that always blocks the same way only reads. */
static __always_inline void kind_note(__u32 tid, __u64 v)
{
	__u32 k = tid & (SCHED_KIND_SLOTS - 1);
	struct sched_kind *e = bpf_map_lookup_elem(&kinds, &k);

	v |= tid;
	if (e && e->v != v)
		e->v = v;
}

/* A preempted switch-out: its kind, and the true start of its wait
 * (out_ns, CLOCK_MONOTONIC), written every time. */
static __always_inline void kind_note_out(__u32 tid, __u64 v, __u64 out_ns)
{
	__u32 k = tid & (SCHED_KIND_SLOTS - 1);
	struct sched_kind *e = bpf_map_lookup_elem(&kinds, &k);

	if (!e)
		return;
	v |= tid;
	if (e->v != v)
		e->v = v;
	e->out_ns = out_ns;
}

/* The kind of next's wait from its slot (KIND_UNKNOWN added when the
 * slot holds another tid), and for a preempted one where it began
 * (*out_ns); clears the waiter slot of the CPU it was remembered on if
 * that is not this one (it migrated). */
#define KIND_UNKNOWN 2u
static __always_inline __u32 kind_take(__u32 tid, __u32 cpu, __u64 *out_ns)
{
	__u32 k = tid & (SCHED_KIND_SLOTS - 1);
	struct sched_kind *e = bpf_map_lookup_elem(&kinds, &k);
	__u64 v;

	*out_ns = 0;
	if (!e)
		return SCHED_WAIT_WOKEN;
	v = e->v;
	if ((__u32)v != tid)
		return SCHED_WAIT_WOKEN | KIND_UNKNOWN;
	if (v & SCHED_KIND_PREEMPTED)
		*out_ns = e->out_ns;
	__u32 w = (v >> SCHED_KIND_WCPU_SHIFT) & 0xffff;
	if (w && w - 1 != cpu) {
		w--;
		struct sched_cpu *wc = bpf_map_lookup_elem(&cpus, &w);
		if (wc && wc->waiter_tid == tid)
			wc->waiter_tid = 0;
	}
	return (v & SCHED_KIND_PREEMPTED) ? SCHED_WAIT_PREEMPTED : SCHED_WAIT_WOKEN;
}

static __always_inline int on_wakeup(struct task_struct *p, bool btf)
{
	if (!task_passes(p, btf))
		return 0;
	/* Woken while still on its CPU (before it got to sleep): it does
	 * not wait for a CPU. */
	if (TREAD(btf, p, on_cpu))
		return 0;
	__u32 cpu = task_cpu(p, btf);
	if (!cpu_passes(cpu))
		return 0;
	if (fast_path(btf)) {
		/* The wait itself needs nothing here: only the waiter slot. */
		struct sched_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
		if (!c || c->waiter_tid || !rq_crowded(p, c, true))
			return 0;
		__u64 lq = p->sched_info.last_queued;
		__u64 since = lq && c->clk_at ? lq + c->clk_off : bpf_ktime_get_ns();
		if (waiter_set(c, p, since, SCHED_WAIT_WOKEN, btf))
			kind_note(p->pid, (__u64)(cpu + 1) << SCHED_KIND_WCPU_SHIFT);
		return 0;
	}
	stat_inc(SCHED_STAT_WAKEUPS);
	struct wstamp *s = stamp_get(p, btf, true);
	if (!s)
		return 0;
	/* A wakeup of a task that is already runnable (ttwu_runnable) must
	 * not restart its wait: keep the older stamp, if it is still the
	 * current one (the task has not switched since). */
	if (stamp_valid(s, p, btf))
		return 0;
	__u64 now = bpf_ktime_get_ns();
	s->ts = now;
	s->cpu = cpu;
	s->kind = SCHED_WAIT_WOKEN;
	s->nsw = task_nsw(p, btf);
	struct sched_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	if (c && !c->waiter_tid && rq_crowded(p, c, btf))
		waiter_set(c, p, now, SCHED_WAIT_WOKEN, btf);
	return 0;
}

static __always_inline void hist_update(__u32 idx, __u64 wait_ns)
{
	struct hist *h = bpf_map_lookup_elem(&hist_cpu, &idx);

	if (h)
		hist_add(h, wait_ns);
}

static __always_inline void keyed_update(struct task_struct *p, const char *comm, __u64 wait_ns,
					 bool btf)
{
	struct sched_hkey k = {};
	struct hist *h;

	if (hist_by == SCHED_BY_PID)
		k.tgid = TREAD(btf, p, tgid);
	__builtin_memcpy(k.comm, comm, TASK_COMM_LEN);
	h = bpf_map_lookup_elem(&hist_keyed, &k);
	if (!h) {
		static const struct hist zero;
		if (bpf_map_update_elem(&hist_keyed, &k, &zero, BPF_NOEXIST) && !bpf_map_lookup_elem(&hist_keyed, &k)) {
			stat_inc(SCHED_STAT_HKEY_DROPS);
			return;
		}
		h = bpf_map_lookup_elem(&hist_keyed, &k);
		if (!h)
			return;
	}
	hist_add(h, wait_ns);
}

static __always_inline void emit_wait(struct sched_cpu *c, struct task_struct *p, const char *comm,
				      __u32 wcpu, __u32 kind, __u64 start_ns, __u32 cpu, __u64 wait_ns,
				      bool btf)
{
	struct sched_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(SCHED_STAT_RB_DROPS);
		return;
	}
	e->type = SCHED_EV_WAIT;
	e->cpu = wcpu;
	e->run_cpu = cpu;
	e->kind = kind;
	e->start_ns = start_ns;
	e->wait_ns = wait_ns;
	e->pid = TREAD(btf, p, tgid);
	e->tid = TREAD(btf, p, pid);
	__builtin_memcpy(e->comm, comm, TASK_COMM_LEN);
	/* whether its wait was CFS weighting as designed (a nice'd waiter
	 * behind a heavier task) is the user side's call */
	e->prio = TREAD(btf, p, prio);
	e->policy = TREAD(btf, p, policy);
	e->cur_pid = 0;
	e->cur_tid = 0;
	__builtin_memset(e->cur_comm, 0, TASK_COMM_LEN);
	/* see SCHED_RB_WAKE_NS (c: this CPU's, the one switching) */
	__u64 now = start_ns + wait_ns, flags = BPF_RB_NO_WAKEUP;
	if (now - c->rb_woke_ns >= SCHED_RB_WAKE_NS) {
		c->rb_woke_ns = now;
		flags = 0;
	}
	bpf_ringbuf_submit(e, flags);
	stat_inc(SCHED_STAT_RECORDS);
}

/* A wait ended: histograms, and a record past the threshold. comm is
 * next's, read once at switch-in; c is the switching CPU's state. */
static __always_inline void wait_done(struct sched_cpu *c, struct task_struct *next, const char *comm,
				      __u32 wcpu, __u32 kind, __u64 start_ns, __u32 cpu, __u64 wait_ns,
				      bool btf)
{
	kind &= 1; /* counted by the histogram (SCHED_STAT_WAITS: its count) */
	hist_update(SCHED_HIST_IDX(cpu, SCHED_CLASS_ALL, kind), wait_ns);
	if (class_comm_len && comm_has_prefix(comm, class_comm, class_comm_len))
		hist_update(SCHED_HIST_IDX(cpu, SCHED_CLASS_COMM, kind), wait_ns);
	if (hist_by != SCHED_BY_NONE)
		keyed_update(next, comm, wait_ns, btf);
	if (threshold_ns && wait_ns > threshold_ns)
		emit_wait(c, next, comm, wcpu, kind, start_ns, cpu, wait_ns, btf);
}

/* A policy change without a switch (see sched_policy_stronger): a
 * segment keeps the strongest policy seen in it, looked at on switch-in,
 * by the sampler and on switch-out. */
static __always_inline void seg_policy_seen(struct sched_seg *g, __u32 policy, int prio)
{
	if (sched_policy_stronger(policy, prio, g->policy, g->prio)) {
		g->policy = policy;
		g->prio = prio;
	}
}

/* prev leaves the CPU: if its policy changed while it ran, let its
 * segment know (one compare when it did not). */
static __always_inline void seg_close(struct sched_cpu *c, __u32 cpu, struct task_struct *prev,
				      __u32 prev_tid, bool btf)
{
	__u32 policy = TREAD(btf, prev, policy);
	int prio = TREAD(btf, prev, prio);
	__u64 head = c->seg_head;

	if ((policy == c->cur_policy && prio == c->cur_prio) || !head)
		return;
	__u32 idx = cpu * seg_ring + ((head - 1) & seg_mask);
	struct sched_seg *g = bpf_map_lookup_elem(&segs, &idx);
	if (g && g->tid == prev_tid)
		seg_policy_seen(g, policy, prio);
}

/* next takes the CPU at now: a new run segment (it closes the previous
 * one). */
static __always_inline void seg_open(struct sched_cpu *c, __u32 cpu, struct task_struct *next,
				     __u32 next_tid, __u64 now, bool btf)
{
	__u64 head = c->seg_head;
	__u32 idx = cpu * seg_ring + (head & seg_mask);
	struct sched_seg *g = bpf_map_lookup_elem(&segs, &idx);
	__u32 policy = TREAD(btf, next, policy);
	int prio = TREAD(btf, next, prio);

	c->cur_start_ns = now;
	c->cur_tid = next_tid;
	c->cur_nsw = (__u32)(TREAD(btf, next, nvcsw) + TREAD(btf, next, nivcsw));
	c->cur_policy = policy;
	c->cur_prio = prio;
	if (g) {
		g->seq = 0; /* being rewritten */
		barrier();
		g->start_ns = now;
		g->tid = next_tid;
		g->pid = TREAD(btf, next, tgid);
		g->policy = policy;
		g->prio = prio;
		barrier();
		g->seq = (__u32)(head + 1);
		c->seg_head = head + 1;
	}
}

/* next's comm (cm, as read at switch-in) into the comm cache, unless its
 * slot has it: mostly one read of a line. Kernel threads stay out: their
 * /proc entry lasts, and a busy one (migration/N, which moves a task off
 * a CPU as it ends) would evict the task it shares a slot with, whose
 * /proc entry may already be gone. */
static __always_inline void comm_note(struct task_struct *next, __u32 next_tid, const __u64 cm[2],
				      bool btf)
{
	__u32 k = next_tid & (SCHED_COMM_SLOTS - 1);
	struct sched_comm *e = bpf_map_lookup_elem(&comms, &k);

	if (!e)
		return;
	__u64 *ec = (__u64 *)e->comm;
	if (e->tid == next_tid && ec[0] == cm[0] && ec[1] == cm[1])
		return;
	if (TREAD(btf, next, flags) & PF_KTHREAD)
		return;
	e->tid = next_tid;
	e->pid = TREAD(btf, next, tgid);
	ec[0] = cm[0];
	ec[1] = cm[1];
}

/* next takes the CPU at now: its segment, its comm (read once into cm:
 * the cache, the filters and the records use it). False for the idle
 * task. */
static __always_inline bool next_in(struct sched_cpu *c, __u32 cpu, struct task_struct *next,
				    __u32 next_tid, __u64 now, __u64 cm[2], bool btf)
{
	seg_open(c, cpu, next, next_tid, now, btf);
	if (!next_tid)
		return false;
	read_comm(next, (char *)cm, btf);
	comm_note(next, next_tid, cm, btf);
	return true;
}

/* CLOCK_MONOTONIC minus the runqueue clock, for this CPU: the smallest
 * difference seen at a switch since the window began. The rq clock at
 * sched_switch can be stale: a wakeup that preempts the running task asks
 * the next __schedule() to skip its clock update (rq_clock_skip_update),
 * and that switch sees the clock of the wakeup, 2-16 us old here; a stale
 * clock only makes the difference larger. A new window (every
 * SCHED_CLK_CALIB_NS) starts from this switch's difference, raised by at
 * most the NTP slew over a window, so that a stale switch cannot move the
 * offset by more than that. */
static __always_inline __u64 clk_sync(struct sched_cpu *c, __u64 clk, __u64 kt)
{
	__u64 d = kt - clk;

	if (!c->clk_at) {
		c->clk_off = d;
		c->clk_at = clk;
	} else if (clk - c->clk_at >= SCHED_CLK_CALIB_NS) {
		__u64 lim = c->clk_off + SCHED_CLK_SLEW_NS;
		c->clk_off = (__s64)(d - lim) < 0 ? d : lim;
		c->clk_at = clk;
	} else if ((__s64)(d - c->clk_off) < 0) {
		c->clk_off = d;
	}
	return c->clk_off;
}

/* The hot path: sched_switch on a kernel with sched_info and tp_btf. One
 * clock call (the runqueue clock is not always fresh here: clk_sync), no
 * task storage (a wait starts at the kernel's own stamp), plain array
 * slots for the rest. */
static __always_inline int on_switch_fast(struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct sched_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	struct rq *rq;

	if (!c)
		return 0;
	rq = prev->se.cfs_rq->rq;
	if (!rq || rq->cpu != (int)cpu) {
		stat_inc(SCHED_STAT_NORQ);
		return 0;
	}
	__u64 clk = rq->clock, now = bpf_ktime_get_ns();
	__u64 off = clk_sync(c, clk, now);

	/* prev: still runnable means preempted (or yielded); the kernel
	 * stamps its sched_info with this clock value after us, which is
	 * older than now when the clock update was skipped: the wait starts
	 * now (out_ns), or later if it migrates (its last_queued restarts). */
	__u32 prev_tid = prev->pid;
	prev_check(c, prev_tid);
	waiter_leave(c, prev_tid, next->pid);
	if (prev_tid) {
		if (task_state(prev, true) == 0 /* TASK_RUNNING */) {
			__u64 v = SCHED_KIND_PREEMPTED;
			if (task_passes(prev, true) && cpu_passes(cpu) &&
			    waiter_set(c, prev, now, SCHED_WAIT_PREEMPTED, true))
				v |= (__u64)(cpu + 1) << SCHED_KIND_WCPU_SHIFT;
			kind_note_out(prev_tid, v, now);
		} else {
			kind_note(prev_tid, 0);
		}
		seg_close(c, cpu, prev, prev_tid, true);
	}

	__u32 next_tid = next->pid;
	__u64 cm[2];
	if (!next_tid && (c->netrx & SCHED_NETRX_HOLD))
		netrx_idle_look(c, rq, cpu, now);
	if (!next_in(c, cpu, next, next_tid, now, cm, true))
		return 0;

	/* next: the end of its wait. Its kind slot is taken before the
	 * filters: a task remembered as the waiter of a watched CPU that
	 * migrated and runs on an unwatched one must leave that CPU's slot
	 * (-C 1: a stale slot there, already reported, kept every later
	 * wait on CPU 1 from being reported while it lasted). */
	__u64 out_ns;
	__u32 kind = kind_take(next_tid, cpu, &out_ns);
	if (!task_passes(next, true) || !cpu_passes(cpu))
		return 0;
	__u64 lq = next->sched_info.last_queued;
	if (!lq || lq > clk) {
		stat_inc(SCHED_STAT_NOSTAMP);
		return 0;
	}
	if (kind & KIND_UNKNOWN)
		stat_inc(SCHED_STAT_KIND_MISS);
	/* ends now, not at clk: a woken task that preempts the running one
	 * is switched in by a __schedule() that skipped the clock update, and
	 * clk - lq came out ~0 for waits of microseconds */
	__u64 start = lq + off;
	if (out_ns > start)
		start = out_ns;
	wait_done(c, next, (const char *)cm, cpu, kind, start, cpu, now > start ? now - start : 0, true);
	return 0;
}

/* sched_switch elsewhere (raw_tp, or no sched_info): our own stamps in
 * task storage (a hash by tid for raw_tp) and bpf_ktime_get_ns(). */
static __always_inline int on_switch_stamps(struct task_struct *prev, struct task_struct *next,
					    bool btf)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 cpu = bpf_get_smp_processor_id();
	struct sched_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	struct wstamp *s;

	if (!c)
		return 0;

	/* prev: still runnable means preempted, its wait starts now. A
	 * task going to sleep keeps whatever stamp it has: instead of a
	 * lookup per switch here, the stamp carries the task's switch count
	 * and is ignored once that moved on (stamp_valid). A task that ran
	 * here was not waiting: drop it from the waiter slot. */
	__u32 prev_tid = TREAD(btf, prev, pid);
	prev_check(c, prev_tid);
	waiter_leave(c, prev_tid, TREAD(btf, next, pid));
	if (task_state(prev, btf) == 0 /* TASK_RUNNING */ && prev_tid &&
	    task_passes(prev, btf) && cpu_passes(cpu)) {
		s = stamp_get(prev, btf, true);
		if (s) {
			s->ts = now;
			s->cpu = cpu;
			s->kind = SCHED_WAIT_PREEMPTED;
			s->nsw = task_nsw(prev, btf);
			waiter_set(c, prev, now, SCHED_WAIT_PREEMPTED, btf);
		}
	}
	if (prev_tid)
		seg_close(c, cpu, prev, prev_tid, btf);

	__u32 next_tid = TREAD(btf, next, pid);
	__u64 cm[2];
	if (!next_tid && (c->netrx & SCHED_NETRX_HOLD))
		netrx_idle_look(c, NULL, cpu, now);
	if (!next_in(c, cpu, next, next_tid, now, cm, btf))
		return 0;

	/* next: the end of its wait */
	s = stamp_get(next, btf, false);
	if (!s || !s->ts) {
		stat_inc(SCHED_STAT_NOSTAMP);
		return 0;
	}
	if (!stamp_valid(s, next, btf)) {
		/* stale: the task switched out since (see stamp_valid) */
		s->ts = 0;
		stat_inc(SCHED_STAT_STALE);
		return 0;
	}
	__u32 wcpu = s->cpu;
	struct sched_cpu *wc = wcpu == cpu ? c : bpf_map_lookup_elem(&cpus, &wcpu);
	if (wc && wc->waiter_tid == next_tid)
		wc->waiter_tid = 0;
	wait_done(c, next, (const char *)cm, wcpu, s->kind, s->ts, cpu, now - s->ts, btf);
	s->ts = 0;
	return 0;
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next, bool btf)
{
	if (fast_path(btf))
		return on_switch_fast(prev, next);
	return on_switch_stamps(prev, next, btf);
}

/* TP_PROTO(struct task_struct *p) */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(ks_sched_wakeup, struct task_struct *p)
{
	return on_wakeup(p, true);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(ks_sched_wakeup_raw, struct task_struct *p)
{
	return on_wakeup(p, false);
}

/* TP_PROTO(struct task_struct *p) */
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ks_sched_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p, true);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(ks_sched_wakeup_new_raw, struct task_struct *p)
{
	return on_wakeup(p, false);
}

/* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next,
 *          unsigned int prev_state)  -- prev_state added in 5.18
 * (commit fa2c3254d7cf); we read prev's state from the task instead, so
 * the first three arguments are all we use on every kernel. */
SEC("tp_btf/sched_switch")
int BPF_PROG(ks_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, true);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(ks_sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next, false);
}

static __always_inline bool regs_user_mode(struct bpf_perf_event_data *ctx)
{
	/* context fields must be read whole: keep clang from narrowing */
#if defined(__TARGET_ARCH_x86)
	/* pt_regs::cs is a u16 in a union since 6.9 (FRED); read the slot. */
	__u64 cs = *(__u64 *)((char *)&ctx->regs + __builtin_offsetof(struct pt_regs, cs));
	asm volatile("" : "+r"(cs));
	return (cs & 3) != 0;
#elif defined(__TARGET_ARCH_arm64)
	__u64 pstate = ctx->regs.pstate;
	asm volatile("" : "+r"(pstate));
	return (pstate & 0xf) == 0; /* EL0t */
#else
	return false;
#endif
}

static __always_inline bool head_seg_refresh(struct sched_cpu *c, __u32 cpu)
{
	__u64 head = c->seg_head;
	__u32 idx;
	struct sched_seg *g;
	struct task_struct *t;

	if (!head)
		return false;
	idx = cpu * seg_ring + ((head - 1) & seg_mask);
	g = bpf_map_lookup_elem(&segs, &idx);
	if (!g || g->tid != c->cur_tid)
		return false;
	t = cur_task();
	seg_policy_seen(g, TREAD(CUR_BTF, t, policy), TREAD(CUR_BTF, t, prio));
	return true;
}

/* The fair task that has waited longest on this CPU's runqueue, among
 * the SCHED_SCAN_TASKS oldest on its list of fair tasks (rq->cfs_tasks:
 * added at the head on enqueue, so the oldest are at the tail). Only a
 * task queued and not run since has a sched_info.last_queued stamp: that
 * leaves out the running task and sleeping ones still queued for their
 * lag (EEVDF's delayed dequeue). NULL when none. */
#define SCHED_SCAN_TASKS 8
static __always_inline struct task_struct *rq_oldest_queued(struct rq *rq, __u64 *lq_out)
{
	struct list_head *head = &rq->cfs_tasks, *n = BPF_CORE_READ(rq, cfs_tasks.prev);
	struct task_struct *best = NULL;
	__u64 best_lq = ~0ULL;

	for (int i = 0; i < SCHED_SCAN_TASKS && n && n != head; i++) {
		struct task_struct *p = (struct task_struct *)((unsigned long)n -
			bpf_core_field_offset(struct task_struct, se.group_node));
		__u64 lq = BPF_CORE_READ(p, sched_info.last_queued);
		if (lq && lq < best_lq) {
			best = p;
			best_lq = lq;
		}
		n = BPF_CORE_READ(n, prev);
	}
	*lq_out = best_lq;
	return best;
}

/* Tasks wait behind a long run, and the slot knows none of them (its task
 * ran or left for another CPU, or they were woken while it held another
 * one), or only one that came after the run began (a kworker woken 1 ms
 * into it, while a task queued before waited on: CI). Take the oldest
 * from the runqueue itself, with the kernel's own start of its wait, so
 * that samples and the ongoing report follow the longest wait (CI: a
 * BH-off hog's 500 ms run with no ongoing report). The fast path only: it
 * keeps the kind table's CPU bits that free the slot when the task runs
 * elsewhere. True when the slot changed. */
static __always_inline bool waiter_adopt(struct sched_cpu *c, struct rq *rq, __u32 cpu)
{
	__u64 lq;
	struct task_struct *p = rq_oldest_queued(rq, &lq);

	if (!p || !c->clk_at)
		return false;
	__u64 since = lq + c->clk_off;
	__u32 tid = BPF_CORE_READ(p, pid);
	if (!tid || (c->waiter_tid && since >= c->waiter_since_ns) || !task_passes(p, false))
		return false;
	__u32 k = tid & (SCHED_KIND_SLOTS - 1);
	struct sched_kind *e = bpf_map_lookup_elem(&kinds, &k);
	__u64 v = e && (__u32)e->v == tid ? e->v & SCHED_KIND_PREEMPTED : 0;
	if (v && e->out_ns > since)
		since = e->out_ns; /* see clk_sync */
	c->waiter_tid = 0; /* an older one replaces it */
	if (!waiter_set(c, p, since, v ? SCHED_WAIT_PREEMPTED : SCHED_WAIT_WOKEN, false))
		return false;
	kind_note(tid, v | (__u64)(cpu + 1) << SCHED_KIND_WCPU_SHIFT);
	return true;
}

/* Sample a lone kernel run? Called on ticks with no long waiter on a CPU
 * that is not idle. User mode returns after one read (and a write at the
 * first user tick after a kernel run). A kernel run counts from its
 * segment's start, or from its first kernel tick after a user-mode one;
 * past sample_after_ns it is sampled: on PREEMPT_NONE a long kernel run
 * is the suspect even with no task waiting, and a softirq delayed by it
 * has no task to wait for (the BH-disabled hog). NET_RX found pending on
 * two ticks in a row (>= one period undone: bottom halves must be off)
 * samples at once. */
static __always_inline __u32 kernel_run_gate(bool user, bool pend, struct sched_cpu *c, __u64 *now)
{
	__u64 seg = c->seg_head + 1;
	__u32 why = 0;

	if (user) {
		if (c->kern_since_ns || c->kern_seg != seg) {
			c->kern_seg = seg;
			c->kern_since_ns = 0;
			c->netrx &= ~SCHED_NETRX_PEND_KERN;
		}
		return 0;
	}
	if (!*now)
		*now = bpf_ktime_get_ns();
	if (c->kern_seg != seg) {
		c->kern_seg = seg;
		c->kern_since_ns = c->cur_start_ns;
		c->netrx &= ~SCHED_NETRX_PEND_KERN;
	} else if (!c->kern_since_ns) {
		c->kern_since_ns = *now;
		c->netrx &= ~SCHED_NETRX_PEND_KERN;
	}
	if (*now >= c->kern_since_ns && *now - c->kern_since_ns >= sample_after_ns)
		why |= SCHED_SAMPLE_BY_KERNEL;
	if (pend && (c->netrx & SCHED_NETRX_PEND_KERN))
		why |= SCHED_SAMPLE_BY_NETRX;
	c->netrx = pend ? c->netrx | SCHED_NETRX_PEND_KERN : c->netrx & ~SCHED_NETRX_PEND_KERN;
	return why;
}

/* One sampler record: who runs, user or kernel mode, its stack, the
 * preempt count; why says which gate asked for it. */
/* PREEMPT_RT counts a task's bottom-half disabling in the task
 * (softirq_disable_cnt, in preempt_count's softirq bits), not in
 * preempt_count: fold it into the sample. The field exists only on RT
 * kernels, so elsewhere this is compiled out at load. */
struct task_struct___rt {
	int softirq_disable_cnt;
} __attribute__((preserve_access_index));

static __always_inline void rt_bh_count(struct sched_sample *s)
{
	struct task_struct___rt *t;

	if (!bpf_core_field_exists(((struct task_struct___rt *)0)->softirq_disable_cnt))
		return;
	t = (struct task_struct___rt *)cur_task();
	s->preempt_count |= (__u32)BPF_CORE_READ(t, softirq_disable_cnt) & KS_SOFTIRQ_MASK;
	s->flags |= SCHED_SAMPLE_PC_VALID;
}

static __always_inline void take_sample(void *ctx, bool user, struct rq *rq, struct sched_cpu *c, __u32 cpu,
					__u64 now, __u32 why)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 head = c->sample_head;
	__u32 idx = cpu * sample_ring + (head & sample_mask);
	struct sched_sample *s = bpf_map_lookup_elem(&samples, &idx);
	if (s) {
		s->seq = 0;
		s->ts_ns = now;
		s->pid = id >> 32;
		s->tid = (__u32)id;
		s->flags = (user ? SCHED_SAMPLE_USER : 0) | why;
		if (user) {
			s->kstack_id = -1;
			s->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		} else {
			s->kstack_id = bpf_get_stackid(ctx, &stacks, 0);
			s->ustack_id = -1;
		}
		if (s->kstack_id < 0 && s->ustack_id < 0)
			stat_inc(SCHED_STAT_STACK_ERRS);
		s->preempt_count = 0;
		if (read_preempt_count(rq, &s->preempt_count))
			s->flags |= SCHED_SAMPLE_PC_VALID;
		rt_bh_count(s);
		s->seq = head + 1;
		c->sample_head = head + 1;
		stat_inc(SCHED_STAT_SAMPLES);
	}
	/* A stall's first sample wakes the consumer: the program running
	 * in it (a BPF one, say) is named by what is loaded while it runs,
	 * and the end-of-stall record can come after it unloaded. */
	if (now - c->last_sample_ns >= SCHED_RB_WAKE_NS)
		cpu_event(SCHED_EV_SAMPLING, cpu, now, 0, false);
	c->last_sample_ns = now;

	/* Keep the open segment's policy current (see on_switch). */
	head_seg_refresh(c, cpu);
}

/* The sampler runs on a CPU: was its last run there (or the running
 * task's switch-in) gap_ns or more ago, with that task running all along?
 * The tick (or the perf event's timer) comes every few ms to a busy CPU;
 * the same task running through a long silence means the CPU took no
 * timer interrupt: interrupts were off, or a virtual CPU was not run by
 * its host. The idle task's tick stops by design: one read there, and a
 * store when a task ran before. (Not on nohz_full CPUs, whose tick stops
 * under one task: user space leaves gap_ns 0 there.) t, tid: the
 * interrupted task. Sets *now. */
static __always_inline bool tick_gap(struct sched_cpu *c, struct task_struct *t, __u32 tid, __u64 *now,
				     __u64 *from)
{
	__u32 nsw;
	__u64 last = 0;

	if (!tid) {
		if (c->tick_last_tid)
			c->tick_last_tid = 0;
		return false;
	}
	/* Not switched since: by the task's own switch count, not by our
	 * view of the switches, which a sched_switch this kernel does not
	 * trace would leave stale. */
	nsw = (__u32)(TREAD(CUR_BTF, t, nvcsw) + TREAD(CUR_BTF, t, nivcsw));
	if (c->tick_last_tid == tid && c->tick_last_nsw == nsw)
		last = c->tick_last_ns;
	else if (c->cur_tid == tid && c->cur_nsw == nsw)
		last = c->cur_start_ns; /* interrupts off within a tick of the switch-in */
	*now = bpf_ktime_get_ns();
	*from = last;
	c->tick_last_ns = *now;
	c->tick_last_tid = tid;
	c->tick_last_nsw = nsw;
	return last && *now > last && *now - last >= gap_ns;
}

/* The tick's waiter_adopt: the slot's start and whether its wait is long
 * enough to sample for, once it changed. */
static __always_inline void waiter_follow_oldest(struct sched_cpu *c, struct rq *rq, __u32 cpu, __u64 now,
						 __u64 *since, bool *waiter_long)
{
	if (!fast_path(true) || !waiter_adopt(c, rq, cpu))
		return;
	*since = c->waiter_since_ns;
	*waiter_long = now >= *since && now - *since >= sample_after_ns;
}

/* The task running now is not the one we saw switch in: a switch that
 * never reached sched_switch (prev_check). Without this, the stale task's
 * run segment would also cover the one that runs now, and name it as a
 * stall's antagonist (these machines: the sandbox agent's threads
 * switching out unseen, once "holding" a CPU for a hog's whole run). The
 * run is opened here, a tick late at most. Counted with prev_check's.
 * t, tid: the interrupted task. */
static __always_inline void seg_resync(struct sched_cpu *c, __u32 cpu, struct task_struct *t, __u32 tid,
				       __u64 *now)
{
	__u64 cm[2];

	if (tid == c->cur_tid || !c->cur_start_ns)
		return;
	if (!*now)
		*now = bpf_ktime_get_ns();
	stat_inc(SCHED_STAT_UNSEEN);
	next_in(c, cpu, t, tid, *now, cm, CUR_BTF);
}

/* The stall sampler, on every scheduler tick of a busy CPU (or, where the
 * tick cannot be traced, a cpu-clock perf event: ks_sched_sample). Samples
 * while a task on this CPU has waited longer than sample_after_ns while the
 * running one held the CPU for half that (or, with no waiter remembered,
 * held it that long with others queued), or while the running task has
 * been in the kernel that long (kernel_run_gate); with netrx_holds, looks
 * whether NET_RX is held off (netrx_look); and whether the CPU was silent
 * before this tick (tick_gap). An idle CPU returns after one lookup and a
 * read of the running task (and a read of the pending word with
 * netrx_holds); a user task alone also reads its switch count, the clock
 * and its runqueue's length, and stores three words. user: the interrupted
 * context was user mode; rq: this CPU's runqueue if the caller has it
 * (else looked up here once, unless the CPU is idle). */
static __always_inline int sample_tick(void *ctx, bool user, struct rq *rq)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct sched_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	__u64 now = 0, since = 0;
	bool waiter_long = false, pend = false;
	__u32 why = 0;

	if (!c)
		return 0;
	/* a silence before this tick: sample now (the interrupted place is
	 * where interrupts came back on, or where the vCPU resumed), and say so
	 * after the sample */
	struct task_struct *cur = cur_task();
	__u32 cur_tid = TREAD(CUR_BTF, cur, pid);
	__u64 gap_from = 0;
	bool gap = gap_ns && tick_gap(c, cur, cur_tid, &now, &gap_from);
	seg_resync(c, cpu, cur, cur_tid, &now);
	if (!rq && (c->waiter_tid || c->cur_tid || (c->netrx & SCHED_NETRX_HOLD)))
		rq = this_rq(cpu);
	/* NET_RX pending: for the hold watch on every tick, for the kernel
	 * run gate on a kernel-mode one */
	if (rq && (netrx_holds || (!user && c->cur_tid)))
		pend = netrx_pending(rq);
	if (netrx_holds && rq && (pend || (c->netrx & SCHED_NETRX_HOLD))) {
		if (!now)
			now = bpf_ktime_get_ns();
		netrx_look(c, rq, cpu, pend, now);
	}
	if (c->waiter_tid) {
		if (!now)
			now = bpf_ktime_get_ns();
		since = c->waiter_since_ns;
		if (now >= since && now - since >= sample_after_ns) {
			/* A slot whose task left without us seeing it (its
			 * kind slot was taken by another tid) would sample and
			 * report forever: nobody waits when the running task
			 * is alone on the runqueue. */
			if (rq ? BPF_CORE_READ(rq, nr_running) < 2 : !c->cur_tid)
				c->waiter_tid = 0; /* (idle: its runqueue is empty) */
			else
				waiter_long = true;
		}
	}
	/* Once a run: the slot's task came after the run began; is an older
	 * one queued? */
	if (c->waiter_tid && c->waiter_since_ns > c->cur_start_ns && c->oldest_run != c->cur_start_ns &&
	    rq && now - c->cur_start_ns >= sample_after_ns) {
		c->oldest_run = c->cur_start_ns;
		waiter_follow_oldest(c, rq, cpu, now, &since, &waiter_long);
	}
	/* A long waiter is sampled for only while the running task holds
	 * the CPU (half of sample_after_ns so far): on an oversubscribed CPU
	 * tasks take turns in slices of a few ms and someone always waits
	 * long; a stack walk per tick there would name no culprit (measured:
	 * sampling on every tick under `perf bench sched messaging`). */
	if (waiter_long && now - c->cur_start_ns >= sample_after_ns / 2)
		why = SCHED_SAMPLE_BY_WAITER;
	else if (!c->waiter_tid && c->cur_tid && rq && BPF_CORE_READ(rq, nr_running) >= 2) {
		/* someone waits that the slot does not know (woken while it
		 * held another task): the running one has held the CPU that
		 * long, so whoever waits behind it has too, or was queued
		 * since; from now on the slot follows the oldest of them */
		if (!now)
			now = bpf_ktime_get_ns();
		if (now - c->cur_start_ns >= sample_after_ns) {
			why = SCHED_SAMPLE_BY_WAITER;
			waiter_follow_oldest(c, rq, cpu, now, &since, &waiter_long);
		}
	}
	if (c->cur_tid)
		why |= kernel_run_gate(user, pend, c, &now);
	if (gap)
		why |= SCHED_SAMPLE_BY_GAP;
	if (why)
		take_sample(ctx, user, rq, c, cpu, now, why);
	if (gap)
		cpu_event(SCHED_EV_IRQGAP, cpu, gap_from, now - gap_from, true);

	/* Once per wait: an "ongoing" record while it still lasts. */
	if (ongoing_ns && waiter_long && now - since >= ongoing_ns && c->waiter_reported != since) {
		__u64 id = bpf_get_current_pid_tgid();

		c->waiter_reported = since;
		struct sched_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			stat_inc(SCHED_STAT_RB_DROPS);
			return 0;
		}
		e->type = SCHED_EV_ONGOING;
		e->cpu = cpu;
		e->run_cpu = cpu;
		e->kind = c->waiter_kind;
		e->start_ns = since;
		e->wait_ns = now - since;
		e->pid = c->waiter_pid;
		e->tid = c->waiter_tid;
		__builtin_memcpy(e->comm, c->waiter_comm, TASK_COMM_LEN);
		e->prio = (__s32)(c->waiter_pp & 0xffff);
		e->policy = c->waiter_pp >> 16;
		e->cur_pid = id >> 32;
		e->cur_tid = (__u32)id;
		bpf_get_current_comm(e->cur_comm, TASK_COMM_LEN);
		/* records held back by SCHED_RB_WAKE_NS leave the consumer
		 * behind, and then no plain submit wakes it */
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
		stat_inc(SCHED_STAT_RECORDS);
	}
	return 0;
}

/* The scheduler tick, as the hrtimer_expire_entry of its hrtimer: it
 * fires in the timer interrupt of every CPU that is not idle, HZ times a
 * second. Riding it costs no interrupt of our own: on this project's VMs a
 * timer interrupt costs the CPU it hits 30-50 us (docs/sampler.md), so a
 * 499 Hz perf event took ~2.5 % of every busy CPU. The interrupted mode
 * comes from the registers the interrupt saved (__irq_regs); the kernel
 * stack starts with the interrupt's own frames, which the reader cuts
 * (sched.c). Other hrtimers return after one compare. */
SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(ks_sched_tick, struct hrtimer *timer, ktime_t *now)
{
	struct pt_regs *regs = NULL;
	__u64 cs = 0;

	if (!tick_fn || (__u64)timer->function != tick_fn)
		return 0;
	struct rq *rq = this_rq(bpf_get_smp_processor_id());
	if (!rq || bpf_probe_read_kernel(&regs, sizeof(regs), (char *)rq + irq_regs_off_from_rq) || !regs)
		return 0;
	stat_inc(SCHED_STAT_TICKS);
#if defined(__TARGET_ARCH_x86)
	/* pt_regs::cs is a u16 in a union since 6.9 (FRED): read the slot */
	if (bpf_probe_read_kernel(&cs, sizeof(cs), (char *)regs + __builtin_offsetof(struct pt_regs, cs)))
		return 0;
	return sample_tick(ctx, (cs & 3) != 0, rq);
#elif defined(__TARGET_ARCH_arm64)
	if (bpf_probe_read_kernel(&cs, sizeof(cs), &regs->pstate))
		return 0;
	return sample_tick(ctx, (cs & 0xf) == 0, rq);
#else
	return 0;
#endif
}

/* The same on a cpu-clock perf event, where the tick is not seen. */
SEC("perf_event")
int ks_sched_sample(struct bpf_perf_event_data *ctx)
{
	return sample_tick(ctx, regs_user_mode(ctx), NULL);
}
