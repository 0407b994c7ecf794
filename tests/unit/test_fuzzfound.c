/* test_fuzzfound.c — regression tests for what the fuzzers (tests/fuzz)
 * found, one test each, named after the property the input broke. */
#include <errno.h>
#include <string.h>

#include "lib/kmsg.h"
#include "lib/opt.h"
#include "lib/text.h"
#include "test.h"

/* A bad-option message quoting an argument that ends inside a multi-byte
 * character (fuzz_parse: output not valid UTF-8): the quote keeps whole
 * characters only, and the message stays valid UTF-8 and in its buffer. */
struct ff_args { struct cpuset cpus; };
static const struct opt ff_opts[] = { OPT_CPUS(struct ff_args, cpus), { 0 } };
static const struct opt_cmd ff_cli = { .name = "runq", .summary = "test", .opts = ff_opts };

TEST(fuzz_opt_message_keeps_utf8_whole)
{
	struct ff_args a;
	struct opt_result res;
	char arg[80];
	char *argv[] = { (char *)"runq", (char *)"-C", arg, NULL };
	char *extra[] = { (char *)"runq", (char *)"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3", NULL };

	memset(arg, 0xff, 60);
	memcpy(arg + 60, "\xda\xa6%\xca(\x8c\x8c", 8); /* U+06A6 at bytes 60-61 */
	arg[68] = '\0';
	memset(&a, 0, sizeof(a));
	CHECK(opt_parse(&ff_cli, 3, argv, &a, NULL, &res) == OPT_BAD);
	CHECK(strlen(res.msg) < sizeof(res.msg));
	CHECK(utf8_valid(res.msg, strlen(res.msg)));
	CHECK(opt_parse(&ff_cli, 2, extra, &a, NULL, &res) == OPT_BAD);
	CHECK(utf8_valid(res.msg, strlen(res.msg)));
}

/* kmsg_parse took any byte as the flags field ("6,1,7,5,-;x" gave flag
 * '5'; fuzz_kmsg: flag not '-', 'c' or '+' as struct kmsg_rec says). */
TEST(fuzz_kmsg_flags_field_is_checked)
{
	struct kmsg_rec r;
	const char *bad[] = { "6,123412,7,5,-;rcu: INFO", "6,1,2,x;text", "6,1,2,-c;text",
			      "6,1,2,\0;t" };
	const char *good[] = { "6,1,2,-;text", "6,1,2,c,caller=T1;text", "6,1,2,+;text" };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(kmsg_parse(bad[i], strlen(bad[i]) + (i == 3 ? 4 : 0), &r) == -EINVAL);
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		REQUIRE(kmsg_parse(good[i], strlen(good[i]), &r) == 0);
		CHECK(r.flag == good[i][6]);
		CHECK_STR(r.text, "text");
	}
}
