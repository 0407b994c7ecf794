/* hog.bpf.c — a CPU hog inside the kernel, run with BPF_PROG_TEST_RUN (not
 * attached anywhere): spins with nested bpf_loop until a bpf_ktime_get_ns()
 * deadline. The program type picks the context:
 *   ks_hog_spin (syscall): no preemption, bottom halves enabled;
 *   ks_hog_bh (tc/sched_cls): local_bh_disable() around each repetition;
 *   ks_hog_irq (syscall): interrupts disabled (the bpf_local_irq_save kfunc)
 *     around the whole spin: no timer tick, no softirq, nothing else runs.
 * It must never spin past run_end_ns, which user space sets <= 3 s ahead. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "abi/hog.h"

char LICENSE[] SEC("license") = "GPL";

/* kfuncs of recent kernels (6.18 here has them): loaded only for the irq
 * mode, which says so where they are missing */
extern void bpf_local_irq_save(unsigned long *flags__irq_flag) __ksym __weak;
extern void bpf_local_irq_restore(unsigned long *flags__irq_flag) __ksym __weak;

/* Set by user space before each run (plain .bss, not const: changes per run). */
__u64 run_end_ns;  /* absolute deadline of the whole run */
__u64 slice_ns;    /* longest single repetition (0: up to run_end_ns) */
struct hog_kstats kstats;

struct spin_ctx {
	__u64 deadline;
	int done;
};

/* Inner callback: one clock read per iteration (~30-50 ns). */
static long spin_inner(__u32 i, void *data)
{
	struct spin_ctx *c = data;

	if (bpf_ktime_get_ns() >= c->deadline) {
		c->done = 1;
		return 1;
	}
	return 0;
}

/* Outer callback: 64K inner iterations (a few ms) each; 8M outer
 * iterations are far more than any deadline needs. */
static long spin_outer(__u32 i, void *data)
{
	struct spin_ctx *c = data;

	bpf_loop(1 << 16, spin_inner, c, 0);
	return c->done;
}

static __always_inline int spin(void)
{
	__u64 now = bpf_ktime_get_ns();
	struct spin_ctx c = { .deadline = run_end_ns };

	if (now >= run_end_ns)
		return 0; /* repetitions after the deadline return at once */
	if (slice_ns && now + slice_ns < c.deadline)
		c.deadline = now + slice_ns;
	if (!kstats.first_ns)
		kstats.first_ns = now;
	bpf_loop(1 << 23, spin_outer, &c, 0);
	__u64 end = bpf_ktime_get_ns();
	kstats.last_ns = end;
	kstats.reps++;
	if (end - now > kstats.max_rep_ns)
		kstats.max_rep_ns = end - now;
	return 0;
}

/* Run by bpf_prog_test_run_syscall(): migration disabled, and on a
 * CONFIG_PREEMPT_NONE kernel no preemption; bottom halves stay enabled. */
SEC("syscall")
int ks_hog_spin(void *ctx)
{
	return spin();
}

/* Run by bpf_prog_test_run_skb() -> bpf_test_run(): local_bh_disable()
 * around each of `repeat` repetitions; between them bottom halves are
 * re-enabled and cond_resched() is offered. */
SEC("tc")
int ks_hog_bh(struct __sk_buff *skb)
{
	spin();
	return 0; /* TC_ACT_OK */
}

/* Run by bpf_prog_test_run_syscall() like ks_hog_spin, with interrupts
 * off on this CPU throughout: the kind of section that stalls NET_RX and
 * the timer tick alike (user space bounds it to HOG_IRQ_RUN_MAX_NS). */
SEC("syscall")
int ks_hog_irq(void *ctx)
{
	unsigned long flags;

	bpf_local_irq_save(&flags);
	spin();
	bpf_local_irq_restore(&flags);
	return 0;
}
