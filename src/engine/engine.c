/* engine.c — timeline, spike detection, stall correlation and verdicts for
 * the doctor. Pure: no BPF, no /proc, no clock; every time comes in with
 * the data. Memory is fixed at engine_new (rings of bins, stalls, lines). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/kmsg.h"
#include "lib/parse.h"

#define RING_BINS 600          /* 10 minutes of seconds kept in detail */
#define RING_STALLS 256
#define RING_KMSG 64
/* Two waits behind the same task, back to back, are one hold: the first
 * waiter may leave for another CPU while the holder keeps running. */
#define MERGE_GAP_NS (20 * NS_PER_MS)
#define RING_NETRX 64
enum net_wait_kind { NW_NETRX, NW_KSOFTIRQD };
#define ONGOING_WAIT_NS (4 * NS_PER_SEC) /* hogs stop within 3 s: wait no longer */

struct bin {
	int64_t k;                 /* bin index, -1 when empty */
	bool spike;
	bool echo;                 /* retransmits of an earlier incident's loss */
	unsigned incident;         /* id of the incident it belongs to, 0 none */
	uint64_t retrans_tp, retrans_segs, drops;
	bool have_tp, have_segs;
	struct eng_cpu_sample *cpu;
};

enum stall_state { ST_FREE = 0, ST_PENDING, ST_USED, ST_CLEARED, ST_REPORTED };

struct stall {
	enum stall_state state;
	struct eng_stall s;
	uint64_t seen_ns;          /* the newest end time reported */
};

struct kline {
	uint64_t ts_ns;
	enum kmsg_class cls;
	char text[ENG_KMSG_LEN];
};

struct engine {
	struct eng_cfg cfg;
	struct eng_kernel k;
	unsigned ncpus;
	uint64_t t0_ns;
	eng_emit_fn emit;
	void *arg;

	struct bin bins[RING_BINS];
	struct eng_cpu_sample *cpu_store;
	int64_t max_k;             /* newest bin filled, -1 none */

	struct stall stalls[RING_STALLS];
	unsigned stall_next;
	struct kline kmsg[RING_KMSG];
	unsigned kmsg_n;

	bool inc_open;
	int64_t inc_first_k, inc_last_k;
	/* after an incident blamed on a CPU: up to echo_k, seconds of
	 * retransmits alone, at most echo_peak a second, are its aftermath */
	int64_t echo_k;
	uint64_t echo_peak;
	unsigned n_echoes;

	/* The network's own recorded waits (NET_RX's delays, ksoftirqd's
	 * run-queue waits), kept apart from the stalls they merge into: which
	 * hold a wait overlapped */
	struct net_wait { int cpu; enum net_wait_kind kind; uint64_t start_ns, end_ns; } netw[RING_NETRX];
	unsigned netw_next;
	unsigned n_incidents, n_findings, n_spikes, n_stalls;
	uint64_t longest_stall_ns;
	uint64_t total_retrans, total_drops;

	struct eng_incident inc;   /* scratch for the one being closed */
	struct eng_finding fnd;
};

void eng_cfg_default(struct eng_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->bin_ns = NS_PER_SEC;
	c->stall_ns = 100 * NS_PER_MS;
	c->netrx_ns = 100 * NS_PER_MS;
	c->netrx_spike_ns = 200 * NS_PER_MS;
	c->retrans_min = 50;
	c->drops_min = 100;
	c->factor = 10.0;
	c->baseline_bins = 10;
	c->quiet_bins = 2;
	c->warmup_bins = 2;
	c->window_ns = NS_PER_SEC;
	c->kmsg_before_ns = 5 * NS_PER_SEC;
}

const char *eng_mech_name(enum eng_mech m)
{
	switch (m) {
	case ENG_SOFTIRQ_BLOCKED: return "softirq_blocked";
	case ENG_KSOFTIRQD_STARVED: return "ksoftirqd_starved";
	case ENG_RT_STARVATION: return "rt_starvation";
	case ENG_CPU_STALL_NO_NETWORK_IMPACT: return "cpu_stall_no_network_impact";
	case ENG_NOT_CPU: return "not_cpu";
	case ENG_CPU_NOT_RUNNING: return "cpu_not_running";
	default: return "none";
	}
}

const char *eng_policy_name(int policy)
{
	switch (policy) {
	case 0: return "SCHED_OTHER";
	case 1: return "SCHED_FIFO";
	case 2: return "SCHED_RR";
	case 3: return "SCHED_BATCH";
	case 5: return "SCHED_IDLE";
	case 6: return "SCHED_DEADLINE";
	default: return "unknown";
	}
}

const char *eng_mode_name(enum eng_mode m)
{
	return m == ENG_MODE_KERNEL ? "kernel" : m == ENG_MODE_USER ? "user" : "unknown";
}

enum eng_mode eng_task_mode(const struct eng_task *t)
{
	if (!t->samples)
		return ENG_MODE_UNKNOWN;
	return t->samples_kernel * 2 > t->samples ? ENG_MODE_KERNEL : ENG_MODE_USER;
}

static bool name_has_any(const char *f, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strstr(f, names[i]))
			return true;
	return false;
}

void eng_gap_classify(const char frames[][ENG_FRAME_LEN], unsigned n, enum eng_mode sample_mode,
		      enum eng_mode *mode, bool *irq_on, char place[ENG_FRAME_LEN])
{
	/* local_irq_enable/restore inline to one instruction, taken right
	 * after; their out-of-line homes and paravirt hooks say so by name:
	 * _raw_spin_unlock_irqrestore, _raw_spin_unlock_irq,
	 * bpf_local_irq_restore, pvm_irq_enable, native_irq_enable, ... */
	static const char *const on[] = { "irq_enable", "irq_restore", "irqrestore", "unlock_irq", "restore_fl" };
	static const char *const hooks[] = { "pvm_", "native_", "xen_", "__raw_callee_save", "pv_" };
	unsigned from = 0;

	for (unsigned f = 0; f < n; f++)
		if (!strncmp(frames[f], "asm_", 4)) /* asm_sysvec_*, asm_common_interrupt, asm_exc_* */
			from = f + 1;
	*irq_on = false;
	place[0] = '\0';
	if (sample_mode == ENG_MODE_USER || (from && from >= n)) {
		*mode = ENG_MODE_USER;
		return;
	}
	*mode = sample_mode;
	for (unsigned f = from; f < n && f < from + 3; f++)
		if (name_has_any(frames[f], on, sizeof(on) / sizeof(on[0])))
			*irq_on = true;
	for (unsigned f = from; f < n; f++)
		if (!name_has_any(frames[f], hooks, sizeof(hooks) / sizeof(hooks[0]))) {
			snprintf(place, ENG_FRAME_LEN, "%s", frames[f]);
			break;
		}
}

bool eng_task_bh_off(const struct eng_task *t)
{
	uint32_t off = t->samples_bh_off > t->samples_irq_off ? t->samples_bh_off : t->samples_irq_off;
	return t->samples_kernel && off * 2 > t->samples_kernel;
}

/* sched_prio_to_weight (kernel/sched/core.c), nice -20 .. 19 */
static const uint32_t prio_to_weight[40] = {
	88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
	9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
	1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
	110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
};

uint32_t eng_fair_weight(int policy, int prio)
{
	if (policy == 5) /* SCHED_IDLE: WEIGHT_IDLEPRIO whatever its nice */
		return 3;
	if ((policy == 0 || policy == 3) && prio >= 100 && prio < 140)
		return prio_to_weight[prio - 100];
	return 0;
}

bool eng_stall_weighted(const struct eng_stall *s)
{
	uint64_t len = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;

	if (!s->n_tasks || !s->tasks[0].run_ns || !len)
		return false;
	uint32_t W = eng_fair_weight(s->tasks[0].policy, s->tasks[0].prio);
	uint32_t w = eng_fair_weight(s->victim_policy, s->victim_prio);
	if (!W || !w || W <= w)
		return false;
	/* its share against this waiter alone; others sharing the CPU only
	 * lower what it ran, so this bound holds for a busy CPU too */
	double share = (double)len * W / ((double)W + w);
	if ((double)s->tasks[0].run_ns <= share + (double)ENG_FAIR_SLICE_NS)
		return true;
	/* Within one wait the holder runs throughout, so the share alone
	 * only excuses waits up to ~W/w slices. EEVDF serves the lighter
	 * task about once every W/w of its slices: nice 19 behind nice 0
	 * waits ~205 ms by design, 250-276 ms measured on 6.18 (tick
	 * rounding, lag); half again and 10 ms of margin. */
	return (double)len <= 1.5 * ENG_FAIR_SLICE_NS * W / w + 10e6;
}

bool eng_stall_held(const struct eng_stall *s)
{
	uint64_t len = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;

	if (!s->n_tasks || !s->tasks[0].run_ns)
		return true;
	return s->tasks[0].run_ns * 2 >= len && !eng_stall_weighted(s);
}

const char *eng_link_name(enum eng_link l)
{
	switch (l) {
	case ENG_LINK_SPIKE: return "spike";
	case ENG_LINK_BACKLOG: return "backlog";
	case ENG_LINK_NETRX: return "netrx";
	default: return "none";
	}
}

static bool is_rt(int policy)
{
	return policy == 1 || policy == 2 || policy == 6;
}

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

