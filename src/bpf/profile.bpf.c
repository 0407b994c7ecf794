// SPDX-License-Identifier: GPL-2.0
/* profile.bpf.c — CPU sampling: one perf_event program, run by a
 * PERF_COUNT_SW_CPU_CLOCK event per CPU at the requested frequency. Each
 * sample adds one to the count of its (thread, comm, kernel stack, user
 * stack): aggregation stays in the kernel, nothing goes through a ring
 * buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "abi/profile.h"

#define EEXIST 17
#define ENOMEM 12

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_tgid = 0; /* 0: every process */

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROFILE_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, PROFILE_MAX_STACKS);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct profile_key);
	__type(value, __u64);
	__uint(max_entries, PROFILE_MAX_KEYS);
} counts SEC(".maps");

/* Processes sampled with a user stack since user space last emptied this
 * map: it reads their mappings while they run, at a cost that follows the
 * processes running, not the stacks counted so far. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, PROFILE_MAX_PROCS);
} new_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PROFILE_NR_STATS);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &i);

	if (v)
		(*v)++;
}

static __always_inline bool stack_lost(long id)
{
	return id == -EEXIST || id == -ENOMEM;
}

/* The sample's context is the interrupted registers: the kernel stack
 * starts at the interrupted instruction, none of this program's frames. */
SEC("perf_event")
int ks_profile(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct profile_key k = {};
	static const __u64 one = 1;
	__u64 *v;

	k.tgid = id >> 32;
	k.pid = (__u32)id;
	if (targ_tgid && k.tgid != targ_tgid)
		return 0;
	stat_inc(PROFILE_STAT_SAMPLES);
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.kstack = bpf_get_stackid(ctx, &stacks, 0);
	k.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (stack_lost(k.kstack))
		stat_inc(PROFILE_STAT_KSTACK_LOST);
	if (stack_lost(k.ustack))
		stat_inc(PROFILE_STAT_USTACK_LOST);
	if (k.ustack >= 0 && k.tgid) {
		static const __u8 seen = 1;
		bpf_map_update_elem(&new_procs, &k.tgid, &seen, BPF_NOEXIST);
	}
	v = bpf_map_lookup_elem(&counts, &k);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 0;
	}
	/* a concurrent first sample of the same key on another CPU: EEXIST */
	if (bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST) == 0)
		return 0;
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		stat_inc(PROFILE_STAT_KEYS_FULL);
	return 0;
}
