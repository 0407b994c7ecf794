/* timeline.c — the engine's 1-second bins: construction, counters in,
 * spike detection against a median baseline, incidents grouped from
 * spike seconds. Pure: no BPF, no /proc, no clock. Memory is fixed at
 * engine_new (rings of bins, stalls, lines). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

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


const char *eng_link_name(enum eng_link l)
{
	switch (l) {
	case ENG_LINK_SPIKE: return "spike";
	case ENG_LINK_BACKLOG: return "backlog";
	case ENG_LINK_NETRX: return "netrx";
	default: return "none";
	}
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

struct bin *bin_get(struct engine *e, int64_t k)
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

uint64_t bin_start(const struct engine *e, int64_t k)
{
	return e->t0_ns + (uint64_t)k * e->cfg.bin_ns;
}

int64_t bin_of(const struct engine *e, uint64_t ts)
{
	if (ts < e->t0_ns)
		return -1;
	return (int64_t)((ts - e->t0_ns) / e->cfg.bin_ns);
}

uint64_t bin_retrans(const struct bin *b)
{
	return b->have_tp ? b->retrans_tp : b->retrans_segs;
}

/* What a spike is judged on: the larger of the two counts. The tracepoint
 * counts retransmitted skbs, failed local attempts too; TcpRetransSegs
 * counts segments, several to a GSO skb: either can be far the larger. */
uint64_t bin_spike_retrans(const struct bin *b)
{
	uint64_t tp = b->have_tp ? b->retrans_tp : 0, segs = b->have_segs ? b->retrans_segs : 0;
	return tp > segs ? tp : segs;
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
		d[n] = b->drops;
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
	uint64_t base_r, base_d, r = bin_spike_retrans(b), d = b->drops;
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
		close_incident(e);
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


void cpu_stats(struct engine *e, const struct window *w, int cpu, uint64_t *netrx, uint64_t *ksw,
	       uint64_t *squeeze)
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
