/* opt.h — every command's options as one table: the one parser (with one
 * error message per kind of value), --help, the man page and the shell
 * completion all read it, so they cannot drift apart. Pure: no BPF, no
 * /proc, no clock; what needs the system (how many CPUs, whether a pid
 * exists) comes in through struct opt_env (src/sys/cli.h fills it).
 *
 * How a command declares its options — the values land in a struct of the
 * command's own, each option naming its field:
 *
 *	struct napi_args { bool stacks, json; struct cpuset cpus; uint64_t interval_ns, duration_ns; };
 *
 *	static const struct opt napi_opts[] = {
 *		{ .lname = "stacks", OPT_FLAG_AT(struct napi_args, stacks),
 *		  .help = "kernel stacks of budget-exhausted polls, with counts" },
 *		OPT_CPUS(struct napi_args, cpus),                  // -C, --cpus CPUS
 *		OPT_INTERVAL(struct napi_args, interval_ns, NS_PER_SEC), // -i, default 1s
 *		OPT_DURATION(struct napi_args, duration_ns),       // -d: until Ctrl-C
 *		OPT_JSON(struct napi_args, json, "JSON Lines: \"napi\", \"softnet\", ..."),
 *		{ 0 }
 *	};
 *	const struct opt_cmd napi_cli = {
 *		.name = "napi", .summary = "NAPI polls per device and CPU, ...",
 *		.description = "NAPI polls (napi:napi_poll) per device, ...\n",
 *		.opts = napi_opts,
 *	};
 *
 * and parses with cli_parse() (src/sys/cli.h), which prints --help or the
 * one-line error and says which exit code to return:
 *
 *	struct napi_args a = { 0 };
 *	struct opt_result res;
 *	int rc = cli_parse(&napi_cli, argc, argv, &a, &res);
 *	if (rc != CLI_RUN)
 *		return rc;          // EXIT_OK after --help, EXIT_USAGE after a bad line
 *	... res.args[0 .. res.nargs) are the operands (.operands, .max_operands)
 *
 * main.c's commands[] points at napi_cli: `ksleuth help`, `ksleuth manpage`
 * and `ksleuth completion bash` take the name, summary and options from it.
 * -h/--help is every command's without a table entry. A value that needs
 * more than its kind checks (a --comm no task has, a run too long for the
 * hog) is checked by the command after parsing, with cli_usage_error(). */
#ifndef LIB_OPT_H
#define LIB_OPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/parse.h"

#define OPT_PROG "ksleuth"
/* How a synopsis shows the COMMAND of a command that runs_command. */
#define OPT_COMMAND_SYNOPSIS "[-- COMMAND [ARG...]]"

/* What an option takes, and the type of the field it fills. */
enum opt_kind {
	OPT_FLAG,     /* no value: bool set true (false with .clear) */
	OPT_DURATION, /* "500ms", "2s", "5m"; a bare number in .unit_ns: uint64_t ns in [min, max] */
	OPT_INTERVAL, /* the same, said as an interval (-i): uint64_t ns */
	OPT_CPUS,     /* CPU list "0-3,6", not empty, every CPU existing: struct cpuset */
	OPT_CPU,      /* one CPU that exists: int */
	OPT_PID,      /* a process id (1..OPT_PID_MAX); .must_exist: a live process: int/long/uint32_t */
	OPT_INT,      /* a whole number in [min, max]: any 4- or 8-byte integer */
	OPT_STRING,   /* text of min..max bytes (max 0: any): const char * into argv,
		       * or a char array (OPT_STRBUF_AT: copied, max = its size - 1) */
	OPT_CHOICE,   /* one of .words: int, the word's index */
	OPT_WORDS,    /* comma-separated .words, or "all": uint32_t, a bit per word */
	OPT_RATE,     /* a bit rate "300M", "1G", "20k": uint64_t bit/s in [min, max] */
	OPT_NR_KINDS,
};

#define OPT_PID_MAX 4194304 /* PID_MAX_LIMIT on 64-bit */

struct opt {
	char sname;               /* 'd' for -d; 0: long name only */
	const char *lname;        /* "duration" for --duration; NULL: short name only */
	enum opt_kind kind;
	size_t off, size;         /* the field the value goes to (OPT_*_AT) */
	const char *arg;          /* the value's name: "DUR", "CPUS" (CHOICE: the words) */
	const char *help;         /* for --help and the man page: prose, wrapped there */
	int64_t min, max;         /* numbers and durations (ns): the range, max 0: none;
				   * strings: length in bytes */
	uint64_t unit_ns;         /* durations: what a bare number counts (0: seconds) */
	bool has_def;             /* write def before parsing, and say "(default ...)" */
	int64_t def;
	const char *def_text;     /* "(default ...)" for a default the command computes */
	const char *const *words; /* CHOICE, WORDS: NULL-terminated */
	bool must_exist;          /* PID: a process that runs now */
	bool required;            /* the command does not run without it */
	bool clear;               /* FLAG: sets false */
	bool copy;                /* STRING: into a char array (OPT_STRBUF_AT) */
	bool hidden;              /* parsed, but not in --help, the man page or completion */
};

