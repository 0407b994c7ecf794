/* live.h — the one lifecycle of the live commands (count, runq, softirq,
 * napi, retrans, profile), after rtla's run_tool(): open -> start -> the
 * event loop (sys/loop.h) with the -i interval timer and the -d duration
 * timer -> summary -> close. SIGINT, SIGTERM and SIGHUP end the loop as the end of
 * -d does: the summary is printed and the command exits 0; a second
 * signal ends the process at once. A command describes itself in one
 * LIVE_COMMAND() and keeps no loop, timer, signal or allocation code of
 * its own. */
#ifndef SYS_LIVE_H
#define SYS_LIVE_H
#include <stddef.h>
#include <stdint.h>

#include "lib/opt.h"

struct loop;

struct live_ops {
	/* Before the command line is parsed: what a zeroed state cannot
	 * hold (fds at -1, defaults the table does not set). */
	void (*init)(void *cmd);
	/* After the command line was parsed: what the option kinds cannot
	 * check (operands, options that go together). 0, or an exit code
	 * (cli_usage_error()). */
	int (*check)(void *cmd, const struct opt_result *res);
	/* Load and attach the collectors; add their fds (and any timer of
	 * their own) to l. Returns 0, or an exit code after err(). */
	int (*open)(void *cmd, struct loop *l);
	/* Right before the loop runs: baselines, the banner. 0 or an exit code. */
	int (*start)(void *cmd);
	/* Every interval (interval_ns > 0). May end the run with loop_stop(l). */
	void (*tick)(void *cmd, struct loop *l);
	/* After the loop ended: the last interval and the totals. Returns the
	 * exit code (EXIT_OK). */
	int (*summary)(void *cmd);
	/* After a failed check, and always after open was tried: detach and
	 * free what the state holds (live_main frees the state itself). */
	void (*close)(void *cmd);
};

/* A live command: its option table, its hooks, and where in its state
 * (size bytes, allocated zeroed by live_main) the table's arguments and
 * the -i and -d durations (uint64_t nanoseconds) are. */
struct live_cmd {
	const struct opt_cmd *cli;
	struct live_ops ops;
	size_t size;
	size_t args_off, interval_off, duration_off;
};

/* The state's layout for a command whose state TYPE holds its arguments
 * in member a, with a.interval_ns and a.duration_ns. */
#define LIVE_STATE(type)                                                         \
	.size = sizeof(type), .args_off = offsetof(type, a),                     \
	.interval_off = offsetof(type, a.interval_ns),                           \
	.duration_off = offsetof(type, a.duration_ns)

/* A live command's whole run: state allocated, init, argv parsed by
 * c->cli, check, then the lifecycle with a tick every interval (0: never)
 * and a stop after the duration (0: at a signal) the parse and check left
 * in the state. Returns the exit code. */
int live_main(const struct live_cmd *c, int argc, char **argv);

/* Defines the command's entry point, int cmd_NAME(int argc, char **argv):
 * live_main() over the table NAME_cli, the state TYPE (LIVE_STATE) and the
 * hooks, given as designated initializers of struct live_ops. */
#define LIVE_COMMAND(name, type, ...)                                            \
	static const struct live_cmd name##_live = {                             \
		.cli = &name##_cli, .ops = { __VA_ARGS__ }, LIVE_STATE(type)     \
	};                                                                       \
	int cmd_##name(int argc, char **argv)                                    \
	{                                                                        \
		return live_main(&name##_live, argc, argv);                      \
	}

#endif
