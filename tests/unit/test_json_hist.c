/* Unit tests: JSON writer and log2 histograms. */
#include <stdlib.h>

#include "test.h"
#include "lib/json.h"
#include "lib/hist.h"
#include "abi/hist_slot.h"

TEST(json_nested_record)
{
	MEMSTREAM(f, buf, len);
	struct json j;
	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "type", "wait");
	json_kuint(&j, "wait_ns", 1400000000ULL);
	json_kint(&j, "delta", -3);
	json_kbool(&j, "ongoing", true);
	json_key(&j, "victim");
	json_obj_begin(&j);
	json_kint(&j, "pid", 12);
	json_kstr(&j, "comm", "ksoftirqd/1");
	json_obj_end(&j);
	json_key(&j, "stack");
	json_arr_begin(&j);
	json_str(&j, "a");
	json_str(&j, "b");
	json_arr_end(&j);
	json_key(&j, "empty");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_key(&j, "none");
	json_null(&j);
	json_kdouble(&j, "share", 0.5);
	json_obj_end(&j);
	json_line_end(&j);
	/* a second record on the next line starts clean */
	json_obj_begin(&j);
	json_kstr(&j, "type", "summary");
	json_obj_end(&j);
	json_line_end(&j);
	fclose(f);
	CHECK_STR(buf, "{\"type\":\"wait\",\"wait_ns\":1400000000,\"delta\":-3,\"ongoing\":true,"
		       "\"victim\":{\"pid\":12,\"comm\":\"ksoftirqd/1\"},\"stack\":[\"a\",\"b\"],"
		       "\"empty\":[],\"none\":null,\"share\":0.5}\n{\"type\":\"summary\"}\n");
	free(buf);
}

TEST(json_record_names_its_command)
{
	MEMSTREAM(f, buf, len);
	struct json j;
	json_init(&j, f);
	json_set_command("runq");
	json_obj_begin(&j);
	json_kstr(&j, "type", "wait");
	json_key(&j, "task");
	json_obj_begin(&j);
	json_kstr(&j, "type", "inner"); /* only the record's leading key */
	json_obj_end(&j);
	json_kstr(&j, "type", "late"); /* not first: no command */
	json_obj_end(&j);
	json_line_end(&j);
	json_obj_begin(&j);
	json_kint(&j, "n", 1);
	json_kstr(&j, "type", "x"); /* "type" not first */
	json_obj_end(&j);
	json_line_end(&j);
	json_set_command(NULL);
	fclose(f);
	CHECK_STR(buf, "{\"type\":\"wait\",\"command\":\"runq\",\"task\":{\"type\":\"inner\"},"
		       "\"type\":\"late\"}\n{\"n\":1,\"type\":\"x\"}\n");
	free(buf);
}

TEST(json_escaping)
{
	MEMSTREAM(f, buf, len);
	struct json j;
	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "s", "q\"b\\n\nt\t\x01\xff");
	json_kdouble(&j, "nan", 0.0 / 0.0);
	json_key(&j, "null_str");
	json_str(&j, NULL);
	json_obj_end(&j);
	json_line_end(&j);
	fclose(f);
	/* 0xff is not UTF-8: the replacement character, not U+00FF */
	CHECK_STR(buf, "{\"s\":\"q\\\"b\\\\n\\nt\\t\\u0001\\ufffd\",\"nan\":null,\"null_str\":null}\n");
	free(buf);
}