/* The field of struct T that an option fills, with a compile-time check
 * that it has the type the kind writes. */
#define OPT__CHECK(T, f, cond) (0 * sizeof(char[(cond) ? 1 : -1]))
#define OPT__IS(T, f, type) __builtin_types_compatible_p(__typeof__(((T *)0)->f), type)
#define OPT__AT(T, f, cond) .off = offsetof(T, f) + OPT__CHECK(T, f, cond), .size = sizeof(((T *)0)->f)
#define OPT_FLAG_AT(T, f) .kind = OPT_FLAG, OPT__AT(T, f, OPT__IS(T, f, bool))
#define OPT_DURATION_AT(T, f) .kind = OPT_DURATION, OPT__AT(T, f, OPT__IS(T, f, uint64_t))
#define OPT_INTERVAL_AT(T, f) .kind = OPT_INTERVAL, OPT__AT(T, f, OPT__IS(T, f, uint64_t))
#define OPT_CPUS_AT(T, f) .kind = OPT_CPUS, OPT__AT(T, f, OPT__IS(T, f, struct cpuset))
#define OPT__INTEGER(T, f) (__builtin_classify_type(((T *)0)->f) == 1 && \
			    (sizeof(((T *)0)->f) == 4 || sizeof(((T *)0)->f) == 8))
#define OPT_CPU_AT(T, f) .kind = OPT_CPU, OPT__AT(T, f, OPT__INTEGER(T, f))
#define OPT_PID_AT(T, f) .kind = OPT_PID, OPT__AT(T, f, OPT__INTEGER(T, f))
#define OPT_INT_AT(T, f) .kind = OPT_INT, OPT__AT(T, f, OPT__INTEGER(T, f))
#define OPT_STRING_AT(T, f) .kind = OPT_STRING, OPT__AT(T, f, OPT__IS(T, f, const char *))
#define OPT_STRBUF_AT(T, f) .kind = OPT_STRING, .copy = true, \
	OPT__AT(T, f, OPT__IS(T, f, char[sizeof(((T *)0)->f)]))
#define OPT_CHOICE_AT(T, f) .kind = OPT_CHOICE, OPT__AT(T, f, OPT__IS(T, f, int))
#define OPT_WORDS_AT(T, f) .kind = OPT_WORDS, OPT__AT(T, f, OPT__IS(T, f, uint32_t))
#define OPT_RATE_AT(T, f) .kind = OPT_RATE, OPT__AT(T, f, OPT__IS(T, f, uint64_t))

/* The options the live commands share, one definition each. */
#define OPT_LIVE_MIN_NS (10 * NS_PER_MS)
#define OPT_CPUS(T, f) \
	{ 'C', "cpus", OPT_CPUS_AT(T, f), .arg = "CPUS", .help = "only these CPUs (e.g. 1 or 0-3,6)" }
/* -i SEC: print every SEC; def_ns 0: one report at the end */
#define OPT_INTERVAL(T, f, def_ns) \
	{ 'i', "interval", OPT_INTERVAL_AT(T, f), .arg = "SEC", .min = OPT_LIVE_MIN_NS, \
	  .has_def = (def_ns) != 0, .def = (int64_t)(def_ns), \
	  .help = "print every SEC seconds; units allowed, e.g. 500ms" }
/* -d DUR: stop after DUR; until Ctrl-C without it */
#define OPT_DURATION(T, f) \
	{ 'd', "duration", OPT_DURATION_AT(T, f), .arg = "DUR", .min = OPT_LIVE_MIN_NS, \
	  .help = "stop after DUR (10s, 5m); default: until Ctrl-C" }
#define OPT_JSON(T, f, what) { .lname = "json", OPT_FLAG_AT(T, f), .help = (what) }

/* A CPU list option: given (not empty), and whether it lets cpu in. */
static inline bool opt_cpus_given(const struct cpuset *s)
{
	return cpuset_max(s) >= 0;
}
static inline bool opt_cpu_wanted(const struct cpuset *s, unsigned cpu)
{
	return cpuset_has(s, cpu) || !opt_cpus_given(s);
}

/* A command: what `ksleuth help`, --help and the man page say about it. */
struct opt_cmd {
	const char *name;        /* "napi"; NULL: the program's own options */
	const char *prog;        /* a program of its own ("ksleuth-hog"): named so in the
				  * synopsis and messages instead of "ksleuth NAME" */
	const char *summary;     /* one line, no final period */
	const char *operands;    /* synopsis of the operands before the options: "EVENT..." */
	int max_operands;        /* how many operands it takes; -1: any number */
	const char *synopsis;    /* a written synopsis, for a command without .opts yet */
	const char *description; /* paragraphs after the synopsis (lines as written) */
	const struct opt *opts;  /* ends with { 0 } */
	const char *notes;       /* after the options: output, examples, exit codes */
	bool stop_at_operand;    /* options end at the first operand (the program's own:
				  * what follows belongs to the command) */
	bool runs_command;       /* "-- COMMAND [ARG...]": the command runs COMMAND and
				  * watches while it runs (sys/child.h) */
};