/* ---- construction ------------------------------------------------------ */

struct engine *engine_new(const struct eng_cfg *cfg, const struct eng_kernel *k,
			  unsigned ncpus, uint64_t t0_ns, eng_emit_fn emit, void *arg)
{
	struct engine *e;

	if (!cfg || !ncpus || ncpus > 4096 || !cfg->bin_ns || !emit)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cpu_store = calloc((size_t)RING_BINS * ncpus, sizeof(*e->cpu_store));
	if (!e->cpu_store) {
		free(e);
		return NULL;
	}
	e->cfg = *cfg;
	if (!e->cfg.baseline_bins)
		e->cfg.baseline_bins = 1;
	if (k)
		e->k = *k;
	e->ncpus = ncpus;
	e->t0_ns = t0_ns;
	e->emit = emit;
	e->arg = arg;
	e->max_k = -1;
	for (unsigned i = 0; i < RING_BINS; i++) {
		e->bins[i].k = -1;
		e->bins[i].cpu = e->cpu_store + (size_t)i * ncpus;
	}
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	free(e->cpu_store);
	free(e);
}

/* ---- bins -------------------------------------------------------------- */

static struct bin *bin_get(struct engine *e, int64_t k)
{
	if (k < 0)
		return NULL;
	struct bin *b = &e->bins[k % RING_BINS];
	return b->k == k ? b : NULL;
}

static struct bin *bin_claim(struct engine *e, int64_t k)
{
	struct bin *b = &e->bins[k % RING_BINS];
	if (b->k != k) {
		struct eng_cpu_sample *cpu = b->cpu;
		memset(b, 0, sizeof(*b));
		memset(cpu, 0, sizeof(*cpu) * e->ncpus);
		b->cpu = cpu;
		b->k = k;
	}
	return b;
}

static uint64_t bin_start(const struct engine *e, int64_t k)
{
	return e->t0_ns + (uint64_t)k * e->cfg.bin_ns;
}

static int64_t bin_of(const struct engine *e, uint64_t ts)
{
	if (ts < e->t0_ns)
		return -1;
	return (int64_t)((ts - e->t0_ns) / e->cfg.bin_ns);
}

static uint64_t bin_retrans(const struct bin *b)
{
	return b->have_tp ? b->retrans_tp : b->retrans_segs;
}

/* What a spike is judged on: the larger of the two counts. The tracepoint
 * counts retransmitted skbs, failed local attempts too; TcpRetransSegs
 * counts segments, several to a GSO skb (a 20 Mbit/s tbf under a nice 0
 * loop: 471 segments a second where the tracepoint counted 122 in 10 s). */
static uint64_t bin_spike_retrans(const struct bin *b)
{
	uint64_t tp = b->have_tp ? b->retrans_tp : 0, segs = b->have_segs ? b->retrans_segs : 0;
	return tp > segs ? tp : segs;
}

