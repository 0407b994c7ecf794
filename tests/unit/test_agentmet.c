/* Unit tests: the agent's collector metrics under a series budget
 * (src/lib/agentmet.c): the same series count on 2 and 128 CPUs by
 * default, stall buckets from the threshold, the worst CPU named only
 * while it stalls, recent culprits keeping their series. */
#include <stdlib.h>

#include "test.h"
#include "lib/agentmet.h"
#include "lib/hist.h"

#define NS_S 1000000000ULL
#define NS_MS 1000000ULL

/* Every CPU busy in every way: each vector ran, run-queue waits, stalls
 * of every mechanism and silences of both causes; CPU ncpus-1 is in a
 * 300 ms NET_RX stall. The worst case for the series count. */
static void fill(struct agent_metrics *m)
{
	for (unsigned c = 0; c < m->ncpus; c++) {
		for (unsigned v = 0; v < KS_NR_SOFTIRQS; v++) {
			hist_add_ns(&m->sirq_delay[c][v], 3000 + 1000 * v);
			hist_add_ns(&m->sirq_delay[c][v], 250000);
			m->sirq_max[c][v][c % AM_WIN_BINS] = 250000;
		}
		hist_add_ns(&m->ksoftirqd[c], 40000);
		hist_add_ns(&m->sched_wait[c], 7000);
		hist_add_ns(&m->sched_wait[c], 600 * NS_MS);
		for (unsigned k = 1; k < AM_NMECH; k++)
			am_stall(m, (int)c, (enum eng_mech)k, 150 * NS_MS, "hog", 1);
		am_silence(m, (int)c, false, 120 * NS_MS);
		am_silence(m, (int)c, true, 130 * NS_MS);
	}
	m->sirq_max[m->ncpus - 1][3][5] = 300 * NS_MS; /* NET_RX */
	for (unsigned i = 0; i < 2 * AM_TOPK; i++) {
		char comm[16];
		snprintf(comm, sizeof(comm), "task%u", i);
		am_culprit(m, comm, 100 * NS_MS, 2);
	}
	m->retrans_events = 12;
	m->incidents[1] = 1;
	m->longest_stall_ns = 600 * NS_MS;
}

struct scrape {
	unsigned series;
	size_t bytes;
	char *text;
};

static struct scrape render(unsigned ncpus, bool per_cpu)
{
	struct agent_metrics m;
	struct scrape s = { 0 };
	struct prom p;
	size_t len = 0;
	FILE *f = open_memstream(&s.text, &len);

