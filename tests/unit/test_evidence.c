/* test_evidence.c — lib/evidence: what a replay collects, and the folded,
 * trace-event and HTML views of it, hostile task names included. */
#include <stdlib.h>
#include <string.h>

#include "lib/evidence.h"
#include "lib/text.h"
#include "test.h"

#define MS 1000000ULL
#define T0 (1000 * 1000 * MS)

static void one_stall(struct evidence *e, int cpu, uint64_t start, uint64_t end, int pid, const char *comm)
{
	struct eng_stall s = { .cpu = cpu, .start_ns = start, .end_ns = end, .n_tasks = 2, .n_frames = 3,
			       .stack_samples = 40 };

	snprintf(s.victim_comm, sizeof(s.victim_comm), "iperf3");
	s.tasks[0] = (struct eng_task){ .pid = 7, .tid = 7, .comm = "kworker/1:0", .run_ns = MS };
	s.tasks[1] = (struct eng_task){ .pid = pid, .tid = pid, .run_ns = end - start, .samples = 50,
					.samples_kernel = 50, .samples_bh_off = 25 };
	snprintf(s.tasks[1].comm, sizeof(s.tasks[1].comm), "%s", comm);
	snprintf(s.frames[0], sizeof(s.frames[0]), "hog_loop+0x1a");
	snprintf(s.frames[1], sizeof(s.frames[1]), "bpf_prog_run");
	snprintf(s.frames[2], sizeof(s.frames[2]), "do_syscall_64");
	CHECK_EQ(ev_add_stall(e, &s), 0);
}

static void build(struct evidence *e, const char *comm)
{
	struct eng_cpu_sample cpu[2] = { { .netrx_max_ns = 2 * MS }, { .netrx_max_ns = 480 * MS, .drops = 30 } };
	struct eng_incident inc = { .id = 1, .start_ns = T0 + 3000 * MS, .end_ns = T0 + 5000 * MS };

	ev_init(e, 2, T0, "Linux 6.1.0, preemption none");
	for (unsigned i = 1; i <= 8; i++) {
		struct eng_net_sample s = { .ts_ns = T0 + i * 1000 * MS, .retrans_tp = i == 4 ? 900 : 3,
					    .have_tp = true, .ncpus = 2, .cpu = cpu };
		CHECK_EQ(ev_add_sample(e, &s), 0);
	}
	one_stall(e, 1, T0 + 3200 * MS, T0 + 3400 * MS, 4242, comm);
	one_stall(e, 1, T0 + 3200 * MS, T0 + 3700 * MS, 4242, comm); /* grew */
	one_stall(e, 0, T0 + 6000 * MS, T0 + 6150 * MS, 99, "other-task");
	CHECK_EQ(ev_add_kmsg(e, T0 + 3500 * MS, "rcu: INFO: <self-detected> stall"), 0);
	inc.verdict = (struct eng_verdict){ .mech = ENG_SOFTIRQ_BLOCKED, .confidence = "high", .cpu = 1,
					    .have_culprit = true };
	inc.verdict.culprit = (struct eng_task){ .pid = 4242 };
	snprintf(inc.summary, sizeof(inc.summary), "the hog held CPU 1 with bottom halves off");
	inc.n_advice = 1;
	snprintf(inc.advice[0], sizeof(inc.advice[0]), "re-enable bottom halves & reschedule");
	CHECK_EQ(ev_add_incident(e, &inc), 0);
	ev_end(e, T0 + 9000 * MS);
}

static char *render(void (*fn)(FILE *, const struct evidence *), const struct evidence *e, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	fn(f, e);
	fclose(f);
	return buf;
}

TEST(evidence_keeps_the_latest_of_an_ongoing_stall)
{
	struct evidence e;

	build(&e, "ksleuth-hog");
	CHECK_EQ(e.n_stalls, 2);
	CHECK_EQ(e.stalls[0].end_ns, T0 + 3700 * MS);
	CHECK_EQ(e.stalls[0].holder.pid, 4242); /* the task that ran longest */
	CHECK_EQ(e.n_seconds, 8);
	CHECK_EQ(e.seconds[3].retrans, 900);
	CHECK_EQ(e.seconds[3].drops, 30);
	CHECK_EQ(e.seconds[3].netrx_max_ns, 480 * MS);
	CHECK(ev_is_culprit(&e, &e.stalls[0]) && !ev_is_culprit(&e, &e.stalls[1]));
	ev_free(&e);
}

TEST(evidence_folded_stacks_root_first)
{
	struct evidence e;
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	build(&e, "bad name;x");
	CHECK_EQ(ev_write_folded(f, &e, true), 1);
	fclose(f);
	CHECK_STR(buf, "bad_name_x;do_syscall_64;bpf_prog_run;hog_loop+0x1a 40\n");
	free(buf);
	ev_free(&e);
}

TEST(evidence_trace_events_documented_fields)
{
	struct evidence e;
	size_t len;
	char *buf;

	build(&e, "ksleuth-hog");
	buf = render(ev_write_perfetto, &e, &len);
	CHECK(strncmp(buf, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", 39) == 0);
	CHECK(strstr(buf, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"CPU 1\"}}"));
	CHECK(strstr(buf, "\"name\":\"ksleuth-hog (pid 4242)\",\"cat\":\"culprit\",\"ph\":\"X\",\"ts\":3200000,"
			  "\"dur\":500000,\"pid\":1,\"tid\":1"));
	CHECK(strstr(buf, "{\"name\":\"retransmits/s\",\"ph\":\"C\",\"ts\":4000000,\"pid\":2,\"args\":{\"value\":900}}"));
	CHECK(strstr(buf, "\"name\":\"incident 1: softirq_blocked\""));
	CHECK(strstr(buf, "\"ph\":\"i\",\"s\":\"g\",\"ts\":3500000"));
	CHECK(buf[len - 2] == '}' && buf[len - 1] == '\n');
	free(buf);
	ev_free(&e);
}

TEST(evidence_html_is_whole_and_escaped)
{
	struct evidence e;
	size_t len;
	char *buf;

	build(&e, "<script>\xff");
	buf = render(ev_write_html, &e, &len);
	CHECK(strncmp(buf, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(buf, "</html>\n") == buf + len - 8);
	CHECK(!strstr(buf, "<script"));
	CHECK(strstr(buf, "&lt;script&gt;&#xFFFD;"));
	CHECK(strstr(buf, "id=\"timeline\"") && strstr(buf, "id=\"flame\"") && strstr(buf, "id=\"band-1\""));
	CHECK(strstr(buf, "class=\"stall culprit\""));
	CHECK(strstr(buf, "re-enable bottom halves &amp; reschedule"));
	CHECK(strstr(buf, "kernel 100%, bottom halves off 50%"));
	CHECK(!strstr(buf, "http://") || strstr(buf, "xmlns=\"http://www.w3.org/2000/svg\""));
	CHECK(!strstr(buf, "src=") && !strstr(buf, "href="));
	CHECK(utf8_valid(buf, len));
	free(buf);
	ev_free(&e);
}
