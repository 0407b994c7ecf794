/* sched/netrx.bpf.h — the NET_RX hold watch: NET_RX pending with no run
 * of it between two looks (ticks, or a switch to idle). A piece of
 * sched.bpf.c, after base.bpf.h. */
#ifndef KS_SCHED_NETRX_BPF_H
#define KS_SCHED_NETRX_BPF_H

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

/* ---- NET_RX held off, watched at the tick ---------------------------------
 * Tracing every NET_RX raise and entry costs two programs per packet
 * burst (~130k each a second under veth TCP here, 2 % of the machine).
 * The doctor needs only the holds that last: NET_RX pending at two looks
 * (ticks, or a switch to idle) with no NET_RX run in between (the CPU's
 * run count unchanged) was held off all that time: bottom halves or
 * interrupts off, or ksoftirqd not run. A look costs one read of the
 * pending word, and one more of the run count while it is pending. */

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

#endif