static uint64_t bin_drops(const struct engine *e, const struct bin *b)
{
	(void)e;
	return b->drops;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median of the last baseline_bins quiet (non-spike) seconds before k. A
 * median ignores one noisy second; spikes are left out so a long incident
 * does not become its own baseline. */
static void baseline(struct engine *e, int64_t k, uint64_t *retrans, uint64_t *drops)
{
	uint64_t r[64], d[64];
	unsigned n = 0, want = e->cfg.baseline_bins < 64 ? e->cfg.baseline_bins : 64;

	for (int64_t j = k - 1; j >= 0 && j >= k - (int64_t)RING_BINS + 1 && n < want; j--) {
		struct bin *b = bin_get(e, j);
		if (!b || b->spike || b->echo || j < (int64_t)e->cfg.warmup_bins)
			continue;
		r[n] = bin_spike_retrans(b);
		d[n] = bin_drops(e, b);
		n++;
	}
	if (!n) {
		*retrans = *drops = 0;
		return;
	}
	qsort(r, n, sizeof(r[0]), cmp_u64);
	qsort(d, n, sizeof(d[0]), cmp_u64);
	*retrans = r[n / 2];
	*drops = d[n / 2];
}

static bool over(uint64_t v, uint64_t min, double factor, uint64_t base)
{
	return v >= min && (double)v >= factor * (double)base;
}

static void close_incident(struct engine *e, uint64_t now_ns);

#define ENG_ECHO_S 8 /* 0.2 + 0.4 + ... + 3.2 s of backed-off timers, rounded up */

/* Retransmit timers back off (200 ms, then doubling): flows that lost
 * packets to a CPU hold retransmit again for seconds after it, one
 * segment a flow, with nothing new on any CPU. Such a second, within
 * ENG_ECHO_S of an incident blamed on a CPU and no larger than its worst
 * second, with drops below the bar and NET_RX on time, is that
 * incident's aftermath, not a new one. */
static bool is_echo(struct engine *e, const struct bin *b, uint64_t r, uint64_t d)
{
	if (e->inc_open || !e->echo_peak || b->k > e->echo_k)
		return false;
	if (r > e->echo_peak || d >= e->cfg.drops_min)
		return false;
	for (int64_t k = b->k - 1; k <= b->k; k++) {
		const struct bin *x = bin_get(e, k);
		for (unsigned c = 0; x && c < e->ncpus; c++)
			if (x->cpu[c].netrx_max_ns >= e->cfg.netrx_ns)
				return false;
	}
	return true;
}

static void evaluate_bin(struct engine *e, struct bin *b)
{
	uint64_t base_r, base_d, r = bin_spike_retrans(b), d = bin_drops(e, b);
	uint64_t netrx = 0;
	int netrx_cpu = -1;
	const char *reason = NULL;

	if (b->k < (int64_t)e->cfg.warmup_bins)
		return;
	baseline(e, b->k, &base_r, &base_d);
	for (unsigned c = 0; c < e->ncpus; c++)
		if (b->cpu[c].netrx_max_ns > netrx) {
			netrx = b->cpu[c].netrx_max_ns;
			netrx_cpu = (int)c;
		}
	if (over(r, e->cfg.retrans_min, e->cfg.factor, base_r))
		reason = "retransmits";
	else if (over(d, e->cfg.drops_min, e->cfg.factor, base_d))
		reason = "drops";
	else if (netrx >= e->cfg.netrx_spike_ns)
		reason = "netrx_delay";
	if (!reason || b->spike || b->echo)
		return;
	if (is_echo(e, b, r, d)) {
		b->echo = true;
		e->n_echoes++;
		return;
	}
	b->spike = true;
	e->n_spikes++;

	/* group into an incident: gaps of up to quiet_bins quiet seconds */
	if (e->inc_open && (b->k - e->inc_last_k > (int64_t)e->cfg.quiet_bins ||
			    b->k - e->inc_first_k >= ENG_MAX_SECONDS - 2 - (int64_t)e->cfg.quiet_bins))
		close_incident(e, bin_start(e, b->k));
	if (!e->inc_open) {
		e->inc_open = true;
		e->inc_first_k = b->k;
		e->n_incidents++;
	}
	if (b->k > e->inc_last_k || e->inc_last_k < e->inc_first_k)
		e->inc_last_k = b->k;
	b->incident = e->n_incidents;

	struct eng_spike sp = {
		.start_ns = bin_start(e, b->k), .retrans = r, .baseline_retrans = base_r,
		.drops = d, .baseline_drops = base_d, .netrx_max_ns = netrx,
		.netrx_cpu = netrx_cpu, .reason = reason,
	};
	struct eng_event ev = { .type = ENG_EV_SPIKE, .spike = &sp };
	e->emit(e->arg, &ev);
}

void engine_add_sample(struct engine *e, const struct eng_net_sample *s)
{
	int64_t k;

	if (!e || !s)
		return;
	k = s->ts_ns >= e->t0_ns + e->cfg.bin_ns / 2
		? (int64_t)((s->ts_ns - e->t0_ns - e->cfg.bin_ns / 2) / e->cfg.bin_ns) : 0;
	if (e->max_k >= 0 && k <= e->max_k - RING_BINS + 1)
		return; /* too old for the ring */
	struct bin *b = bin_claim(e, k);
	b->retrans_tp += s->retrans_tp;
	b->retrans_segs += s->retrans_segs;
	b->have_tp |= s->have_tp;
	b->have_segs |= s->have_segs;
	b->drops += s->drops_other;
	for (unsigned c = 0; c < s->ncpus && c < e->ncpus && s->cpu; c++) {
		const struct eng_cpu_sample *in = &s->cpu[c];
		struct eng_cpu_sample *o = &b->cpu[c];
		if (in->netrx_max_ns > o->netrx_max_ns)
			o->netrx_max_ns = in->netrx_max_ns;
		if (in->netrx_p99_ns > o->netrx_p99_ns)
			o->netrx_p99_ns = in->netrx_p99_ns;
		if (in->ksoftirqd_wait_ns > o->ksoftirqd_wait_ns)
			o->ksoftirqd_wait_ns = in->ksoftirqd_wait_ns;
		o->drops += in->drops;
		o->squeezes += in->squeezes;
		b->drops += in->drops;
	}
	e->total_retrans += s->have_tp ? s->retrans_tp : s->retrans_segs;
	e->total_drops += s->drops_other;
	for (unsigned c = 0; c < s->ncpus && s->cpu; c++)
		e->total_drops += s->cpu[c].drops;
	if (k > e->max_k)
		e->max_k = k;
	evaluate_bin(e, b);
}

/* ---- stalls ------------------------------------------------------------ */

static int cmp_task(const void *a, const void *b)
{
	const struct eng_task *x = a, *y = b;
	if (x->run_ns != y->run_ns)
		return x->run_ns < y->run_ns ? 1 : -1;
	return x->samples < y->samples ? 1 : x->samples > y->samples ? -1 : 0;
}

static int32_t top_tid(const struct eng_stall *s)
{
	return s->n_tasks ? s->tasks[0].tid : 0;
}

/* Keep a record of NET_RX's delay or ksoftirqd's wait (an ongoing one is
 * updated by its final). */
static void note_net_wait(struct engine *e, const struct eng_stall *s)
{
	enum net_wait_kind kind;

	if (s->end_ns - s->start_ns < e->cfg.stall_ns)
		return;
	if (!s->victim_pid && !strcmp(s->victim_comm, "NET_RX"))
		kind = NW_NETRX;
	else if (s->victim_pid && !strncmp(s->victim_comm, "ksoftirqd/", 10))
		kind = NW_KSOFTIRQD;
	else
		return;
	for (unsigned i = 0; i < RING_NETRX; i++) {
		struct net_wait *n = &e->netw[i];
		if (n->cpu == s->cpu && n->kind == kind && n->start_ns == s->start_ns && n->end_ns > n->start_ns) {
			if (s->end_ns > n->end_ns)
				n->end_ns = s->end_ns;
			return;
		}
	}
	e->netw[e->netw_next] = (struct net_wait){ .cpu = s->cpu, .kind = kind, .start_ns = s->start_ns,
						   .end_ns = s->end_ns };
	e->netw_next = (e->netw_next + 1) % RING_NETRX;
}

void engine_add_stall(struct engine *e, const struct eng_stall *in)
{
	struct eng_stall s;

	if (!e || !in || in->end_ns < in->start_ns)
		return;
	s = *in;
	if (s.n_tasks > ENG_MAX_TASKS)
		s.n_tasks = ENG_MAX_TASKS;
	if (s.n_frames > ENG_MAX_FRAMES)
		s.n_frames = ENG_MAX_FRAMES;
	qsort(s.tasks, s.n_tasks, sizeof(s.tasks[0]), cmp_task);
	if (s.gap.ns) /* its samples and stack are the tick that ended the silence */
		eng_gap_classify(s.frames, s.n_frames, s.n_tasks ? eng_task_mode(&s.tasks[0]) : ENG_MODE_UNKNOWN,
				 &s.gap.mode, &s.gap.irq_on, s.gap.place);

	note_net_wait(e, &s);
	/* The same stall seen again (an update while ongoing, or the same
	 * hold seen both as a run-queue wait and as a NET_RX delay): merge. */
	/* A waiter's final record may come from another CPU (it was pulled
	 * there): its report as ongoing here has ended all the same. */
	for (unsigned i = 0; !s.ongoing && s.victim_pid && i < RING_STALLS; i++) {
		struct stall *o = &e->stalls[i];
		if (o->state != ST_FREE && o->s.ongoing && o->s.cpu != s.cpu && o->s.victim_pid == s.victim_pid &&
		    o->s.start_ns <= s.end_ns && s.start_ns <= o->s.end_ns + MERGE_GAP_NS)
			o->s.ongoing = false;
	}
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *o = &e->stalls[i];
		if (o->state == ST_FREE || o->s.cpu != s.cpu)
			continue;
		if (s.start_ns > o->s.end_ns + MERGE_GAP_NS || o->s.start_ns > s.end_ns + MERGE_GAP_NS)
			continue;
		/* The final record of a wait reported while ongoing replaces
		 * the report: that one only guessed the task running then. */
		if (o->s.ongoing && !s.ongoing && s.victim_pid && s.victim_pid == o->s.victim_pid &&
		    top_tid(&o->s) != top_tid(&s)) {
			bool was_short = o->s.end_ns - o->s.start_ns < e->cfg.stall_ns;
			o->s = s;
			o->seen_ns = s.end_ns;
			if (was_short && s.end_ns - s.start_ns >= e->cfg.stall_ns)
				e->n_stalls++;
			if (s.end_ns - s.start_ns > e->longest_stall_ns)
				e->longest_stall_ns = s.end_ns - s.start_ns;
			return;
		}
		if (top_tid(&o->s) && top_tid(&s) && top_tid(&o->s) != top_tid(&s))
			continue;
		/* A hold and a contention wait behind the same task are not one
		 * hold: merged, the contention's longer window either passes for
		 * a hold or dilutes a real one below half. An ongoing report and
		 * its own final record are one wait whatever they say. */
		bool same_wait = s.victim_pid == o->s.victim_pid && (o->s.ongoing || s.start_ns == o->s.start_ns);
		if (!same_wait && eng_stall_held(&o->s) != eng_stall_held(&s))
			continue;
		bool was_short = o->s.end_ns - o->s.start_ns < e->cfg.stall_ns;
		struct eng_gap gap = o->s.gap;
		uint64_t start = o->s.start_ns < s.start_ns ? o->s.start_ns : s.start_ns;
		uint64_t end = o->s.end_ns > s.end_ns ? o->s.end_ns : s.end_ns;
		/* the holder's time: pieces side by side add up, overlapping
		 * views of the same hold do not */
		bool disjoint = s.start_ns >= o->s.end_ns || o->s.start_ns >= s.end_ns;
		struct eng_task held = o->s.n_tasks ? o->s.tasks[0] : s.tasks[0];
		if (o->s.n_tasks && s.n_tasks) {
			const struct eng_task *a = &o->s.tasks[0], *b = &s.tasks[0];
			if (disjoint) {
				held.run_ns = a->run_ns + b->run_ns;
				held.samples = a->samples + b->samples;
				held.samples_kernel = a->samples_kernel + b->samples_kernel;
				held.samples_bh_off = a->samples_bh_off + b->samples_bh_off;
				held.samples_irq_off = a->samples_irq_off + b->samples_irq_off;
				held.samples_preempt_off = a->samples_preempt_off + b->samples_preempt_off;
			} else if (b->run_ns > a->run_ns) {
				held = *b;
			}
		}
		if (s.n_tasks > o->s.n_tasks || s.tasks[0].samples > o->s.tasks[0].samples ||
		    s.stack_samples > o->s.stack_samples || (s.n_tasks && s.tasks[0].run_ns > o->s.tasks[0].run_ns)) {
			char vc[ENG_COMM_LEN];
			int32_t vp = o->s.victim_pid;
			memcpy(vc, o->s.victim_comm, sizeof(vc));
			o->s = s;
			if (!s.victim_comm[0]) {
				memcpy(o->s.victim_comm, vc, sizeof(vc));
				o->s.victim_pid = vp;
			}
		}
		/* the longest silence of either, with what ended it */
		o->s.gap = s.gap.ns > gap.ns ? s.gap : gap;
		o->s.start_ns = start;
		o->s.end_ns = end;
		if (o->s.n_tasks)
			o->s.tasks[0] = held;
		o->s.ongoing = in->ongoing && end == in->end_ns;
		o->seen_ns = end;
		if (was_short && end - start >= e->cfg.stall_ns)
			e->n_stalls++;
		if (end - start > e->longest_stall_ns)
			e->longest_stall_ns = end - start;
		return;
	}
	if (s.end_ns - s.start_ns < e->cfg.stall_ns && !s.ongoing)
		return;
	/* take the next slot; a slot still pending is only reused when the
	 * ring wrapped, which means it is very old */
	struct stall *slot = &e->stalls[e->stall_next];
	e->stall_next = (e->stall_next + 1) % RING_STALLS;
	slot->state = ST_PENDING;
	slot->s = s;
	slot->seen_ns = s.end_ns;
	if (s.end_ns - s.start_ns >= e->cfg.stall_ns)
		e->n_stalls++;
	if (s.end_ns - s.start_ns > e->longest_stall_ns)
		e->longest_stall_ns = s.end_ns - s.start_ns;
}

void engine_add_kmsg(struct engine *e, uint64_t ts_ns, const char *text)
{
	enum kmsg_class c;

	if (!e || !text)
		return;
	c = kmsg_classify(text);
	if (c == KMSG_OTHER)
		return;
	struct kline *l = &e->kmsg[e->kmsg_n % RING_KMSG];
	e->kmsg_n++;
	l->ts_ns = ts_ns;
	l->cls = c;
	snprintf(l->text, sizeof(l->text), "%s", text);
}

/* ---- verdicts ----------------------------------------------------------- */

static bool stall_is_real(const struct engine *e, const struct stall *st)
{
	return st->state != ST_FREE && st->s.end_ns - st->s.start_ns >= e->cfg.stall_ns;
}

/* A hold, not contention (eng_stall_held): only holds are suspects,
 * findings or the culprit a second names. */
static bool stall_is_held(const struct stall *st)
{
	return eng_stall_held(&st->s);
}

