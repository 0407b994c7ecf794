/* fuzz_parse.c — command-line values: durations, CPU lists, numbers and
 * the option table's parser for every kind of value. A duration that
 * parses is formatted back; an int in range is in range; a CPU list names
 * only CPUs it can hold; a refusal is one clean, valid UTF-8 sentence. */
#include "fuzz.h"
#include "lib/opt.h"
#include "lib/parse.h"

struct fz_args {
	struct cpuset cpus;
	uint64_t interval_ns, duration_ns, rate;
	int cpu, pid, mode;
	long n;
	uint32_t vecs;
	const char *name;
};
static const char *const fz_words[] = { "net_rx", "timer", "sched", NULL };
static const struct opt fz_opts[] = {
	OPT_CPUS(struct fz_args, cpus),
	OPT_INTERVAL(struct fz_args, interval_ns, NS_PER_SEC),
	OPT_DURATION(struct fz_args, duration_ns),
	{ 'c', "cpu", OPT_CPU_AT(struct fz_args, cpu), .arg = "CPU" },
	{ 'p', "pid", OPT_PID_AT(struct fz_args, pid), .arg = "PID" },
	{ 'n', "count", OPT_INT_AT(struct fz_args, n), .arg = "N", .min = 1, .max = 1000 },
	{ 'm', "mode", OPT_CHOICE_AT(struct fz_args, mode), .arg = "MODE", .words = fz_words },
	{ 'V', "vec", OPT_WORDS_AT(struct fz_args, vecs), .arg = "VECS", .words = fz_words },
	{ 'r', "rate", OPT_RATE_AT(struct fz_args, rate), .arg = "RATE", .max = 100000000000LL },
	{ 's', "name", OPT_STRING_AT(struct fz_args, name), .arg = "NAME", .min = 1, .max = 15 },
	{ 0 }
};
static const struct opt_cmd fz_cli = { .name = "fuzz", .summary = "fuzz", .opts = fz_opts };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), buf[64];
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
	for (const char *o = "CidcpnmVrs"; *o; o++) {
		char flag[3] = { '-', *o, '\0' };
		char *argv[] = { (char *)"fuzz", flag, s, NULL };
		struct opt_env env = { .ncpus = 4 };
		struct opt_result res;
		struct fz_args a;

		memset(&a, 0, sizeof(a));
		if (opt_parse(&fz_cli, 3, argv, &a, &env, &res) == OPT_BAD)
			fuzz_check_clean(res.msg, strlen(res.msg), 0);
	}
	{
		char *argv[] = { (char *)"fuzz", s, NULL };
		struct opt_result res;
		struct fz_args a;

		memset(&a, 0, sizeof(a));
		if (opt_parse(&fz_cli, 2, argv, &a, NULL, &res) == OPT_BAD)
			fuzz_check_clean(res.msg, strlen(res.msg), 0);
	}
	free(s);
	return 0;
}
