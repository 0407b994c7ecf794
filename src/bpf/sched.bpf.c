// SPDX-License-Identifier: GPL-2.0
/* sched.bpf.c — the sched collector, kernel side: when tasks become
 * runnable and when they run (waits -> histograms, slow ones -> ring
 * buffer), per-CPU rings of run segments (who ran when), and a stall
 * sampler. This file holds the programs and the switch handlers that tie
 * the pieces in sched/ together. Aggregates in the kernel; must stay
 * cheap on sched_switch. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "abi/hist_slot.h"
#include "abi/sched.h"
/* The pieces, in this order: each uses only those before it. */
#include "sched/base.bpf.h"
#include "sched/netrx.bpf.h"
#include "sched/wait.bpf.h"
#include "sched/seg.bpf.h"
#include "sched/sample.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The CPU's waiter switches out, and its switch-in here never reached
 * sched_switch (docs/doctor.md, "Silences"): its wait ended at that
 * switch-in, which the kernel stamped (sched_info.last_arrival, the
 * runqueue clock). Without this the wait is lost, however long. */
static __always_inline void waiter_unseen_done(struct sched_cpu *c, struct task_struct *prev, __u32 cpu,
					       __u64 off, __u64 now)
{
	__u64 start = c->waiter_since_ns, end = prev->sched_info.last_arrival + off;
	char cm[TASK_COMM_LEN];

	if (end <= start || end > now)
		return;
	stat_inc(SCHED_STAT_UNSEEN_WAIT);
	read_comm(prev, cm, true);
	wait_done(c, prev, cm, cpu, c->waiter_kind, start, cpu, end - start, true);
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
	if (prev_tid && prev_tid == c->waiter_tid && c->cur_tid != prev_tid && c->cur_start_ns)
		waiter_unseen_done(c, prev, cpu, off, now);
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
	 * migrated and runs on an unwatched one must leave that CPU's slot,
	 * or that stale slot keeps every later wait there from being
	 * reported while it lasts. */
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

/* The scheduler tick, as the hrtimer_expire_entry of its hrtimer: it
 * fires in the timer interrupt of every CPU that is not idle, HZ times a
 * second. Riding it costs no interrupt of our own: on this project's VMs a
 * timer interrupt costs the CPU it hits 30-50 us (docs/sampler.md), so a
 * 499 Hz perf event took ~2.5 % of every busy CPU. The interrupted mode
 * comes from the registers the interrupt saved (__irq_regs); the kernel
 * stack starts with the interrupt's own frames, which the reader cuts
 * (collect/sched_win.c). Other hrtimers return after one compare. */
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
