/* advice.c — words for the engine's verdicts: an incident's summary and
 * advice from its verdict (eng_advise), a finding's from its stall. It
 * decides nothing: attrib.c does. Pure: no BPF, no /proc, no clock. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"


/* snprintf that appends and never overflows */
static void appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

static const char *dur(uint64_t ns, char *b, size_t n)
{
	return fmt_duration(ns, b, n);
}


/* The innermost frame worth naming: skip the interrupt and sampling
 * frames a cpu-clock sample lands in. */
static const char *loop_frame(const char frames[][ENG_FRAME_LEN], unsigned n, const char **caller)
{
	static const char *const skip[] = {
		"asm_", "sysvec_", "__sysvec_", "irq_", "__irq", "hrtimer", "__hrtimer",
		"perf_", "__perf", "bpf_overflow", "__bpf_overflow", "tick_", "update_process_times",
		"handle_irq", "common_interrupt", "native_", "__cond_resched", "_raw_spin",
		"__do_softirq", "handle_softirqs", "do_softirq", "local_bh_enable", "__local_bh_enable",
		/* clock reads a busy loop checks its deadline with */
		"pvclock", "kvm_clock", "ktime_get", "read_tsc", "read_hpet", "acpi_pm_read",
		"hv_read_tsc", "clocksource_", "sched_clock", "bpf_ktime",
		"__x86_indirect", "__x86_return",
	};
	*caller = NULL;
	for (unsigned i = 0; i < n; i++) {
		bool generic = false;
		for (unsigned j = 0; j < sizeof(skip) / sizeof(skip[0]); j++)
			if (!strncmp(frames[i], skip[j], strlen(skip[j])))
				generic = true;
		if (!generic && frames[i][0]) {
			if (i + 1 < n)
				*caller = frames[i + 1];
			return frames[i];
		}
	}
	return NULL;
}

/* "bpf_test_run+0x1a/0x2b0" -> "bpf_test_run" */
static void func_name(const char *frame, char *out, size_t n)
{
	size_t i = 0;
	for (; frame[i] && frame[i] != '+' && frame[i] != ' ' && i + 1 < n; i++)
		out[i] = frame[i];
	out[i] = '\0';
}

static void advice_preempt(const struct eng_kernel *k, bool bh_off, char *out, size_t n)
{
	const char *model = k->preempt[0] ? k->preempt : "unknown";

	out[0] = '\0';
	appendf(out, n, "Preemption model: %s", model);
	if (kernel_rt(k)) {
		/* PREEMPT_RT: softirqs run in threads and local_bh_disable()
		 * takes a per-CPU lock that those threads need too. */
		appendf(out, n, " (PREEMPT_RT): kernel code is preemptible and softirqs run in task context "
			"(ksoftirqd/N or the thread that raised them); local_bh_disable() takes a per-CPU lock, "
			"so a section with bottom halves off holds back softirq processing on its CPU for its "
			"whole length, whatever the priorities.");
	} else if (!strcmp(model, "none") || !strcmp(model, "voluntary") || !strcmp(model, "none/voluntary")) {
		appendf(out, n, ": a kernel loop without a reschedule point keeps the CPU until it returns.");
		if (k->preempt_dynamic)
			appendf(out, n, " CONFIG_PREEMPT_DYNAMIC is set: booting with preempt=full makes such loops preemptible");
		else
			appendf(out, n, " A kernel built with CONFIG_PREEMPT (or PREEMPT_DYNAMIC and preempt=full) makes such loops preemptible");
		if (bh_off)
			appendf(out, n, ", but not while they hold bottom halves off: that needs the code fix.");
		else
			appendf(out, n, ".");
	} else if (k->preempt[0]) {
		appendf(out, n, " (kernel code is preemptible");
		if (bh_off)
			appendf(out, n, ", except where bottom halves or interrupts are off, as here");
		appendf(out, n, ").");
	} else {
		appendf(out, n, " (this kernel does not say; 'ksleuth info' shows what could be learned): "
			"on a kernel without full preemption such a loop keeps the CPU until it returns.");
	}
}

static void advice_placement(int cpu, char *out, size_t n)
{
	snprintf(out, n,
		 "Until it is fixed: steer receive processing away from CPU %d (RPS: "
		 "/sys/class/net/DEV/queues/rx-*/rps_cpus; IRQ: /proc/irq/N/smp_affinity_list) "
		 "or keep the culprit off it (taskset, cpusets).", cpu);
}

