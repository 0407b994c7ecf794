/* loop.c — epoll event loop with timerfd timers and a signalfd. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "sys/loop.h"

#define LOOP_MAX_HANDLERS 64

struct handler {
	int fd;            /* -1: free slot */
	bool is_timer;
	bool oneshot;
	loop_fd_cb fd_cb;
	loop_timer_cb timer_cb;
	void *arg;
};

struct loop {
	int epfd;
	int sigfd;
	sigset_t oldmask;
	bool stop;
	bool keep_signals;
	int stop_signal;
	loop_hook_cb before_sleep;
	void *before_sleep_arg;
	loop_hook_cb on_hangup;
	void *on_hangup_arg;
	struct handler h[LOOP_MAX_HANDLERS];
};

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	sigset_t mask;

	if (!l)
		return NULL;
	for (int i = 0; i < LOOP_MAX_HANDLERS; i++)
		l->h[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &l->oldmask);
	l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->epfd < 0 || l->sigfd < 0) {
		loop_free(l);
		return NULL;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev) < 0) {
		loop_free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (int i = 0; i < LOOP_MAX_HANDLERS; i++)
		if (l->h[i].fd >= 0 && l->h[i].is_timer)
			close(l->h[i].fd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	/* Signals that arrived after the stop stay pending: a second Ctrl-C
	 * then ends the process here, as promised. */
	if (!l->keep_signals)
		sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l);
}

static int slot_alloc(struct loop *l)
{
	for (int i = 0; i < LOOP_MAX_HANDLERS; i++)
		if (l->h[i].fd < 0)
			return i;
	return -ENOSPC;
}

static int slot_of_fd(struct loop *l, int fd)
{
	for (int i = 0; i < LOOP_MAX_HANDLERS; i++)
		if (l->h[i].fd == fd)
			return i;
	return -ENOENT;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	int s = slot_alloc(l);
	if (s < 0)
		return s;
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)s };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->h[s] = (struct handler){ .fd = fd, .fd_cb = cb, .arg = arg };
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	int s = slot_of_fd(l, fd);
	if (s < 0)
		return s;
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)s };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	int s = slot_of_fd(l, fd);
	if (s < 0)
		return s;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->h[s].fd = -1;
	return 0;
}

int loop_add_timer(struct loop *l, uint64_t first_ns, uint64_t period_ns,
		   loop_timer_cb cb, void *arg)
{
	int s = slot_alloc(l), fd;
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(first_ns / 1000000000ULL),
			      .tv_nsec = (long)(first_ns % 1000000000ULL) },
		.it_interval = { .tv_sec = (time_t)(period_ns / 1000000000ULL),
				 .tv_nsec = (long)(period_ns % 1000000000ULL) },
	};

	if (s < 0)
		return s;
	if (first_ns == 0)
		its.it_value.tv_nsec = 1; /* 0 would disarm */
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)s };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	l->h[s] = (struct handler){ .fd = fd, .is_timer = true, .oneshot = period_ns == 0,
				    .timer_cb = cb, .arg = arg };
	return s;
}

void loop_del_timer(struct loop *l, int id)
{
	if (id < 0 || id >= LOOP_MAX_HANDLERS || l->h[id].fd < 0 || !l->h[id].is_timer)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->h[id].fd, NULL);
	close(l->h[id].fd);
	l->h[id].fd = -1;
}

void loop_set_before_sleep(struct loop *l, loop_hook_cb cb, void *arg)
{
	l->before_sleep = cb;
	l->before_sleep_arg = arg;
}

void loop_on_hangup(struct loop *l, loop_hook_cb cb, void *arg)
{
	l->on_hangup = cb;
	l->on_hangup_arg = arg;
}

void loop_keep_signals(struct loop *l, bool keep)
{
	l->keep_signals = keep;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

int loop_stop_signal(const struct loop *l)
{
	return l->stop_signal;
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP && l->on_hangup && !l->stop_signal) {
			l->on_hangup(l, l->on_hangup_arg);
			continue;
		}
		if (!l->stop_signal)
			l->stop_signal = (int)si.ssi_signo;
		l->stop = true;
	}
	/* From now on a second Ctrl-C ends the process at once (rtla-style). */
	if (l->stop_signal && !l->keep_signals)
		sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[32];

	l->stop = false;
	while (!l->stop) {
		if (l->before_sleep)
			l->before_sleep(l, l->before_sleep_arg);
		if (l->stop)
			break;
		int n = epoll_wait(l->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			uint32_t s = evs[i].data.u32;
			if (s == UINT32_MAX) {
				on_signal(l);
				continue;
			}
			struct handler *h = &l->h[s];
			if (h->fd < 0)
				continue;
			if (h->is_timer) {
				uint64_t ticks;
				if (read(h->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
					continue;
				loop_timer_cb cb = h->timer_cb;
				void *arg = h->arg;
				if (h->oneshot)
					loop_del_timer(l, (int)s);
				cb(l, arg);
			} else {
				h->fd_cb(l, h->fd, evs[i].events, h->arg);
			}
		}
	}
	return 0;
}
