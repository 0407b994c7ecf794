/* count.bpf.c — counts kernel events in the kernel: tracepoints, kprobes
 * (one kprobe_multi link, or one kprobe each) and fentry. Every event has
 * a slot in a per-CPU array; its index is the link's bpf_cookie, or for
 * fentry (one object instance per function), and for tracepoints before
 * 5.15 (no cookies; one instance per event), the instance's inst_idx.
 * Nothing is sent to user space per event; user space reads the array
 * once per interval. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "abi/count.h"

/* Set before load; the verifier prunes disabled filters. */
const volatile __u32 filter_tgid = 0;         /* 0: every process */
const volatile __u32 filter_cpus = 0;         /* 1: only CPUs in cpu_mask */
const volatile __u64 cpu_mask[COUNT_CPU_WORDS] = {};
/* Instances of one event each (fentry, and tracepoints on kernels
 * without bpf_get_attach_cookie, before 5.15): the event this instance
 * counts. tp_by_instance: this kernel's tracepoints need it. */
const volatile __u32 inst_idx = 0;
const volatile bool tp_by_instance = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* resized to the number of events before load */
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

enum count_by { BY_COOKIE, BY_INSTANCE };

/* The hot path: two pruned filters, one lookup, one increment.
 *
 * Invariant: a slot belongs to one event, and only one program ever
 * writes it (the tracepoint, kprobe or kprobe_multi program through that
 * event's link, or that event's own instance); no program runs
 * nested inside itself on one CPU. Tracepoint, kprobe and kprobe_multi
 * programs all enter through the per-CPU bpf_prog_active count, which
 * skips any of them that fires while one runs on the same CPU (e.g. from
 * an NMI); an fentry program is skipped the same way by its own
 * prog->active count. So the per-CPU read-modify-write below is never
 * interleaved with another increment of the same slot, and a plain
 * increment is exact. A skipped nested hit is not counted (the kernel
 * counts it as the program's miss), as with every BPF tool. */
static __always_inline int count_hit(void *ctx, enum count_by by)
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
	/* constant per program (or per load): the other branch is compiled
	 * out or pruned, so an old verifier never sees the cookie helper */
	idx = by == BY_COOKIE ? (__u32)bpf_get_attach_cookie(ctx) : inst_idx;
	c = bpf_map_lookup_elem(&counts, &idx);
	if (c)
		*c += 1;
	return 0;
}

/* Any tracepoint: the context is not read (its event id, common_type, is
 * off limits to BPF), only the cookie, or before 5.15 the instance's event. */
SEC("tracepoint")
int ks_count(void *ctx)
{
	return count_hit(ctx, tp_by_instance ? BY_INSTANCE : BY_COOKIE);
}

/* k:FUNC, one kprobe (perf event) per function: the registers are not read. */
SEC("kprobe")
int ks_count_kprobe(void *ctx)
{
	return count_hit(ctx, BY_COOKIE);
}

/* k:FUNC, one kprobe_multi link for all functions (>= 5.18), a cookie each. */
SEC("kprobe.multi")
int ks_count_kmulti(void *ctx)
{
	return count_hit(ctx, BY_COOKIE);
}

/* f:FUNC: any function (the arguments are not read); its target is set
 * before load, one object instance per function. */
SEC("fentry")
int ks_count_fentry(void *ctx)
{
	return count_hit(ctx, BY_INSTANCE);
}

char LICENSE[] SEC("license") = "GPL";
