/* test_recfmt.c — the recording format (lib/recfmt.h): every record comes
 * back as written; a file cut anywhere decodes every complete line and
 * nothing after; corrupt bytes are refused with a reason, never read past;
 * a newer version or a file that is no recording is named as such. */
#include <stdlib.h>
#include <string.h>

#include "lib/recfmt.h"
#include "test.h"

#define BUFSZ 65536

static void mk_stall(struct eng_stall *s)
{
	memset(s, 0, sizeof(*s));
	s->cpu = 1;
	s->start_ns = 1000000000ull;
	s->end_ns = 1500000000ull;
	s->ongoing = true;
	s->victim_pid = 0;
	snprintf(s->victim_comm, sizeof(s->victim_comm), "ksoftirqd/1");
	s->victim_policy = -1;
	s->n_tasks = 2;
	s->tasks[0] = (struct eng_task){ .pid = 42, .tid = 43, .comm = "hog\tx", .policy = 1, .rt_prio = 50,
					 .run_ns = 490000000ull, .samples = 120, .samples_kernel = 119,
					 .samples_bh_off = 118, .samples_irq_off = 3, .samples_preempt_off = 2 };
	s->tasks[1] = (struct eng_task){ .pid = 7, .tid = 7, .comm = "a\\b", .policy = 0, .prio = 120 };
	s->n_frames = 3;
	snprintf(s->frames[0], ENG_FRAME_LEN, "hog_spin+0x1a [ksleuth_hog]");
	snprintf(s->frames[1], ENG_FRAME_LEN, "%s", "");
	snprintf(s->frames[2], ENG_FRAME_LEN, "line\nbreak");
	s->stack_samples = 100;
	s->gap = (struct eng_gap){ .ns = 300000000ull, .mode = ENG_MODE_KERNEL, .irq_on = true,
				   .place = "_raw_spin_unlock_irq" };
}

/* A whole recording of one of each record; returns its length. */
static size_t mk_file(char *buf, size_t n)
{
	struct eng_cfg c;
	struct eng_kernel k = { .release = "6.18.0", .major = 6, .minor = 18, .preempt = "full", .hz = 250,
				.rt_runtime_us = -1, .rt_period_us = 1000000, .vm = true };
	struct rec_facts f = { .release = "6.18.0", .preempt_models = 4, .preempt_model = "PREEMPT",
			       .realtime = 1, .hz = 250, .softirq = 1 };
	struct rec_start st = { .ncpus = 2, .t0_ns = 5, .wall_off_ns = -12345, .sampler = true, .netrx_source = "tick" };
	struct eng_cpu_sample cpu[2] = { { 1, 2, 3, 4, 5 }, { 6, 7, 8, 9, 10 } };
	struct eng_net_sample s = { .ts_ns = 1000000005ull, .retrans_tp = 77, .retrans_segs = 70, .have_tp = true,
				    .drops_other = 3, .ncpus = 2, .cpu = cpu };
	struct rec_finish fin = { .now_ns = 9000000000ull, .settle = true, .lost_records = 1, .lost_kmsg = 2 };
	struct stall_window_info win = { .known = true, .covered_ns = 400, .idle_ns = 10, .left_out = 1 };
	struct eng_stall st2;
	size_t len = 0;
	int k1;

	eng_cfg_default(&c);
	mk_stall(&st2);
#define ADD(call) do { k1 = (call); CHECK(k1 > 0); if (k1 > 0) len += (size_t)k1; } while (0)
	ADD(rec_enc_magic(buf + len, n - len));
	ADD(rec_enc_meta(buf + len, n - len, "1.2-test"));
	ADD(rec_enc_cfg(buf + len, n - len, &c));
	ADD(rec_enc_kernel(buf + len, n - len, &k));
	ADD(rec_enc_facts(buf + len, n - len, &f));
	ADD(rec_enc_start(buf + len, n - len, &st));
	ADD(rec_enc_sample(buf + len, n - len, &s));
	/* the longest what the pipeline writes: a reader that refused it
	 * ended every replay at the first interrupts-off stall */
	ADD(rec_enc_stall(buf + len, n - len, &st2, &win, "did not come (interrupts off, or the vCPU not run)"));
	ADD(rec_enc_kmsg(buf + len, n - len, 77, "rcu: INFO:\tstall\\ on CPU\n1"));
	ADD(rec_enc_step(buf + len, n - len, 1000000005ull));
	ADD(rec_enc_finish(buf + len, n - len, &fin));
#undef ADD
	return len;
}

/* Decodes the complete lines of buf[0..len) as the file reader does;
 * returns how many decoded, -1 at the first failure. */
static int decode_all(const char *buf, size_t len, struct rec_reader *r, struct rec_item *items, int max)
{
	char *copy = malloc(len + 1);
	size_t at = 0;
	int n = 0;

	memcpy(copy, buf, len);
	copy[len] = '\0';
	rec_reader_init(r);
	while (at < len) {
		char *nl = memchr(copy + at, '\n', len - at);
		if (!nl)
			break;  /* a cut line is never decoded */
		*nl = '\0';
		if (rec_decode(r, copy + at, &items[n < max ? n : max - 1]) < 0) {
			free(copy);
			return -1;
		}
		n++;
		at = (size_t)(nl - copy) + 1;
	}
	free(copy);
	return n;
}