static void add_advice(char (*adv)[ENG_ADVICE_LEN], unsigned *n, const char *text)
{
	if (*n < ENG_MAX_ADVICE && text[0])
		snprintf(adv[(*n)++], ENG_ADVICE_LEN, "%s", text);
}

static void advice_reschedule(const struct eng_kernel *k, const struct eng_task *t,
			      enum eng_mode mode, bool bh_off,
			      const char frames[][ENG_FRAME_LEN], unsigned nf, int cpu,
			      uint64_t stall_ns, char *out, size_t n)
{
	const char *caller, *leaf = loop_frame(frames, nf, &caller);
	char f1[ENG_FRAME_LEN], f2[ENG_FRAME_LEN], d[32];

	out[0] = '\0';
	appendf(out, n, "%s (pid %d) held CPU %d for %s", t->comm, t->pid, cpu, dur(stall_ns, d, sizeof(d)));
	if (mode == ENG_MODE_KERNEL)
		appendf(out, n, " in the kernel%s", bh_off ? " with bottom halves disabled" : "");
	appendf(out, n, ". ");
	if (leaf) {
		func_name(leaf, f1, sizeof(f1));
		appendf(out, n, "Add a reschedule point in the loop in %s()", f1);
		if (caller) {
			func_name(caller, f2, sizeof(f2));
			appendf(out, n, " (called from %s())", f2);
		}
		appendf(out, n, ": ");
	} else {
		appendf(out, n, "Add a reschedule point in the loop it runs: ");
	}
	/* On PREEMPT_RT cond_resched() does nothing for preemption: only
	 * releasing the bottom-half lock lets softirq processing in. */
	if (bh_off && kernel_rt(k))
		appendf(out, n, "work in slices and release bottom halves between them (local_bh_enable(), "
			"then local_bh_disable() again), so that softirq processing waiting on the per-CPU "
			"bottom-half lock can run.");
	else if (bh_off)
		appendf(out, n, "work in slices, re-enable bottom halves between them (local_bh_enable()) and call cond_resched().");
	else if (kernel_rt(k))
		appendf(out, n, "on PREEMPT_RT such a loop is preemptible unless it disables preemption or "
			"holds a raw spinlock: shorten that section.");
	else
		appendf(out, n, "call cond_resched() every few hundred microseconds of work.");
}

static void advice_kmsg(const struct eng_incident *inc, char *out, size_t n)
{
	out[0] = '\0';
	if (!inc->n_kmsg)
		return;
	appendf(out, n, "The kernel log at the time shows ");
	for (unsigned i = 0; i < inc->n_kmsg && i < 2; i++)
		appendf(out, n, "%s%s \"%.80s\"", i ? " and " : "", inc->kmsg[i].cls, inc->kmsg[i].text);
	appendf(out, n, ": it coincides with the stall; look at what that operation does in the kernel loop named above.");
}


/* Where the silence ended, for the summaries. */
static const char *gap_place(const struct eng_gap *g)
{
	return g->place[0] ? g->place : "?";
}

static void words_no_stall(const struct eng_cfg *c, const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], d2[32], buf[ENG_ADVICE_LEN];

	snprintf(inc->summary, sizeof(inc->summary),
		 "%" PRIu64 " retransmits and %" PRIu64 " drops with no CPU held for %s or more; "
		 "NET_RX ran within %s of being raised on every CPU.",
		 inc->retransmits, inc->drops, dur(c->stall_ns, d1, sizeof(d1)),
		 dur(v->netrx_max_ns, d2, sizeof(d2)));
	snprintf(buf, sizeof(buf),
		 "The CPU is ruled out (no stall >= %s, NET_RX max delay %s): look for loss, congestion "
		 "or a rate limiter on the path (tc -s qdisc, ss -ti, nstat -az | grep -i -e drop -e retrans).",
		 dur(c->stall_ns, d1, sizeof(d1)), dur(v->netrx_max_ns, d2, sizeof(d2)));
	add_advice(inc->advice, &inc->n_advice, buf);
	if (inc->retrans_segs && inc->retransmits > inc->retrans_segs * 2) {
		snprintf(buf, sizeof(buf),
			 "The tracepoint counted %" PRIu64 " retransmit attempts but TcpRetransSegs only %" PRIu64
			 " segments: many attempts failed locally (qdisc full or the skb still queued), "
			 "which points at a local queue or rate limiter.", inc->retransmits, inc->retrans_segs);
		add_advice(inc->advice, &inc->n_advice, buf);
	}
}