	if (am_init(&m, ncpus, per_cpu, 100 * NS_MS) != 0 || !f)
		return s;
	fill(&m);
	prom_init(&p, f);
	CHECK_EQ(am_render(&m, &p), 0);
	CHECK_EQ(prom_finish(&p), 0);
	fclose(f);
	am_free(&m);
	s.bytes = len;
	for (char *l = s.text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (*l != '#')
			s.series++;
	return s;
}

TEST(agentmet_budget_does_not_grow_with_cpus)
{
	struct scrape s2 = render(2, false), s128 = render(128, false);
	struct scrape p2 = render(2, true), p128 = render(128, true);

	REQUIRE(s2.text && s128.text && p2.text && p128.text);
	/* the documented numbers (docs/agent.md "Series budget") */
	printf("     agentmet: default 2 CPUs %u series %zu bytes, 128 CPUs %u series %zu bytes; "
	       "--per-cpu 2 CPUs %u series %zu bytes, 128 CPUs %u series %zu bytes\n",
	       s2.series, s2.bytes, s128.series, s128.bytes, p2.series, p2.bytes, p128.series, p128.bytes);
	CHECK_EQ(s2.series, s128.series);
	/* only values get longer (sums of 128 CPUs, the worst CPU's number) */
	CHECK(s128.bytes < s2.bytes + s2.bytes / 20);
	/* the collectors' share of the 250-series budget; the agent's own
	 * families (build, kernel, lost records, HTTP, process, BPF run time)
	 * take at most 50 more */
	CHECK(s2.series <= 200);
	/* --per-cpu grows by CPU, as asked */
	CHECK(p128.series > 60 * p2.series);
	/* while NET_RX stalls on the last CPU, its one series names it */
	CHECK(strstr(s128.text, "ksleuth_softirq_delay_max_seconds{vector=\"net_rx\",cpu=\"127\"} 0.3\n") != NULL);
	CHECK(strstr(s128.text, "ksleuth_softirq_delay_max_seconds{vector=\"timer\"} 0.00025\n") != NULL);
	CHECK(strstr(s128.text, "cpu=\"0\"") == NULL);
	/* sums over CPUs */
	CHECK(strstr(s128.text, "ksleuth_stalls_total{mechanism=\"softirq_blocked\"} 128\n") != NULL);
	CHECK(strstr(p128.text, "ksleuth_stalls_total{cpu=\"127\",mechanism=\"softirq_blocked\"} 1\n") != NULL);
	CHECK(strstr(s128.text, "ksleuth_sched_wait_seconds_bucket{le=\"0.262144\"} 128\n") != NULL);
	CHECK(strstr(s128.text, "ksleuth_sched_wait_seconds_count 256\n") != NULL);
	CHECK(strstr(s2.text, "ksleuth_timer_silences_total{cause=\"cpu_not_running\"} 2\n") != NULL);
	free(s2.text);
	free(s128.text);
	free(p2.text);
	free(p128.text);
}

TEST(agentmet_stall_buckets_start_at_threshold)
{
	struct scrape s = render(2, false);
	REQUIRE(s.text);
	/* 0.1, 0.2, ... 51.2 s, +Inf: no bucket below the threshold */
	CHECK(strstr(s.text, "ksleuth_stall_seconds_bucket{le=\"0.1\"} 0\n") != NULL);
	CHECK(strstr(s.text, "ksleuth_stall_seconds_bucket{le=\"0.2\"} 12\n") != NULL);
	CHECK(strstr(s.text, "ksleuth_stall_seconds_bucket{le=\"51.2\"} 12\n") != NULL);
	CHECK(strstr(s.text, "ksleuth_stall_seconds_bucket{le=\"+Inf\"} 12\n") != NULL);
	CHECK(strstr(s.text, "ksleuth_stall_seconds_bucket{le=\"0.05") == NULL);
	free(s.text);

	struct am_stall_hist h = { 0 };
	am_stall_hist_add(&h, 100 * NS_MS, 100 * NS_MS);     /* exactly the threshold: le=0.1 */
	am_stall_hist_add(&h, 100 * NS_MS, 200 * NS_MS);     /* exactly 2x: le=0.2 */
	am_stall_hist_add(&h, 100 * NS_MS, 200 * NS_MS + 1); /* 1 ns more: le=0.4 */
	am_stall_hist_add(&h, 100 * NS_MS, 60 * NS_S);       /* above 51.2 s: +Inf only */
	CHECK_EQ(h.bucket[0], 1);
	CHECK_EQ(h.bucket[1], 1);
	CHECK_EQ(h.bucket[2], 1);
	CHECK_EQ(h.bucket[AM_STALL_BUCKETS - 1], 0);
	CHECK_EQ(h.count, 4);
}

TEST(agentmet_recent_culprits_keep_their_series)
{
	struct agent_metrics m;
	REQUIRE(am_init(&m, 1, false, 100 * NS_MS) == 0);
	uint64_t t = 1000 * NS_S;
	char comm[16];

	for (unsigned i = 0; i < AM_TOPK; i++) {
		snprintf(comm, sizeof(comm), "old%u", i);
		am_culprit(&m, comm, NS_S, t + i);
	}
	CHECK_EQ(m.ntop, AM_TOPK);
	/* a new name while every slot was busy recently: no churn */
	am_culprit(&m, "new", NS_S, t + 60 * NS_S);
	CHECK_EQ(m.other_ns, NS_S);
	/* old3 stays busy; weeks later a new culprit takes the slot idle longest */
	am_culprit(&m, "old3", NS_S, t + 1000 * NS_S);
	am_culprit(&m, "kworker/3:1", 2 * NS_S, t + 14 * 86400 * NS_S);
	bool has_kworker = false, has_old0 = false, has_old3 = false;
	for (unsigned i = 0; i < m.ntop; i++) {
		has_kworker |= strcmp(m.top[i].comm, "kworker") == 0 && m.top[i].stall_ns == 2 * NS_S;
		has_old0 |= strcmp(m.top[i].comm, "old0") == 0;
		has_old3 |= strcmp(m.top[i].comm, "old3") == 0 && m.top[i].stall_ns == 2 * NS_S;
	}
	CHECK(has_kworker);
	CHECK(!has_old0); /* the first name, idle longest, gave way */
	CHECK(has_old3);
	CHECK_EQ(m.ntop, AM_TOPK);
	/* the same name again adds to its slot */
	am_culprit(&m, "kworker/0:0", NS_S, t + 14 * 86400 * NS_S + 1);
	for (unsigned i = 0; i < m.ntop; i++)
		if (strcmp(m.top[i].comm, "kworker") == 0)
			CHECK_EQ(m.top[i].stall_ns, 3 * NS_S);
	am_culprit(&m, "", NS_S, t + 30 * 86400 * NS_S);
	bool has_empty = false;
	for (unsigned i = 0; i < m.ntop; i++)
		has_empty |= strcmp(m.top[i].comm, AM_COMM_EMPTY) == 0;
	CHECK(has_empty);
	am_free(&m);
}

TEST(prom_histogram_selected_bounds)
{
	MEMSTREAM(f, buf, len);
	struct prom p;
	struct hist h;
	static const unsigned le[] = { 2, 4 };

	hist_clear(&h);
	hist_add_ns(&h, 4000);  /* exactly 4 us: le=0.000004 */
	hist_add_ns(&h, 4001);
	hist_add_ns(&h, 20000); /* 20 us: +Inf only */
	prom_init(&p, f);
	prom_family(&p, "ksleuth_w_seconds", PROM_HISTOGRAM, "w");
	CHECK_EQ(prom_histogram_sel(&p, NULL, 0, &h, le, 2), 0);
	CHECK_EQ(prom_finish(&p), 0);
	fclose(f);
	(void)len;
	CHECK_STR(buf, "# HELP ksleuth_w_seconds w\n# TYPE ksleuth_w_seconds histogram\n"
		       "ksleuth_w_seconds_bucket{le=\"0.000004\"} 1\n"
		       "ksleuth_w_seconds_bucket{le=\"0.000016\"} 2\n"
		       "ksleuth_w_seconds_bucket{le=\"+Inf\"} 3\n"
		       "ksleuth_w_seconds_sum 0.000028001\n"
		       "ksleuth_w_seconds_count 3\n");
	free(buf);
}
