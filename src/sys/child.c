/* child.c — the COMMAND of "-- COMMAND" (see child.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base.h"
#include "sys/child.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/spawn.h"

#define CHILD_POLL_NS (50 * 1000000ULL) /* without pidfds (before 5.3) */
#define CHILD_GRACE_NS (2 * 1000000000ULL)

struct child {
	struct loop *l;
	pid_t pid;
	int pidfd;       /* -1: polled by a timer instead */
	int timer;
	bool exited;
	int status;      /* wait status once exited */
	char name[LOG_ARG_MAX * 4 + 8];
};

static bool runnable(const char *path)
{
	return access(path, X_OK) == 0;
}

int child_check(char *const argv[])
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(argv[0], '/')) {
		if (runnable(argv[0]))
			return 0;
		err("cannot run '%s' after '--': %s", log_arg(argv[0]), strerror(errno));
		return EXIT_USAGE;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? p : ".", argv[0]) < (int)sizeof(buf) &&
		    runnable(buf))
			return 0;
		p += len + (p[len] == ':');
	}
	err("cannot run '%s' after '--': no such command in PATH", log_arg(argv[0]));
	return EXIT_USAGE;
}

static void reaped(struct child *c, int status)
{
	c->exited = true;
	c->status = status;
	loop_stop(c->l);
}

static void on_pidfd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct child *c = arg;
	int status;

	(void)events;
	loop_del_fd(l, fd);
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return;
	reaped(c, status);
}

static void on_poll(struct loop *l, void *arg)
{
	struct child *c = arg;
	int status;

	(void)l;
	if (!c->exited && !spawn_alive(c->pid, &status))
		reaped(c, status);
}

struct child *child_start(struct loop *l, char *const argv[])
{
	struct spawn_opts so = { .out_fd = STDERR_FILENO, .err_fd = STDERR_FILENO, .keep_stdin = true };
	struct child *c = calloc(1, sizeof(*c));

	if (!c) {
		err("out of memory");
		return NULL;
	}
	c->l = l;
	c->timer = -1;
	snprintf(c->name, sizeof(c->name), "%s", log_arg(argv[0]));
	c->pid = spawn_bg(argv, &so);
	if (c->pid < 0) {
		err("cannot start '%s': %s", c->name, strerror(-c->pid));
		free(c);
		return NULL;
	}
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd >= 0 && loop_add_fd(l, c->pidfd, EPOLLIN, on_pidfd, c) == 0)
		return c;
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->timer = loop_add_timer(l, CHILD_POLL_NS, CHILD_POLL_NS, on_poll, c);
	if (c->timer >= 0)
		return c;
	err("cannot watch '%s': %s", c->name, strerror(errno));
	spawn_stop(c->pid, CHILD_GRACE_NS);
	free(c);
	return NULL;
}

/* The wait status of the last COMMAND that ended, for child_last_status(). */
static int last_status = -1;

int child_last_status(void)
{
	return last_status;
}

/* One line on how the COMMAND ended. Returns whether it failed: a
 * COMMAND we ended ourselves (-d, Ctrl-C) has not failed. */
static bool say_end(const char *name, int st, bool stopped)
{
	if (stopped) {
		info("command '%s' still ran at the end: stopped it", name);
		return false;
	}
	if (WIFEXITED(st)) {
		info("command '%s' exited with status %d", name, WEXITSTATUS(st));
		return WEXITSTATUS(st) != 0;
	}
	info("command '%s' was killed by signal %d (%s)", name, WTERMSIG(st), strsignal(WTERMSIG(st)));
	return true;
}

int child_finish(struct child *c, int own_rc)
{
	bool stopped = !c->exited;
	int st = c->status;
	bool failed;

	if (stopped) {
		if (c->pidfd >= 0)
			loop_del_fd(c->l, c->pidfd);
		st = spawn_stop(c->pid, CHILD_GRACE_NS);
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->timer >= 0)
		loop_del_timer(c->l, c->timer);
	if (st < 0) {
		err("lost the command '%s': %s", c->name, strerror(-st));
		free(c);
		return own_rc ? own_rc : EXIT_RUNTIME;
	}
	last_status = st;
	failed = say_end(c->name, st, stopped);
	free(c);
	return own_rc + (failed ? EXIT_COMMAND_FAILED : 0);
}
