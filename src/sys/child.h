/* child.h — "-- COMMAND": the command a live command watches, run on the
 * same event loop. It starts once the collectors are attached, the loop
 * stops when it exits, and it is ended (SIGTERM, then SIGKILL) if the
 * loop stops first (-d, Ctrl-C). Its stdin is ours; its stdout and
 * stderr go to our stderr, so that our stdout stays the report, text or
 * JSON. */
#ifndef SYS_CHILD_H
#define SYS_CHILD_H

struct loop;
struct child;

/* 0 if argv[0] can be run (an executable path, or found in PATH), else
 * EXIT_USAGE after one sentence. */
int child_check(char *const argv[]);

/* Starts argv and has l stopped when it exits. NULL after err(). */
struct child *child_start(struct loop *l, char *const argv[]);

/* Ends the child if it still runs, reaps it, says on stderr how it
 * ended, and frees c. Returns own_rc, plus EXIT_COMMAND_FAILED when the
 * COMMAND exited non-zero or was killed: the exit status says both. */
int child_finish(struct child *c, int own_rc);

/* The wait status of the last COMMAND child_finish() reaped, -1 before:
 * a command's summary (called after it) can show how COMMAND ended. */
int child_last_status(void);

#endif
