/* Unit tests: durations, CPU lists, integers, string helpers. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "lib/parse.h"
#include "lib/strutil.h"

TEST(duration_units)
{
	uint64_t v;
	CHECK_EQ(parse_duration_ns("250us", NS_PER_SEC, &v), 0); CHECK_U64(v, 250000);
	CHECK_EQ(parse_duration_ns("10ms", NS_PER_SEC, &v), 0); CHECK_U64(v, 10000000);
	CHECK_EQ(parse_duration_ns("2s", NS_PER_SEC, &v), 0); CHECK_U64(v, 2000000000ULL);
	CHECK_EQ(parse_duration_ns("5m", NS_PER_SEC, &v), 0); CHECK_U64(v, 300000000000ULL);
	CHECK_EQ(parse_duration_ns("1h", NS_PER_SEC, &v), 0); CHECK_U64(v, 3600000000000ULL);
	CHECK_EQ(parse_duration_ns("100ns", NS_PER_SEC, &v), 0); CHECK_U64(v, 100);
	CHECK_EQ(parse_duration_ns("1.5s", NS_PER_SEC, &v), 0); CHECK_U64(v, 1500000000ULL);
	CHECK_EQ(parse_duration_ns("0.25ms", NS_PER_SEC, &v), 0); CHECK_U64(v, 250000);
	CHECK_EQ(parse_duration_ns("0", NS_PER_SEC, &v), 0); CHECK_U64(v, 0);
}

TEST(duration_default_unit)
{
	uint64_t v;
	CHECK_EQ(parse_duration_ns("3", NS_PER_SEC, &v), 0); CHECK_U64(v, 3000000000ULL);
	CHECK_EQ(parse_duration_ns("3", NS_PER_MS, &v), 0); CHECK_U64(v, 3000000);
}

TEST(duration_bad)
{
	uint64_t v = 42;
	CHECK_EQ(parse_duration_ns("", NS_PER_SEC, &v), -EINVAL);
	CHECK_EQ(parse_duration_ns("ms", NS_PER_SEC, &v), -EINVAL);
	CHECK_EQ(parse_duration_ns("-1s", NS_PER_SEC, &v), -EINVAL);
	CHECK_EQ(parse_duration_ns("10 ms", NS_PER_SEC, &v), -EINVAL);
	CHECK_EQ(parse_duration_ns("10xs", NS_PER_SEC, &v), -EINVAL);
	CHECK_EQ(parse_duration_ns("1.s", NS_PER_SEC, &v), -EINVAL);
	CHECK_EQ(parse_duration_ns("99999999999999999999", NS_PER_SEC, &v), -ERANGE);
	CHECK_EQ(parse_duration_ns("99999999999h", NS_PER_SEC, &v), -ERANGE);
	CHECK_EQ(parse_duration_ns(NULL, NS_PER_SEC, &v), -EINVAL);
	CHECK_U64(v, 42); /* untouched on error */
}

TEST(fmt_duration_ranges)
{
	char b[32];
	CHECK_STR(fmt_duration(950, b, sizeof(b)), "950ns");
	CHECK_STR(fmt_duration(87000, b, sizeof(b)), "87us");
	CHECK_STR(fmt_duration(2500000, b, sizeof(b)), "2.5ms");
	CHECK_STR(fmt_duration(523000000, b, sizeof(b)), "523ms");
	CHECK_STR(fmt_duration(1400000000ULL, b, sizeof(b)), "1.40s");
	CHECK_STR(fmt_duration(65000000000ULL, b, sizeof(b)), "65.0s");
}

TEST(cpulist_good)
{
	struct cpuset s;
	CHECK_EQ(parse_cpulist("0-3,6", &s), 0);
	CHECK_EQ(cpuset_count(&s), 5);
	CHECK(cpuset_has(&s, 0) && cpuset_has(&s, 3) && cpuset_has(&s, 6));
	CHECK(!cpuset_has(&s, 4) && !cpuset_has(&s, 5) && !cpuset_has(&s, 7));
	CHECK_EQ(cpuset_max(&s), 6);
	CHECK_EQ(parse_cpulist("1", &s), 0);
	CHECK_EQ(cpuset_count(&s), 1);
	CHECK_EQ(cpuset_max(&s), 1);
	CHECK_EQ(parse_cpulist("0,2-3,2", &s), 0);
	CHECK_EQ(cpuset_count(&s), 3);
	CHECK_EQ(parse_cpulist("1000-1023", &s), 0);
	CHECK_EQ(cpuset_count(&s), 24);
	CHECK_EQ(cpuset_max(&s), 1023);
}

TEST(cpulist_bad)
{
	struct cpuset s;
	CHECK_EQ(parse_cpulist("", &s), -EINVAL);
	CHECK_EQ(parse_cpulist("3-1", &s), -EINVAL);
	CHECK_EQ(parse_cpulist("1,", &s), -EINVAL);
	CHECK_EQ(parse_cpulist(",1", &s), -EINVAL);
	CHECK_EQ(parse_cpulist("a", &s), -EINVAL);
	CHECK_EQ(parse_cpulist("1-", &s), -EINVAL);
	CHECK_EQ(parse_cpulist("0 1", &s), -EINVAL);
	CHECK_EQ(parse_cpulist("1024", &s), -ERANGE);
	CHECK_EQ(parse_cpulist("99999999999999999999", &s), -ERANGE);
}

TEST(integers)
{
	uint64_t u;
	long l;
	CHECK_EQ(parse_u64("123", &u), 0); CHECK_U64(u, 123);
	CHECK_EQ(parse_u64("-1", &u), -EINVAL);
	CHECK_EQ(parse_u64("12a", &u), -EINVAL);
	CHECK_EQ(parse_u64("99999999999999999999999", &u), -ERANGE);
	CHECK_EQ(parse_int_range("5", 1, 10, &l), 0); CHECK_EQ(l, 5);
	CHECK_EQ(parse_int_range("11", 1, 10, &l), -ERANGE);
	CHECK_EQ(parse_int_range("", 1, 10, &l), -EINVAL);
	CHECK_EQ(parse_int_range("x", 1, 10, &l), -EINVAL);
}

TEST(edit_distance_and_glob)
{
	CHECK_EQ(edit_distance("count", "count"), 0);
	CHECK_EQ(edit_distance("cuont", "count"), 2);
	CHECK_EQ(edit_distance("docter", "doctor"), 1);
	CHECK_EQ(edit_distance("", "abc"), 3);
	CHECK(glob_match("sched_wak*", "sched_waking"));
	CHECK(glob_match("sched_wak*", "sched_wakeup_new"));
	CHECK(!glob_match("sched_wak*", "sched_switch"));
	CHECK(glob_match("*", "anything"));
	CHECK(glob_match("tcp_?etransmit_skb", "tcp_retransmit_skb"));
	CHECK(has_glob_chars("t*") && has_glob_chars("a?") && has_glob_chars("[ab]"));
	CHECK(!has_glob_chars("tcp_retransmit_skb"));
}

TEST(strtrim_and_strlcpy)
{
	char s[] = "  hello \n";
	CHECK_STR(strtrim(s), "hello");
	char d[4];
	CHECK_EQ(strlcpy_k(d, "abcdef", sizeof(d)), 6);
	CHECK_STR(d, "abc");
}
