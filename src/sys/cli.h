/* cli.h — the system side of the option tables (lib/opt.h): which CPUs
 * and processes exist, --help to stdout, a bad command line as one err()
 * line. Every command parses its command line through cli_parse(). */
#ifndef SYS_CLI_H
#define SYS_CLI_H
#include "lib/opt.h"

/* cli_parse()'s answer when the command goes on; else it is the exit code. */
#define CLI_RUN (-1)

/* Parses argv (argv[0]: the command's name) into args by c's table.
 * Returns CLI_RUN, EXIT_OK after printing --help, or EXIT_USAGE after
 * err() said what was wrong. res gets the operands. */
int cli_parse(const struct opt_cmd *c, int argc, char **argv, void *args, struct opt_result *res);

/* A bad command line found after parsing: err("<fmt>; 'ksleuth NAME --help'
 * lists the options"). Returns EXIT_USAGE. */
int cli_usage_error(const struct opt_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs a command as a program's main does: the log, the JSON records'
 * "command", the BPF preflight (needs_bpf, unless the line asks for
 * --help), fn, then cli_finish(). argv[0]: the command's name. */
int cli_run(const struct opt_cmd *c, int (*fn)(int argc, char **argv), bool needs_bpf,
	    int argc, char **argv);
/* The exit status after writing: stdout must have reached its destination;
 * a closed pipe (`... | head`) is a normal end, not an error. */
int cli_finish(int rc);

/* The CPUs (possible: libbpf's count) and the processes of this system. */
void cli_env(struct opt_env *env);

#endif
