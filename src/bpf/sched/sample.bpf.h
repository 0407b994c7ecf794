/* sched/sample.bpf.h — the stall sampler on the scheduler tick: what it
 * samples for, the sample ring, timer-interrupt gaps and ongoing-wait
 * records. A piece of sched.bpf.c, after the other pieces. */
#ifndef KS_SCHED_SAMPLE_BPF_H
#define KS_SCHED_SAMPLE_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* nr_cpus * sample_ring */
	__type(key, __u32);
	__type(value, struct sched_sample);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1); /* 4096 with the sampler */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SCHED_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

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
 * one), or only one that came after the run began (a kworker woken
 * into it while a task queued before waits on). Take the oldest from the
 * runqueue itself, with the kernel's own start of its wait, so that
 * samples and the ongoing report follow the longest wait. The fast path only: it
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
 * stall's antagonist (docs/doctor.md, "Silences"). The run is opened here, a tick late at most. Counted with prev_check's.
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

/* Is a wait on this CPU long enough to sample for (why: the flag), and
 * where did it start (*since, *waiter_long)? A remembered waiter past
 * sample_after_ns, or tasks queued behind a run that long that the slot
 * does not know. Sets *now when it reads the clock. */
static __always_inline __u32 sample_for_waiter(struct sched_cpu *c, struct rq *rq, __u32 cpu, __u64 *now,
					       __u64 *since, bool *waiter_long)
{
	if (c->waiter_tid) {
		if (!*now)
			*now = bpf_ktime_get_ns();
		*since = c->waiter_since_ns;
		if (*now >= *since && *now - *since >= sample_after_ns) {
			/* A slot whose task left without us seeing it (its
			 * kind slot was taken by another tid) would sample and
			 * report forever: nobody waits when the running task
			 * is alone on the runqueue. */
			if (rq ? BPF_CORE_READ(rq, nr_running) < 2 : !c->cur_tid)
				c->waiter_tid = 0; /* (idle: its runqueue is empty) */
			else
				*waiter_long = true;
		}
	}
	/* Once a run: the slot's task came after the run began; is an older
	 * one queued? */
	if (c->waiter_tid && c->waiter_since_ns > c->cur_start_ns && c->oldest_run != c->cur_start_ns &&
	    rq && *now - c->cur_start_ns >= sample_after_ns) {
		c->oldest_run = c->cur_start_ns;
		waiter_follow_oldest(c, rq, cpu, *now, since, waiter_long);
	}
	/* A long waiter is sampled for only while the running task holds
	 * the CPU (half of sample_after_ns so far): on an oversubscribed CPU
	 * tasks take turns in slices of a few ms and someone always waits
	 * long, and a stack walk per tick there would name no culprit. */
	if (*waiter_long && *now - c->cur_start_ns >= sample_after_ns / 2)
		return SCHED_SAMPLE_BY_WAITER;
	if (!c->waiter_tid && c->cur_tid && rq && BPF_CORE_READ(rq, nr_running) >= 2) {
		/* someone waits that the slot does not know (woken while it
		 * held another task): the running one has held the CPU that
		 * long, so whoever waits behind it has too, or was queued
		 * since; from now on the slot follows the oldest of them */
		if (!*now)
			*now = bpf_ktime_get_ns();
		if (*now - c->cur_start_ns >= sample_after_ns) {
			waiter_follow_oldest(c, rq, cpu, *now, since, waiter_long);
			return SCHED_SAMPLE_BY_WAITER;
		}
	}
	return 0;
}

/* Once per wait: an "ongoing" record while the long wait that began at
 * since still lasts. Always wakes the consumer: records held back by
 * SCHED_RB_WAKE_NS leave it behind, and then no plain submit wakes it. */
static __always_inline void ongoing_report(struct sched_cpu *c, __u32 cpu, __u64 now, __u64 since)
{
	__u64 id = bpf_get_current_pid_tgid();

	c->waiter_reported = since;
	struct sched_event *e = wait_event(SCHED_EV_ONGOING, cpu, cpu, c->waiter_kind, since, now - since);
	if (!e)
		return;
	e->pid = c->waiter_pid;
	e->tid = c->waiter_tid;
	__builtin_memcpy(e->comm, c->waiter_comm, TASK_COMM_LEN);
	e->prio = (__s32)(c->waiter_pp & 0xffff);
	e->policy = c->waiter_pp >> 16;
	e->cur_pid = id >> 32;
	e->cur_tid = (__u32)id;
	bpf_get_current_comm(e->cur_comm, TASK_COMM_LEN);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	stat_inc(SCHED_STAT_RECORDS);
}

/* The stall sampler, on every scheduler tick of a busy CPU (or, where the
 * tick cannot be traced, a cpu-clock perf event: ks_sched_sample). Samples
 * while a task on this CPU has waited longer than sample_after_ns while the
 * running one held the CPU for half that (or, with no waiter remembered,
 * held it that long with others queued: sample_for_waiter), or while the
 * running task has been in the kernel that long (kernel_run_gate); with
 * netrx_holds, looks whether NET_RX is held off (netrx_look); and whether
 * the CPU was silent before this tick (tick_gap). An idle CPU returns
 * after one lookup and a read of the running task (and a read of the
 * pending word with netrx_holds); a user task alone also reads its switch
 * count, the clock and its runqueue's length, and stores three words.
 * user: the interrupted context was user mode; rq: this CPU's runqueue if
 * the caller has it (else looked up here once, unless the CPU is idle). */
static __always_inline int sample_tick(void *ctx, bool user, struct rq *rq)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct sched_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	__u64 now = 0, since = 0;
	bool waiter_long = false, pend = false;
	__u32 why;

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
	why = sample_for_waiter(c, rq, cpu, &now, &since, &waiter_long);
	if (c->cur_tid)
		why |= kernel_run_gate(user, pend, c, &now);
	if (gap)
		why |= SCHED_SAMPLE_BY_GAP;
	if (why)
		take_sample(ctx, user, rq, c, cpu, now, why);
	if (gap)
		cpu_event(SCHED_EV_IRQGAP, cpu, gap_from, now - gap_from, true);
	if (ongoing_ns && waiter_long && now - since >= ongoing_ns && c->waiter_reported != since)
		ongoing_report(c, cpu, now, since);
	return 0;
}

#endif
