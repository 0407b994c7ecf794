/* test_stallfill.c — what filled a stall window: only a task that held at
 * least half of it is named as "ran instead"; a small share, an idle CPU
 * or missing history is said as such (the demo's "tokio 0 %" lines). */
#include <string.h>

#include "engine/stallfill.h"
#include "test.h"

#define MS 1000000ull

static void mk(struct eng_stall *s, uint64_t len_ns, uint64_t top_run_ns, unsigned n)
{
	memset(s, 0, sizeof(*s));
	s->cpu = 1;
	s->start_ns = 1000 * MS;
	s->end_ns = s->start_ns + len_ns;
	snprintf(s->victim_comm, sizeof(s->victim_comm), "kworker/1:0");
	s->n_tasks = n;
	for (unsigned i = 0; i < n; i++) {
		s->tasks[i].pid = 1;
		s->tasks[i].tid = 68 + (int)i;
		s->tasks[i].policy = 0;
		snprintf(s->tasks[i].comm, sizeof(s->tasks[i].comm), "tokio-rt-worker");
		s->tasks[i].run_ns = i ? top_run_ns / 2 : top_run_ns;
	}
}

TEST(stallfill_held_names_the_task)
{
	struct eng_stall s;
	struct stall_window_info w = { .known = true, .covered_ns = 500 * MS, .idle_ns = 0 };
	struct stall_fill f;
	char b[160];

	mk(&s, 500 * MS, 480 * MS, 1);
	stall_fill_decide(&s, &w, &f);
	CHECK_EQ(f.kind, STALL_FILL_HELD);
	CHECK(f.held);
	CHECK_EQ(f.top_pct, 96);
	stall_fill_text(&s, &f, b, sizeof(b));
	CHECK_STR(b, "ran instead: tokio-rt-worker pid 1 tid 68 (SCHED_OTHER, 96% of the time)");
}

TEST(stallfill_idle_window_names_no_task)
{
	struct eng_stall s;
	struct stall_window_info w = { .known = true, .covered_ns = 335 * MS, .idle_ns = 325 * MS };
	struct stall_fill f;
	char b[160];

	mk(&s, 335 * MS, 1 * MS, 1);
	stall_fill_decide(&s, &w, &f);
	CHECK_EQ(f.kind, STALL_FILL_IDLE);
	CHECK(!f.held);
	stall_fill_text(&s, &f, b, sizeof(b));
	CHECK(!strstr(b, "ran instead"));
	CHECK_STR(b, "CPU idle 97% of it; top tokio-rt-worker 0%");
	CHECK_STR(stall_fill_name(f.kind), "idle");
}

TEST(stallfill_shared_is_contention)
{
	struct eng_stall s;
	struct stall_window_info w = { .known = true, .covered_ns = 124 * MS, .idle_ns = 10 * MS, .left_out = 12 };
	struct stall_fill f;
	char b[160];

	mk(&s, 124 * MS, 15 * MS, 2);
	stall_fill_decide(&s, &w, &f);
	CHECK_EQ(f.kind, STALL_FILL_SHARED);
	CHECK(!f.held);
	CHECK_EQ(f.ntasks, 14);
	stall_fill_text(&s, &f, b, sizeof(b));
	CHECK_STR(b, "no single task held the CPU: 14 tasks, top tokio-rt-worker 12%");
}

TEST(stallfill_uncovered_history)
{
	struct eng_stall s;
	struct stall_window_info w = { .known = true, .covered_ns = 40 * MS, .idle_ns = 0 };
	struct stall_fill f;
	char b[160];

	mk(&s, 400 * MS, 4 * MS, 1);
	stall_fill_decide(&s, &w, &f);
	CHECK_EQ(f.kind, STALL_FILL_UNCOVERED);
	stall_fill_text(&s, &f, b, sizeof(b));
	CHECK_STR(b, "run history covers only 10% of it; top tokio-rt-worker 1%");
}

TEST(stallfill_exact_half_and_unknowns)
{
	struct eng_stall s;
	struct stall_window_info w = { .known = true, .covered_ns = 200 * MS, .idle_ns = 0 };
	struct stall_fill f;
	char b[160];

	mk(&s, 200 * MS, 100 * MS, 1);        /* half: the engine's rule counts it as held */
	stall_fill_decide(&s, &w, &f);
	CHECK_EQ(f.kind, STALL_FILL_HELD);
	mk(&s, 200 * MS, 99 * MS, 1);
	stall_fill_decide(&s, &w, &f);
	CHECK_EQ(f.kind, STALL_FILL_SHARED);
	mk(&s, 200 * MS, 0, 1);               /* run time unknown (open segment): held */
	stall_fill_decide(&s, NULL, &f);
	CHECK_EQ(f.kind, STALL_FILL_HELD);
	stall_fill_text(&s, &f, b, sizeof(b));
	CHECK_STR(b, "ran instead: tokio-rt-worker pid 1 tid 68 (SCHED_OTHER)");
	mk(&s, 200 * MS, 0, 0);               /* nothing known at all */
	stall_fill_decide(&s, NULL, &f);
	CHECK_EQ(f.kind, STALL_FILL_UNKNOWN);
	CHECK(f.held);
	stall_fill_text(&s, &f, b, sizeof(b));
	CHECK_STR(b, "who ran instead is unknown");
}

TEST(stallfill_contention_folds_shared_waits_only)
{
	struct stall_contention c = { 0 };
	struct stall_window_info w = { .known = true, .covered_ns = 300 * MS, .idle_ns = 0, .left_out = 40 };
	struct eng_stall s;
	struct stall_fill f;
	char b[200];

	mk(&s, 120 * MS, 10 * MS, 2);         /* 42 tasks, top 8% */
	snprintf(s.victim_comm, sizeof(s.victim_comm), "sched-messaging");
	stall_fill_decide(&s, &w, &f);
	CHECK(stall_contention_add(&c, &s, &f));
	mk(&s, 300 * MS, 60 * MS, 2);         /* the longest: 20%, starts 5 ms earlier */
	s.start_ns -= 5 * MS;
	s.end_ns -= 5 * MS;
	snprintf(s.victim_comm, sizeof(s.victim_comm), "sched-msg-long");
	stall_fill_decide(&s, &w, &f);
	CHECK(stall_contention_add(&c, &s, &f));
	mk(&s, 110 * MS, 5 * MS, 2);
	stall_fill_decide(&s, &w, &f);
	s.ongoing = true;                     /* a wait still running: its end is folded later */
	CHECK(!stall_contention_add(&c, &s, &f));
	s.ongoing = false;
	CHECK(stall_contention_add(&c, &s, &f));
	mk(&s, 500 * MS, 480 * MS, 1);        /* held: a stall, reported on its own */
	stall_fill_decide(&s, &w, &f);
	CHECK(!stall_contention_add(&c, &s, &f));

	CHECK_EQ(c.waits, 3);
	CHECK_EQ(c.total_ns, 530 * MS);
	CHECK_EQ(c.longest_ns, 300 * MS);
	CHECK_EQ(c.start_ns, 995 * MS);
	CHECK_EQ(c.end_ns, 1295 * MS);
	CHECK_STR(c.victim, "sched-msg-long");
	CHECK_EQ(c.ntasks, 42);
	CHECK_EQ(c.top_pct, 20);
	stall_contention_text(&c, b, sizeof(b));
	CHECK_STR(b, "3 waits, longest 300ms (sched-msg-long); no single task held the CPU: 42 tasks, "
		     "top tokio-rt-worker 20%");
}