TEST(recfmt_round_trip)
{
	char *buf = malloc(BUFSZ);
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_item *it = calloc(16, sizeof(*it));
	size_t len = mk_file(buf, BUFSZ);
	struct eng_stall want;

	REQUIRE(decode_all(buf, len, r, it, 16) == 11);
	CHECK_EQ(r->version, REC_VERSION);
	CHECK_STR(it[1].version, "1.2-test");
	CHECK_U64(it[2].cfg.stall_ns, 100000000ull);
	CHECK(it[2].cfg.factor == 10.0);
	CHECK_STR(it[3].kernel.preempt, "full");
	CHECK_EQ(it[3].kernel.rt_runtime_us, -1);
	CHECK(it[3].kernel.vm);
	CHECK_STR(it[4].facts.preempt_model, "PREEMPT");
	CHECK_EQ(it[5].start.wall_off_ns, -12345);
	CHECK_STR(it[5].start.netrx_source, "tick");
	CHECK_EQ(it[6].type, REC_SAMPLE);
	CHECK_EQ(it[6].sample.ncpus, 2);
	CHECK_U64(it[6].sample.cpu[1].squeezes, 10);
	CHECK_U64(it[6].sample.retrans_tp, 77);
	mk_stall(&want);
	CHECK(memcmp(&it[7].stall.s, &want, sizeof(want)) == 0);
	CHECK_STR(it[7].stall.s.tasks[0].comm, "hog\tx");
	CHECK_STR(it[7].stall.s.frames[2], "line\nbreak");
	CHECK_STR(it[7].stall.what, "did not come (interrupts off, or the vCPU not run)");
	CHECK(it[7].stall.win.known && it[7].stall.win.left_out == 1);
	CHECK_STR(it[8].text, "rcu: INFO:\tstall\\ on CPU\n1");
	CHECK_U64(it[9].ts_ns, 1000000005ull);
	CHECK(it[10].finish.settle && it[10].finish.lost_kmsg == 2);
	free(buf);
	free(r);
	free(it);
}

TEST(recfmt_truncated_anywhere)
{
	char *buf = malloc(BUFSZ);
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_item *it = calloc(16, sizeof(*it));
	size_t len = mk_file(buf, BUFSZ);

	for (size_t cut = 0; cut <= len; cut++) {
		int lines = 0;
		for (size_t i = 0; i < cut; i++)
			lines += buf[i] == '\n';
		CHECK_EQ(decode_all(buf, cut, r, it, 16), lines);
	}
	free(buf);
	free(r);
	free(it);
}

TEST(recfmt_corrupt_bytes_refused_or_sane)
{
	static const char subst[] = { 0, '\t', '\n', '\\', '-', '9', 'x', (char)0xff };
	char *buf = malloc(BUFSZ), *bad = malloc(BUFSZ);
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_item *it = calloc(16, sizeof(*it));
	size_t len = mk_file(buf, BUFSZ);
	unsigned refused = 0;

	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof(subst); k++) {
			if (buf[i] == subst[k])
				continue;
			memcpy(bad, buf, len);
			bad[i] = subst[k];
			if (decode_all(bad, len, r, it, 16) < 0) {
				refused++;
				CHECK(r->err[0] != '\0');
			} else {
				CHECK(r->ncpus <= REC_MAX_CPUS);
			}
		}
	}
	CHECK(refused > len); /* most damage is seen, not just survived */
	free(buf);
	free(bad);
	free(r);
	free(it);
}

TEST(recfmt_newer_version_or_not_a_recording)
{
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_item it;
	char l1[] = "KSLEUTH-RECORDING 2", l2[] = "{\"type\":\"summary\"}", l3[] = "";
	char l4[] = "KSLEUTH-RECORDING 1", l5[] = "sample\t1\t0\t0\t1\t1\t0\t0";

	rec_reader_init(r);
	CHECK(rec_decode(r, l1, &it) < 0);
	CHECK(strstr(r->err, "version 2, newer") != NULL);
	rec_reader_init(r);
	CHECK(rec_decode(r, l2, &it) < 0);
	CHECK(strstr(r->err, "not a ksleuth recording") != NULL);
	rec_reader_init(r);
	CHECK(rec_decode(r, l3, &it) < 0);
	rec_reader_init(r);
	CHECK(rec_decode(r, l4, &it) == 0);
	CHECK(rec_decode(r, l5, &it) < 0); /* an input before the start record */
	CHECK(strstr(r->err, "before the run's start") != NULL);
	free(r);
}

TEST(recfmt_long_sample_fits_or_fails)
{
	static struct eng_cpu_sample cpu[REC_MAX_CPUS];
	struct eng_net_sample s = { .ts_ns = UINT64_MAX, .ncpus = REC_MAX_CPUS, .cpu = cpu };
	char *buf = malloc(REC_MAX_LINE + 2);

	for (unsigned c = 0; c < REC_MAX_CPUS; c++)
		cpu[c] = (struct eng_cpu_sample){ UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
	CHECK(rec_enc_sample(buf, REC_MAX_LINE + 2, &s) > 0);
	CHECK_EQ(rec_enc_sample(buf, 100, &s), -1);
	free(buf);
}
