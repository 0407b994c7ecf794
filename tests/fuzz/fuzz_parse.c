/* fuzz_parse.c — command-line values: durations, CPU lists, numbers and
 * the live commands' shared options. A duration that parses is formatted
 * back; an int in range is in range; a CPU list names only CPUs it can
 * hold. */
#include "fuzz.h"
#include "lib/liveopt.h"
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), buf[64], msg[256];
	struct live_opts o;
	struct cpuset cs;
	uint64_t v;
	long l;

	if (parse_duration_ns(s, NS_PER_SEC, &v) == 0) {
		fmt_duration(v, buf, sizeof(buf));
		FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) && buf[0]);
	}
	parse_duration_ns(s, 1, &v);
	if (parse_cpulist(s, &cs) == 0) {
		int n = cpuset_count(&cs), max = cpuset_max(&cs);
		FUZZ_CHECK(n >= 0 && n <= CPUSET_MAX && max < CPUSET_MAX);
		FUZZ_CHECK(n == 0 || (max >= 0 && cpuset_has(&cs, (unsigned)max)));
	}
	parse_u64(s, &v);
	if (parse_int_range(s, -5, 4194304, &l) == 0)
		FUZZ_CHECK(l >= -5 && l <= 4194304);
	for (const char *opt = "CidC"; *opt; opt++) {
		live_opts_default(&o);
		msg[0] = '\0';
		if (live_opt(&o, *opt, s, msg, sizeof(msg)) != 0)
			fuzz_check_clean(msg, strlen(msg), 0);
	}
	live_msg_bad_option(msg, sizeof(msg), "runq", s);
	fuzz_check_clean(msg, strlen(msg), 0);
	live_msg_extra_arg(msg, 100, "runq", s);
	fuzz_check_clean(msg, strlen(msg), 0);
	free(s);
	return 0;
}
