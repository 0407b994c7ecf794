/* loop.h — a small single-threaded event loop shared by every live
 * command and the agent: epoll over fds, timerfd timers, and SIGINT/SIGTERM/
 * SIGHUP through a signalfd (SIGHUP, a closed terminal, stops a command as
 * SIGTERM does, unless the command takes it, as the agent does to reopen
 * its --events file). The first signal stops the loop (the command then
 * prints its summary and cleans up); a second one ends the process at once
 * unless the command asked to keep signals (e.g. to finish tearing down
 * network namespaces). */
#ifndef SYS_LOOP_H
#define SYS_LOOP_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
typedef void (*loop_fd_cb)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);
typedef void (*loop_hook_cb)(struct loop *l, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
int loop_del_fd(struct loop *l, int fd);

/* A timer first firing after first_ns, then every period_ns (0: once).
 * Returns a timer id (>= 0) or -errno. */
int loop_add_timer(struct loop *l, uint64_t first_ns, uint64_t period_ns,
		   loop_timer_cb cb, void *arg);
void loop_del_timer(struct loop *l, int id);

/* Called before each wait (redis' beforeSleep): flush output, etc. */
void loop_set_before_sleep(struct loop *l, loop_hook_cb cb, void *arg);
/* Keep SIGINT/SIGTERM blocked after the first one (the command promises
 * to finish quickly on its own). */
void loop_keep_signals(struct loop *l, bool keep);

/* SIGHUP calls cb instead of stopping the loop (e.g. reopen a log file
 * that logrotate renamed). */
void loop_on_hangup(struct loop *l, loop_hook_cb cb, void *arg);

/* Runs until loop_stop() or a signal. Returns 0, or -errno on failure. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* The signal that stopped the loop (SIGINT, SIGTERM, SIGHUP) or 0. */
int loop_stop_signal(const struct loop *l);

/* CLOCK_MONOTONIC now, in ns (the program's only time base). */
uint64_t now_ns(void);

#endif
