// SPDX-License-Identifier: GPL-2.0
/* softirq.bpf.c — softirq raise->entry delay and run time per CPU and
 * vector, as log2 histograms in per-CPU maps; only delays above slower_ns
 * leave the kernel (ring buffer). Must stay cheap: three events on the
 * hottest path of the network stack. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "abi/hist_slot.h"
#include "abi/softirq.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 vec_mask = 0x3ff; /* vectors to measure */
const volatile __u64 slower_ns = 0;    /* 0: no records */
const volatile bool measure_run = true; /* run times too (softirq_exit attached) */

__u32 gen = 0; /* written by the user side: which half of hists to fill */

/* Per-CPU raise and entry times, by vector. A raise while the vector is
 * already pending keeps the first time: the delay is the oldest wait. */
struct softirq_state {
	__u64 raise_ns[KS_NR_SOFTIRQS];
	__u64 entry_ns[KS_NR_SOFTIRQS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct softirq_state);
} state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct softirq_hists);
} hists SEC(".maps");

#define KS_NR_STATS SOFTIRQ_NR_STATS
#define KS_STAT_RB_DROPS SOFTIRQ_STAT_RB_DROPS
#define KS_EVENTS_BYTES (256 * 1024)
#include "bpf/collector.bpf.h"

static __always_inline struct softirq_state *get_state(unsigned int vec)
{
	__u32 zero = 0;

	if (vec >= KS_NR_SOFTIRQS || !((vec_mask >> vec) & 1))
		return NULL;
	return bpf_map_lookup_elem(&state, &zero);
}

static __always_inline int on_raise(unsigned int vec)
{
	struct softirq_state *s = get_state(vec);

	if (s && vec < KS_NR_SOFTIRQS && !s->raise_ns[vec])
		s->raise_ns[vec] = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_entry(unsigned int vec)
{
	struct softirq_state *s = get_state(vec);
	struct softirq_hists *h;
	__u64 now, raised, delay;
	__u32 idx;

	if (!s || vec >= KS_NR_SOFTIRQS)
		return 0;
	now = bpf_ktime_get_ns();
	if (measure_run)
		s->entry_ns[vec] = now;
	raised = s->raise_ns[vec];
	if (!raised) /* raised before we attached, or without a tracepoint */
		return 0;
	s->raise_ns[vec] = 0;
	delay = now - raised;
	idx = gen & 1;
	h = bpf_map_lookup_elem(&hists, &idx);
	if (h)
		hist_add(&h->delay[vec], delay);
	if (slower_ns && delay >= slower_ns) {
		struct softirq_event *e = event_reserve(sizeof(*e));
		if (!e)
			return 0;
		e->raise_ns = raised;
		e->entry_ns = now;
		e->cpu = bpf_get_smp_processor_id();
		e->vec = vec;
		bpf_ringbuf_submit(e, 0);
		stat_inc(SOFTIRQ_STAT_EVENTS);
	}
	return 0;
}

static __always_inline int on_exit(unsigned int vec)
{
	struct softirq_state *s = get_state(vec);
	struct softirq_hists *h;
	__u64 start;
	__u32 idx;

	if (!s || vec >= KS_NR_SOFTIRQS)
		return 0;
	start = s->entry_ns[vec];
	if (!start)
		return 0;
	s->entry_ns[vec] = 0;
	idx = gen & 1;
	h = bpf_map_lookup_elem(&hists, &idx);
	if (h)
		hist_add(&h->run[vec], bpf_ktime_get_ns() - start);
	return 0;
}

/* TP_PROTO(unsigned int vec_nr) for softirq_raise, softirq_entry and
 * softirq_exit. tp_btf first; raw_tp when BTF-typed attach is refused. */
SEC("tp_btf/softirq_raise")
int BPF_PROG(ks_sirq_raise, unsigned int vec) { return on_raise(vec); }
SEC("tp_btf/softirq_entry")
int BPF_PROG(ks_sirq_entry, unsigned int vec) { return on_entry(vec); }
SEC("tp_btf/softirq_exit")
int BPF_PROG(ks_sirq_exit, unsigned int vec) { return on_exit(vec); }

SEC("raw_tp/softirq_raise")
int BPF_PROG(ks_sirq_raise_raw, unsigned int vec) { return on_raise(vec); }
SEC("raw_tp/softirq_entry")
int BPF_PROG(ks_sirq_entry_raw, unsigned int vec) { return on_entry(vec); }
SEC("raw_tp/softirq_exit")
int BPF_PROG(ks_sirq_exit_raw, unsigned int vec) { return on_exit(vec); }
