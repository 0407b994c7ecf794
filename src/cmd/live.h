/* live.h — the one lifecycle of the live commands (count, runq, softirq,
 * napi, retrans), after rtla's run_tool(): open -> start -> the event loop
 * (sys/loop.h) with the -i interval timer and the -d duration timer ->
 * summary -> close. SIGINT, SIGTERM and SIGHUP end the loop as the end of
 * -d does: the summary is printed and the command exits 0; a second
 * signal ends the process at once. A command fills in the hooks and
 * keeps no loop, timer or signal code of its own. */
#ifndef CMD_LIVE_H
#define CMD_LIVE_H
#include <stdint.h>

#include "lib/opt.h"

struct loop;

struct live_ops {
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
	/* Always, also after a failed open: detach and free. */
	void (*close)(void *cmd);
};

/* Runs cmd through ops: tick every interval_ns (0: never), stop after
 * duration_ns (0: at a signal). Returns the exit code. */
int live_run(const struct live_ops *ops, void *cmd, uint64_t interval_ns, uint64_t duration_ns);

/* A live command's whole run: argv parsed by cli into args (inside cmd),
 * check, then live_run() with the interval and duration the parse left
 * at *interval_ns and *duration_ns (NULL: none). Returns the exit code. */
int live_main(const struct opt_cmd *cli, const struct live_ops *ops, void *cmd, void *args,
	      const uint64_t *interval_ns, const uint64_t *duration_ns, int argc, char **argv);

#endif
