/* ksleuth.h — what every part of the program shares: exit codes, the
 * command signature, the global options. Nothing here touches the system. */
#ifndef KSLEUTH_H
#define KSLEUTH_H

#include <stdbool.h>

#include "base.h"

#ifndef KSLEUTH_VERSION
#define KSLEUTH_VERSION "0.1"
#endif

/* Exit codes (documented in `ksleuth help`). */
enum {
	EXIT_OK = 0,       /* ran and, for the doctor, found nothing wrong */
	EXIT_RUNTIME = 1,  /* could not do the job: privileges, kernel, I/O */
	EXIT_USAGE = 2,    /* bad command line */
	EXIT_FOUND = 3,    /* the doctor found a problem */
};

/* A subcommand: argv[0] is the command's name; getopt-style parsing. */
typedef int (*cmd_fn)(int argc, char **argv);

enum cmd_flags {
	CMD_NEEDS_BPF = 1 << 0,   /* loads BPF: needs root or CAP_BPF+CAP_PERFMON */
	CMD_JSON = 1 << 1,        /* has --json */
	CMD_HIDDEN = 1 << 2,      /* not listed by `help` (test helpers) */
};

struct command {
	const char *name;
	cmd_fn fn;
	unsigned flags;
	const char *usage;   /* one line of synopsis after the name */
	const char *help;    /* one-line description */
};

extern const struct command commands[];
const struct command *command_find(const char *name);

/* Subcommands (src/cmd/<name>.c). */
int cmd_info(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_runq(int argc, char **argv);
int cmd_hog(int argc, char **argv);
int cmd_softirq(int argc, char **argv);
int cmd_napi(int argc, char **argv);
int cmd_retrans(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_netbed(int argc, char **argv);

#endif
