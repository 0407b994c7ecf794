/* test_liveopt.c — the shared -C/-i/-d options of the live commands. */
#include <errno.h>
#include "lib/liveopt.h"
#include "test.h"

TEST(liveopt_defaults_and_values)
{
	struct live_opts o;
	char msg[200] = "";

	live_opts_default(&o);
	CHECK(o.interval_ns == NS_PER_SEC && o.duration_ns == 0 && !o.cpus_set);
	CHECK(live_want_cpu(&o, 5));
	CHECK(live_opt(&o, 'C', "1,3", msg, sizeof(msg)) == 0);
	CHECK(o.cpus_set && live_want_cpu(&o, 1) && live_want_cpu(&o, 3) && !live_want_cpu(&o, 2));
	CHECK(live_opt(&o, 'i', "500ms", msg, sizeof(msg)) == 0);
	CHECK(o.interval_ns == 500 * NS_PER_MS);
	CHECK(live_opt(&o, 'i', "2", msg, sizeof(msg)) == 0);
	CHECK(o.interval_ns == 2 * NS_PER_SEC);
	CHECK(live_opt(&o, 'd', "10", msg, sizeof(msg)) == 0);
	CHECK(o.duration_ns == 10 * NS_PER_SEC);
}

TEST(liveopt_bad_values_say_why)
{
	struct live_opts o;
	char msg[200];

	live_opts_default(&o);
	CHECK(live_opt(&o, 'C', "x-y", msg, sizeof(msg)) < 0);
	CHECK(strstr(msg, "bad CPU list 'x-y'") != NULL);
	CHECK(!o.cpus_set);
	CHECK(live_opt(&o, 'i', "5ms", msg, sizeof(msg)) < 0);
	CHECK(strstr(msg, "at least 10ms") != NULL);
	CHECK(o.interval_ns == NS_PER_SEC);
	CHECK(live_opt(&o, 'd', "0", msg, sizeof(msg)) < 0);
	CHECK(live_opt(&o, 'd', "xyz", msg, sizeof(msg)) < 0);
	CHECK(strstr(msg, "bad duration 'xyz'") != NULL);
	CHECK(o.duration_ns == 0);
	CHECK(live_opt(&o, 'q', "1", msg, sizeof(msg)) < 0);
	live_msg_bad_option(msg, sizeof(msg), "napi", "--bogus");
	CHECK(strcmp(msg, "unknown or incomplete option '--bogus'; 'ksleuth napi --help' lists the options") == 0);
	live_msg_extra_arg(msg, sizeof(msg), "retrans", "x");
	CHECK(strcmp(msg, "unexpected argument 'x'; 'ksleuth retrans --help' lists the options") == 0);
}

/* -C 999 on a 2-CPU machine watched nothing; it is a usage error now. */
TEST(liveopt_cpus_must_exist)
{
	struct live_opts o;
	char msg[160];

	live_opts_default(&o);
	CHECK_EQ(live_opt(&o, 'C', "0-1", msg, sizeof(msg)), 0);
	CHECK_EQ(live_cpus_exist(&o.cpus, 2, msg, sizeof(msg)), 0);
	CHECK_EQ(live_opt(&o, 'C', "999", msg, sizeof(msg)), 0);
	CHECK_EQ(live_cpus_exist(&o.cpus, 2, msg, sizeof(msg)), -EINVAL);
	CHECK_STR(msg, "-C names CPU 999, which does not exist here (CPUs 0-1)");
	CHECK_EQ(live_opt(&o, 'C', "1,5", msg, sizeof(msg)), 0);
	CHECK_EQ(live_cpus_exist(&o.cpus, 2, msg, sizeof(msg)), -EINVAL);
}