/* Time the main antagonist took from the stalled work. */
static uint64_t stolen(const struct stall *st)
{
	uint64_t len = st->s.end_ns - st->s.start_ns;
	if (st->s.n_tasks && st->s.tasks[0].run_ns && st->s.tasks[0].run_ns < len)
		return st->s.tasks[0].run_ns;
	return len;
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

static bool kernel_before(const struct eng_kernel *k, int major, int minor)
{
	if (!k->major)
		return false;
	return k->major < major || (k->major == major && k->minor < minor);
}

static bool kernel_rt(const struct eng_kernel *k)
{
	return k->rt || !strcmp(k->preempt, "rt");
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

struct window {
	int64_t k0, k1;            /* bins considered */
	uint64_t lo_ns, hi_ns;     /* stall candidates overlap [lo, hi) */
};

static void cpu_stats(struct engine *e, const struct window *w, int cpu, uint64_t *netrx,
		      uint64_t *ksw, uint64_t *squeeze)
{
	*netrx = *ksw = *squeeze = 0;
	for (int64_t k = w->k0; k <= w->k1; k++) {
		struct bin *b = bin_get(e, k);
		if (!b)
			continue;
		for (unsigned c = 0; c < e->ncpus; c++) {
			if (cpu >= 0 && (int)c != cpu)
				continue;
			if (b->cpu[c].netrx_max_ns > *netrx)
				*netrx = b->cpu[c].netrx_max_ns;
			if (b->cpu[c].ksoftirqd_wait_ns > *ksw)
				*ksw = b->cpu[c].ksoftirqd_wait_ns;
			*squeeze += b->cpu[c].squeezes;
		}
	}
}

/* What ties one stall to the loss, added to its suspect: NET_RX's delay,
 * ksoftirqd's wait and drops on its CPU in the seconds it touches (its own
 * and the next, where a delay that ended with it is counted), and its
 * time inside this incident's spike seconds. A silence counts as NET_RX's
 * delay: nothing ran in it, NET_RX neither. */
static uint64_t overlap_ns(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	return hi > lo ? hi - lo : 0;
}

/* The network's wait of this kind during st, where such waits were
 * recorded on st's CPU around it: the longest overlap of st with one of
 * them. A task that ran just before or after a hold shares its seconds,
 * not its victims. False where none was recorded there: the seconds'
 * maxima decide. */
static bool net_wait_overlap(const struct engine *e, const struct stall *st, enum net_wait_kind kind,
			     uint64_t lo_ns, uint64_t hi_ns, uint64_t *ov)
{
	bool seen = false;

	*ov = 0;
	for (unsigned i = 0; i < RING_NETRX; i++) {
		const struct net_wait *n = &e->netw[i];
		if (n->end_ns <= n->start_ns || n->cpu != st->s.cpu || n->kind != kind ||
		    !overlap_ns(n->start_ns, n->end_ns, lo_ns, hi_ns))
			continue;
		seen = true;
		uint64_t o = overlap_ns(n->start_ns, n->end_ns, st->s.start_ns, st->s.end_ns);
		if (o > *ov)
			*ov = o;
	}
	return seen;
}

static void stall_evidence(struct engine *e, const struct stall *st, unsigned inc_id,
			   struct eng_suspect *sp, uint64_t *squeezes)
{
	int64_t k0 = bin_of(e, st->s.start_ns), k1 = bin_of(e, st->s.end_ns);
	int cpu = st->s.cpu;
	uint64_t nr_ov, ks_ov;

	if (st->s.gap.ns > sp->netrx_max_ns)
		sp->netrx_max_ns = st->s.gap.ns;
	if (k1 < 0 || cpu < 0 || (unsigned)cpu >= e->ncpus)
		return;
	if (k0 < 0)
		k0 = 0;
	bool precise = net_wait_overlap(e, st, NW_NETRX, bin_start(e, k0), bin_start(e, k1 + 2), &nr_ov);
	bool precise_ks = net_wait_overlap(e, st, NW_KSOFTIRQD, bin_start(e, k0), bin_start(e, k1 + 2), &ks_ov);
	uint64_t bin_netrx = 0, bin_ksw = 0;
	for (int64_t k = k0; k <= k1 + 1; k++) {
		struct bin *b = bin_get(e, k);
		if (!b)
			continue;
		const struct eng_cpu_sample *c = &b->cpu[cpu];
		if (c->netrx_max_ns > bin_netrx)
			bin_netrx = c->netrx_max_ns;
		if (c->ksoftirqd_wait_ns > bin_ksw)
			bin_ksw = c->ksoftirqd_wait_ns;
		if (c->drops > sp->drops)
			sp->drops = c->drops;
		*squeezes += c->squeezes;
		if (k > k1 || !b->spike || b->incident != inc_id)
			continue;
		uint64_t lo = bin_start(e, k), hi = lo + e->cfg.bin_ns;
		uint64_t a = st->s.start_ns > lo ? st->s.start_ns : lo, z = st->s.end_ns < hi ? st->s.end_ns : hi;
		if (z > a)
			sp->spike_ns += z - a;
	}
	/* a recorded wait's overlap, at most what the seconds measured (a
	 * merged record may be longer than the wait itself) */
	if (!precise || nr_ov > bin_netrx)
		nr_ov = bin_netrx;
	if (nr_ov > sp->netrx_max_ns)
		sp->netrx_max_ns = nr_ov;
	if (!precise_ks || ks_ov > bin_ksw)
		ks_ov = bin_ksw;
	if (ks_ov > sp->ksoftirqd_wait_ns)
		sp->ksoftirqd_wait_ns = ks_ov;
}

/* The strongest tie, with the verdict's own bars: NET_RX blocked
 * (netrx_ns), drops past the spike bar, ksoftirqd starved where it
 * carries NET_RX (softirqs deferred to it, or squeezed). */
static enum eng_link suspect_link(const struct engine *e, const struct eng_suspect *sp, uint64_t squeezes)
{
	bool deferred = kernel_before(&e->k, 6, 5) || kernel_rt(&e->k);

	if (sp->netrx_max_ns >= e->cfg.netrx_ns)
		return ENG_LINK_NETRX;
	if (sp->drops >= e->cfg.drops_min ||
	    (sp->ksoftirqd_wait_ns >= e->cfg.stall_ns && (deferred || squeezes > 0)))
		return ENG_LINK_BACKLOG;
	return sp->spike_ns ? ENG_LINK_SPIKE : ENG_LINK_NONE;
}

/* Ranked by what ties each to the loss, then by how much of the
 * network's own waits (NET_RX's, ksoftirqd's) it held, by its time inside
 * spike seconds, and only then by time stolen: on a busy host the longest
 * holder is often a sender on another CPU that NET_RX never waited on,
 * or a task running just after a hold, in the same seconds. */
static bool suspect_before(const struct eng_suspect *a, const struct eng_suspect *b)
{
	uint64_t wa = a->netrx_max_ns > a->ksoftirqd_wait_ns ? a->netrx_max_ns : a->ksoftirqd_wait_ns;
	uint64_t wb = b->netrx_max_ns > b->ksoftirqd_wait_ns ? b->netrx_max_ns : b->ksoftirqd_wait_ns;

	if (a->link != b->link)
		return a->link > b->link;
	if (wa != wb)
		return wa > wb;
	if (a->spike_ns != b->spike_ns)
		return a->spike_ns > b->spike_ns;
	return a->stolen_ns > b->stolen_ns;
}

static void rank_suspects(struct engine *e, const struct window *w, struct eng_incident *inc)
{
	inc->n_suspects = 0;
	struct eng_suspect all[RING_STALLS];
	uint64_t sq[RING_STALLS];
	unsigned n = 0;

	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		/* contention (shared, or a lighter waiter served by weight) is
		 * nobody's hold */
		if (!stall_is_real(e, st) || !stall_is_held(st) || st->s.end_ns < w->lo_ns ||
		    st->s.start_ns >= w->hi_ns)
			continue;
		uint64_t len = st->s.end_ns - st->s.start_ns;
		unsigned j;
		for (j = 0; j < n; j++)
			if (all[j].cpu == st->s.cpu && all[j].task.tid == top_tid(&st->s))
				break;
		if (j == n) {
			memset(&all[n], 0, sizeof(all[n]));
			sq[n] = 0;
			all[n].cpu = st->s.cpu;
			if (st->s.n_tasks)
				all[n].task = st->s.tasks[0];
			else
				snprintf(all[n].task.comm, sizeof(all[n].task.comm), "?");
			n++;
		} else if (st->s.n_tasks) {
			/* keep the sample counts of all its stalls */
			all[j].task.samples += st->s.tasks[0].samples;
			all[j].task.samples_kernel += st->s.tasks[0].samples_kernel;
			all[j].task.samples_bh_off += st->s.tasks[0].samples_bh_off;
			all[j].task.samples_irq_off += st->s.tasks[0].samples_irq_off;
			all[j].task.samples_preempt_off += st->s.tasks[0].samples_preempt_off;
			all[j].task.run_ns += st->s.tasks[0].run_ns;
		}
		all[j].stolen_ns += stolen(st);
		all[j].stalls++;
		if (len > all[j].longest_ns)
			all[j].longest_ns = len;
		stall_evidence(e, st, inc->id, &all[j], &sq[j]);
	}
	for (unsigned a = 0; a < n; a++)
		all[a].link = suspect_link(e, &all[a], sq[a]);
	for (unsigned a = 0; a < n; a++)
		for (unsigned b = a + 1; b < n; b++)
			if (suspect_before(&all[b], &all[a])) {
				struct eng_suspect t = all[a];
				all[a] = all[b];
				all[b] = t;
			}
	for (unsigned i = 0; i < n && i < ENG_MAX_SUSPECTS; i++)
		inc->suspects[inc->n_suspects++] = all[i];
}

/* The CPU the incident's own seconds point at: where NET_RX waited
 * netrx_ns or more (the longest such wait) from its first spike second to
 * the one after its last (a delay is counted when it ends); -1 if none. */
static int evidence_cpu(struct engine *e)
{
	uint64_t best = 0;
	int cpu = -1;

	for (int64_t k = e->inc_first_k; k <= e->inc_last_k + 1; k++) {
		struct bin *b = bin_get(e, k);
		for (unsigned c = 0; b && c < e->ncpus; c++)
			if (b->cpu[c].netrx_max_ns >= e->cfg.netrx_ns && b->cpu[c].netrx_max_ns > best) {
				best = b->cpu[c].netrx_max_ns;
				cpu = (int)c;
			}
	}
	return cpu;
}

/* The stall of (cpu, tid) near the spike with the best stack. */
static const struct stall *best_stall(struct engine *e, const struct window *w, int cpu, int32_t tid)
{
	const struct stall *best = NULL;
	for (unsigned i = 0; i < RING_STALLS; i++) {
		const struct stall *st = &e->stalls[i];
		if (!stall_is_real(e, st) || st->s.cpu != cpu || top_tid(&st->s) != tid ||
		    st->s.end_ns < w->lo_ns || st->s.start_ns >= w->hi_ns)
			continue;
		if (!best || st->s.stack_samples > best->s.stack_samples ||
		    (st->s.stack_samples == best->s.stack_samples && st->s.n_frames > best->s.n_frames))
			best = st;
	}
	return best;
}

/* The stall of (cpu, tid) near the spike with the longest timer-interrupt
 * silence, or NULL. */
static const struct stall *gap_stall(struct engine *e, const struct window *w, int cpu, int32_t tid)
{
	const struct stall *best = NULL;
	for (unsigned i = 0; i < RING_STALLS; i++) {
		const struct stall *st = &e->stalls[i];
		if (!stall_is_real(e, st) || !st->s.gap.ns || st->s.cpu != cpu || top_tid(&st->s) != tid ||
		    st->s.end_ns < w->lo_ns || st->s.start_ns >= w->hi_ns)
			continue;
		if (!best || st->s.gap.ns > best->s.gap.ns)
			best = st;
	}
	return best;
}

/* Did the CPU not run at all, rather than run with interrupts off? User
 * mode runs with interrupts on: a silence that ended there was the CPU not
 * running. In the kernel it ended either where interrupts came back on,
 * or (a VM) where the vCPU resumed. One rule for verdicts and findings. */
static bool gap_not_running(const struct engine *e, const struct eng_gap *g)
{
	return g->mode == ENG_MODE_USER || (e->k.vm && !g->irq_on);
}

/* Where the silence ended, for the summaries. */
static const char *gap_place(const struct stall *gs)
{
	return gs && gs->s.gap.place[0] ? gs->s.gap.place : "?";
}

/* The CPU was silent (no timer interrupt) for most of the culprit's stall:
 * the verdict and its words come from that, not from the samples. Returns
 * false when the silence does not explain the stall. */
static bool verdict_gap(struct engine *e, struct eng_incident *inc, const struct eng_suspect *top,
			const struct stall *gs, uint64_t netrx)
{
	char d1[32], buf[ENG_ADVICE_LEN];
	uint64_t gap = gs->s.gap.ns;
	const char *comm = top->task.comm;

	if (gap * 2 < top->longest_ns)
		return false;
	inc->gap = gs->s.gap;
	if (netrx < gap)
		inc->netrx_max_ns = gap; /* nothing ran in it, NET_RX neither */
	/* On a VM the pending timer interrupt can also come late, after a
	 * section with interrupts off returned to user mode: user mode there
	 * is not certain. */
	bool user = gs->s.gap.mode == ENG_MODE_USER;
	if (gap_not_running(e, &gs->s.gap)) {
		inc->mech = ENG_CPU_NOT_RUNNING;
		inc->have_culprit = false; /* it ran, but did not hold the CPU: nothing did */
		inc->confidence = user && !e->k.vm ? "high" : "medium";
		inc->summary[0] = '\0';
		appendf(inc->summary, sizeof(inc->summary),
			 "CPU %d took no timer interrupt for %s while %s (pid %d) ran in %s mode%s%s%s: %s "
			 "did not run this kernel at all%s; %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
			 top->cpu, dur(gap, d1, sizeof(d1)), comm, top->task.pid, user ? "user" : "kernel",
			 user ? ", where interrupts are always on" : ", and the tick came at ",
			 user ? "" : gap_place(gs), user ? "" : ", not where interrupts are turned back on",
			 user && !e->k.vm ? "the CPU" : "most likely the CPU",
			 e->k.vm ? " — this virtual machine's host did not run the vCPU" :
			 " — firmware (a system management interrupt) or a hypervisor held it",
			 inc->retransmits, inc->drops);
		snprintf(buf, sizeof(buf),
			 "Nothing in this system held CPU %d: look at %s (its CPU overcommit, the pinning of this "
			 "VM's vCPU threads, the host's own stalls); this kernel reports steal time in /proc/stat "
			 "only where the host provides it.", top->cpu, e->k.vm ? "the host" : "the firmware and the platform");
		add_advice(inc->advice, &inc->n_advice, buf);
		if (!user) {
			snprintf(buf, sizeof(buf), "If the host is not to blame, a section with interrupts off ended "
				 "just before %s on CPU %d: look there.", gap_place(gs), top->cpu);
			add_advice(inc->advice, &inc->n_advice, buf);
		} else if (e->k.vm) {
			snprintf(buf, sizeof(buf), "If the host is not to blame: a VM's timer interrupt can come late, "
				 "after a system call of %s (pid %d) that had interrupts off returned; its kernel "
				 "stacks (ksleuth runq -p %d) would show one.", comm, top->task.pid, top->task.pid);
			add_advice(inc->advice, &inc->n_advice, buf);
		}
		return true;
	}
	inc->mech = ENG_SOFTIRQ_BLOCKED;
	inc->confidence = gs->s.gap.irq_on ? "high" : "medium";
	inc->bh_off = true;
	inc->summary[0] = '\0';
	appendf(inc->summary, sizeof(inc->summary),
		 "%s (pid %d) held CPU %d with interrupts disabled for %s (no timer interrupt; they came back on "
		 "in %s); NET_RX could not run there, and %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
		 comm, top->task.pid, top->cpu, dur(gap, d1, sizeof(d1)), gap_place(gs), inc->retransmits,
		 inc->drops);
	snprintf(buf, sizeof(buf),
		 "Keep interrupts-off sections short: the one ending in %s lasted %s. No preemption model "
		 "helps inside it and it cannot reschedule there: split the work, and turn interrupts (and "
		 "the lock) back on between the pieces.", gap_place(gs), dur(gap, d1, sizeof(d1)));
	add_advice(inc->advice, &inc->n_advice, buf);
	advice_placement(top->cpu, buf, sizeof(buf));
	add_advice(inc->advice, &inc->n_advice, buf);
	return true;
}

static void mark_stalls(struct engine *e, const struct window *w, enum stall_state to)
{
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		if (st->state != ST_PENDING || st->s.end_ns < w->lo_ns || st->s.start_ns >= w->hi_ns)
			continue;
		st->state = to;
	}
}

