/* test_fuzzfound.c — regression tests for what the fuzzers (tests/fuzz)
 * found, one test each, named after the property the input broke. */
#include <errno.h>
#include <string.h>

#include "lib/kmsg.h"
#include "lib/liveopt.h"
#include "lib/text.h"
#include "test.h"

/* A bad-option message cut short by its buffer ended in the first byte
 * of a two-byte character the argument held (fuzz_parse: output not
 * valid UTF-8): the cut now drops the partial character. */
TEST(fuzz_liveopt_message_cut_keeps_utf8_whole)
{
	struct live_opts o;
	char arg[80], msg[256];

	memset(arg, 0xff, 60);
	memcpy(arg + 60, "\xda\xa6%\xca(\x8c\x8c", 8); /* U+06A6 at bytes 60-61 */
	arg[68] = '\0';
	for (size_t n = 200; n <= sizeof(msg); n++) {
		live_opts_default(&o);
		CHECK(live_opt(&o, 'C', arg, msg, n) == -EINVAL);
		CHECK(strlen(msg) < n);
		CHECK(utf8_valid(msg, strlen(msg)));
	}
	live_msg_extra_arg(msg, 31, "runq", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	CHECK(utf8_valid(msg, strlen(msg)));
	CHECK_STR(msg, "unexpected argument '\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
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
