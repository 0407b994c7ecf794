/* spawn.c — fork/exec of helper programs, tracked by pid (see spawn.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "sys/spawn.h"
#include "sys/loop.h"

static void child_setup(const struct spawn_opts *o, pid_t parent)
{
	sigset_t none;
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) /* the parent died before prctl */
		_exit(127);
	if (o && o->cpus && cpuset_count(o->cpus) > 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		for (int c = 0; c <= cpuset_max(o->cpus) && c < CPU_SETSIZE; c++)
			if (cpuset_has(o->cpus, (unsigned)c))
				CPU_SET(c, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int out = o && o->out_fd >= 0 ? o->out_fd : null;
	int errfd = o && o->err_fd >= 0 ? o->err_fd : null;
	if (null >= 0 && !(o && o->keep_stdin))
		dup2(null, 0);
	if (out >= 0)
		dup2(out, 1);
	if (errfd >= 0)
		dup2(errfd, 2);
}

pid_t spawn_bg(char *const argv[], const struct spawn_opts *o)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		child_setup(o, parent);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int spawn_run(char *const argv[], char *errbuf, size_t errlen)
{
	int pfd[2] = { -1, -1 }, status;
	struct spawn_opts o = { .out_fd = -1, .err_fd = -1 };

	if (errbuf && errlen) {
		errbuf[0] = 0;
		if (pipe2(pfd, O_CLOEXEC) < 0)
			return -errno;
		o.err_fd = pfd[1];
	}
	pid_t pid = spawn_bg(argv, &o);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid < 0) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		return pid;
	}
	if (pfd[0] >= 0) {
		size_t n = 0;
		ssize_t r;
		char sink[256];
		while ((r = read(pfd[0], n + 1 < errlen ? errbuf + n : sink,
				 n + 1 < errlen ? errlen - 1 - n : sizeof(sink))) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (n + 1 < errlen)
				n += (size_t)r;
		}
		errbuf[n] = 0;
		while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == ' '))
			errbuf[--n] = 0;
		close(pfd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int spawn_alive(pid_t pid, int *status)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);

	if (r == 0)
		return 1;
	if (r == pid && status)
		*status = st;
	return 0;
}

int spawn_stop(pid_t pid, uint64_t grace_ns)
{
	int st;

	if (pid <= 0)
		return -EINVAL;
	if (!spawn_alive(pid, &st))
		return st;
	kill(pid, SIGTERM);
	uint64_t end = now_ns() + grace_ns;
	while (now_ns() < end) {
		if (!spawn_alive(pid, &st))
			return st;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return st;
}
