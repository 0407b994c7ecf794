/* sched/wait.bpf.h — waits for a CPU: where they start (the kernel's
 * sched_info stamp, or our own stamps), the per-CPU waiter slot, how a
 * task left its CPU, and what a finished wait updates. A piece of
 * sched.bpf.c, after base.bpf.h; runs on every wakeup and switch. */
#ifndef KS_SCHED_WAIT_BPF_H
#define KS_SCHED_WAIT_BPF_H

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
	__uint(max_entries, SCHED_KIND_SLOTS);
	__type(key, __u32);
	__type(value, struct sched_kind);
} kinds SEC(".maps");

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
 * was still on a CPU (a wakeup from another CPU that read p->on_cpu 0
 * while the task ran, which then slept without a switch-in) or one whose switch-in was not seen would otherwise survive
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
 * never reached sched_switch (docs/doctor.md, "Silences"); its run segment then also covers
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
 * report for a whole hog run. */
static __always_inline void waiter_leave(struct sched_cpu *c, __u32 prev_tid, __u32 next_tid)
{
	__u32 w = c->waiter_tid;

	if (w && (w == prev_tid || w == next_tid))
		c->waiter_tid = 0;
}

/* Will p, just woken onto its runqueue, wait there? Not if it is alone
 * on it: nr_running counts p and the running task, so an idle CPU with
 * only p runs it at once ("the CPU is idle" is not enough: a hog just
 * queued there may run first). Without cfs_rq->rq: whether we saw a task switch in here. */
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
	struct sched_event *e = wait_event(SCHED_EV_WAIT, wcpu, cpu, kind, start_ns, wait_ns);

	if (!e)
		return;
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

#endif