/* NET_RX waited on v->cpu and nobody is named: that CPU is not ruled out. */
static void words_unheld(const struct eng_cfg *c, const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], d2[32], buf[ENG_ADVICE_LEN];
	int cpu = v->cpu;

	snprintf(inc->summary, sizeof(inc->summary),
		 "NET_RX waited up to %s on CPU %d, but no task was seen holding that CPU for %s or more; "
		 "%" PRIu64 " retransmits and %" PRIu64 " drops followed.", dur(v->netrx_max_ns, d1, sizeof(d1)),
		 cpu, dur(c->stall_ns, d2, sizeof(d2)), inc->retransmits, inc->drops);
	if (inc->n_suspects)
		appendf(inc->summary, sizeof(inc->summary),
			" The stalls seen were elsewhere (%s on CPU %d) and nothing ties them to the loss.",
			inc->suspects[0].task.comm, inc->suspects[0].cpu);
	snprintf(buf, sizeof(buf),
		 "Softirqs were held off on CPU %d without a hold the sampler saw (bottom halves or interrupts "
		 "off in pieces, or lost records): time every NET_RX raise there with ksleuth doctor "
		 "--netrx-trace -C %d, and see who runs on it with ksleuth runq -C %d.", cpu, cpu, cpu);
	add_advice(inc->advice, &inc->n_advice, buf);
	advice_placement(cpu, buf, sizeof(buf));
	add_advice(inc->advice, &inc->n_advice, buf);
}

/* The CPU took no timer interrupt and did not run this kernel. */
static void words_not_running(const struct eng_kernel *k, const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], buf[ENG_ADVICE_LEN];
	const struct eng_task *t = &v->culprit;
	bool user = v->gap.mode == ENG_MODE_USER;
	int cpu = v->holder_cpu;

	appendf(inc->summary, sizeof(inc->summary),
		"CPU %d took no timer interrupt for %s while %s (pid %d) ran in %s mode%s%s%s: %s "
		"did not run this kernel at all%s; %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
		cpu, dur(v->gap.ns, d1, sizeof(d1)), t->comm, t->pid, user ? "user" : "kernel",
		user ? ", where interrupts are always on" : ", and the tick came at ",
		user ? "" : gap_place(&v->gap), user ? "" : ", not where interrupts are turned back on",
		user && !k->vm ? "the CPU" : "most likely the CPU",
		k->vm ? " — this virtual machine's host did not run the vCPU" :
		" — firmware (a system management interrupt) or a hypervisor held it",
		inc->retransmits, inc->drops);
	snprintf(buf, sizeof(buf),
		 "Nothing in this system held CPU %d: look at %s (its CPU overcommit, the pinning of this "
		 "VM's vCPU threads, the host's own stalls); this kernel reports steal time in /proc/stat "
		 "only where the host provides it.", cpu, k->vm ? "the host" : "the firmware and the platform");
	add_advice(inc->advice, &inc->n_advice, buf);
	if (!user) {
		snprintf(buf, sizeof(buf), "If the host is not to blame, a section with interrupts off ended "
			 "just before %s on CPU %d: look there.", gap_place(&v->gap), cpu);
		add_advice(inc->advice, &inc->n_advice, buf);
	} else if (k->vm) {
		snprintf(buf, sizeof(buf), "If the host is not to blame: a VM's timer interrupt can come late, "
			 "after a system call of %s (pid %d) that had interrupts off returned; its kernel "
			 "stacks (ksleuth runq -p %d) would show one.", t->comm, t->pid, t->pid);
		add_advice(inc->advice, &inc->n_advice, buf);
	}
}

/* The holder kept interrupts off through the silence. */
static void words_irq_off(const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], buf[ENG_ADVICE_LEN];

	appendf(inc->summary, sizeof(inc->summary),
		"%s (pid %d) held CPU %d with interrupts disabled for %s (no timer interrupt; they came back on "
		"in %s); NET_RX could not run there, and %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
		v->culprit.comm, v->culprit.pid, v->holder_cpu, dur(v->gap.ns, d1, sizeof(d1)), gap_place(&v->gap),
		inc->retransmits, inc->drops);
	snprintf(buf, sizeof(buf),
		 "Keep interrupts-off sections short: the one ending in %s lasted %s. No preemption model "
		 "helps inside it and it cannot reschedule there: split the work, and turn interrupts (and "
		 "the lock) back on between the pieces.", gap_place(&v->gap), dur(v->gap.ns, d1, sizeof(d1)));
	add_advice(inc->advice, &inc->n_advice, buf);
	advice_placement(v->holder_cpu, buf, sizeof(buf));
	add_advice(inc->advice, &inc->n_advice, buf);
}

