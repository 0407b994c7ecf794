// SPDX-License-Identifier: GPL-2.0
/* napi.bpf.c — napi:napi_poll per device, CPU and context: polls, packets,
 * budget-exhausted polls, a log2 work histogram; optionally the kernel
 * stacks of budget-exhausted polls, counted per stack id. No ring buffer:
 * everything is aggregated here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "abi/napi.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool want_stacks = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NAPI_KEYS_MAX);
	__type(key, struct napi_key);
	__type(value, struct napi_val);
} polls SEC(".maps");

#define KS_NR_STATS NAPI_NR_STATS
#include "bpf/collector.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, NAPI_STACKS_MAX);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, NAPI_STACK_DEPTH * sizeof(__u64));
} stackmap SEC(".maps");

/* stack id -> budget-exhausted polls with that stack */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NAPI_STACKS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stack_counts SEC(".maps");

static const struct napi_val zero_val;

static __always_inline __u32 work_slot(int work)
{
	__u32 s = 0;

	if (work <= 0)
		return 0;
	/* 1 -> 1, 2-3 -> 2, 4-7 -> 3, ... */
	while (work > 0 && s < NAPI_WORK_SLOTS - 1) {
		work >>= 1;
		s++;
	}
	return s;
}

static __always_inline int on_poll(void *ctx, struct napi_struct *napi, int work, int budget)
{
	struct napi_key key = {};
	struct napi_val *v;
	struct net_device *dev;
	char comm[TASK_COMM_LEN];
	__u32 slot;

	stat_inc(NAPI_STAT_POLLS);
	dev = BPF_CORE_READ(napi, dev);
	if (dev)
		BPF_CORE_READ_STR_INTO(&key.dev, dev, name);
	else /* the per-CPU backlog (process_backlog) has no device */
		__builtin_memcpy(key.dev, "(backlog)", 10);
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f' &&
	    comm[4] == 't' && comm[5] == 'i' && comm[6] == 'r' && comm[7] == 'q' && comm[8] == 'd')
		key.ctx = NAPI_CTX_KSOFTIRQD;
	else if (comm[0] == 'n' && comm[1] == 'a' && comm[2] == 'p' && comm[3] == 'i' && comm[4] == '/')
		key.ctx = NAPI_CTX_THREADED;
	else
		key.ctx = NAPI_CTX_INLINE;

	v = bpf_map_lookup_elem(&polls, &key);
	if (!v) {
		bpf_map_update_elem(&polls, &key, &zero_val, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&polls, &key);
		if (!v) {
			stat_inc(NAPI_STAT_KEY_DROPS);
			return 0;
		}
	}
	v->polls++;
	if (work > 0)
		v->work += work;
	slot = work_slot(work);
	if (slot < NAPI_WORK_SLOTS)
		v->work_slots[slot]++;
	if (work >= budget && budget > 0) {
		v->exhausted++;
		if (want_stacks) {
			long id = bpf_get_stackid(ctx, &stackmap, 0);
			__u32 sid;
			__u64 one = 1, *n;

			if (id < 0) {
				stat_inc(NAPI_STAT_STACK_ERRS);
				return 0;
			}
			sid = (__u32)id;
			n = bpf_map_lookup_elem(&stack_counts, &sid);
			if (!n && bpf_map_update_elem(&stack_counts, &sid, &one, BPF_NOEXIST) == 0)
				return 0;
			n = n ? n : bpf_map_lookup_elem(&stack_counts, &sid); /* lost the insert race */
			if (n)
				__sync_fetch_and_add(n, 1);
		}
	}
	return 0;
}

/* TP_PROTO(struct napi_struct *napi, int work, int budget) */
SEC("tp_btf/napi_poll")
int BPF_PROG(ks_napi_poll, struct napi_struct *napi, int work, int budget)
{
	return on_poll(ctx, napi, work, budget);
}

SEC("raw_tp/napi_poll")
int BPF_PROG(ks_napi_poll_raw, struct napi_struct *napi, int work, int budget)
{
	return on_poll(ctx, napi, work, budget);
}
