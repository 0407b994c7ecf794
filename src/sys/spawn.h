/* spawn.h — run helper programs (ip, iperf3) by fork/exec, tracked by pid:
 * start one in the background, run one to completion capturing its error
 * output, and end one we started (TERM, grace, KILL, reap). Never ends a
 * process by name. */
#ifndef SYS_SPAWN_H
#define SYS_SPAWN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/parse.h"

struct spawn_opts {
	const struct cpuset *cpus; /* affinity of the child, NULL: inherited */
	int out_fd;                /* child's stdout; -1: /dev/null */
	int err_fd;                /* child's stderr; -1: /dev/null */
	bool keep_stdin;           /* child's stdin is ours; false: /dev/null */
};

/* Starts argv[0] (searched in PATH) with SIGINT/SIGTERM unblocked and
 * default, and SIGTERM sent to it if we die (PR_SET_PDEATHSIG). Returns
 * the pid, or -errno. An exec failure shows as exit status 127. */
pid_t spawn_bg(char *const argv[], const struct spawn_opts *o);

/* Runs argv to completion. Returns its exit status (0..255), 128+signal
 * if killed, or -errno if it could not start. Its stderr (first errlen-1
 * bytes, trailing newline removed) lands in errbuf when errbuf != NULL. */
int spawn_run(char *const argv[], char *errbuf, size_t errlen);

/* Ends a child we started: SIGTERM, up to grace_ns for it to exit, then
 * SIGKILL; reaps it. Returns its wait status or -errno. */
int spawn_stop(pid_t pid, uint64_t grace_ns);

/* True if pid (our child) is still running; reaps it if it ended, storing
 * the wait status in *status when given. */
int spawn_alive(pid_t pid, int *status);

#endif