/* The summary of softirq_blocked by a hold. */
static void summary_blocked(const struct eng_kernel *k, const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], d2[32];
	const struct eng_task *t = &v->culprit;

	if (v->rt_bh_lock) {
		snprintf(inc->summary, sizeof(inc->summary),
			 "%s (pid %d) held CPU %d's bottom-half lock for %s in the kernel; on PREEMPT_RT "
			 "softirq processing and the NAPI and backlog threads of that CPU wait for that "
			 "lock asleep, and %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
			 t->comm, t->pid, v->holder_cpu, dur(v->stall_ns, d1, sizeof(d1)),
			 inc->retransmits, inc->drops);
		return;
	}
	snprintf(inc->summary, sizeof(inc->summary),
		 "%s (pid %d) held CPU %d for %s %s; NET_RX waited up to %s to run there, "
		 "and %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
		 t->comm, t->pid, v->holder_cpu, dur(v->stall_ns, d1, sizeof(d1)),
		 v->bh_inferred ? "in the kernel with bottom halves (or interrupts) disabled" :
		 v->bh_off ? "in the kernel with bottom halves disabled" :
		 v->mode == ENG_MODE_KERNEL ? "in the kernel" : "",
		 dur(v->netrx_max_ns, d2, sizeof(d2)), inc->retransmits, inc->drops);
	if (v->bh_inferred)
		appendf(inc->summary, sizeof(inc->summary),
			" On Linux %d.%d interrupt exits run pending softirqs, so NET_RX waiting through the "
			"whole hold means they were held off.", k->major, k->minor);
}

/* The advice every kernel holder gets: where to reschedule, what the
 * preemption model does about it, with or without bottom halves off. */
static void advice_kernel_hold(const struct eng_kernel *k, const struct eng_verdict *v, bool bh_off,
			       struct eng_incident *inc)
{
	char buf[ENG_ADVICE_LEN];

	advice_reschedule(k, &v->culprit, v->mode, bh_off, inc->frames, inc->n_frames, v->holder_cpu,
			  v->stall_ns, buf, sizeof(buf));
	add_advice(inc->advice, &inc->n_advice, buf);
	advice_preempt(k, bh_off, buf, sizeof(buf));
	add_advice(inc->advice, &inc->n_advice, buf);
}

static void words_rt_starvation(const struct eng_kernel *k, const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], buf[ENG_ADVICE_LEN];
	const struct eng_task *t = &v->culprit;
	int cpu = v->holder_cpu;

	snprintf(inc->summary, sizeof(inc->summary),
		 "%s (pid %d, %s priority %d) monopolised CPU %d for %s in %s mode; "
		 "%" PRIu64 " retransmits and %" PRIu64 " drops followed.",
		 t->comm, t->pid, eng_policy_name(t->policy), t->rt_prio, cpu, dur(v->stall_ns, d1, sizeof(d1)),
		 eng_mode_name(v->mode), inc->retransmits, inc->drops);
	buf[0] = '\0';
	appendf(buf, sizeof(buf), "Bound the real-time task: lower its priority or policy, make it sleep, "
		"or move it off CPU %d. ", cpu);
	if (k->rt_period_us > 0 && k->rt_runtime_us >= 0)
		appendf(buf, sizeof(buf), "RT throttling is on (sched_rt_runtime_us %ld of %ld): other tasks get "
			"only the remaining %ld us of each period; keep it on.", k->rt_runtime_us,
			k->rt_period_us, k->rt_period_us - k->rt_runtime_us);
	else if (k->rt_runtime_us < 0)
		appendf(buf, sizeof(buf), "RT throttling is off (sched_rt_runtime_us = -1): turn it back on "
			"(950000 of 1000000) so other tasks get the CPU.");
	else
		appendf(buf, sizeof(buf), "Keep RT throttling on (kernel.sched_rt_runtime_us < sched_rt_period_us).");
	add_advice(inc->advice, &inc->n_advice, buf);
	advice_placement(cpu, buf, sizeof(buf));
	add_advice(inc->advice, &inc->n_advice, buf);
}

