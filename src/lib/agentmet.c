/* agentmet.c — the agent's collector metrics and their exposition under a
 * series budget (agentmet.h). Pure: no clock, no /proc, no BPF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/agentmet.h"
#include "lib/hist.h"
#include "lib/procnet.h"

const unsigned am_hist_le_log2_us[AM_HIST_NLE] = { 4, 6, 8, 10, 12, 14, 16, 18, 20 };

static const char *const silence_name[AM_SIL_NR] = { "interrupts_off", "cpu_not_running" };

int am_init(struct agent_metrics *m, unsigned ncpus, bool per_cpu, uint64_t threshold_ns)
{
	memset(m, 0, sizeof(*m));
	m->ncpus = ncpus;
	m->per_cpu = per_cpu;
	m->threshold_ns = threshold_ns;
	m->sirq_delay = calloc(ncpus, sizeof(*m->sirq_delay));
	m->sirq_max = calloc(ncpus, sizeof(*m->sirq_max));
	m->ksoftirqd = calloc(ncpus, sizeof(*m->ksoftirqd));
	m->sched_wait = calloc(ncpus, sizeof(*m->sched_wait));
	m->stalls = calloc(ncpus, sizeof(*m->stalls));
	m->stall_hist = calloc(ncpus, sizeof(*m->stall_hist));
	m->silences = calloc(ncpus, sizeof(*m->silences));
	m->silence_ns = calloc(ncpus, sizeof(*m->silence_ns));
	if (!m->sirq_delay || !m->sirq_max || !m->ksoftirqd || !m->sched_wait || !m->stalls ||
	    !m->stall_hist || !m->silences || !m->silence_ns) {
		am_free(m);
		return -ENOMEM;
	}
	return 0;
}

void am_free(struct agent_metrics *m)
{
	free(m->sirq_delay);
	free(m->sirq_max);
	free(m->ksoftirqd);
	free(m->sched_wait);
	free(m->stalls);
	free(m->stall_hist);
	free(m->silences);
	free(m->silence_ns);
	m->sirq_delay = NULL;
	m->sirq_max = NULL;
	m->ksoftirqd = m->sched_wait = NULL;
	m->stalls = NULL;
	m->stall_hist = NULL;
	m->silences = m->silence_ns = NULL;
	m->ncpus = 0;
}

void am_stall_hist_add(struct am_stall_hist *h, uint64_t threshold_ns, uint64_t ns)
{
	uint64_t le = threshold_ns;

	/* "less or equal": a stall of exactly 2 x threshold is in le=2x */
	for (unsigned k = 0; k < AM_STALL_BUCKETS; k++, le *= 2) {
		if (ns <= le) {
			h->bucket[k]++;
			break;
		}
	}
	h->count++;
	h->sum_ns += ns;
}

void am_culprit(struct agent_metrics *m, const char *comm, uint64_t ns, uint64_t now_ns)
{
	char name[AM_CULPRIT_LEN];
	size_t n = strcspn(comm, "/");
	unsigned oldest = 0;

	if (n >= ENG_COMM_LEN)
		n = ENG_COMM_LEN - 1;
	memcpy(name, comm, n);
	name[n] = '\0';
	if (!name[0])
		strcpy(name, AM_COMM_EMPTY);
	for (unsigned i = 0; i < m->ntop; i++) {
		if (strcmp(m->top[i].comm, name) == 0) {
			m->top[i].stall_ns += ns;
			m->top[i].last_ns = now_ns;
			return;
		}
		if (m->top[i].last_ns < m->top[oldest].last_ns)
			oldest = i;
	}
	if (m->ntop < AM_TOPK) {
		oldest = m->ntop++;
	} else if (now_ns - m->top[oldest].last_ns < AM_CULPRIT_IDLE_NS) {
		m->other_ns += ns; /* every slot busy recently: no churn */
		return;
	}
	/* the idle name's series ends; a later return starts a new one, which
	 * Prometheus takes as a counter reset */
	strcpy(m->top[oldest].comm, name);
	m->top[oldest].stall_ns = ns;
	m->top[oldest].last_ns = now_ns;
}

void am_stall(struct agent_metrics *m, int cpu, enum eng_mech mech, uint64_t stall_ns,
	      const char *comm, uint64_t now_ns)
{
	if (cpu >= 0 && (unsigned)cpu < m->ncpus && mech < AM_NMECH) {
		m->stalls[cpu][mech]++;
		am_stall_hist_add(&m->stall_hist[cpu], m->threshold_ns, stall_ns);
	}
	am_culprit(m, comm, stall_ns, now_ns);
}

void am_silence(struct agent_metrics *m, int cpu, bool not_running, uint64_t ns)
{
	enum am_silence k = not_running ? AM_SIL_NOT_RUNNING : AM_SIL_IRQ_OFF;

	if (!ns || cpu < 0 || (unsigned)cpu >= m->ncpus)
		return;
	m->silences[cpu][k]++;
	m->silence_ns[cpu][k] += ns;
}

