/* ksleuth.h — what every part of the program shares: exit codes, the
 * command table, the global options. Nothing here touches the system. */
#ifndef KSLEUTH_H
#define KSLEUTH_H

#include <stdbool.h>

#include "base.h"
#include "lib/opt.h"

#ifndef KSLEUTH_VERSION
#define KSLEUTH_VERSION "0.1"
#endif

/* A subcommand: argv[0] is the command's name; its options are parsed by
 * cli_parse() (sys/cli.h) through its table (lib/opt.h). */
typedef int (*cmd_fn)(int argc, char **argv);

enum cmd_flags {
	CMD_NEEDS_BPF = 1 << 0,   /* loads BPF: needs root or CAP_BPF+CAP_PERFMON */
	CMD_HIDDEN = 1 << 2,      /* not listed by `help`, the man page or completion */
};

/* A row of main.c's commands[]: the name, synopsis, one-line help and
 * options all come from cli, so `help`, --help, the man page and the
 * completion say the same. */
struct command {
	const struct opt_cmd *cli;
	cmd_fn fn;
	unsigned flags;
};

extern const struct command commands[];
const struct command *command_find(const char *name);
/* The program as a whole: its options, description, exit codes. */
extern const struct opt_prog ksleuth_prog;

/* Subcommands (src/cmd/<name>.c) and their option tables. */
int cmd_info(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_runq(int argc, char **argv);
int cmd_softirq(int argc, char **argv);
int cmd_napi(int argc, char **argv);
int cmd_retrans(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_netbed(int argc, char **argv);
int cmd_manpage(int argc, char **argv);
int cmd_completion(int argc, char **argv);
extern const struct opt_cmd doctor_cli, agent_cli, demo_cli, report_cli, record_cli, info_cli, count_cli, runq_cli, softirq_cli, napi_cli,
	retrans_cli, netbed_cli, manpage_cli, completion_cli;
extern const struct opt_cmd profile_cli;

/* The hog (src/cmd/hog.c), the program ksleuth-hog of its own
 * (src/hogmain.c), not a command: the culprit it plays must not carry the
 * tool's name. */
int cmd_hog(int argc, char **argv);
extern const struct opt_cmd hog_cli;

#endif
