/* count.bpf.c — counts tracepoint hits in the kernel. One program is
 * attached to every matched tracepoint; the link's bpf_cookie is the
 * event's index into a per-CPU array. Nothing is sent to user space per
 * event; user space reads the array once per interval. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "count.h"

/* Set before load; the verifier prunes disabled filters. */
const volatile __u32 filter_tgid = 0;         /* 0: every process */
const volatile __u32 filter_cpus = 0;         /* 1: only CPUs in cpu_mask */
const volatile __u64 cpu_mask[COUNT_CPU_WORDS] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized to the number of events before load */
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Any tracepoint: the context is not read, only the cookie. */
SEC("tracepoint")
int ks_count(void *ctx)
{
	__u32 idx;
	__u64 *c;

	if (filter_tgid && (bpf_get_current_pid_tgid() >> 32) != filter_tgid)
		return 0;
	if (filter_cpus) {
		/* 64-bit, bound checked on the indexing value itself: with a
		 * __u32 clang checks a zero-extended copy and indexes with
		 * the original, which 6.1's verifier refuses (hist_slot.h). */
		__u64 cpu = bpf_get_smp_processor_id();
		__u64 word = cpu / 64;
		if (word >= COUNT_CPU_WORDS || !((cpu_mask[word] >> (cpu % 64)) & 1))
			return 0;
	}
	idx = (__u32)bpf_get_attach_cookie(ctx);
	c = bpf_map_lookup_elem(&counts, &idx);
	/* Per-CPU slot, and tracepoint programs do not nest on one CPU
	 * (bpf_prog_active): a plain increment is exact. */
	if (c)
		*c += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