/* ---- exposition ------------------------------------------------------------
 * Each family is written either once per CPU with a cpu label (per_cpu) or
 * once for the host with the CPUs summed (max for the max gauge). A family
 * writer takes the CPU range to sum and the labels to add. */

struct lbl {
	struct prom_label l[3];
	unsigned n;
	char cpu[12];
};

static void lbl_init(struct lbl *b, const struct agent_metrics *m, unsigned cpu)
{
	b->n = 0;
	if (m->per_cpu) {
		snprintf(b->cpu, sizeof(b->cpu), "%u", cpu);
		b->l[b->n++] = (struct prom_label){ "cpu", b->cpu };
	}
}

static void lbl_add(struct lbl *b, const char *name, const char *value)
{
	b->l[b->n++] = (struct prom_label){ name, value };
}

/* A family has groups(m) groups of series: one per CPU in per-CPU mode,
 * one for the host otherwise; range() gives the CPUs [lo, hi) group g sums. */
static unsigned groups(const struct agent_metrics *m)
{
	return m->per_cpu ? m->ncpus : (m->ncpus ? 1 : 0);
}

static void range(const struct agent_metrics *m, unsigned g, unsigned *lo, unsigned *hi)
{
	*lo = m->per_cpu ? g : 0;
	*hi = m->per_cpu ? g + 1 : m->ncpus;
}

/* The body runs once per group g, with the CPUs [lo, hi) it sums. */
#define for_each_group(m, g, lo, hi)                                                        \
	for (unsigned g = 0, lo = 0, hi = 0; g < groups(m) && (range(m, g, &lo, &hi), true); g++)

static void write_sirq(const struct agent_metrics *m, struct prom *p)
{
	prom_family(p, "ksleuth_softirq_delay_seconds", PROM_HISTOGRAM,
		    "Softirq raise to handler entry delay, by vector (series appear once a vector ran).");
	for_each_group(m, g, lo, hi) {
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			struct hist h;
			struct lbl b;
			hist_clear(&h);
			for (unsigned c = lo; c < hi; c++)
				hist_merge(&h, &m->sirq_delay[c][v]);
			if (!h.count)
				continue;
			lbl_init(&b, m, g);
			lbl_add(&b, "vector", softirq_vec_lname(v));
			prom_histogram_sel(p, b.l, b.n, &h, am_hist_le_log2_us, AM_HIST_NLE);
		}
	}

	/* The host's value is the worst CPU's; while it is at or above the
	 * threshold (a stall) the series names that CPU, so one series per
	 * vector still tells where, without a series per CPU. */
	prom_family(p, "ksleuth_softirq_delay_max_seconds", PROM_GAUGE,
		    "Longest softirq raise to entry delay in the last 60 seconds, by vector; label cpu names the worst CPU while the delay is at or above the stall threshold.");
	for_each_group(m, g, lo, hi) {
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			uint64_t mx = 0, ran = 0;
			unsigned worst = lo;
			struct lbl b;
			for (unsigned c = lo; c < hi; c++) {
				ran += m->sirq_delay[c][v].count;
				for (unsigned k = 0; k < AM_WIN_BINS; k++)
					if (m->sirq_max[c][v][k] > mx) {
						mx = m->sirq_max[c][v][k];
						worst = c;
					}
			}
			if (!ran)
				continue;
			lbl_init(&b, m, g);
			lbl_add(&b, "vector", softirq_vec_lname(v));
			if (!m->per_cpu && mx >= m->threshold_ns) {
				snprintf(b.cpu, sizeof(b.cpu), "%u", worst);
				lbl_add(&b, "cpu", b.cpu);
			}
			prom_gauge(p, b.l, b.n, (double)mx / 1e9);
		}
	}
}

static void write_sched(const struct agent_metrics *m, struct prom *p, const char *name,
			const char *help, const struct hist *per_cpu)
{
	prom_family(p, name, PROM_HISTOGRAM, help);
	for_each_group(m, g, lo, hi) {
		struct hist h;
		struct lbl b;
		hist_clear(&h);
		for (unsigned c = lo; c < hi; c++)
			hist_merge(&h, &per_cpu[c]);
		lbl_init(&b, m, g);
		prom_histogram_sel(p, b.l, b.n, &h, am_hist_le_log2_us, AM_HIST_NLE);
	}
}

/* The counter family fam (help) of a per-CPU table (row c: the width
 * values of CPU c, at base + c * width): one series per group and column k
 * in [k0, k1), the sum of column k over the group's CPUs, labelled
 * label="name(k)"; in seconds when the values are nanoseconds (seconds),
 * else as a count. Every column from the start, so that increase() sees
 * the first event as a 0 -> 1 step. */
static void write_counter_table(const struct agent_metrics *m, struct prom *p, const char *fam,
				const char *help, const uint64_t *base, unsigned width, unsigned k0,
				unsigned k1, const char *label, const char *(*name)(unsigned k), bool seconds)
{
	prom_family(p, fam, PROM_COUNTER, help);
	for_each_group(m, g, lo, hi) {
		for (unsigned k = k0; k < k1; k++) {
			uint64_t n = 0;
			struct lbl b;
			for (unsigned c = lo; c < hi; c++)
				n += base[(size_t)c * width + k];
			lbl_init(&b, m, g);
			lbl_add(&b, label, name(k));
			if (seconds)
				prom_counter_f(p, b.l, b.n, (double)n / 1e9);
			else
				prom_counter(p, b.l, b.n, n);
		}
	}
}

