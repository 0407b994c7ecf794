/* test_runwin.c — who ran in a window, from a synthetic segment ring. */
#include <string.h>

#include "lib/runwin.h"
#include "test.h"

/* Segments end where the next one starts (the ring has no end times). */
static void put(struct sched_seg *ring, unsigned len, uint64_t i, uint32_t tid, uint64_t start)
{
	struct sched_seg *g = &ring[i & (len - 1)];
	memset(g, 0, sizeof(*g));
	g->start_ns = start;
	g->tid = tid;
	g->pid = tid;
	g->policy = tid == 7 ? 1 : 0;
	g->prio = tid == 7 ? 49 : 120;
	g->seq = (uint32_t)(i + 1);
}

TEST(runwin_stall_and_open_segment)
{
	struct sched_seg ring[8] = {};
	struct runwin_task t[4];
	struct runwin w = { .t = t, .cap = 4 };

	put(ring, 8, 0, 0, 0);     /* idle */
	put(ring, 8, 1, 42, 100);  /* the victim */
	put(ring, 8, 2, 0, 110);
	put(ring, 8, 3, 7, 200);   /* the hog */
	put(ring, 8, 4, 42, 700);
	put(ring, 8, 5, 7, 705);   /* still running */
	runwin_tally(ring, 8, 6, 1000, 150, 900, &w);
	CHECK_EQ(w.n, 2);
	CHECK_EQ(t[0].tid, 7);
	CHECK_U64(t[0].run_ns, 500 + 195);
	CHECK_EQ(t[0].policy, 1);
	CHECK_EQ(t[0].prio, 49);
	CHECK_EQ(t[1].tid, 42);
	CHECK_U64(t[1].run_ns, 5);
	CHECK_U64(w.idle_ns, 50);
	CHECK_U64(w.covered_ns, 750);
	CHECK_EQ(w.dropped, 0);
}

TEST(runwin_wrapped_ring_reports_coverage)
{
	struct sched_seg ring[4] = {};
	struct runwin_task t[4];
	struct runwin w = { .t = t, .cap = 4 };

	/* 10 segments written into a ring of 4: only 6..9 remain */
	for (uint64_t i = 0; i < 10; i++)
		put(ring, 4, i, (uint32_t)(100 + i), i * 10);
	runwin_tally(ring, 4, 10, 100, 0, 100, &w);
	CHECK_EQ(w.n, 4);
	CHECK_U64(w.covered_ns, 40); /* from 60 to 100 */
	/* an entry being rewritten (seq mismatch) ends the usable ring */
	ring[7 & 3].seq = 0;
	runwin_tally(ring, 4, 10, 100, 0, 100, &w);
	CHECK_EQ(w.n, 2);
	CHECK_U64(w.covered_ns, 20);
}

TEST(runwin_bounded_list_counts_the_rest)
{
	struct sched_seg ring[16] = {};
	struct runwin_task t[2];
	struct runwin w = { .t = t, .cap = 2 };

	for (uint64_t i = 0; i < 5; i++)
		put(ring, 16, i, (uint32_t)(1 + i), i * 10);
	runwin_tally(ring, 16, 5, 60, 0, 50, &w);
	CHECK_EQ(w.n, 2);
	CHECK_EQ(w.dropped, 3);
	/* empty or inverted windows */
	runwin_tally(ring, 16, 5, 60, 30, 30, &w);
	CHECK_EQ(w.n, 0);
	CHECK_U64(w.covered_ns, 0);
	runwin_tally(ring, 16, 0, 60, 0, 50, &w);
	CHECK_EQ(w.n, 0);
}

TEST(runwin_seq_is_32_bits)
{
	struct sched_seg ring[4] = {};
	struct runwin_task t[4];
	struct runwin w = { .t = t, .cap = 4 };

	/* past 2^32 segments the stored seq wraps with the index */
	uint64_t base = (1ULL << 32) - 2;
	for (uint64_t i = base; i < base + 4; i++)
		put(ring, 4, i, (uint32_t)(i - base + 1), (i - base) * 10);
	runwin_tally(ring, 4, base + 4, 40, 0, 40, &w);
	CHECK_EQ(w.n, 4);
	CHECK_U64(w.covered_ns, 40);
}

TEST(runwin_many_tasks_index)
{
	enum { N = 3000, CAP = 512 };
	static struct sched_seg ring[4096];
	static struct runwin_task t[CAP];
	struct runwin w = { .t = t, .cap = CAP };

	/* 3000 segments of 600 tids (each runs 5 times, 10 ns each); tids
	 * chosen to collide in any small table: multiples of 2048 */
	for (uint64_t i = 0; i < N; i++)
		put(ring, 4096, i, (uint32_t)((i % 600 + 1) * 2048), i * 10);
	runwin_tally(ring, 4096, N, N * 10, 0, N * 10, &w);
	CHECK_EQ(w.n, CAP);
	unsigned long total = 0;
	for (unsigned k = 0; k < w.n; k++) {
		CHECK_U64(t[k].run_ns, 50);
		total += t[k].run_ns;
	}
	CHECK_U64(total, CAP * 50);
	/* the 88 tasks that did not fit are counted once each */
	CHECK_EQ(w.dropped, 600 - CAP);
}

TEST(runwin_top_only_orders_the_largest)
{
	enum { N = 400, CAP = 64, TOP = 8 };
	static struct sched_seg ring[512];
	static struct runwin_task full[CAP], part[CAP];
	struct runwin wf = { .t = full, .cap = CAP }, wp = { .t = part, .cap = CAP, .top = TOP };

	/* 40 tids, uneven run times: tid k's segments last (k * 37) % 101 + 1 */
	uint64_t start = 0;
	for (uint64_t i = 0; i < N; i++) {
		uint32_t tid = (uint32_t)(i % 40 + 1);
		put(ring, 512, i, tid, start);
		start += (tid * 37) % 101 + 1;
	}
	runwin_tally(ring, 512, N, start, 0, start, &wf);
	runwin_tally(ring, 512, N, start, 0, start, &wp);
	CHECK_EQ(wp.n, wf.n);
	for (unsigned k = 0; k < TOP; k++)
		CHECK_U64(part[k].run_ns, full[k].run_ns);
	/* the rest is all there, unordered: same total */
	uint64_t sf = 0, sp = 0;
	for (unsigned k = 0; k < wf.n; k++) {
		sf += full[k].run_ns;
		sp += part[k].run_ns;
	}
	CHECK_U64(sp, sf);
	for (unsigned k = 1; k < wf.n; k++)
		CHECK(full[k - 1].run_ns >= full[k].run_ns);
}

TEST(runwin_strongest_policy_of_a_task)
{
	struct sched_seg ring[8] = {};
	struct runwin_task t[4];
	struct runwin w = { .t = t, .cap = 4 };

	/* tid 7 (put() makes it FIFO, prio 49) then tid 9 normal; then
	 * tid 7 again as a normal task, newest: still reported FIFO */
	put(ring, 8, 0, 7, 0);
	put(ring, 8, 1, 9, 400);
	put(ring, 8, 2, 7, 500);
	ring[2].policy = 0;
	ring[2].prio = 120;
	runwin_tally(ring, 8, 3, 600, 0, 600, &w);
	CHECK_EQ(w.n, 2);
	CHECK_EQ(t[0].tid, 7);
	CHECK_U64(t[0].run_ns, 500);
	CHECK_EQ(t[0].policy, 1);
	CHECK_EQ(t[0].prio, 49);
}