TEST(hist_slots_and_stats)
{
	struct hist h;
	hist_clear(&h);
	hist_add_ns(&h, 500);          /* 0 us  -> slot 0 */
	hist_add_ns(&h, 1500);         /* 1 us  -> slot 0 */
	hist_add_ns(&h, 3000);         /* 3 us  -> slot 1 */
	hist_add_ns(&h, 1000000);      /* 1000us -> slot 9 (512..1023) */
	hist_add_ns(&h, 1400000000ULL);/* 1.4 s -> slot 20 */
	CHECK_U64(h.slots[0], 2);
	CHECK_U64(h.slots[1], 1);
	CHECK_U64(h.slots[9], 1);
	CHECK_U64(h.slots[20], 1);
	CHECK_U64(h.count, 5);
	CHECK_U64(h.min_ns, 500);
	CHECK_U64(h.max_ns, 1400000000ULL);
	CHECK_U64(hist_percentile_ns(&h, 100), 1400000000ULL);
	CHECK_U64(hist_percentile_ns(&h, 50), 4000); /* slot 1's upper bound */
	struct hist big;
	hist_clear(&big);
	hist_add_ns(&big, 1000ULL * 1000000000ULL); /* 1000 s: clamps to last slot */
	CHECK_U64(big.slots[HIST_SLOTS - 1], 1);
	hist_merge(&h, &big);
	CHECK_U64(h.count, 6);
	CHECK_U64(h.max_ns, 1000ULL * 1000000000ULL);
	CHECK_U64(h.min_ns, 500);
	struct hist empty;
	hist_clear(&empty);
	CHECK_U64(hist_percentile_ns(&empty, 99), 0);
	hist_merge(&empty, &big);
	CHECK_U64(empty.min_ns, big.min_ns);
}

TEST(hist_bcc_layout)
{
	struct hist h;
	hist_clear(&h);
	for (int i = 0; i < 4; i++)
		hist_add_ns(&h, 5000); /* slot 2: 4 -> 7 */
	hist_add_ns(&h, 1000);         /* slot 0 */
	MEMSTREAM(f, buf, len);
	hist_print(f, &h, "");
	fclose(f);
	CHECK(strstr(buf, "     usecs               : count     distribution\n") != NULL);
	CHECK(strstr(buf, "         0 -> 1          : 1        |**********                              |\n") != NULL);
	CHECK(strstr(buf, "         4 -> 7          : 4        |****************************************|\n") != NULL);
	CHECK(strstr(buf, "min 1.0us") == NULL); /* fmt: 1000ns prints as 1us */
	CHECK(strstr(buf, "min 1us  avg 4us") != NULL);
	free(buf);
}

/* The slot as the definition says: the k with 2^k us < ns <= 2^(k+1) us,
 * 0 up to 2 us: floor(log2((ns - 1) / 1000)). */
static unsigned slot_by_division(__u64 ns)
{
	__u64 us = ns ? (ns - 1) / 1000 : 0;
	unsigned s = us ? 63 - (unsigned)__builtin_clzll(us) : 0;
	return s >= HIST_SLOTS ? HIST_SLOTS - 1 : s;
}

TEST(hist_slot_without_division)
{
	unsigned bad = 0;

	for (__u64 ns = 0; ns < 5000000; ns++) /* every value up to 5 ms */
		bad += hist_slot_ns(ns) != slot_by_division(ns);
	for (unsigned k = 0; k < 40; k++) { /* around every bucket edge */
		__u64 edge = 1000ULL << k;
		for (__u64 d = 0; d < 3; d++) {
			bad += hist_slot_ns(edge - d) != slot_by_division(edge - d);
			bad += hist_slot_ns(edge + d) != slot_by_division(edge + d);
		}
	}
	for (unsigned b = 0; b < 64; b++) { /* and every power of two */
		__u64 v = 1ULL << b;
		bad += hist_slot_ns(v) != slot_by_division(v);
		bad += hist_slot_ns(v - 1) != slot_by_division(v - 1);
	}
	bad += hist_slot_ns(~0ULL) != slot_by_division(~0ULL);
	CHECK_EQ(bad, 0);
}

/* Prometheus' le is "less or equal": exactly 2^k us belongs to slot k-1
 * (bucket le=2^k us), one nanosecond more to slot k. */
TEST(hist_slot_upper_bound_inclusive)
{
	CHECK_EQ(hist_slot_ns(0), 0);
	CHECK_EQ(hist_slot_ns(2000), 0);
	CHECK_EQ(hist_slot_ns(2001), 1);
	CHECK_EQ(hist_slot_ns(4000), 1);
	CHECK_EQ(hist_slot_ns(4001), 2);
	CHECK_EQ(hist_slot_ns(262144000), 17);  /* le=0.262144 */
	CHECK_EQ(hist_slot_ns(262144001), 18);
	CHECK_EQ(hist_slot_ns(67108864000ULL), HIST_SLOTS - 2); /* le=67.108864 */
	CHECK_EQ(hist_slot_ns(67108864001ULL), HIST_SLOTS - 1); /* +Inf only */
}