static const char *mech_label(unsigned k)
{
	return eng_mech_name((enum eng_mech)k);
}

static const char *silence_label(unsigned k)
{
	return silence_name[k];
}

static void write_stalls(const struct agent_metrics *m, struct prom *p)
{
	/* not_cpu has no stall */
	write_counter_table(m, p, "ksleuth_stalls_total",
			    "CPU stalls (a CPU held from waiting work longer than the threshold), by the mechanism the engine settled on.",
			    (const uint64_t *)m->stalls, AM_NMECH, 1, ENG_NOT_CPU, "mechanism", mech_label, false);

	prom_family(p, "ksleuth_stall_seconds", PROM_HISTOGRAM,
		    "Length of settled CPU stalls; buckets start at the stall threshold and double.");
	for_each_group(m, g, lo, hi) {
		uint64_t le[AM_STALL_BUCKETS], cum[AM_STALL_BUCKETS], run = 0, count = 0, sum = 0;
		struct lbl b;
		for (unsigned c = lo; c < hi; c++) {
			count += m->stall_hist[c].count;
			sum += m->stall_hist[c].sum_ns;
		}
		for (unsigned k = 0; k < AM_STALL_BUCKETS; k++) {
			for (unsigned c = lo; c < hi; c++)
				run += m->stall_hist[c].bucket[k];
			le[k] = m->threshold_ns << k;
			cum[k] = run;
		}
		lbl_init(&b, m, g);
		prom_histogram_le(p, b.l, b.n, le, cum, AM_STALL_BUCKETS, count, sum);
	}

	prom_family(p, "ksleuth_longest_stall_seconds", PROM_GAUGE,
		    "Longest CPU stall seen since the agent started.");
	prom_gauge(p, NULL, 0, (double)m->longest_stall_ns / 1e9);

	prom_family(p, "ksleuth_incidents_total", PROM_COUNTER,
		    "Incidents (a network symptom tied to a cause), by mechanism.");
	for (unsigned k = 1; k < AM_NMECH; k++)
		prom_counter(p, (struct prom_label[]){ { "mechanism", eng_mech_name((enum eng_mech)k) } },
			     1, m->incidents[k]);
}

static void write_silences(const struct agent_metrics *m, struct prom *p)
{
	write_counter_table(m, p, "ksleuth_timer_silences_total",
			    "Timer-interrupt silences (a CPU took no tick for the threshold or longer while one task ran), by cause: interrupts_off (ended where interrupts came back on) or cpu_not_running (the CPU did not run this kernel; on a VM the host did not run the vCPU).",
			    (const uint64_t *)m->silences, AM_SIL_NR, 0, AM_SIL_NR, "cause", silence_label, false);
	write_counter_table(m, p, "ksleuth_timer_silence_seconds_total",
			    "Time CPUs spent in timer-interrupt silences, by cause.",
			    (const uint64_t *)m->silence_ns, AM_SIL_NR, 0, AM_SIL_NR, "cause", silence_label, true);
}

int am_render(const struct agent_metrics *m, struct prom *p)
{
	write_sirq(m, p);
	write_sched(m, p, "ksleuth_ksoftirqd_wakeup_delay_seconds",
		    "Run-queue wait of ksoftirqd/N (wakeup or preemption to running).", m->ksoftirqd);
	write_sched(m, p, "ksleuth_sched_wait_seconds",
		    "Run-queue wait of all tasks (wakeup or preemption to running).", m->sched_wait);

	prom_family(p, "ksleuth_tcp_retransmit_events_total", PROM_COUNTER,
		    "tcp:tcp_retransmit_skb tracepoint hits, failed attempts included (reads higher than the kernel's RetransSegs, which node_exporter exports as node_netstat_Tcp_RetransSegs).");
	prom_counter(p, NULL, 0, m->retrans_events);
	prom_family(p, "ksleuth_tcp_retransmit_failed_total", PROM_COUNTER,
		    "tcp:tcp_retransmit_skb hits whose attempt did not send (err != 0).");
	prom_counter(p, NULL, 0, m->retrans_failed);

	write_stalls(m, p);
	write_silences(m, p);

	prom_family(p, "ksleuth_culprit_stall_seconds_total", PROM_COUNTER,
		    "Stall time by the task that held the CPU; the 10 most recent task names get a series (a name gives way after 10 minutes without a stall), others count as \"" AM_COMM_OTHER "\".");
	for (unsigned i = 0; i < m->ntop; i++)
		prom_counter_f(p, (struct prom_label[]){ { "comm", m->top[i].comm } }, 1,
			       (double)m->top[i].stall_ns / 1e9);
	prom_counter_f(p, (struct prom_label[]){ { "comm", AM_COMM_OTHER } }, 1, (double)m->other_ns / 1e9);
	return p->err;
}
