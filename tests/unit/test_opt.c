/* test_opt.c — the option tables (lib/opt.h): every kind of value, its
 * range and its one message; the shape of a command line (unknown,
 * missing, ambiguous, operands, "--"); --help, the man page and the bash
 * completion written from the same table. */
#include <errno.h>
#include <stdlib.h>

#include "lib/opt.h"
#include "test.h"

struct t_args {
	bool flag, on;
	uint64_t dur_ns, ivl_ns, rate;
	struct cpuset cpus;
	int cpu, choice;
	uint32_t pid, words;
	long n;
	const char *name;
	char comm[16];
};

static const char *const colours[] = { "red", "green", "blue", NULL };

static const struct opt t_opts[] = {
	{ 'f', "flag", OPT_FLAG_AT(struct t_args, flag), .help = "a flag" },
	{ .lname = "no-on", OPT_FLAG_AT(struct t_args, on), .clear = true, .help = "turn it off" },
	OPT_DURATION(struct t_args, dur_ns),
	OPT_INTERVAL(struct t_args, ivl_ns, NS_PER_SEC),
	{ .lname = "slower", OPT_DURATION_AT(struct t_args, dur_ns), .arg = "DUR", .unit_ns = NS_PER_MS,
	  .max = 3 * NS_PER_SEC, .help = "in milliseconds" },
	OPT_CPUS(struct t_args, cpus),
	{ 'c', "cpu", OPT_CPU_AT(struct t_args, cpu), .arg = "CPU", .help = "one CPU" },
	{ 'p', "pid", OPT_PID_AT(struct t_args, pid), .arg = "PID", .must_exist = true, .help = "a process" },
	{ 'n', "count", OPT_INT_AT(struct t_args, n), .arg = "N", .min = 1, .max = 100, .has_def = true,
	  .def = 7, .help = "how many" },
	{ .lname = "name", OPT_STRING_AT(struct t_args, name), .arg = "NAME", .help = "a name" },
	{ .lname = "comm", OPT_STRBUF_AT(struct t_args, comm), .arg = "PREFIX", .help = "a task name" },
	{ .lname = "colour", OPT_CHOICE_AT(struct t_args, choice), .words = colours, .has_def = true, .def = 1,
	  .help = "which colour" },
	{ .lname = "colours", OPT_WORDS_AT(struct t_args, words), .arg = "LIST", .words = colours,
	  .help = "some colours" },
	{ .lname = "rate", OPT_RATE_AT(struct t_args, rate), .arg = "RATE", .help = "bits per second" },
	{ .lname = "secret", OPT_FLAG_AT(struct t_args, flag), .hidden = true },
	{ 0 }
};

static const struct opt_cmd t_cli = {
	.name = "test",
	.summary = "a command for the tests",
	.operands = "[FILE]",
	.max_operands = 1,
	.description = "What it does.\n",
	.opts = t_opts,
	.notes = "Exit: 0.\n",
};

static bool exists(long pid)
{
	return pid == 1 || pid == 42;
}

static const struct opt_env t_env = { .ncpus = 4, .pid_exists = exists };

