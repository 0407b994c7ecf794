/* handoff — test helper: a task woken onto a CPU while another runs there,
 * which then preempts the one that woke it and holds the CPU.
 *
 * The parent (the waker, normal policy) and a child (SCHED_FIFO) are both
 * pinned to CPU. The child blocks on a pipe; after 300 ms the parent
 * writes to it. The child is woken onto the parent's runqueue while the
 * parent runs, preempts it as the write returns, and spins in user mode for
 * RUN_MS (at most 1000). The parent, still runnable, waits all that time.
 *
 * With -b (behind) the parent is SCHED_FIFO 20 when it wakes the child, so
 * the child does not preempt it, and it also wakes a third task (normal
 * policy) blocked on a second pipe; then the parent sleeps. The child runs
 * first; the third task, woken while the child was already the CPU's
 * known waiter, waits behind it for RUN_MS. 1 ms into its run the child
 * wakes a fourth (normal policy, blocked on a third pipe), which finds
 * the CPU's slot empty and takes it, though the third waited longer.
 *
 * With -m (moved) the parent, SCHED_FIFO 20, is the one that holds the CPU:
 * it wakes two tasks (normal policy) blocked on pipes, first one, then the
 * other, and spins in user mode for RUN_MS. The first, the CPU's known
 * waiter, is moved to another CPU 50 ms into the run (sched_setaffinity)
 * and runs there at once; the second, woken while the first was the known
 * waiter, waits behind the parent to the end of the run.
 *
 * Prints JSON lines to OUT (CLOCK_MONOTONIC):
 *   {"type":"waker","pid","tid","write_ns","back_ns"}   the parent: its
 *                                                      wait (not with -b, -m)
 *   {"type":"holder","pid","tid","start_ns","end_ns"}  the child's run (-m:
 *                                                      the parent's)
 *   {"type":"behind","pid","tid","ran_ns","cpu"}      -b, -m: the task
 *                                                      behind got a CPU at
 *                                                      ran_ns
 *   {"type":"moved","pid","tid","ran_ns","cpu"}       -m: the moved one
 *   {"type":"late","pid","tid","ran_ns","cpu"}        -b: the fourth
 * Usage: handoff [-b|-m] -c CPU -r RUN_MS -o OUT */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Block on rfd; once woken and running, say when and where. */
static int behind(int rfd, FILE *out, const char *type)
{
	char c;

	if (read(rfd, &c, 1) != 1) {
		fprintf(stderr, "handoff: the waker never wrote\n");
		return 1;
	}
	uint64_t t = now_ns();
	fprintf(out, "{\"type\":\"%s\",\"pid\":%d,\"tid\":%ld,\"ran_ns\":%llu,\"cpu\":%d}\n", type,
		getpid(), (long)syscall(SYS_gettid), (unsigned long long)t, sched_getcpu());
	return fclose(out) ? 1 : 0;
}

/* Fork a task that blocks on rfd (behind), closing the write ends wfds
 * in it. On failure, kill the children already started (kids, -1: none)
 * and return -1. */
static pid_t spawn_behind(int rfd, const char *type, FILE *out, const int wfds[2], const pid_t kids[2])
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		close(wfds[0]);
		close(wfds[1]);
		_exit(behind(rfd, out, type));
	}
	if (p < 0) {
		fprintf(stderr, "handoff: fork: %s\n", strerror(errno));
		for (int i = 0; i < 2; i++)
			if (kids[i] > 0) {
				kill(kids[i], SIGKILL);
				waitpid(kids[i], &st, 0);
			}
	}
	return p;
}

static void spin_until(uint64_t t)
{
	while (now_ns() < t)
		;
}

/* -m: the parent holds the CPU; the first woken is moved away (see top). */
static int hold_and_move(int cpu, int afd, pid_t a, int bfd, uint64_t run_ns, FILE *out)
{
	struct sched_param hi = { .sched_priority = 20 }, normal = { 0 };
	int other = (cpu + 1) % (int)sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t set;

	if (sched_setscheduler(0, SCHED_FIFO, &hi) < 0) {
		fprintf(stderr, "handoff: SCHED_FIFO: %s\n", strerror(errno));
		return 1;
	}
	uint64_t t0 = now_ns();
	if (write(afd, "x", 1) != 1 || write(bfd, "x", 1) != 1) {
		fprintf(stderr, "handoff: write: %s\n", strerror(errno));
		sched_setscheduler(0, SCHED_OTHER, &normal);
		return 1;
	}
	spin_until(t0 + 50000000ull);
	CPU_ZERO(&set);
	CPU_SET(other, &set);
	int e = sched_setaffinity(a, sizeof(set), &set) < 0 ? errno : 0;
	spin_until(t0 + run_ns);
	uint64_t t1 = now_ns();
	sched_setscheduler(0, SCHED_OTHER, &normal);
	if (e) {
		fprintf(stderr, "handoff: moving %d to CPU %d: %s\n", (int)a, other, strerror(e));
		return 1;
	}
	fprintf(out, "{\"type\":\"holder\",\"pid\":%d,\"tid\":%ld,\"start_ns\":%llu,\"end_ns\":%llu}\n",
		getpid(), (long)syscall(SYS_gettid), (unsigned long long)t0, (unsigned long long)t1);
	return 0;
}

/* The default and -b: wake the child (and with -b the third task) while
 * running; without -b, say how long the child kept the parent waiting. */