static void words_ksoftirqd(const struct eng_kernel *k, const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], d2[32], d3[32], who[48], buf[ENG_ADVICE_LEN];
	const struct eng_task *t = &v->culprit;
	int cpu = v->holder_cpu;

	if (kernel_backlog_threads(k))
		snprintf(who, sizeof(who), "ksoftirqd/%d or backlog_napi/%d", cpu, cpu);
	else
		snprintf(who, sizeof(who), "ksoftirqd/%d", cpu);
	if (v->exits_only) /* 6.5+, ksoftirqd not kept waiting: exits alone fell behind */
		snprintf(inc->summary, sizeof(inc->summary),
			 "%s (pid %d) held CPU %d for %s in the kernel; only interrupt exits ran NET_RX "
			 "there (it waited at most %s), and between them CPU %d's backlog overflowed: it "
			 "dropped %" PRIu64 " packets.", t->comm, t->pid, cpu, dur(v->stall_ns, d2, sizeof(d2)),
			 dur(v->netrx_max_ns, d3, sizeof(d3)), cpu, v->cpu_drops);
	else if (v->deferred)
		snprintf(inc->summary, sizeof(inc->summary),
			 "%s waited up to %s while %s (pid %d) held CPU %d for %s; softirq work was deferred "
			 "to ksoftirqd (%s), so packet processing waited with it: NET_RX waited up to %s.",
			 who, dur(v->ksoftirqd_wait_ns, d1, sizeof(d1)), t->comm, t->pid, cpu,
			 dur(v->stall_ns, d2, sizeof(d2)),
			 kernel_rt(k) ? "on PREEMPT_RT softirqs raised by interrupts run in ksoftirqd" :
			 "Linux before 6.5 defers all softirqs to a woken ksoftirqd",
			 dur(v->netrx_max_ns, d3, sizeof(d3)));
	else /* 6.5+: each interrupt exit's NET_RX run is capped; ksoftirqd gets the rest */
		snprintf(inc->summary, sizeof(inc->summary),
			 "%s waited up to %s while %s (pid %d) held CPU %d for %s; interrupt exits still ran "
			 "NET_RX (it waited at most %s), but each run is capped (net.core.netdev_budget, 2 ms) "
			 "and the rest waits for ksoftirqd: time_squeeze rose %" PRIu64 " times and CPU %d's "
			 "backlog dropped %" PRIu64 " packets.",
			 who, dur(v->ksoftirqd_wait_ns, d1, sizeof(d1)), t->comm, t->pid, cpu,
			 dur(v->stall_ns, d2, sizeof(d2)), dur(v->netrx_max_ns, d3, sizeof(d3)), v->squeezes, cpu,
			 v->cpu_drops);
	advice_kernel_hold(k, v, false, inc);
	if (kernel_before(k, 6, 5) && !kernel_rt(k)) {
		snprintf(buf, sizeof(buf), "Linux %s runs softirqs only in ksoftirqd once it is woken; since 6.5 "
			 "every interrupt exit serves them again, which removes this failure mode.",
			 k->release[0] ? k->release : "before 6.5");
		add_advice(inc->advice, &inc->n_advice, buf);
	}
	advice_placement(cpu, buf, sizeof(buf));
	add_advice(inc->advice, &inc->n_advice, buf);
}

/* A CPU stalled, but NET_RX ran there on time: the CPU is ruled out. */
static void words_stall_not_cpu(const struct eng_verdict *v, struct eng_incident *inc)
{
	char d1[32], d2[32], d3[32], buf[ENG_ADVICE_LEN];

	snprintf(inc->summary, sizeof(inc->summary),
		 "%" PRIu64 " retransmits and %" PRIu64 " drops; %s (pid %d) held CPU %d for %s, but NET_RX "
		 "still ran within %s there: that stall did not stop packet processing.",
		 inc->retransmits, inc->drops, v->culprit.comm, v->culprit.pid, v->holder_cpu,
		 dur(v->stall_ns, d1, sizeof(d1)), dur(v->netrx_max_ns, d2, sizeof(d2)));
	snprintf(buf, sizeof(buf),
		 "The CPU is ruled out (NET_RX max delay %s, ksoftirqd max wait %s%s): look for loss, "
		 "congestion or a rate limiter on the path (tc -s qdisc, ss -ti, nstat).",
		 dur(v->netrx_max_ns, d1, sizeof(d1)), dur(v->ksoftirqd_wait_ns, d3, sizeof(d3)),
		 v->deferred ? "" : "; since Linux 6.5 a waiting ksoftirqd does not hold softirqs back");
	add_advice(inc->advice, &inc->n_advice, buf);
}