/* Parses the words of line (split at spaces) into a. */
static enum opt_status parse(const struct opt_cmd *c, const char *line, struct t_args *a, struct opt_result *res)
{
	static char buf[512];
	static char *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	argv[argc++] = (char *)"test";
	for (char *w = strtok(buf, " "); w && argc < 31; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	memset(a, 0, sizeof(*a));
	a->on = true;
	return opt_parse(c, argc, argv, a, &t_env, res);
}

/* The message of a bad line. */
static const char *bad(const char *line)
{
	static struct opt_result res;
	struct t_args a;

	if (parse(&t_cli, line, &a, &res) != OPT_BAD)
		return "(accepted)";
	return res.msg;
}

TEST(opt_every_kind_takes_its_values)
{
	struct t_args a;
	struct opt_result res;

	REQUIRE(parse(&t_cli, "", &a, &res) == OPT_RUN);
	CHECK_EQ(a.n, 7);
	CHECK_EQ(a.choice, 1);
	CHECK_U64(a.ivl_ns, NS_PER_SEC);
	CHECK(!a.flag && a.on && !opt_cpus_given(&a.cpus) && opt_cpu_wanted(&a.cpus, 3));
	REQUIRE(parse(&t_cli, "-f --no-on -d 2 -i 500ms -C 1,3 -c 3 -p 42 -n 100 --name x "
			      "--comm ksoftirqd --colour blue --colours red,BLUE --rate 1.5G",
		      &a, &res) == OPT_RUN);
	CHECK(a.flag && !a.on);
	CHECK_U64(a.dur_ns, 2 * NS_PER_SEC);
	CHECK_U64(a.ivl_ns, 500 * NS_PER_MS);
	CHECK(opt_cpus_given(&a.cpus) && opt_cpu_wanted(&a.cpus, 3) && !opt_cpu_wanted(&a.cpus, 2));
	CHECK_EQ(a.cpu, 3);
	CHECK_EQ(a.pid, 42);
	CHECK_EQ(a.n, 100);
	CHECK_STR(a.name, "x");
	CHECK_STR(a.comm, "ksoftirqd");
	CHECK_EQ(a.choice, 2);
	CHECK_EQ(a.words, 5);
	CHECK_U64(a.rate, 1500000000ULL);
	REQUIRE(parse(&t_cli, "--slower 10 --colours all -fd5", &a, &res) == OPT_RUN);
	CHECK_U64(a.dur_ns, 5 * NS_PER_SEC); /* -d after --slower: the last one given */
	CHECK_EQ(a.words, 7);
	CHECK(a.flag);
	REQUIRE(parse(&t_cli, "--slower=10 --dur=1m", &a, &res) == OPT_RUN);
	CHECK_U64(a.dur_ns, 60 * NS_PER_SEC);
	REQUIRE(parse(&t_cli, "--slower=10", &a, &res) == OPT_RUN);
	CHECK_U64(a.dur_ns, 10 * NS_PER_MS); /* a bare number in the option's unit */
}

/* One message per kind, the same for every option of that kind. */
TEST(opt_bad_values_one_message_per_kind)
{
	CHECK_STR(bad("-d xyz"), "bad duration 'xyz' for -d: give a duration of at least 10ms, e.g. "
				 "500ms, 2s or 5m (a bare number is seconds)");
	CHECK_STR(bad("--duration 0"), "bad duration '0' for --duration: give a duration of at least 10ms, "
				       "e.g. 500ms, 2s or 5m (a bare number is seconds)");
	CHECK_STR(bad("-d 5ms"), "bad duration '5ms' for -d: give a duration of at least 10ms, e.g. "
				 "500ms, 2s or 5m (a bare number is seconds)");
	CHECK_STR(bad("--slower 4s"), "bad duration '4s' for --slower: give a duration of at most 3s, e.g. "
				      "500us, 10ms or 2s (a bare number is milliseconds)");
	CHECK_STR(bad("-i 1ms"), "bad interval '1ms' for -i: give a duration of at least 10ms, e.g. "
				 "500ms, 2s or 5m (a bare number is seconds)");
	CHECK_STR(bad("-C x-y"), "bad CPU list 'x-y' for -C: give CPUs such as 1 or 0-3,6");
	CHECK_STR(bad("-C 999"), "-C names CPU 999, which does not exist here (CPUs 0-3)");
	CHECK_STR(bad("--cpus 1,5"), "--cpus names CPU 5, which does not exist here (CPUs 0-3)");
	CHECK_STR(bad("-c x"), "bad CPU 'x' for -c: give a CPU number such as 0 or 1");
	CHECK_STR(bad("-c 4000"), "-c names CPU 4000, which does not exist here (CPUs 0-3)");
	CHECK_STR(bad("-p abc"), "bad pid 'abc' for -p: give a process id (1 to 4194304)");
	CHECK_STR(bad("-p 0"), "bad pid '0' for -p: give a process id (1 to 4194304)");
	CHECK_STR(bad("-p 7"), "-p names pid 7, which no process has now");
	CHECK_STR(bad("-n 0"), "bad number '0' for -n: give a whole number from 1 to 100");
	CHECK_STR(bad("--count 101"), "bad number '101' for --count: give a whole number from 1 to 100");
	CHECK_STR(bad("--comm abcdefghijklmnopq"),
		  "bad value 'abcdefghijklmnopq' for --comm: give 1 to 15 characters");
	CHECK_STR(bad("--colour pink"), "bad value 'pink' for --colour: give red, green or blue");
	CHECK_STR(bad("--colours red,pink"),
		  "bad list 'red,pink' for --colours: 'pink' is none of red, green, blue or all");
	CHECK_STR(bad("--colours red,"), "bad list 'red,' for --colours: '' is none of red, green, blue or all");
	CHECK_STR(bad("--rate fast"), "bad bit rate 'fast' for --rate: give a bit rate such as 20M or 1G "
				      "(at most 100G)");
	CHECK_STR(bad("--rate 200G"), "bad bit rate '200G' for --rate: give a bit rate such as 20M or 1G "
				      "(at most 100G)");
}

TEST(opt_empty_values_are_refused)
{
	struct t_args a;
	struct opt_result res;
	char *argv[] = { (char *)"test", (char *)"--name", (char *)"", NULL };

	memset(&a, 0, sizeof(a));
	CHECK_EQ(opt_parse(&t_cli, 3, argv, &a, &t_env, &res), OPT_BAD);
	CHECK_STR(res.msg, "bad value '' for --name: give a value that is not empty");
}

TEST(opt_the_shape_of_the_line)
{
	CHECK_STR(bad("--bogus"), "unknown option '--bogus'; 'ksleuth test --help' lists the options");
	CHECK_STR(bad("-fq"), "unknown option '-q'; 'ksleuth test --help' lists the options");
	CHECK_STR(bad("-d"), "option '-d' needs a value; 'ksleuth test --help' lists the options");
	CHECK_STR(bad("--duration"), "option '--duration' needs a value; 'ksleuth test --help' lists the options");
	CHECK_STR(bad("--colo red"), "ambiguous option '--colo'; 'ksleuth test --help' lists the options");
	CHECK_STR(bad("--flag=1"), "option '--flag' takes no value; 'ksleuth test --help' lists the options");
	CHECK_STR(bad("a b"), "unexpected argument 'b'; 'ksleuth test --help' lists the options");
	/* -d takes the next word whatever it looks like */
	CHECK_STR(bad("-d -5"), "bad duration '-5' for -d: give a duration of at least 10ms, e.g. 500ms, "
				"2s or 5m (a bare number is seconds)");
}

TEST(opt_help_and_operands)
{
	struct t_args a;
	struct opt_result res;

	CHECK_EQ(parse(&t_cli, "-h", &a, &res), OPT_HELP);
	CHECK_EQ(parse(&t_cli, "-d 1 --help", &a, &res), OPT_HELP);
	CHECK_EQ(parse(&t_cli, "--he", &a, &res), OPT_HELP);
	CHECK_EQ(parse(&t_cli, "--bogus -h", &a, &res), OPT_BAD); /* the first wins */
	REQUIRE(parse(&t_cli, "file -f", &a, &res) == OPT_RUN);
	CHECK(a.flag);
	REQUIRE(res.nargs == 1);
	CHECK_STR(res.args[0], "file");
	REQUIRE(parse(&t_cli, "-f -- -d", &a, &res) == OPT_RUN);
	REQUIRE(res.nargs == 1);
	CHECK_STR(res.args[0], "-d");
	REQUIRE(parse(&t_cli, "-", &a, &res) == OPT_RUN);
	CHECK_STR(res.args[0], "-");
}

TEST(opt_no_operands_and_required)
{
	static const struct opt req[] = {
		{ .lname = "colour", OPT_CHOICE_AT(struct t_args, choice), .words = colours, .required = true },
		{ 0 }
	};
	static const struct opt_cmd c = { .name = "paint", .opts = req };
	struct t_args a;
	struct opt_result res;

	CHECK_EQ(parse(&c, "--colour red x", &a, &res), OPT_BAD);
	CHECK_STR(res.msg, "'ksleuth paint' takes no arguments ('x'); 'ksleuth paint --help' lists the options");
	CHECK_EQ(parse(&c, "", &a, &res), OPT_BAD);
	CHECK_STR(res.msg, "'ksleuth paint' needs --colour: give red, green or blue");
	CHECK_EQ(parse(&c, "--colour green", &a, &res), OPT_RUN);
	CHECK_EQ(a.choice, 1);
}

/* A program of its own (ksleuth-hog) is named so everywhere, never as
 * "ksleuth NAME". */
TEST(opt_a_program_of_its_own)
{
	static const struct opt req[] = {
		{ .lname = "colour", OPT_CHOICE_AT(struct t_args, choice), .words = colours, .required = true },
		{ 0 }
	};
	static const struct opt_cmd c = { .name = "paint", .prog = "ksleuth-paint", .opts = req };
	struct t_args a;
	struct opt_result res;
	char t[64], h[128];
	MEMSTREAM(f, buf, len);

	CHECK_STR(opt_title(&c, t, sizeof(t)), "ksleuth-paint");
	CHECK_STR(opt_hint(&c, h, sizeof(h)), "'ksleuth-paint --help' lists the options");
	CHECK_EQ(parse(&c, "", &a, &res), OPT_BAD);
	CHECK_STR(res.msg, "'ksleuth-paint' needs --colour: give red, green or blue");
	CHECK_EQ(parse(&c, "--colour red x", &a, &res), OPT_BAD);
	CHECK_STR(res.msg, "'ksleuth-paint' takes no arguments ('x'); 'ksleuth-paint --help' lists the options");
	opt_synopsis(f, &c, "usage: ", 79);
	fclose(f);
	(void)len;
	CHECK_STR(buf, "usage: ksleuth-paint --colour red|green|blue\n");
	free(buf);
	CHECK_STR(opt_title(&t_cli, t, sizeof(t)), "ksleuth test");
}

/* The program's own options end at the command's name. */
TEST(opt_stop_at_operand)
{
	static const struct opt top[] = { { 'v', "verbose", OPT_FLAG_AT(struct t_args, flag) }, { 0 } };
	static const struct opt_cmd prog = { .opts = top, .max_operands = -1, .stop_at_operand = true };
	struct t_args a;
	struct opt_result res;

	REQUIRE(parse(&prog, "-v count -d 1 -v", &a, &res) == OPT_RUN);
	CHECK(a.flag);
	REQUIRE(res.nargs == 4);
	CHECK_STR(res.args[0], "count");
	CHECK_STR(res.args[3], "-v");
	CHECK_EQ(parse(&prog, "--bogus", &a, &res), OPT_BAD);
	CHECK_STR(res.msg, "unknown option '--bogus'; 'ksleuth help' lists the options");
}

/* A hostile argument is quoted cut at 64 bytes, control bytes visible. */
TEST(opt_quotes_an_argument_cut_and_visible)
{
	static char big[100000 + 8];
	struct t_args a;
	struct opt_result res;
	char *argv[] = { (char *)"test", (char *)"--colour", big, NULL };

	memcpy(big, "\x1b[2J", 4);
	memset(big + 4, 'x', 100000);
	memset(&a, 0, sizeof(a));
	REQUIRE(opt_parse(&t_cli, 3, argv, &a, &t_env, &res) == OPT_BAD);
	CHECK(strstr(res.msg, "'\\x1b[2Jxxx") != NULL);
	CHECK(strstr(res.msg, "xxx...'") != NULL);
	CHECK(strchr(res.msg, '\x1b') == NULL);
	CHECK(strlen(res.msg) < 200);
	/* "-\x1b[2J..." as an option */
	static char opt[100000 + 8];
	opt[0] = '-';
	memcpy(opt + 1, big, 100004);
	argv[1] = opt;
	REQUIRE(opt_parse(&t_cli, 2, argv, &a, &t_env, &res) == OPT_BAD);
	CHECK(strstr(res.msg, "unknown option '-\\x1b[2Jxxx") != NULL);
	CHECK(strstr(res.msg, "xxx...'") != NULL);
}

TEST(opt_words_and_units)
{
	uint32_t m = 0;
	char b[16], w[32];

	CHECK_EQ(opt_parse_words("green,RED", colours, &m, b, sizeof(b)), 0);
	CHECK_EQ(m, 3);
	CHECK_EQ(opt_parse_words("all", colours, &m, b, sizeof(b)), 0);
	CHECK_EQ(m, 7);
	CHECK_EQ(opt_parse_words("red,mauve", colours, &m, b, sizeof(b)), -EINVAL);
	CHECK_STR(b, "mauve");
	CHECK_EQ(opt_parse_words("", colours, &m, b, sizeof(b)), -EINVAL);
	CHECK_STR(opt_fmt_ns(1500 * NS_PER_MS, w, sizeof(w)), "1500ms");
	CHECK_STR(opt_fmt_ns(2 * NS_PER_SEC, w, sizeof(w)), "2s");
	CHECK_STR(opt_fmt_ns(300 * NS_PER_SEC, w, sizeof(w)), "5m");
	CHECK_STR(opt_fmt_ns(10 * NS_PER_MS, w, sizeof(w)), "10ms");
	CHECK_STR(opt_fmt_ns(0, w, sizeof(w)), "0");
}

/* "-- COMMAND": for a command that runs one, what follows "--" is the
 * COMMAND (options included), its own operands stay apart; elsewhere
 * "--" only ends the options. */
TEST(opt_runs_command_after_dashdash)
{
	struct opt_cmd c = t_cli;
	struct opt_result res;
	struct t_args a;
	char usage[8192] = "";
	FILE *f = fmemopen(usage, sizeof(usage) - 1, "w");

	c.runs_command = true;
	CHECK_EQ(parse(&c, "-f file -- make -j2 -f x", &a, &res), OPT_RUN);
	CHECK(a.flag);
	CHECK_EQ(res.nargs, 1);
	CHECK_STR(res.args[0], "file");
	CHECK(res.command != NULL);
	CHECK_STR(res.command[0], "make");
	CHECK_STR(res.command[1], "-j2");
	CHECK_STR(res.command[3], "x");
	CHECK(res.command[4] == NULL);
	CHECK_EQ(parse(&c, "-f", &a, &res), OPT_RUN);
	CHECK(res.command == NULL);
	CHECK_EQ(parse(&c, "-f --", &a, &res), OPT_BAD);
	CHECK_STR(res.msg, "'--' must be followed by the COMMAND to run; 'ksleuth test --help' lists the options");
	CHECK_EQ(parse(&t_cli, "-- -f", &a, &res), OPT_RUN);
	CHECK(!a.flag && res.command == NULL);
	CHECK_STR(res.args[0], "-f");
	opt_usage(f, &c);
	fclose(f);
	CHECK(strstr(usage, "[-- COMMAND") != NULL);
	CHECK(strstr(usage, "plus 4 when COMMAND failed") != NULL);
}

/* -C 999 on a 2-CPU machine watched nothing; it is a usage error. */
TEST(opt_cpus_must_exist)
{
	struct cpuset s = { 0 };
	char msg[160];

	CHECK_EQ(opt_cpus_exist(&s, 2, "-C", msg, sizeof(msg)), -EINVAL);
	CHECK_STR(msg, "-C names no CPU: give CPUs such as 1 or 0-3,6");
	cpuset_add(&s, 1);
	CHECK_EQ(opt_cpus_exist(&s, 2, "-C", msg, sizeof(msg)), 0);
	cpuset_add(&s, 999);
	CHECK_EQ(opt_cpus_exist(&s, 2, "-C", msg, sizeof(msg)), -EINVAL);
	CHECK_STR(msg, "-C names CPU 999, which does not exist here (CPUs 0-1)");
	CHECK_EQ(opt_cpus_exist(&s, 0, "-C", msg, sizeof(msg)), 0); /* unknown: not checked */
}

static char *written(void (*fn)(FILE *, const struct opt_cmd *), const struct opt_cmd *c)
{
	MEMSTREAM(f, buf, len);
	fn(f, c);
	fclose(f);
	(void)len;
	return buf;
}

TEST(opt_usage_from_the_table)
{
	char *u = written(opt_usage, &t_cli);

	CHECK_STR(u,
		  "usage: ksleuth test [FILE] [-f] [--no-on] [-d DUR] [-i SEC] [--slower DUR]\n"
		  "                    [-C CPUS] [-c CPU] [-p PID] [-n N] [--name NAME]\n"
		  "                    [--comm PREFIX] [--colour red|green|blue] [--colours LIST]\n"
		  "                    [--rate RATE]\n"
		  "\n"
		  "What it does.\n"
		  "\n"
		  "  -f, --flag            a flag\n"
		  "      --no-on           turn it off\n"
		  "  -d, --duration DUR    stop after DUR (10s, 5m); default: until Ctrl-C\n"
		  "  -i, --interval SEC    print every SEC seconds; units allowed, e.g. 500ms\n"
		  "                        (default 1s)\n"
		  "      --slower DUR      in milliseconds\n"
		  "  -C, --cpus CPUS       only these CPUs (e.g. 1 or 0-3,6)\n"
		  "  -c, --cpu CPU         one CPU\n"
		  "  -p, --pid PID         a process\n"
		  "  -n, --count N         how many (default 7)\n"
		  "      --name NAME       a name\n"
		  "      --comm PREFIX     a task name\n"
		  "      --colour red|green|blue\n"
		  "                        which colour (default green)\n"
		  "      --colours LIST    some colours\n"
		  "      --rate RATE       bits per second\n"
		  "  -h, --help            this text\n"
		  "\n"
		  "Exit: 0.\n");
	CHECK(strstr(u, "secret") == NULL);
	free(u);
}

static const struct opt_cmd *const t_cmds[] = { &t_cli };
static const struct opt_exit t_exits[] = { { 0, "ok", "All went well." }, { 2, "usage", "Bad line." }, { 0 } };
static const struct opt_cmd t_prog_cli = { .summary = "the tests", .operands = "COMMAND", .max_operands = -1,
					   .stop_at_operand = true };
static const char *const t_paras[] = { "First -paragraph.\n", ".dot at the start\n", NULL };
static const struct opt_prog t_prog = { .cmd = &t_prog_cli, .paragraphs = t_paras, .exits = t_exits,
					.files = "/etc/x\ta file\n", .see_also = "bpftool(8)", .version = "1.0" };

/* The man page and the completion name every option that --help shows. */
TEST(opt_man_and_completion_have_every_option)
{
	MEMSTREAM(m, man, mlen);
	MEMSTREAM(b, bash, blen);
	char want[96];

	opt_man(m, &t_prog, t_cmds, 1);
	opt_bash_completion(b, &t_prog, t_cmds, 1);
	fclose(m);
	fclose(b);
	(void)mlen;
	(void)blen;
	for (const struct opt *o = t_opts; o->sname || o->lname; o++) {
		if (o->lname) {
			char esc[64] = "", *e = esc; /* '-' is "\\-" in troff */
			for (const char *p = o->lname; *p && e < esc + sizeof(esc) - 3; p++)
				e += sprintf(e, *p == '-' ? "\\-" : "%c", *p);
			snprintf(want, sizeof(want), "\\fB\\-\\-%s\\fR", esc);
			CHECK(!!strstr(man, want) == !o->hidden);
			snprintf(want, sizeof(want), " --%s", o->lname);
			CHECK(!!strstr(bash, want) == !o->hidden);
		}
		if (o->sname) {
			snprintf(want, sizeof(want), "\\fB\\-%c\\fR", o->sname);
			CHECK(strstr(man, want) != NULL);
			snprintf(want, sizeof(want), "-%c --%s ", o->sname, o->lname);
			CHECK(strstr(bash, want) != NULL);
		}
	}
	CHECK(strstr(man, ".TH KSLEUTH 8") && strstr(man, ".SH NAME\nksleuth \\- the tests"));
	CHECK(strstr(man, ".SH SYNOPSIS") && strstr(man, ".SH DESCRIPTION") && strstr(man, ".SH COMMANDS") &&
	      strstr(man, ".SH EXIT STATUS") && strstr(man, ".SH FILES") && strstr(man, ".SH SEE ALSO"));
	CHECK(strstr(man, ".SS test\n") != NULL);
	CHECK(strstr(man, "First \\-paragraph.") != NULL);
	CHECK(strstr(man, "\n\\&.dot at the start") != NULL);
	CHECK(strstr(man, ".TP\n.B 2\nBad line.\n") != NULL);
	CHECK(strstr(man, "secret") == NULL);
	CHECK(strstr(bash, "complete -o default -F _ksleuth ksleuth") != NULL);
	CHECK(strstr(bash, "opts='help test ") != NULL);
	CHECK(strstr(bash, "\t\t--colour)\n\t\t\tCOMPREPLY=($(compgen -W 'red green blue' -- \"$cur\"))") != NULL);
	CHECK(strstr(bash, "'red green blue all'") != NULL);
	CHECK(strstr(bash, "secret") == NULL);
	free(man);
	free(bash);
}

static void collect(const char *name, size_t len, bool value, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%.*s%s ", (int)len, name, value ? "=" : "");
}

/* A command without a table yet: the names come out of its synopsis. */
TEST(opt_names_from_a_written_synopsis)
{
	char out[256] = "";

	opt_synopsis_names("[-d DUR] [--broken|--fixed] [--listen ADDR:PORT] [--once]", collect, out);
	CHECK_STR(out, "-d= --broken --fixed --listen= --once ");
}
