/* count.bpf.c — counts kernel events in the kernel: tracepoints, kprobes
 * (one kprobe_multi link, or one kprobe each) and fentry. Every event has
 * a slot in a per-CPU array; its index is the link's bpf_cookie, or for
 * fentry (one object instance per function), and for tracepoints before
 * 5.15 (no cookies; one instance per event), the instance's inst_idx.
 * Nothing is sent to user space per event; user space reads the array
 * once per interval. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

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

/* syscalls:sys_enter_X and sys_exit_X counted through the raw sys_enter
 * and sys_exit tracepoints (one link each): syscall number -> event
 * index + 1, 0 for a syscall not counted. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, COUNT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} sys_enter_idx SEC(".maps"), sys_exit_idx SEC(".maps");

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
static __always_inline bool count_filtered(void)
{
	if (filter_tgid && (bpf_get_current_pid_tgid() >> 32) != filter_tgid)
		return true;
	if (filter_cpus) {
		/* 64-bit, bound checked on the indexing value itself: with a
		 * __u32 clang checks a zero-extended copy and indexes with
		 * the original, which 6.1's verifier refuses (hist_slot.h). */
		__u64 cpu = bpf_get_smp_processor_id();
		__u64 word = cpu / 64;
		if (word >= COUNT_CPU_WORDS || !((cpu_mask[word] >> (cpu % 64)) & 1))
			return true;
	}
	return false;
}

static __always_inline void count_add(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &idx);

	if (c)
		*c += 1;
}

static __always_inline int count_hit(void *ctx, enum count_by by)
{
	if (count_filtered())
		return 0;
	/* constant per program (or per load): the other branch is compiled
	 * out or pruned, so an old verifier never sees the cookie helper */
	count_add(by == BY_COOKIE ? (__u32)bpf_get_attach_cookie(ctx) : inst_idx);
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

/* A syscall's event through the raw tracepoints, as the syscalls:
 * events count it: native syscalls only (x86's ftrace ignores 32-bit
 * ones, whose numbers are another table), number from the registers. */
static __always_inline int count_syscall(void *map, struct pt_regs *regs)
{
#ifdef __TARGET_ARCH_x86
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 nr = (__u32)BPF_CORE_READ(regs, orig_ax);
	__u32 *idx;

	if (count_filtered() || (BPF_CORE_READ(t, thread_info.status) & 0x0002 /* TS_COMPAT */))
		return 0;
	idx = bpf_map_lookup_elem(map, &nr);
	if (idx && *idx)
		count_add(*idx - 1);
#endif
	return 0;
}

/* TP_PROTO(struct pt_regs *regs, long id) */
SEC("raw_tp/sys_enter")
int BPF_PROG(ks_count_sysenter, struct pt_regs *regs, long id)
{
	return count_syscall(&sys_enter_idx, regs);
}

/* TP_PROTO(struct pt_regs *regs, long ret) */
SEC("raw_tp/sys_exit")
int BPF_PROG(ks_count_sysexit, struct pt_regs *regs, long ret)
{
	return count_syscall(&sys_exit_idx, regs);
}

char LICENSE[] SEC("license") = "GPL";