static void words_hold(const struct eng_kernel *k, const struct eng_verdict *v, struct eng_incident *inc)
{
	char buf[ENG_ADVICE_LEN];

	switch (v->mech) {
	case ENG_SOFTIRQ_BLOCKED:
		summary_blocked(k, v, inc);
		advice_kernel_hold(k, v, v->bh_off, inc);
		advice_placement(v->holder_cpu, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		break;
	case ENG_RT_STARVATION:
		words_rt_starvation(k, v, inc);
		break;
	case ENG_KSOFTIRQD_STARVED:
		words_ksoftirqd(k, v, inc);
		break;
	default:
		words_stall_not_cpu(v, inc);
		break;
	}
}

void eng_advise(const struct eng_cfg *c, const struct eng_kernel *k, const struct eng_verdict *v,
		struct eng_incident *inc)
{
	inc->summary[0] = '\0';
	inc->n_advice = 0;
	switch (v->basis) {
	case ENG_BASIS_NO_STALL:
		words_no_stall(c, v, inc);
		break;
	case ENG_BASIS_UNHELD:
		words_unheld(c, v, inc);
		break;
	case ENG_BASIS_SILENCE:
		if (v->mech == ENG_CPU_NOT_RUNNING)
			words_not_running(k, v, inc);
		else
			words_irq_off(v, inc);
		break;
	case ENG_BASIS_HOLD:
		words_hold(k, v, inc);
		break;
	}
	if (inc->n_kmsg) {
		char buf[ENG_ADVICE_LEN];
		advice_kmsg(inc, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		appendf(inc->summary, sizeof(inc->summary), " Kernel log: %s.", inc->kmsg[0].cls);
	}
}

void eng_advise_finding(const struct eng_kernel *k, const struct eng_gap *gap, struct eng_finding *f)
{
	char d1[32], d2[32], buf[ENG_ADVICE_LEN];
	bool rt = policy_is_rt(f->culprit.policy);

	f->summary[0] = '\0';
	f->n_advice = 0;
	if (f->irq_gap_ns * 2 >= f->stall_ns) {
		appendf(f->summary, sizeof(f->summary),
			"CPU %d took no timer interrupt for %s while %s (pid %d) ran in %s mode: %s; packet "
			"processing was not hurt (no retransmit or drop spike).", f->cpu,
			dur(f->irq_gap_ns, d1, sizeof(d1)), f->culprit.comm, f->culprit.pid, eng_mode_name(f->mode),
			f->irq_gap_not_running ? "the CPU did not run this kernel (the host, or "
			"firmware, held it)" : "interrupts were off until the tick came");
		if (gap->mode != ENG_MODE_USER && gap->place[0]) {
			snprintf(buf, sizeof(buf), "The silence ended in %s%s.", gap->place,
				 gap->irq_on ? ", where interrupts are turned back on: keep that section short" : "");
			add_advice(f->advice, &f->n_advice, buf);
		}
		return;
	}
	snprintf(f->summary, sizeof(f->summary),
		 "%s (pid %d%s%s) held CPU %d for %s in %s mode%s; packet processing went on "
		 "(NET_RX max delay %s, no retransmit or drop spike).",
		 f->culprit.comm, f->culprit.pid, rt ? ", " : "", rt ? eng_policy_name(f->culprit.policy) : "",
		 f->cpu, dur(f->stall_ns, d1, sizeof(d1)), eng_mode_name(f->mode),
		 f->victim_comm[0] ? ", other tasks waited" : "", dur(f->netrx_max_ns, d2, sizeof(d2)));
	if (rt) {
		snprintf(buf, sizeof(buf), "A real-time task (%s priority %d) kept CPU %d from other tasks: "
			 "bound it or move it; keep RT throttling on.", eng_policy_name(f->culprit.policy),
			 f->culprit.rt_prio, f->cpu);
		add_advice(f->advice, &f->n_advice, buf);
	} else if (f->mode != ENG_MODE_USER) {
		advice_reschedule(k, &f->culprit, f->mode, f->bh_off, f->frames, f->n_frames, f->cpu,
				  f->stall_ns, buf, sizeof(buf));
		add_advice(f->advice, &f->n_advice, buf);
		advice_preempt(k, f->bh_off, buf, sizeof(buf));
		add_advice(f->advice, &f->n_advice, buf);
	}
}