/* What only the system knows. ncpus <= 0: CPUs are not checked; pid_exists
 * NULL: pids are not. */
struct opt_env {
	int ncpus;               /* possible CPUs: 0..ncpus-1 exist */
	bool (*pid_exists)(long pid);
};

#define OPT_MSG_SIZE 512
struct opt_result {
	char **args;             /* the operands, in order (argv, rearranged) */
	int nargs;
	char msg[OPT_MSG_SIZE];  /* OPT_BAD: one sentence, what was wrong and what is right */
	char **command;          /* runs_command: what followed "--", NULL-terminated
				  * (argv's own end); NULL when there was no "--" */
};

enum opt_status { OPT_RUN = 0, OPT_HELP = 1, OPT_BAD = -1 };

/* Parses argv[1..argc) (argv[0] is the command's name; argv[argc] NULL)
 * into args: writes the defaults, then each option as it comes; operands
 * may stand between options (unless stop_at_operand) and everything after
 * "--" is one, or, for a command that runs_command, the COMMAND to run. Long
 * names may be shortened while they stay unambiguous. Returns OPT_RUN,
 * OPT_HELP for -h/--help, or OPT_BAD with res->msg. */
enum opt_status opt_parse(const struct opt_cmd *c, int argc, char **argv, void *args,
			  const struct opt_env *env, struct opt_result *res);

/* The messages of a bad command line, for what a command checks itself:
 * "...; 'ksleuth NAME --help' lists the options" (the program's: 'ksleuth
 * help'; a program of its own: 'PROG --help'). */
const char *opt_hint(const struct opt_cmd *c, char *buf, size_t n);
/* How the command is called: "ksleuth napi", "ksleuth", or c->prog. */
const char *opt_title(const struct opt_cmd *c, char *buf, size_t n);
/* "-C names CPU 999, which does not exist here (CPUs 0-1)", or 0 when every
 * CPU of set exists (or ncpus <= 0); opt: the option as written. */
int opt_cpus_exist(const struct cpuset *set, int ncpus, const char *opt, char *msg, size_t n);
/* "net_rx,timer" or "all" against words: a bit per word. Returns 0, or
 * -EINVAL with the first unknown word copied to bad (may be NULL). */
int opt_parse_words(const char *list, const char *const *words, uint32_t *mask,
		    char *bad, size_t badn);
/* 1500000000 -> "1500ms", 2000000000 -> "2s", 0 -> "0": exact, shortest unit. */
const char *opt_fmt_ns(uint64_t ns, char *buf, size_t n);

/* --help: the synopsis, the description, the options, the notes. */
void opt_usage(FILE *f, const struct opt_cmd *c);
/* The options part of --help alone: a row per option, -h last. */
void opt_options(FILE *f, const struct opt_cmd *c);
/* "ksleuth napi [--stacks] [-C CPUS] ..." wrapped under the name at width. */
void opt_synopsis(FILE *f, const struct opt_cmd *c, const char *lead, int width);

/* The program as a whole, for `ksleuth help` and the man page. */
struct opt_exit {
	int code;
	const char *brief;              /* "usage error": `ksleuth help`'s one line */
	const char *meaning;            /* the man page's sentence */
};
struct opt_prog {
	const struct opt_cmd *cmd;      /* its own options and synopsis */
	const char *const *paragraphs;  /* DESCRIPTION, NULL-terminated */
	const struct opt_exit *exits;   /* ends with meaning NULL */
	const char *files;              /* FILES: "path\tmeaning\n" lines */
	const char *see_also;           /* "bpftool(8), ..." */
	const char *version;
};

/* ksleuth(8) in troff with man(7) macros: NAME, SYNOPSIS, DESCRIPTION,
 * OPTIONS, COMMANDS (each command's synopsis, description, options and
 * notes), EXIT STATUS, FILES, SEE ALSO. */
void opt_man(FILE *f, const struct opt_prog *p, const struct opt_cmd *const *cmds, size_t n);
/* A bash completion script: the commands, each one's options, and the
 * words a CHOICE or WORDS option takes. */
void opt_bash_completion(FILE *f, const struct opt_prog *p, const struct opt_cmd *const *cmds,
			 size_t n);
/* Each option name a command's synopsis shows, for a command without
 * .opts yet ("--broken" from "[--broken|--fixed]"): calls fn with the
 * name and whether a value follows it in the synopsis. */
void opt_synopsis_names(const char *synopsis, void (*fn)(const char *name, size_t len,
							  bool takes_value, void *arg),
			void *arg);

#endif
