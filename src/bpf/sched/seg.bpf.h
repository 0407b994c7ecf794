/* sched/seg.bpf.h — per-CPU rings of run segments (who ran when, with
 * which policy) and the comm cache. A piece of sched.bpf.c, after
 * base.bpf.h; runs on every switch. */
#ifndef KS_SCHED_SEG_BPF_H
#define KS_SCHED_SEG_BPF_H

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

/* The sampler's look at the open segment: the running task's policy now,
 * if that segment is still its own (see seg_policy_seen). */
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

#endif
