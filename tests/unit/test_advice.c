/* Unit tests for the engine's words (engine/advice.c): verdicts made by
 * hand turn into the exact summary and advice the doctor prints. */
#include "test.h"
#include "engine/engine.h"
#include "lib/parse.h"

static const struct eng_kernel adv_k618 = {
	.release = "6.18.0", .major = 6, .minor = 18, .preempt = "none",
	.preempt_dynamic = true, .hz = 250, .rt_runtime_us = 950000, .rt_period_us = 1000000,
};

static void adv_incident(struct eng_incident *inc)
{
	memset(inc, 0, sizeof(*inc));
	inc->retransmits = 214;
	inc->retrans_segs = 107;
	inc->drops = 22500;
}

static struct eng_verdict adv_hold(enum eng_mech mech)
{
	struct eng_verdict v = {
		.mech = mech, .confidence = "high", .basis = ENG_BASIS_HOLD, .cpu = 1, .have_culprit = true,
		.holder_cpu = 1, .mode = ENG_MODE_KERNEL, .stall_ns = 520 * NS_PER_MS,
		.netrx_max_ns = 515 * NS_PER_MS, .link = ENG_LINK_NETRX,
	};
	v.culprit = (struct eng_task){ .pid = 4242, .tid = 4243, .comm = "ksleuth-hog" };
	return v;
}

TEST(advice_softirq_blocked_words)
{
	struct eng_cfg c;
	struct eng_incident inc;
	struct eng_verdict v = adv_hold(ENG_SOFTIRQ_BLOCKED);

	eng_cfg_default(&c);
	adv_incident(&inc);
	v.bh_off = true;
	eng_advise(&c, &adv_k618, &v, &inc);
	CHECK_STR(inc.summary,
		  "ksleuth-hog (pid 4242) held CPU 1 for 520ms in the kernel with bottom halves disabled; "
		  "NET_RX waited up to 515ms to run there, and 214 retransmits and 22500 drops followed.");
	CHECK_EQ(inc.n_advice, 3);
	CHECK_STR(inc.advice[0],
		  "ksleuth-hog (pid 4242) held CPU 1 for 520ms in the kernel with bottom halves disabled. "
		  "Add a reschedule point in the loop it runs: work in slices, re-enable bottom halves "
		  "between them (local_bh_enable()) and call cond_resched().");
	CHECK_STR(inc.advice[1],
		  "Preemption model: none: a kernel loop without a reschedule point keeps the CPU until it "
		  "returns. CONFIG_PREEMPT_DYNAMIC is set: booting with preempt=full makes such loops "
		  "preemptible, but not while they hold bottom halves off: that needs the code fix.");
	CHECK_STR(inc.advice[2],
		  "Until it is fixed: steer receive processing away from CPU 1 (RPS: "
		  "/sys/class/net/DEV/queues/rx-*/rps_cpus; IRQ: /proc/irq/N/smp_affinity_list) or keep the "
		  "culprit off it (taskset, cpusets).");
}

TEST(advice_no_stall_words)
{
	struct eng_cfg c;
	struct eng_incident inc;
	struct eng_verdict v = { .mech = ENG_NOT_CPU, .confidence = "high", .basis = ENG_BASIS_NO_STALL,
				 .cpu = -1, .holder_cpu = -1, .netrx_max_ns = 2 * NS_PER_MS };

	eng_cfg_default(&c);
	adv_incident(&inc);
	inc.retrans_segs = 40; /* most attempts failed locally */
	eng_advise(&c, &adv_k618, &v, &inc);
	CHECK_STR(inc.summary,
		  "214 retransmits and 22500 drops with no CPU held for 100ms or more; NET_RX ran within "
		  "2.0ms of being raised on every CPU.");
	CHECK_EQ(inc.n_advice, 2);
	CHECK_STR(inc.advice[1],
		  "The tracepoint counted 214 retransmit attempts but TcpRetransSegs only 40 segments: many "
		  "attempts failed locally (qdisc full or the skb still queued), which points at a local "
		  "queue or rate limiter.");
}

TEST(advice_not_running_words_and_kmsg)
{
	struct eng_cfg c;
	struct eng_incident inc;
	struct eng_kernel vm = adv_k618;
	struct eng_verdict v = adv_hold(ENG_CPU_NOT_RUNNING);

	vm.vm = true;
	v.basis = ENG_BASIS_SILENCE;
	v.have_culprit = false;
	v.confidence = "medium";
	v.gap = (struct eng_gap){ .ns = 300 * NS_PER_MS, .mode = ENG_MODE_USER };
	eng_cfg_default(&c);
	adv_incident(&inc);
	inc.n_kmsg = 1;
	inc.kmsg[0].cls = "rcu_stall";
	snprintf(inc.kmsg[0].text, sizeof(inc.kmsg[0].text), "rcu: INFO: rcu_preempt detected stalls");
	eng_advise(&c, &vm, &v, &inc);
	CHECK_STR(inc.summary,
		  "CPU 1 took no timer interrupt for 300ms while ksleuth-hog (pid 4242) ran in user mode, "
		  "where interrupts are always on: most likely the CPU did not run this kernel at all — "
		  "this virtual machine's host did not run the vCPU; 214 retransmits and 22500 drops "
		  "followed. Kernel log: rcu_stall.");
	CHECK_EQ(inc.n_advice, 3);
	CHECK_STR(inc.advice[2],
		  "The kernel log at the time shows rcu_stall \"rcu: INFO: rcu_preempt detected stalls\": "
		  "it coincides with the stall; look at what that operation does in the kernel loop named "
		  "above.");
}