static bool wake(int fd, int bfd, bool mode_behind, FILE *out)
{
	struct sched_param hi = { .sched_priority = 20 };

	if (mode_behind && sched_setscheduler(0, SCHED_FIFO, &hi) < 0)
		fprintf(stderr, "handoff: SCHED_FIFO: %s\n", strerror(errno));
	/* running (not just woken) when the write wakes the child */
	spin_until(now_ns() + 2000000);
	uint64_t w0 = now_ns();
	bool ok = write(fd, "x", 1) == 1 && (!mode_behind || write(bfd, "x", 1) == 1);
	uint64_t w1 = now_ns();
	if (!ok)
		fprintf(stderr, "handoff: write: %s\n", strerror(errno));
	else if (!mode_behind)
		fprintf(out, "{\"type\":\"waker\",\"pid\":%d,\"tid\":%ld,\"write_ns\":%llu,\"back_ns\":%llu}\n",
			getpid(), (long)syscall(SYS_gettid), (unsigned long long)w0, (unsigned long long)w1);
	/* (with -b: sleeps next, and the child takes the CPU) */
	return ok;
}

/* The child: SCHED_FIFO, blocks on rfd, then spins RUN_MS; 1 ms in it
 * wakes the fourth task through lfd (-b; -1: none). */
static int holder(int rfd, int lfd, uint64_t run_ns, FILE *out)
{
	struct sched_param p = { .sched_priority = 10 };
	bool late = lfd >= 0;
	char c;

	if (sched_setscheduler(0, SCHED_FIFO, &p) < 0) {
		fprintf(stderr, "handoff: SCHED_FIFO: %s\n", strerror(errno));
		return 1;
	}
	if (read(rfd, &c, 1) != 1) {
		fprintf(stderr, "handoff: the waker never wrote\n");
		return 1;
	}
	uint64_t t0 = now_ns(), t;
	volatile uint64_t spins = 0;
	while ((t = now_ns()) - t0 < run_ns) {
		spins++;
		if (late && t - t0 >= 1000000) {
			late = false;
			if (write(lfd, "x", 1) != 1)
				return 1;
		}
	}
	fprintf(out, "{\"type\":\"holder\",\"pid\":%d,\"tid\":%ld,\"start_ns\":%llu,\"end_ns\":%llu}\n",
		getpid(), (long)syscall(SYS_gettid), (unsigned long long)t0, (unsigned long long)t);
	return fclose(out) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int cpu = -1, opt, fds[2], bfds[2], lfds[2], st;
	long run_ms = 0;
	bool mode_behind = false, mode_moved = false;
	pid_t third = -1, fourth = -1;
	const char *path = NULL;

	while ((opt = getopt(argc, argv, "bmc:r:o:")) != -1) {
		switch (opt) {
		case 'b': mode_behind = true; break;
		case 'm': mode_moved = true; break;
		case 'c': cpu = atoi(optarg); break;
		case 'r': run_ms = atol(optarg); break;
		case 'o': path = optarg; break;
		default: goto usage;
		}
	}
	if (cpu < 0 || run_ms < 100 || run_ms > 1000 || !path || (mode_behind && mode_moved))
		goto usage;
	if (mode_moved && sysconf(_SC_NPROCESSORS_CONF) < 2) {
		fprintf(stderr, "handoff: -m needs two CPUs\n");
		return 2;
	}
	FILE *out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "handoff: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(out, NULL, _IOLBF, 0);
	if (pin(cpu) < 0 || pipe(fds) < 0 || pipe(bfds) < 0 || pipe(lfds) < 0) {
		fprintf(stderr, "handoff: CPU %d or pipe: %s\n", cpu, strerror(errno));
		return 1;
	}
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "handoff: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		close(fds[1]);
		close(lfds[0]);
		_exit(mode_moved ? behind(fds[0], out, "moved") :
		      holder(fds[0], mode_behind ? lfds[1] : -1, (uint64_t)run_ms * 1000000ull, out));
	}
	close(fds[0]);
	close(lfds[1]);
	const int wfds[2] = { fds[1], bfds[1] };
	if (mode_behind && (fourth = spawn_behind(lfds[0], "late", out, wfds, (pid_t[2]){ child, -1 })) < 0)
		return 1;
	close(lfds[0]);
	if ((mode_behind || mode_moved) &&
	    (third = spawn_behind(bfds[0], "behind", out, wfds, (pid_t[2]){ child, fourth })) < 0)
		return 1;
	close(bfds[0]);
	/* the children have blocked on their pipes long before this */
	struct timespec ts = { 0, 300 * 1000000L };
	nanosleep(&ts, NULL);
	bool ok = mode_moved ? hold_and_move(cpu, fds[1], child, bfds[1], (uint64_t)run_ms * 1000000ull, out) == 0 :
		  wake(fds[1], bfds[1], mode_behind, out);
	int bad = !ok;
	pid_t kids[3] = { child, third, fourth };
	for (int k = 0; k < 3; k++) {
		if (kids[k] < 0)
			continue;
		if (!ok)
			kill(kids[k], SIGKILL);
		if (waitpid(kids[k], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	}
	if (bad) {
		fprintf(stderr, "handoff: a child failed\n");
		return 1;
	}
	return fclose(out) ? 1 : 0;
usage:
	fprintf(stderr, "usage: handoff [-b|-m] -c CPU -r RUN_MS -o OUT\n");
	return 2;
}