/* NET_RX waited on cpu in the incident's seconds and no hold ties
 * anything else to the loss: that CPU is not ruled out, and nobody is
 * named (stalls elsewhere, or contention, did not delay NET_RX there). */
static void verdict_unheld(struct engine *e, struct eng_incident *inc, const struct window *w, int cpu)
{
	char d1[32], d2[32], buf[ENG_ADVICE_LEN];
	uint64_t netrx, ksw, sq;

	cpu_stats(e, w, cpu, &netrx, &ksw, &sq);
	inc->mech = ENG_SOFTIRQ_BLOCKED;
	inc->confidence = "low";
	inc->cpu = cpu;
	inc->have_culprit = false;
	inc->netrx_max_ns = netrx;
	inc->ksoftirqd_wait_ns = ksw;
	inc->squeezes = sq;
	snprintf(inc->summary, sizeof(inc->summary),
		 "NET_RX waited up to %s on CPU %d, but no task was seen holding that CPU for %s or more; "
		 "%" PRIu64 " retransmits and %" PRIu64 " drops followed.", dur(netrx, d1, sizeof(d1)), cpu,
		 dur(e->cfg.stall_ns, d2, sizeof(d2)), inc->retransmits, inc->drops);
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

/* The summary of softirq_blocked where NET_RX's own wait shows it. */
static void summary_blocked(const struct engine *e, struct eng_incident *inc, const struct eng_suspect *top,
			    enum eng_mode mode, bool bh_off, bool bh_inferred, uint64_t netrx)
{
	char d1[32], d2[32];

	snprintf(inc->summary, sizeof(inc->summary),
		 "%s (pid %d) held CPU %d for %s %s; NET_RX waited up to %s to run there, "
		 "and %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
		 top->task.comm, top->task.pid, top->cpu, dur(top->longest_ns, d1, sizeof(d1)),
		 bh_inferred ? "in the kernel with bottom halves (or interrupts) disabled" :
		 bh_off ? "in the kernel with bottom halves disabled" :
		 mode == ENG_MODE_KERNEL ? "in the kernel" : "",
		 dur(netrx, d2, sizeof(d2)), inc->retransmits, inc->drops);
	if (bh_inferred)
		appendf(inc->summary, sizeof(inc->summary),
			" On Linux %d.%d interrupt exits run pending softirqs, so NET_RX waiting through the "
			"whole hold means they were held off.", e->k.major, e->k.minor);
}

static void verdict(struct engine *e, struct eng_incident *inc, const struct window *w)
{
	char d1[32], d2[32], d3[32], buf[ENG_ADVICE_LEN];
	const struct eng_cfg *c = &e->cfg;
	uint64_t all_netrx, all_ksw, all_sq;

	cpu_stats(e, w, -1, &all_netrx, &all_ksw, &all_sq);
	rank_suspects(e, w, inc);
	inc->cpu = -1;
	inc->netrx_max_ns = all_netrx;
	inc->ksoftirqd_wait_ns = all_ksw;
	inc->squeezes = all_sq;

	/* The incident's own seconds point at a CPU: a suspect elsewhere that
	 * NET_RX did not wait on cannot take it over, nor can no suspect at
	 * all turn it into "the CPU is ruled out". */
	int ecpu = evidence_cpu(e);
	if (ecpu >= 0 && (!inc->n_suspects ||
			  (inc->suspects[0].cpu != ecpu && inc->suspects[0].link < ENG_LINK_NETRX))) {
		verdict_unheld(e, inc, w, ecpu);
		return;
	}

	if (!inc->n_suspects) {
		inc->mech = ENG_NOT_CPU;
		inc->confidence = all_netrx < c->netrx_ns ? "high" : "medium";
		snprintf(inc->summary, sizeof(inc->summary),
			 "%" PRIu64 " retransmits and %" PRIu64 " drops with no CPU held for %s or more; "
			 "NET_RX ran within %s of being raised on every CPU.",
			 inc->retransmits, inc->drops, dur(c->stall_ns, d1, sizeof(d1)),
			 dur(all_netrx, d2, sizeof(d2)));
		snprintf(buf, sizeof(buf),
			 "The CPU is ruled out (no stall >= %s, NET_RX max delay %s): look for loss, congestion "
			 "or a rate limiter on the path (tc -s qdisc, ss -ti, nstat -az | grep -i -e drop -e retrans).",
			 dur(c->stall_ns, d1, sizeof(d1)), dur(all_netrx, d2, sizeof(d2)));
		add_advice(inc->advice, &inc->n_advice, buf);
		if (inc->retrans_segs && inc->retransmits > inc->retrans_segs * 2) {
			snprintf(buf, sizeof(buf),
				 "The tracepoint counted %" PRIu64 " retransmit attempts but TcpRetransSegs only %" PRIu64
				 " segments: many attempts failed locally (qdisc full or the skb still queued), "
				 "which points at a local queue or rate limiter.", inc->retransmits, inc->retrans_segs);
			add_advice(inc->advice, &inc->n_advice, buf);
		}
		return;
	}

	const struct eng_suspect *top = &inc->suspects[0];
	uint64_t netrx, ksw, sq;
	cpu_stats(e, w, top->cpu, &netrx, &ksw, &sq);
	enum eng_mode mode = eng_task_mode(&top->task);
	bool bh_off = eng_task_bh_off(&top->task);
	bool blocked = netrx >= c->netrx_ns;
	bool pre65 = kernel_before(&e->k, 6, 5);
	/* Softirqs raised by interrupts wait for a woken ksoftirqd: always on
	 * PREEMPT_RT (they run in threads), before 6.5 otherwise. */
	bool deferred = pre65 || kernel_rt(&e->k);
	/* Since 6.5 interrupt exits run NET_RX too, but capped; ksoftirqd
	 * carries the rest, so its wait hurt where its CPU was squeezed, or
	 * where NET_RX ran on time and still the backlog overflowed. */
	bool ksoftirqd = ksw >= c->stall_ns &&
			 (deferred || sq > 0 || (!blocked && top->drops >= c->drops_min));

	inc->cpu = top->cpu;
	inc->have_culprit = true;
	inc->culprit = top->task;
	inc->mode = mode;
	inc->bh_off = bh_off;
	inc->stall_ns = top->longest_ns;
	inc->stolen_ns = top->stolen_ns;
	inc->netrx_max_ns = netrx;
	inc->ksoftirqd_wait_ns = ksw;
	inc->squeezes = sq;
	const struct stall *bs = best_stall(e, w, top->cpu, top->task.tid);
	const struct stall *gs = gap_stall(e, w, top->cpu, top->task.tid);
	if (gs && (!bs || gs->s.gap.ns * 2 >= top->longest_ns))
		bs = gs; /* the tick that ended the silence says more than the others */
	if (bs) {
		inc->n_frames = bs->s.n_frames;
		memcpy(inc->frames, bs->s.frames, sizeof(inc->frames[0]) * bs->s.n_frames);
	}
	if (gs && verdict_gap(e, inc, top, gs, netrx))
		return;

	/* Since 6.5 every interrupt exit runs pending softirqs; a kernel-mode
	 * holder during which NET_RX could not run for (nearly) the whole hold
	 * had bottom halves or interrupts off, even when the sampler could not
	 * read the preempt count. */
	bool bh_inferred = false;
	if (blocked && !bh_off && mode == ENG_MODE_KERNEL && e->k.major && !pre65 &&
	    netrx * 10 >= top->longest_ns * 8) {
		bh_off = bh_inferred = true;
		inc->bh_off = true;
	}
	/* PREEMPT_RT: bottom halves off is a per-CPU lock that the softirq
	 * and NAPI threads (6.10+: the RPS backlog too) block on, asleep, so
	 * neither a NET_RX delay nor a run-queue wait shows it; a kernel
	 * holder with bottom halves off through a stall that hurt the
	 * network is the cause there. */
	bool rt_bh_lock = !blocked && bh_off && mode == ENG_MODE_KERNEL && kernel_rt(&e->k);
	if (blocked && bh_off) {
		inc->mech = ENG_SOFTIRQ_BLOCKED;
		inc->confidence = "high";
	} else if (rt_bh_lock) {
		inc->mech = ENG_SOFTIRQ_BLOCKED;
		inc->confidence = "medium";
	} else if (is_rt(top->task.policy)) {
		inc->mech = ENG_RT_STARVATION;
		inc->confidence = blocked || mode == ENG_MODE_USER ? "high" : "medium";
	} else if (ksoftirqd) {
		inc->mech = ENG_KSOFTIRQD_STARVED;
		inc->confidence = blocked ? "high" : "medium";
	} else if (blocked) {
		inc->mech = ENG_SOFTIRQ_BLOCKED;
		inc->confidence = mode == ENG_MODE_KERNEL ? "medium" : "low";
	} else {
		inc->mech = ENG_NOT_CPU;
		inc->confidence = "medium";
	}

	const char *comm = top->task.comm;
	switch (inc->mech) {
	case ENG_SOFTIRQ_BLOCKED:
		if (rt_bh_lock)
			snprintf(inc->summary, sizeof(inc->summary),
				 "%s (pid %d) held CPU %d's bottom-half lock for %s in the kernel; on PREEMPT_RT "
				 "softirq processing and the NAPI and backlog threads of that CPU wait for that "
				 "lock asleep, and %" PRIu64 " retransmits and %" PRIu64 " drops followed.",
				 comm, top->task.pid, top->cpu, dur(top->longest_ns, d1, sizeof(d1)),
				 inc->retransmits, inc->drops);
		else
			summary_blocked(e, inc, top, mode, bh_off, bh_inferred, netrx);
		advice_reschedule(&e->k, &top->task, mode, bh_off, inc->frames, inc->n_frames, top->cpu,
				  top->longest_ns, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		advice_preempt(&e->k, bh_off, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		advice_placement(top->cpu, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		break;
	case ENG_RT_STARVATION:
		snprintf(inc->summary, sizeof(inc->summary),
			 "%s (pid %d, %s priority %d) monopolised CPU %d for %s in %s mode; "
			 "%" PRIu64 " retransmits and %" PRIu64 " drops followed.",
			 comm, top->task.pid, eng_policy_name(top->task.policy), top->task.rt_prio,
			 top->cpu, dur(top->longest_ns, d1, sizeof(d1)), eng_mode_name(mode),
			 inc->retransmits, inc->drops);
		buf[0] = '\0';
		appendf(buf, sizeof(buf), "Bound the real-time task: lower its priority or policy, make it sleep, "
			"or move it off CPU %d. ", top->cpu);
		if (e->k.rt_period_us > 0 && e->k.rt_runtime_us >= 0)
			appendf(buf, sizeof(buf), "RT throttling is on (sched_rt_runtime_us %ld of %ld): other tasks get "
				"only the remaining %ld us of each period; keep it on.", e->k.rt_runtime_us,
				e->k.rt_period_us, e->k.rt_period_us - e->k.rt_runtime_us);
		else if (e->k.rt_runtime_us < 0)
			appendf(buf, sizeof(buf), "RT throttling is off (sched_rt_runtime_us = -1): turn it back on "
				"(950000 of 1000000) so other tasks get the CPU.");
		else
			appendf(buf, sizeof(buf), "Keep RT throttling on (kernel.sched_rt_runtime_us < sched_rt_period_us).");
		add_advice(inc->advice, &inc->n_advice, buf);
		advice_placement(top->cpu, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		break;
	case ENG_KSOFTIRQD_STARVED:
		snprintf(inc->summary, sizeof(inc->summary),
			 "ksoftirqd/%d waited up to %s while %s (pid %d) held CPU %d for %s; ",
			 top->cpu, dur(ksw, d1, sizeof(d1)), comm, top->task.pid, top->cpu,
			 dur(top->longest_ns, d2, sizeof(d2)));
		if (deferred)
			appendf(inc->summary, sizeof(inc->summary),
				"softirq work was deferred to ksoftirqd (%s), so packet processing waited with "
				"it: NET_RX waited up to %s.",
				kernel_rt(&e->k) ? "on PREEMPT_RT softirqs raised by interrupts run in ksoftirqd" :
				"Linux before 6.5 defers all softirqs to a woken ksoftirqd",
				dur(netrx, d3, sizeof(d3)));
		else
			/* 6.5+: interrupt exits still run NET_RX, each run capped
			 * (netdev_budget, 2 ms); what is left over waits for ksoftirqd. */
			appendf(inc->summary, sizeof(inc->summary),
				"interrupt exits still ran NET_RX (it waited at most %s), but each run is capped "
				"(net.core.netdev_budget, 2 ms) and the rest waits for ksoftirqd: time_squeeze rose "
				"%" PRIu64 " times and CPU %d's backlog dropped %" PRIu64 " packets.",
				dur(netrx, d3, sizeof(d3)), sq, top->cpu, top->drops);
		advice_reschedule(&e->k, &top->task, mode, false, inc->frames, inc->n_frames, top->cpu,
				  top->longest_ns, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		advice_preempt(&e->k, false, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		if (pre65 && !kernel_rt(&e->k)) {
			snprintf(buf, sizeof(buf), "Linux %s runs softirqs only in ksoftirqd once it is woken; since 6.5 "
				 "every interrupt exit serves them again, which removes this failure mode.",
				 e->k.release[0] ? e->k.release : "before 6.5");
			add_advice(inc->advice, &inc->n_advice, buf);
		}
		advice_placement(top->cpu, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		break;
	default: /* not_cpu, although a CPU stalled */
		inc->have_culprit = false;
		inc->cpu = -1;
		inc->n_frames = 0;
		snprintf(inc->summary, sizeof(inc->summary),
			 "%" PRIu64 " retransmits and %" PRIu64 " drops; %s (pid %d) held CPU %d for %s, but NET_RX "
			 "still ran within %s there: that stall did not stop packet processing.",
			 inc->retransmits, inc->drops, comm, top->task.pid, top->cpu,
			 dur(top->longest_ns, d1, sizeof(d1)), dur(netrx, d2, sizeof(d2)));
		snprintf(buf, sizeof(buf),
			 "The CPU is ruled out (NET_RX max delay %s, ksoftirqd max wait %s%s): look for loss, "
			 "congestion or a rate limiter on the path (tc -s qdisc, ss -ti, nstat).",
			 dur(netrx, d1, sizeof(d1)), dur(ksw, d3, sizeof(d3)),
			 deferred ? "" : "; since Linux 6.5 a waiting ksoftirqd does not hold softirqs back");
		add_advice(inc->advice, &inc->n_advice, buf);
		break;
	}
}

static void fill_seconds(struct engine *e, struct eng_incident *inc, int64_t k0, int64_t k1)
{
	inc->n_seconds = 0;
	for (int64_t k = k0; k <= k1 && inc->n_seconds < ENG_MAX_SECONDS; k++) {
		struct bin *b = bin_get(e, k);
		struct eng_second *s = &inc->seconds[inc->n_seconds++];
		memset(s, 0, sizeof(*s));
		s->start_ns = bin_start(e, k);
		if (b) {
			s->retrans_tp = b->have_tp ? b->retrans_tp : b->retrans_segs;
			s->retrans_segs = b->retrans_segs;
			s->drops = bin_drops(e, b);
			s->spike = b->spike;
			for (unsigned c = 0; c < e->ncpus; c++) {
				if (inc->cpu >= 0 && (int)c != inc->cpu)
					continue;
				if (b->cpu[c].netrx_max_ns > s->netrx_max_ns)
					s->netrx_max_ns = b->cpu[c].netrx_max_ns;
				if (b->cpu[c].ksoftirqd_wait_ns > s->ksoftirqd_wait_ns)
					s->ksoftirqd_wait_ns = b->cpu[c].ksoftirqd_wait_ns;
			}
		}
		uint64_t lo = s->start_ns, hi = lo + e->cfg.bin_ns, best = 0;
		for (unsigned i = 0; i < RING_STALLS; i++) {
			struct stall *st = &e->stalls[i];
			if (!stall_is_real(e, st) || !stall_is_held(st) || st->s.end_ns < lo || st->s.start_ns >= hi)
				continue;
			if (inc->cpu >= 0 && st->s.cpu != inc->cpu)
				continue;
			uint64_t a = st->s.start_ns > lo ? st->s.start_ns : lo;
			uint64_t z = st->s.end_ns < hi ? st->s.end_ns : hi;
			if (z - a >= best && st->s.n_tasks) {
				best = z - a;
				snprintf(s->culprit, sizeof(s->culprit), "%s", st->s.tasks[0].comm);
			}
		}
	}
}

static void close_incident(struct engine *e, uint64_t now_ns)
{
	struct eng_incident *inc = &e->inc;
	(void)now_ns;

	if (!e->inc_open)
		return;
	e->inc_open = false;
	memset(inc, 0, sizeof(*inc));
	inc->id = e->n_incidents;
	inc->start_ns = bin_start(e, e->inc_first_k);
	inc->end_ns = bin_start(e, e->inc_last_k + 1);
	for (int64_t k = e->inc_first_k; k <= e->inc_last_k; k++) {
		struct bin *b = bin_get(e, k);
		if (!b)
			continue;
		inc->retransmits += bin_retrans(b);
		inc->retrans_segs += b->retrans_segs;
		inc->drops += bin_drops(e, b);
	}
	int64_t wb = (int64_t)((e->cfg.window_ns + e->cfg.bin_ns - 1) / e->cfg.bin_ns);
	struct window w = {
		.k0 = e->inc_first_k - wb, .k1 = e->inc_last_k + wb,
		.lo_ns = inc->start_ns > e->cfg.window_ns ? inc->start_ns - e->cfg.window_ns : 0,
		.hi_ns = inc->end_ns + e->cfg.window_ns,
	};
	if (w.k0 < 0)
		w.k0 = 0;
	verdict(e, inc, &w);
	mark_stalls(e, &w, inc->mech == ENG_NOT_CPU ? ST_CLEARED : ST_USED);
	e->echo_peak = 0;
	if (inc->mech != ENG_NOT_CPU) {
		e->echo_k = e->inc_last_k + ENG_ECHO_S;
		for (int64_t k = e->inc_first_k; k <= e->inc_last_k; k++) {
			struct bin *b = bin_get(e, k);
			if (b && bin_spike_retrans(b) > e->echo_peak)
				e->echo_peak = bin_spike_retrans(b);
		}
	}
	fill_seconds(e, inc, e->inc_first_k > 0 ? e->inc_first_k - 1 : 0, e->inc_last_k + 1);

	/* kernel log lines around it */
	uint64_t klo = inc->start_ns > e->cfg.kmsg_before_ns ? inc->start_ns - e->cfg.kmsg_before_ns : 0;
	unsigned first = e->kmsg_n > RING_KMSG ? e->kmsg_n - RING_KMSG : 0;
	for (unsigned i = first; i < e->kmsg_n && inc->n_kmsg < ENG_MAX_KMSG; i++) {
		struct kline *l = &e->kmsg[i % RING_KMSG];
		if (l->ts_ns < klo || l->ts_ns >= w.hi_ns)
			continue;
		struct eng_kmsg_line *o = &inc->kmsg[inc->n_kmsg++];
		o->ts_ns = l->ts_ns;
		o->cls = kmsg_class_name(l->cls);
		snprintf(o->text, sizeof(o->text), "%s", l->text);
	}
	if (inc->n_kmsg) {
		char buf[ENG_ADVICE_LEN];
		advice_kmsg(inc, buf, sizeof(buf));
		add_advice(inc->advice, &inc->n_advice, buf);
		appendf(inc->summary, sizeof(inc->summary), " Kernel log: %s.", inc->kmsg[0].cls);
	}
	struct eng_event ev = { .type = ENG_EV_INCIDENT, .incident = inc };
	e->emit(e->arg, &ev);
}

static void report_stall(struct engine *e, struct stall *st)
{
	struct eng_finding *f = &e->fnd;
	char d1[32], d2[32], buf[ENG_ADVICE_LEN];
	struct window w;
	uint64_t sq;

	memset(f, 0, sizeof(*f));
	st->state = ST_REPORTED;
	e->n_findings++;
	f->mech = ENG_CPU_STALL_NO_NETWORK_IMPACT;
	f->cpu = st->s.cpu;
	f->start_ns = st->s.start_ns;
	f->end_ns = st->s.end_ns;
	f->stall_ns = st->s.end_ns - st->s.start_ns;
	if (st->s.n_tasks)
		f->culprit = st->s.tasks[0];
	else
		snprintf(f->culprit.comm, sizeof(f->culprit.comm), "?");
	f->mode = eng_task_mode(&f->culprit);
	f->bh_off = eng_task_bh_off(&f->culprit);
	memcpy(f->victim_comm, st->s.victim_comm, sizeof(f->victim_comm));
	f->n_frames = st->s.n_frames;
	memcpy(f->frames, st->s.frames, sizeof(f->frames[0]) * st->s.n_frames);
	w.k0 = bin_of(e, st->s.start_ns);
	w.k1 = bin_of(e, st->s.end_ns);
	cpu_stats(e, &w, st->s.cpu, &f->netrx_max_ns, &f->ksoftirqd_wait_ns, &sq);
	f->irq_gap_ns = st->s.gap.ns;
	f->irq_gap_not_running = f->irq_gap_ns && gap_not_running(e, &st->s.gap);
	if (f->irq_gap_ns * 2 >= f->stall_ns) {
		bool user = st->s.gap.mode == ENG_MODE_USER;
		f->mode = st->s.gap.mode;
		f->summary[0] = '\0';
		appendf(f->summary, sizeof(f->summary),
			"CPU %d took no timer interrupt for %s while %s (pid %d) ran in %s mode: %s; packet "
			"processing was not hurt (no retransmit or drop spike).", f->cpu,
			dur(f->irq_gap_ns, d1, sizeof(d1)), f->culprit.comm, f->culprit.pid, eng_mode_name(f->mode),
			f->irq_gap_not_running ? "the CPU did not run this kernel (the host, or "
			"firmware, held it)" : "interrupts were off until the tick came");
		if (!user && st->s.gap.place[0]) {
			snprintf(buf, sizeof(buf), "The silence ended in %s%s.", st->s.gap.place,
				 st->s.gap.irq_on ? ", where interrupts are turned back on: keep that section short" :
				 "");
			add_advice(f->advice, &f->n_advice, buf);
		}
		struct eng_event gev = { .type = ENG_EV_FINDING, .finding = f };
		e->emit(e->arg, &gev);
		return;
	}
	snprintf(f->summary, sizeof(f->summary),
		 "%s (pid %d%s%s) held CPU %d for %s in %s mode%s; packet processing went on "
		 "(NET_RX max delay %s, no retransmit or drop spike).",
		 f->culprit.comm, f->culprit.pid, is_rt(f->culprit.policy) ? ", " : "",
		 is_rt(f->culprit.policy) ? eng_policy_name(f->culprit.policy) : "", f->cpu,
		 dur(f->stall_ns, d1, sizeof(d1)), eng_mode_name(f->mode),
		 f->victim_comm[0] ? ", other tasks waited" : "", dur(f->netrx_max_ns, d2, sizeof(d2)));
	if (is_rt(f->culprit.policy)) {
		snprintf(buf, sizeof(buf), "A real-time task (%s priority %d) kept CPU %d from other tasks: "
			 "bound it or move it; keep RT throttling on.", eng_policy_name(f->culprit.policy),
			 f->culprit.rt_prio, f->cpu);
		add_advice(f->advice, &f->n_advice, buf);
	} else if (f->mode != ENG_MODE_USER) {
		advice_reschedule(&e->k, &f->culprit, f->mode, f->bh_off, f->frames, f->n_frames, f->cpu,
				  f->stall_ns, buf, sizeof(buf));
		add_advice(f->advice, &f->n_advice, buf);
		advice_preempt(&e->k, f->bh_off, buf, sizeof(buf));
		add_advice(f->advice, &f->n_advice, buf);
	}
	struct eng_event ev = { .type = ENG_EV_FINDING, .finding = f };
	e->emit(e->arg, &ev);
}

/* A spike bin within the stall's correlation window, or in an open incident? */
static int stall_spike_state(struct engine *e, const struct stall *st)
{
	int64_t k0 = bin_of(e, st->s.start_ns > e->cfg.window_ns ? st->s.start_ns - e->cfg.window_ns : 0);
	int64_t k1 = bin_of(e, st->s.end_ns + e->cfg.window_ns);
	int r = 0;

	if (k0 < 0)
		k0 = 0;
	for (int64_t k = k0; k <= k1; k++) {
		struct bin *b = bin_get(e, k);
		/* spikes of a closed incident were judged without this stall */
		if (b && b->spike && e->inc_open && b->incident == e->n_incidents)
			r = 1;
	}
	return r;
}

/* The CPUs (the first 64) that the open incident's seconds, and the one
 * after, tie to the loss: NET_RX waited the threshold there, its backlog
 * dropped past the bar, or ksoftirqd waited the threshold. 0: none. */
static uint64_t tied_cpus(struct engine *e)
{
	uint64_t m = 0;

	for (int64_t k = e->inc_first_k; k <= e->inc_last_k + 1; k++) {
		struct bin *b = bin_get(e, k);
		for (unsigned c = 0; b && c < e->ncpus && c < 64; c++) {
			const struct eng_cpu_sample *x = &b->cpu[c];
			if (x->netrx_max_ns >= e->cfg.netrx_ns || x->drops >= e->cfg.drops_min ||
			    x->ksoftirqd_wait_ns >= e->cfg.stall_ns)
				m |= 1ull << c;
		}
	}
	return m;
}

void engine_step(struct engine *e, uint64_t now_ns)
{
	if (!e)
		return;
	/* an incident is over once quiet_bins quiet seconds followed it (their
	 * samples are in, or a second more has passed without them) and the
	 * stalls that could explain it have ended */
	if (e->inc_open) {
		uint64_t end = bin_start(e, e->inc_last_k + 1);
		uint64_t quiet_until = end + (e->cfg.quiet_bins + 1) * e->cfg.bin_ns;
		uint64_t window_until = end + e->cfg.window_ns + e->cfg.bin_ns / 2;
		bool quiet = e->max_k >= e->inc_last_k + (int64_t)e->cfg.quiet_bins || now_ns >= quiet_until;
		bool ready = quiet && now_ns >= window_until;
		/* where the seconds tie the loss to CPUs, only a hold still
		 * running on one of them can change the verdict */
		uint64_t tied = ready ? tied_cpus(e) : 0;
		for (unsigned i = 0; ready && i < RING_STALLS; i++) {
			struct stall *st = &e->stalls[i];
			if (st->state == ST_PENDING && st->s.ongoing && st->s.start_ns < end + e->cfg.window_ns &&
			    now_ns < st->seen_ns + ONGOING_WAIT_NS &&
			    (!tied || (st->s.cpu >= 0 && st->s.cpu < 64 && (tied >> st->s.cpu) & 1)))
				ready = false;
		}
		if (ready)
			close_incident(e, now_ns);
	}
	/* stalls no spike explains, once their window has been seen */
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		if (st->state == ST_CLEARED && stall_is_real(e, st) && stall_is_held(st)) {
			report_stall(e, st);
			continue;
		}
		if (st->state != ST_PENDING || st->s.ongoing || !stall_is_real(e, st) || !stall_is_held(st))
			continue;
		if (now_ns < st->s.end_ns + e->cfg.window_ns + e->cfg.bin_ns + e->cfg.bin_ns / 2)
			continue;
		if (!stall_spike_state(e, st))
			report_stall(e, st);
	}
}

void engine_finish(struct engine *e, uint64_t now_ns)
{
	if (!e)
		return;
	for (unsigned i = 0; i < RING_STALLS; i++)
		if (e->stalls[i].state == ST_PENDING)
			e->stalls[i].s.ongoing = false;
	close_incident(e, now_ns);
	for (unsigned i = 0; i < RING_STALLS; i++) {
		struct stall *st = &e->stalls[i];
		if ((st->state == ST_PENDING || st->state == ST_CLEARED) && stall_is_real(e, st) &&
		    stall_is_held(st) &&
		    !(st->state == ST_PENDING && stall_spike_state(e, st)))
			report_stall(e, st);
	}
}

unsigned engine_incidents(const struct engine *e) { return e ? e->n_incidents : 0; }
unsigned engine_findings(const struct engine *e) { return e ? e->n_findings : 0; }
unsigned engine_spikes(const struct engine *e) { return e ? e->n_spikes : 0; }
unsigned engine_echoes(const struct engine *e) { return e ? e->n_echoes : 0; }
unsigned engine_stalls(const struct engine *e) { return e ? e->n_stalls : 0; }
uint64_t engine_longest_stall_ns(const struct engine *e) { return e ? e->longest_stall_ns : 0; }
uint64_t engine_total_retrans(const struct engine *e) { return e ? e->total_retrans : 0; }
uint64_t engine_total_drops(const struct engine *e) { return e ? e->total_drops : 0; }
unsigned engine_nbins(const struct engine *e) { return e && e->max_k >= 0 ? (unsigned)e->max_k + 1 : 0; }

int64_t engine_bin_retrans(const struct engine *e, unsigned k)
{
	if (!e)
		return -1;
	const struct bin *b = &e->bins[k % RING_BINS];
	return b->k == (int64_t)k ? (int64_t)bin_retrans(b) : -1;
}
